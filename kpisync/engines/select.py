"""Which engine a run uses: ``--engine URL``, else kpis.yaml's ``engine:`` section, else the
DuckDB store at ``--store``; the sync writes its store on the same engine (``open_store``).
Credentials never come from kpis.yaml or the command line: a URL that carries a password is
refused, and the driver reads it from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from kpisync.engines.base import Engine

if TYPE_CHECKING:
    from kpisync.config.model import Config
    from kpisync.store import Store

#: URL schemes and the engine each selects
SCHEMES = {"duckdb": "duckdb", "postgresql": "postgres", "postgres": "postgres"}
#: engines whose SQL kpisync checks (docs/engines.md) but cannot run yet
PLANNED = ("spark", "databricks", "snowflake", "bigquery")


@dataclass(frozen=True)
class EngineSettings:
    """kpis.yaml's ``engine:`` section, or ``--engine URL``."""

    url: str
    #: where the store's tables are (PostgreSQL: the schema put first on the search path)
    schema: str | None = None


def engine_kind(url: str) -> str:
    """``duckdb`` or ``postgres`` for ``url``; ValueError with advice for anything else."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else url.lower()
    if scheme in SCHEMES:
        return SCHEMES[scheme]
    if scheme in PLANNED:
        raise ValueError(f"the {scheme} engine is not available yet: kpisync checks that its "
                         "SQL transpiles but cannot run it (see docs/engines.md)")
    raise ValueError(f"unknown engine '{url}': use postgresql://host/database, or duckdb for "
                     "the local store")


def credentials_problem(url: str) -> str | None:
    """Why ``url`` must not be used as written: it carries a password."""
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


def open_store(settings: EngineSettings | None, store_path: Path, *, create: bool = True
               ) -> Store:
    """The store ``kpisync sync`` writes: the DuckDB file at ``store_path``, or the same
    tables on the PostgreSQL server ``settings`` names (in its ``schema``). Raises ValueError
    for a URL kpisync cannot use, StoreError when the store cannot be opened."""
    from kpisync.store import Store

    kind = engine_kind(settings.url) if settings else "duckdb"
    if kind == "duckdb":
        return Store.open(store_path, create=create)
    problem = credentials_problem(settings.url)  # type: ignore[union-attr]
    if problem:
        raise ValueError(problem)
    return Store.connect(settings.url, settings.schema)  # type: ignore[union-attr]
