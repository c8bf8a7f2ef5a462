"""One local Spark session (PySpark, ``local[2]``) for the whole test session, driver bound to
127.0.0.1. Without PySpark or Java the Spark tests are skipped, except where
KPISYNC_REQUIRE_SPARK=1 (or CI's KPISYNC_REQUIRE_BROWSER=1) makes that a failure. The JVM
takes some 15 s to start: every Spark test shares this one (``spark_engine`` in conftest.py).
"""

from __future__ import annotations

import os
import shutil

import pytest

#: small data: two shuffle partitions instead of 200, and nothing but loopback
TEST_CONFIG = {
    "spark.master": "local[2]",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
}


def spark_unavailable(reason: str):
    for demand in ("KPISYNC_REQUIRE_SPARK", "KPISYNC_REQUIRE_BROWSER"):
        if os.environ.get(demand) == "1":
            pytest.fail(f"{demand}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def start_spark():
    """A ``SparkEngine`` on ``local[2]``, or a skip (a failure where Spark is required)."""
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        spark_unavailable(f"PySpark is not installed: {exc}")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        spark_unavailable("Java is not installed (apt-get install -y default-jre-headless)")
    from kpisync.engines.base import QueryError
    from kpisync.engines.spark import SparkEngine

    # the JVM binds its driver and block manager to this address, not the host's interface
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        engine = SparkEngine.connect("local[2]", app_name="kpisync-tests", config=TEST_CONFIG)
    except QueryError as exc:
        spark_unavailable(str(exc))
    # analysis errors are expected in some tests: keep Spark's log to fatal ones
    engine.session.sparkContext.setLogLevel("FATAL")
    return engine
