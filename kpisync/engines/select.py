"""Which engine a run uses: ``--engine URL``, else kpis.yaml's ``engine:`` section, else the
DuckDB store at ``--store``; the sync writes its store on the same engine (``open_store``).
Credentials never come from kpis.yaml or the command line: a URL that carries a password (or a
Spark Connect token) is refused, and the driver reads it from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from kpisync.engines.base import Engine
from kpisync.engines.spark import TOKEN_VARIABLE, is_spark_url
from kpisync.errors import StoreError

if TYPE_CHECKING:
    from kpisync.config.model import Config
    from kpisync.store import Store

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


@contextmanager
def open_engine(settings: EngineSettings | None, store_path: Path,
                config: Config | None = None) -> Iterator[Engine]:
    """The engine a run computes on, closed afterwards. DuckDB opens the store file; the
    store's checks (it exists, its schema version) apply as for ``kpisync build``. With
    ``config``'s ``mapping:``, the store's tables are laid over the mapped ones
    (``kpisync.engines.mapping.map_tables``)."""
    kind = engine_kind(settings.url) if settings else "duckdb"
    if kind == "duckdb":
        from kpisync.engines.duckdb import DuckDBEngine
        from kpisync.store import Store

        with Store.open(store_path, create=False) as store:
            yield DuckDBEngine(store.connection)
        return
    problem = credentials_problem(settings.url)  # type: ignore[union-attr]
    if problem:
        raise ValueError(problem)
    engine: Engine
    if kind == "spark":
        from kpisync.engines.spark import SparkEngine

        engine = SparkEngine.connect(settings.url, settings.schema)  # type: ignore[union-attr]
    else:
        from kpisync.engines.postgres import PostgresEngine

        engine = PostgresEngine.connect(settings.url, settings.schema)  # type: ignore[union-attr]
    try:
        if config is not None and config.mapping is not None:
            from kpisync.engines.mapping import map_tables

            yield map_tables(config, engine)
            return
        yield engine
    finally:
        engine.close()


def check_store_engine(settings: EngineSettings | None) -> None:
    """Refuse, before any Salesforce call, an engine kpisync's sync cannot write: Spark
    computes on tables in its catalog that another tool (or a load) puts there."""
    if settings is not None and engine_kind(settings.url) == "spark":
        raise StoreError(
            f"kpisync sync cannot write its store into Spark ({settings.url}): sync into the "
            "DuckDB store or PostgreSQL, and compute on Spark with `kpisync build --engine URL` "
            "over the store's tables in Spark's catalog (docs/engines.md)")


def open_store(settings: EngineSettings | None, store_path: Path, *, create: bool = True
               ) -> Store:
    """The store ``kpisync sync`` writes: the DuckDB file at ``store_path``, or the same
    tables on the PostgreSQL server ``settings`` names (in its ``schema``). Raises ValueError
    for a URL kpisync cannot use, StoreError when the store cannot be opened."""
    from kpisync.store import Store

    kind = engine_kind(settings.url) if settings else "duckdb"
    if kind == "duckdb":
        return Store.open(store_path, create=create)
    check_store_engine(settings)
    problem = credentials_problem(settings.url)  # type: ignore[union-attr]
    if problem:
        raise ValueError(problem)
    return Store.connect(settings.url, settings.schema)  # type: ignore[union-attr]
