"""The embedded default: the store's own DuckDB connection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
from sqlglot import exp

from kpisync.engines.base import Columns, QueryError, column_defs

#: rows per INSERT of a temp table: DuckDB's ``executemany`` runs one statement per row, about
#: ten times slower for the members table of a 2,000-rep org than a few multi-row VALUES
INSERT_BATCH = 500


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
            rows = list(rows)
            for start in range(0, len(rows), INSERT_BATCH):
                batch = rows[start:start + INSERT_BATCH]
                values = exp.values([tuple(exp.Placeholder() for _ in columns)] * len(batch))
                self.connection.execute(exp.insert(values, name).sql(dialect=self.dialect),
                                        [value for row in batch for value in row])
        except duckdb.Error as exc:
            raise QueryError(str(exc)) from exc

    def close(self) -> None:
        self.connection.close()
