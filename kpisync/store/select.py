"""Which engine a run uses, and the store it reads or writes: ``--engine URL``, else
kpis.yaml's ``engine:`` section, else the DuckDB store at ``--store``; the sync writes its
store on the same engine (``open_store``).
Credentials never come from kpis.yaml or the command line: a URL that carries a password (or a
Spark Connect token) is refused, and the driver reads it from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from kpisync.config.engine import (  # the URL rules, re-exported for the CLI
    EngineSettings,
    credentials_problem,
    engine_kind,
)
from kpisync.engines.base import Engine
from kpisync.errors import StoreError

if TYPE_CHECKING:
    from kpisync.config.model import Config
    from kpisync.errors import ConfigProblem
    from kpisync.store import Store

__all__ = ["EngineSettings", "check_online", "check_store_engine", "credentials_problem",
           "engine_kind", "open_engine", "open_store", "settings_kind"]


def settings_kind(settings: EngineSettings | None) -> str:
    """``engine_kind`` of ``settings``' URL; ``duckdb`` (the store file) when there are none."""
    return engine_kind(settings.url) if settings else "duckdb"


def _server_url(settings: EngineSettings) -> str:
    """``settings``' URL, refused (ValueError) when it carries a credential."""
    problem = credentials_problem(settings.url)
    if problem:
        raise ValueError(problem)
    return settings.url


@contextmanager
def open_engine(settings: EngineSettings | None, store_path: Path,
                config: Config | None = None) -> Iterator[Engine]:
    """The engine a run computes on, closed afterwards. DuckDB opens the store file; the
    store's checks (it exists, its schema version) apply as for ``kpisync build``. With
    ``config``'s ``mapping:``, the store's tables are laid over the mapped ones
    (``kpisync.store.mapping.map_tables``)."""
    kind = settings_kind(settings)
    if kind == "duckdb":
        from kpisync.engines.duckdb import DuckDBEngine
        from kpisync.store import Store

        with Store.open(store_path, create=False) as store:
            yield DuckDBEngine(store.connection)
        return
    url = _server_url(settings)  # type: ignore[arg-type]
    engine: Engine
    if kind == "spark":
        from kpisync.engines.spark import SparkEngine

        engine = SparkEngine.connect(url, settings.schema)  # type: ignore[union-attr]
    else:
        from kpisync.engines.postgres import PostgresEngine

        engine = PostgresEngine.connect(url, settings.schema)  # type: ignore[union-attr]
    try:
        if config is not None and config.mapping is not None:
            from kpisync.store.mapping import map_tables

            yield map_tables(config, engine)
            return
        yield engine
    finally:
        engine.close()


def check_store_engine(settings: EngineSettings | None) -> None:
    """Refuse, before any Salesforce call, an engine kpisync's sync cannot write: Spark
    computes on tables in its catalog that another tool (or a load) puts there."""
    if settings_kind(settings) == "spark":
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

    kind = settings_kind(settings)
    if kind == "duckdb":
        return Store.open(store_path, create=create)
    check_store_engine(settings)
    return Store.connect(_server_url(settings), settings.schema)  # type: ignore[arg-type,union-attr]


def check_online(config: Config) -> list[ConfigProblem] | None:
    """``check_mapping`` on the server kpis.yaml's ``engine:`` names (``kpisync validate
    --online``); None when there is none (the local store is checked by the sync itself).
    Raises QueryError when the server cannot be reached."""
    from kpisync.store.mapping import check_mapping

    if settings_kind(config.engine) == "duckdb":
        return None
    # no config passed: the bare tables, not views over them; and no store file is opened
    with open_engine(config.engine, config.path) as engine:
        return check_mapping(config, engine)
