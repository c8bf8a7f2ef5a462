"""The embedded default: the store's own DuckDB connection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
from sqlglot import exp

from kpisync.engines.base import Columns, QueryError, column_defs


class DuckDBEngine:
    name = "DuckDB"
    dialect = "duckdb"
    schema = "main"

    def __init__(self, connection: duckdb.DuckDBPyConnection):
        self.connection = connection

    def execute(self, query: exp.Expression, params: Mapping[str, Any] | None = None
                ) -> list[tuple]:
        try:
            return self.connection.execute(query.sql(dialect=self.dialect),
                                           dict(params or {})).fetchall()
        except duckdb.Error as exc:
            raise QueryError(str(exc)) from exc

    def create_temp_table(self, name: str, columns: Columns, rows: Sequence[tuple]) -> None:
        create = exp.Create(
            this=exp.Schema(this=exp.to_table(name), expressions=column_defs(columns,
                                                                             self.dialect)),
            kind="TABLE",
            replace=True,
            properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
        )
        try:
            self.connection.execute(create.sql(dialect=self.dialect))
            if rows:
                placeholders = tuple(exp.Placeholder() for _ in columns)
                insert = exp.insert(exp.values([placeholders]), name)
                self.connection.executemany(insert.sql(dialect=self.dialect), list(rows))
        except duckdb.Error as exc:
            raise QueryError(str(exc)) from exc

    def close(self) -> None:
        self.connection.close()
