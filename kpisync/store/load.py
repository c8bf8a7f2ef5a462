"""Copy a DuckDB store's tables (the raw ``sf_<object>`` tables and ``sync_state``) into
another engine, column for column, so that compute reads there exactly what it reads in the
store; or lay them out as a replication tool would (a preset of ``kpisync.config.presets``:
its table and column names, its bookkeeping columns, no ``sync_state``) to try a ``mapping:``.
Used to try an engine on the demo org and by the tests that check that every engine computes
the same scorecard.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from sqlglot import exp

from kpisync.config.presets import Preset
from kpisync.engines.base import drop_table
from kpisync.engines.postgres import PostgresEngine
from kpisync.sobjects import catalogue
from kpisync.store.state import STATE_TABLE

if TYPE_CHECKING:
    from kpisync.engines.spark import SparkEngine

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


def copy_store(source: duckdb.DuckDBPyConnection, target: PostgresEngine,
               preset: Preset | None = None) -> dict[str, int]:
    """Every table of ``store_tables`` (re)created in ``target``'s schema and filled, named
    and extended as ``preset`` lays them out when given; the number of rows copied per table
    (by its name in ``target``)."""
    objects = {name.lower(): name for name in catalogue()}
    copied = {}
    for table, columns in store_tables(source).items():
        name, names, extra = table, [column for column, _ in columns], ()
        if preset is not None:
            if table == STATE_TABLE:
                continue
            sobject = objects.get(table.removeprefix("sf_"), table.removeprefix("sf_"))
            name, names = preset.table(sobject), [preset.column(n) for n in names]
            extra = preset.bookkeeping
        quoted = exp.table_(exp.to_identifier(name, quoted=True))  # `user` is a keyword
        target.execute(drop_table(quoted))
        target.execute(exp.Create(
            this=exp.Schema(this=quoted, expressions=[
                exp.ColumnDef(this=exp.to_identifier(column, quoted=True),
                              kind=exp.DataType.build(kind, dialect="duckdb"))
                for column, kind in [*zip(names, (k for _, k in columns), strict=True),
                                     *extra]]),
            kind="TABLE",
        ))
        filler = tuple(_bookkeeping(kind) for _, kind in extra)
        rows = [row + filler for row in _rows(source, table, columns)]
        target.copy_rows(name, [*names, *(column for column, _ in extra)], rows)
        copied[name] = len(rows)
    return copied


def _bookkeeping(kind: str) -> object:
    """A replication tool's column on a live record: not deleted, synced now, a fresh id."""
    if kind == "BOOLEAN":
        return False
    if kind.startswith("TIMESTAMP"):
        return datetime.now(UTC)
    return str(uuid.uuid4())


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


def load_into_spark(source: duckdb.DuckDBPyConnection, engine: SparkEngine,
                    directory: Path) -> dict[str, int]:
    """Every table kpisync reads from the DuckDB store ``source`` written to ``directory`` as
    Parquet (DuckDB's own writer, no SQL text) and registered on the Spark ``engine`` as a
    temp view of the same name; the rows per table. For tests and the benchmark: in
    production Spark reads the tables from its catalog."""
    loaded = {}
    for table in store_tables(source):
        path = Path(directory) / f"{table}.parquet"
        relation = source.table(table)
        relation.write_parquet(str(path))
        engine.register_parquet(table, path)
        loaded[table] = relation.shape[0]
    return loaded
