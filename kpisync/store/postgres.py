"""The store on a PostgreSQL server: ``kpisync sync`` writes the same tables there as into the
DuckDB file (``sf_<object>``, ``sync_state``, ``meta``), in the schema kpis.yaml's
``engine.schema`` names (else ``public``).

The session runs in autocommit and the store opens its transactions explicitly (``BEGIN`` …
``COMMIT``): PostgreSQL's DDL is transactional, so a page, the columns it added and its
checkpoint commit together or not at all. A session-level advisory lock keyed on the schema
keeps a second sync from writing the same tables at the same time, as DuckDB's file lock does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlglot import exp

from kpisync.engines.base import Engine, QueryError
from kpisync.engines.postgres import PostgresEngine, psycopg_sql, safe_url
from kpisync.errors import StoreError


class PostgresBackend:
    dialect = "postgres"

    def __init__(self, engine: PostgresEngine, location: str):
        self._engine = engine
        self.connection = engine.connection
        self.schema = engine.schema
        self.location = location

    @classmethod
    def connect(cls, url: str, schema: str | None = None) -> PostgresBackend:
        """A session on ``url`` holding the store's lock; the password comes from the
        environment (PGPASSWORD, ~/.pgpass), as for the compute engine."""
        location = f"{safe_url(url)} (schema {schema or 'public'})"
        try:
            engine = PostgresEngine.connect(url, schema)
        except QueryError as exc:
            raise StoreError(str(exc)) from exc
        backend = cls(engine, location)
        try:
            if schema:  # kpisync's own store: its schema is made as its tables are
                backend.execute(exp.Create(this=exp.to_identifier(schema, quoted=True),
                                           kind="SCHEMA", exists=True))
            backend._lock()
        except BaseException:
            engine.close()
            raise
        return backend

    def execute(self, statement: exp.Expression, params: Mapping[str, Any] | None = None
                ) -> list[tuple]:
        with self._cursor(statement, params) as cursor:
            return cursor.fetchall() if cursor.description is not None else []

    def changed(self, statement: exp.Expression, params: Mapping[str, Any] | None = None
                ) -> int:
        with self._cursor(statement, params) as cursor:
            return cursor.rowcount

    def begin(self) -> None:
        self.execute(exp.Transaction())

    def commit(self) -> None:
        self.execute(exp.Commit())

    def rollback(self) -> None:
        self.execute(exp.Rollback())

    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.close()  # ends the session, and with it the lock

    def _lock(self) -> None:
        key = exp.func("hashtext", exp.Literal.string(f"kpisync store {self.schema}"))
        ((locked,),) = self.execute(exp.select(exp.func("pg_try_advisory_lock", key)))
        if not locked:
            raise StoreError(f"the store {self.location} is in use by another process "
                             "(another kpisync sync?); wait for it to finish and try again")

    def _cursor(self, statement: exp.Expression, params: Mapping[str, Any] | None):
        import psycopg

        cursor = self.connection.cursor()
        try:
            cursor.execute(psycopg_sql(statement), dict(params or {}))
        except psycopg.Error as exc:
            cursor.close()
            raise StoreError(f"the store {self.location} failed: {str(exc).strip()}") from exc
        return cursor
