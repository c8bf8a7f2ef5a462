"""The few things compute asks of an engine: run a query, make a small temp table, name its
dialect (and the schema its tables live in, for information_schema).

Everything else (which KPI, which filter, which period) is built once as sqlglot expressions
in ``kpisync.compute``; an engine only renders them with ``dialect=engine.dialect``. A second
copy of any KPI's logic per engine is exactly what this seam exists to prevent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import duckdb
from sqlglot import exp

from kpisync.errors import KpisyncError

#: (column name, type in DuckDB's spelling) of a temp table; engines transpile the type
Columns = Sequence[tuple[str, str]]


class QueryError(KpisyncError):
    """The engine refused or failed a query; the message carries the engine's own words."""


@runtime_checkable
class Engine(Protocol):
    #: the engine's name in messages ("DuckDB", "PostgreSQL")
    name: str
    #: sqlglot's dialect name, the one every query is rendered in
    dialect: str
    #: the schema information_schema lists the store's tables under
    schema: str

    def execute(self, query: exp.Expression, params: Mapping[str, Any] | None = None
                ) -> list[tuple]:
        """Every row of ``query``, its ``exp.Placeholder`` names bound from ``params``."""
        ...

    def create_temp_table(self, name: str, columns: Columns, rows: Sequence[tuple]) -> None:
        """(Re)create a session-only table and fill it with ``rows``."""
        ...


#: what compute's functions take: an engine, or the DuckDB store's connection as before
Connection = Engine | duckdb.DuckDBPyConnection


def as_engine(con: Connection) -> Engine:
    """``con`` itself when it is an engine; a DuckDB connection wrapped as one (every caller
    that predates engines passes the store's connection)."""
    if isinstance(con, Engine):
        return con
    from kpisync.engines.duckdb import DuckDBEngine

    return DuckDBEngine(con)


def column_defs(columns: Columns, dialect: str) -> list[exp.ColumnDef]:
    """A temp table's columns as sqlglot column definitions for ``dialect``."""
    return [exp.ColumnDef(this=exp.to_identifier(column),
                          kind=exp.DataType.build(kind, dialect="duckdb"))
            for column, kind in columns]


def drop_table(name: str | exp.Table) -> exp.Drop:
    """DROP TABLE IF EXISTS ``name`` (PostgreSQL has no CREATE OR REPLACE TABLE)."""
    return exp.Drop(tables=[exp.to_table(name)], kind="TABLE", exists=True)
