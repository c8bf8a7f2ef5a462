"""The ``sync_state`` table: where the sync of each object stands, one row per object.

A row is the checkpoint the next sync starts from (the ``(SystemModstamp, Id)`` of the last
record stored, in the sync's read order) plus what decides *how* it starts: whether the last
read ran to its end (a finished read starts again a lookback before the watermark, an
interrupted one exactly after it), which synced fields are formulas (re-read periodically,
since recalculating them does not bump SystemModstamp), and from which CreatedDate the stored
rows are complete (an earlier history start reads the object again).

The statements are sqlglot expressions that ``kpisync.store.database.Store`` runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlglot import exp

STATE_TABLE = "sync_state"
#: 1: watermark, fields, last full sync; 2: + complete, formula fields, history start, the
#: start of a full read under way
SCHEMA_VERSION = 2


@dataclass(frozen=True)
class SyncState:
    """Where the sync of one object stands: the last record stored, in query order."""

    sobject: str
    #: SystemModstamp of the last record stored; None before the first page (or a full re-read)
    watermark: datetime | None
    #: Id of that record: ties on SystemModstamp are broken by Id
    watermark_id: str | None
    #: the fields synced into the table
    fields: tuple[str, ...]
    #: when the last read of every row (first sync, --full, new fields, formula refresh) finished
    last_full_sync: datetime | None = None
    updated_at: datetime | None = None
    #: True once a read reached the end of the object's changes; False while one is under way
    #: (or was interrupted: killed, failed, stopped at a quota guard)
    complete: bool = False
    #: the synced fields that describe marks ``calculated`` (formula and roll-up summary fields)
    formula_fields: tuple[str, ...] = ()
    #: the stored rows hold every record created since this day (None: objects without history)
    history_start: date | None = None
    #: when the read of every row now under way began; None when none is (a killed re-read
    #: resumes as a re-read, and records ``last_full_sync`` when it finishes)
    full_read_started: datetime | None = None


# (name, type) in table order; the names are also SyncState's attributes.
_COLUMNS: tuple[tuple[str, str], ...] = (
    ("sobject", "VARCHAR"),
    ("watermark", "TIMESTAMPTZ"),
    ("watermark_id", "VARCHAR"),
    ("fields", "VARCHAR"),
    ("last_full_sync", "TIMESTAMPTZ"),
    ("updated_at", "TIMESTAMPTZ"),
    ("complete", "BOOLEAN"),
    ("formula_fields", "VARCHAR"),
    ("history_start", "DATE"),
    ("full_read_started", "TIMESTAMPTZ"),
)
_TIMESTAMPS = frozenset(name for name, kind in _COLUMNS if kind == "TIMESTAMPTZ")
_JSON_LISTS = frozenset({"fields", "formula_fields"})
#: columns added by each schema version, with the value rows written before it get
_ADDED: dict[int, tuple[tuple[str, exp.Expression], ...]] = {
    # A v1 store does not know whether its last read finished: say it did, so the next sync
    # re-reads the lookback window rather than skipping records that committed late.
    2: (("complete", exp.true()), ("formula_fields", exp.Literal.string("[]")),
        ("history_start", exp.null()), ("full_read_started", exp.null())),
}


def table_schema() -> exp.Schema:
    """The table's definition, for ``CREATE TABLE IF NOT EXISTS``."""
    columns = []
    for name, kind in _COLUMNS:
        constraints = ([exp.ColumnConstraint(kind=exp.PrimaryKeyColumnConstraint())]
                       if name == "sobject" else [])
        columns.append(exp.ColumnDef(this=exp.to_identifier(name), kind=exp.DataType.build(kind),
                                     constraints=constraints))
    return exp.Schema(this=exp.to_table(STATE_TABLE), expressions=columns)


def migrations(version: int) -> list[exp.Expression]:
    """The statements that bring a table written at schema ``version`` up to date."""
    kinds = dict(_COLUMNS)
    statements: list[exp.Expression] = []
    for added_in in range(version + 1, SCHEMA_VERSION + 1):
        for name, value in _ADDED.get(added_in, ()):
            definition = exp.ColumnDef(this=exp.to_identifier(name),
                                       kind=exp.DataType.build(kinds[name]))
            statements.append(exp.Alter(this=exp.to_table(STATE_TABLE), kind="TABLE",
                                        actions=[definition]))
            statements.append(exp.update(STATE_TABLE, {name: value}))
    return statements


def _selected() -> list[exp.Expression]:
    """Every column but ``sobject``, in table order."""
    def column(name: str) -> exp.Expression:
        if name in _TIMESTAMPS:  # fetched naive in UTC: an aware TIMESTAMPTZ would need pytz
            return exp.AtTimeZone(this=exp.column(name), zone=exp.Literal.string("UTC"))
        return exp.column(name)

    return [column(name) for name, _ in _COLUMNS[1:]]


def select_query() -> exp.Select:
    """One object's row; bind the object's name."""
    return (exp.select(*_selected()).from_(STATE_TABLE)
            .where(exp.column("sobject").eq(exp.Placeholder())))


def select_all_query() -> exp.Select:
    """Every object's row, ``sobject`` first, in object-name order."""
    return exp.select(exp.column("sobject"), *_selected()).from_(STATE_TABLE).order_by("sobject")


def from_row(sobject: str, row: Sequence[Any]) -> SyncState:
    """The SyncState of a row fetched with ``select_query``."""
    values: dict[str, Any] = {}
    for (name, _), value in zip(_COLUMNS[1:], row, strict=True):
        if name in _TIMESTAMPS and value is not None:
            value = value.replace(tzinfo=UTC)
        elif name in _JSON_LISTS:
            value = tuple(json.loads(value or "[]"))
        values[name] = value
    values["complete"] = bool(values["complete"])
    return SyncState(sobject=sobject, **values)


def upsert_statement(state: SyncState, now: datetime) -> tuple[exp.Expression, list[Any]]:
    """The statement that writes ``state`` (its ``updated_at`` set to ``now``), and its values."""
    values = []
    for name, _ in _COLUMNS:
        value = now if name == "updated_at" else getattr(state, name)
        values.append(json.dumps(list(value)) if name in _JSON_LISTS else value)
    names = [name for name, _ in _COLUMNS]
    insert = exp.insert(exp.values([tuple(exp.Placeholder() for _ in names)]), STATE_TABLE,
                        columns=[exp.to_identifier(n) for n in names])
    insert.set("conflict", exp.OnConflict(
        conflict_keys=[exp.column("sobject")], action=exp.var("DO UPDATE"),
        expressions=[exp.EQ(this=exp.column(n), expression=exp.column(n, table="excluded"))
                     for n in names[1:]],
    ))
    return insert, values
