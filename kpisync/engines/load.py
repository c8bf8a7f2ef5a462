"""Bring your own tables: copy a DuckDB store's tables (the raw ``sf_<object>`` tables and
``sync_state``) into another engine, column for column, so that compute reads there exactly
what it reads in the store. Used to try an engine on the demo org and by the tests that
check that every engine computes the same scorecard.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import duckdb
from sqlglot import exp

from kpisync.engines.base import drop_table
from kpisync.engines.postgres import PostgresEngine
from kpisync.store.state import STATE_TABLE

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: rows fetched from the store per batch while copying
_BATCH = 10_000


def store_tables(source: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """The store's tables kpisync reads, each with its (column, DuckDB type) in order."""
    query = (
        exp.select("table_name", "column_name", "data_type")
        .from_(exp.to_table("information_schema.columns"))
        .where(exp.column("table_schema").eq(exp.Literal.string("main")))
        .order_by("table_name", "ordinal_position")
    )
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in source.execute(query.sql(dialect="duckdb")).fetchall():
        if table.startswith("sf_") or table == STATE_TABLE:
            tables.setdefault(table, []).append((column, data_type))
    return tables


def copy_store(source: duckdb.DuckDBPyConnection, target: PostgresEngine) -> dict[str, int]:
    """Every table of ``store_tables`` (re)created in ``target``'s schema and filled; the
    number of rows copied per table."""
    copied = {}
    for table, columns in store_tables(source).items():
        target.execute(drop_table(table))
        target.execute(exp.Create(
            this=exp.Schema(this=exp.to_table(table), expressions=[
                exp.ColumnDef(this=exp.to_identifier(name, quoted=True),
                              kind=exp.DataType.build(kind, dialect="duckdb"))
                for name, kind in columns]),
            kind="TABLE",
        ))
        rows = list(_rows(source, table, columns))
        target.copy_rows(table, [name for name, _ in columns], rows)
        copied[table] = len(rows)
    return copied


def _rows(source: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]]
          ) -> Iterator[tuple]:
    """The table's rows; instants travel as microseconds since the epoch, as fetching a
    TIMESTAMPTZ from DuckDB would need pytz and the session's time zone."""
    instants = [kind == "TIMESTAMP WITH TIME ZONE" for _, kind in columns]
    selects = [
        exp.func("epoch_us", exp.column(name, quoted=True)) if instant
        else exp.column(name, quoted=True)
        for (name, _), instant in zip(columns, instants, strict=True)
    ]
    cursor = source.execute(exp.select(*selects).from_(table).sql(dialect="duckdb"))
    while batch := cursor.fetchmany(_BATCH):
        for row in batch:
            yield tuple(_instant(v) if instant else v
                        for v, instant in zip(row, instants, strict=True))


def _instant(micros: int | None) -> datetime | None:
    return None if micros is None else _EPOCH + timedelta(microseconds=micros)
