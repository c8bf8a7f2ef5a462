"""Shared fixtures.

``browser``: Debian's headless chromium driven through Playwright's sync API. Without a usable
chromium the browser tests are skipped, except in CI, which sets KPISYNC_REQUIRE_BROWSER=1 so
that a broken browser fails the run instead of silently skipping it. Never downloads a browser.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    return os.environ.get("KPISYNC_CHROMIUM") or CHROMIUM


def browser_unavailable(reason: str):
    """Skip, or fail when the environment demands a browser (CI)."""
    if os.environ.get("KPISYNC_REQUIRE_BROWSER") == "1":
        pytest.fail(f"KPISYNC_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """A launched chromium Browser for the whole session."""
    executable = chromium_path()
    if not Path(executable).is_file():
        browser_unavailable(f"chromium not found at {executable} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        browser_unavailable(f"playwright is not installed: {exc}")
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    except Exception as exc:  # any launch failure means "no usable browser here"
        playwright.stop()
        browser_unavailable(f"chromium at {executable} failed to launch: {exc}")
    yield launched
    launched.close()
    playwright.stop()


@pytest.fixture(scope="session")
def spark_engine():
    """A ``SparkEngine`` on a local[2] session shared by every Spark test (tests/spark_session.py);
    each test loads the tables it needs as temp views, replacing the last test's."""
    from spark_session import start_spark

    engine = start_spark()
    yield engine
    engine.close()


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch):
    """Tests talk only to 127.0.0.1: a proxy or CURL_CA_BUNDLE from the machine must not
    reroute or re-verify them (httpx's test suite does the same)."""
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                "all_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
