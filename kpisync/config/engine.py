"""kpis.yaml's ``engine:`` section and ``--engine URL``: where compute runs, and which URLs
kpisync accepts (docs/engines.md). Only the URL and options live here; a password never does
(the driver reads it from the environment). ``kpisync.engines`` opens what these name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from yaml.nodes import Node

from kpisync.config import readers
from kpisync.config.problems import Problems
from kpisync.config.readers import Key

#: Spark master URLs for local mode: ``local``, ``local[4]``, ``local[*]``, ``local[2,3]``
LOCAL_MASTER = re.compile(r"local(\[(\d+|\*)(,\d+)?\])?", re.IGNORECASE)
#: the environment variable a Spark Connect token is read from (never from the URL)
TOKEN_VARIABLE = "KPISYNC_SPARK_TOKEN"
#: URL schemes and the engine each selects
SCHEMES = {"duckdb": "duckdb", "postgresql": "postgres", "postgres": "postgres"}
#: engines whose SQL kpisync checks (docs/engines.md) but cannot run yet
PLANNED = ("databricks", "snowflake", "bigquery")


@dataclass(frozen=True)
class EngineSettings:
    """kpis.yaml's ``engine:`` section, or ``--engine URL``."""

    url: str
    #: where the store's tables are (PostgreSQL: the schema put first on the search path)
    schema: str | None = None


def engine_kind(url: str) -> str:
    """``duckdb``, ``postgres`` or ``spark`` for ``url``; ValueError with advice for anything
    else. Spark takes its master URLs (``spark://host:7077``, ``local[*]``) and Spark
    Connect's ``sc://host:15002``."""
    if is_spark_url(url):
        return "spark"
    scheme = url.split(":", 1)[0].lower() if ":" in url else url.lower()
    if scheme in SCHEMES:
        return SCHEMES[scheme]
    if scheme in PLANNED:
        raise ValueError(f"the {scheme} engine is not available yet: kpisync checks that its "
                         "SQL transpiles but cannot run it (see docs/engines.md)")
    raise ValueError(f"unknown engine '{url}': use postgresql://host/database, a Spark master "
                     "(spark://host:7077, local[*]) or sc://host:15002, or duckdb for the "
                     "local store")


def credentials_problem(url: str) -> str | None:
    """Why ``url`` must not be used as written: it carries a password."""
    if url.lower().startswith("sc://") and ";token=" in url.lower():
        return (f"the engine URL carries a Spark Connect token: remove it and set "
                f"{TOKEN_VARIABLE} in the environment instead")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"the engine URL cannot be read: {exc}"
    if parts.password is not None or any(k.lower() == "password"
                                         for k, _ in parse_qsl(parts.query)):
        return ("the engine URL carries a password: remove it and set PGPASSWORD (or use "
                "~/.pgpass) in the environment instead")
    return None


def is_spark_url(url: str) -> bool:
    """Whether ``url`` selects Spark: ``spark://``, ``sc://`` or a ``local`` master."""
    lowered = url.lower()
    return lowered.startswith(("spark://", "sc://")) or LOCAL_MASTER.fullmatch(url) is not None


ENGINE_KEYS = (
    Key("url", True, "such as postgresql://db.example.com/sales"),
    Key("schema"),
)


def parse_engine(node: Node, problems: Problems) -> EngineSettings | None:
    """The engine settings, or None after recording the problems."""
    entries = readers.mapping(node, "engine", problems, ENGINE_KEYS)
    if entries is None or "url" not in entries:
        return None
    url_node = entries["url"].value
    url = readers.text(url_node, "engine.url", problems, what="an engine URL")
    schema = (readers.text(entries["schema"].value, "engine.schema", problems)
              if "schema" in entries else None)
    if url is None or ("schema" in entries and schema is None):
        return None
    try:
        engine_kind(url)
    except ValueError as exc:
        problems.add(url_node, "engine.url", str(exc))
        return None
    problem = credentials_problem(url)
    if problem:
        problems.add(url_node, "engine.url", problem)
        return None
    return EngineSettings(url=url, schema=schema)
