"""The store: transactions, schema version and the raw Salesforce tables, on a backend
(``kpisync.store.backend``: the DuckDB file, or a PostgreSQL server).

Every statement is built with sqlglot and every value is a bound parameter. A page of records
is bound as one list per column and unnested in a single ``INSERT ... ON CONFLICT``: DuckDB's
``executemany`` inserts a row per call and is two orders of magnitude slower (PostgreSQL
unnests several arrays of one length in step, so the same statement serves it). The sync state
table's own statements live in ``kpisync.store.state``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlglot import exp

from kpisync.engines.base import Engine
from kpisync.errors import StoreError
from kpisync.store import state
from kpisync.store.backend import StoreBackend, bind, canonical_type
from kpisync.store.duckdb_file import DuckDBBackend
from kpisync.store.state import SyncState

DIALECT = "duckdb"
SCHEMA_VERSION = state.SCHEMA_VERSION
STATE_TABLE = state.STATE_TABLE
META_TABLE = "meta"
#: the meta key of the org's address the sync last read (drill-through links go there)
INSTANCE_URL = "instance_url"

_TIMESTAMPTZ = "TIMESTAMP WITH TIME ZONE"
_CURRENCY = "DECIMAL(18,2)"
#: Salesforce describe type -> DuckDB column type; any other type is kept as text.
SF_TYPES: dict[str, str] = {
    **dict.fromkeys(
        ("id", "reference", "string", "picklist", "multipicklist", "textarea", "email",
         "phone", "url", "combobox", "encryptedstring", "time"),
        "VARCHAR",
    ),
    "boolean": "BOOLEAN",
    "int": "BIGINT",
    "long": "BIGINT",
    "double": "DOUBLE",
    "percent": "DOUBLE",
    "currency": _CURRENCY,
    "date": "DATE",
    "datetime": _TIMESTAMPTZ,
}


class Store:
    """The open store. ``Store.open(path)`` for the DuckDB file, ``Store.connect(url)`` for a
    PostgreSQL server; ideally as a context manager. Every statement is the same sqlglot tree
    on both (``kpisync.store.backend``)."""

    def __init__(self, backend: StoreBackend):
        self.backend = backend
        #: the DuckDB file (None on a server)
        self.path: Path | None = getattr(backend, "path", None)
        self._depth = 0
        self._columns: dict[str, dict[str, str]] = {}

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Store:
        """Open (creating if needed, unless ``create`` is False) the store at ``path``.

        Raises StoreError if there is no file and ``create`` is False (a build must not leave
        an empty store behind), if the file is not a DuckDB database, is locked by another
        process, or was written by a newer kpisync.
        """
        return cls._ready(DuckDBBackend.open(Path(path), create=create))

    @classmethod
    def connect(cls, url: str, schema: str | None = None) -> Store:
        """The store on the PostgreSQL server at ``url``, its tables in ``schema`` (else
        ``public``); created there if needed. Raises StoreError as ``open`` does, and when
        another sync holds the store."""
        from kpisync.store.postgres import PostgresBackend

        return cls._ready(PostgresBackend.connect(url, schema))

    @classmethod
    def _ready(cls, backend: StoreBackend) -> Store:
        store = cls(backend)
        try:
            store._init_schema()
        except BaseException:
            backend.close()
            raise
        return store

    @classmethod
    def open_read_only(cls, path: Path) -> Store:
        """Open an existing store file only to read it: the file is left exactly as it was (no
        schema created or upgraded), for ``sync --dry-run`` and ``doctor``.

        Raises StoreError as ``open(create=False)`` does, and for a file with no kpisync schema
        or with another schema version than this kpisync's (``sync`` upgrades an older one).
        """
        path = Path(path)
        store = cls(DuckDBBackend.open(path, read_only=True))
        try:
            version = store.schema_version()
            if version is None:
                raise StoreError(f"{path} is not a kpisync store (it has no {META_TABLE} table)")
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the store {path} was written by a newer kpisync (store schema version "
                    f"{version}, this kpisync reads up to {SCHEMA_VERSION}); upgrade kpisync")
            if version < SCHEMA_VERSION:
                raise StoreError(
                    f"the store {path} has schema version {version}, older than this "
                    f"kpisync's {SCHEMA_VERSION}: the next `kpisync sync` upgrades it")
        except BaseException:
            store.close()
            raise
        return store

    def schema_version(self) -> int | None:
        """The store schema version written in the store; None when it has no meta table."""
        info = exp.to_table("information_schema.tables")
        exists = (exp.select(exp.Count(this=exp.Star())).from_(info)
                  .where(exp.column("table_name").eq(exp.Placeholder()))
                  .where(exp.column("table_schema").eq(exp.Placeholder())))
        # the store's own schema: a server may hold another kpisync store's meta elsewhere
        if not self._execute(exists, [META_TABLE, self.backend.schema])[0][0]:
            return None
        rows = self._execute(_version_query())
        return int(rows[0][0]) if rows else None

    @property
    def location(self) -> str:
        """Where the store is, for messages: its path, or its server without a password."""
        return self.backend.location

    @property
    def connection(self) -> Any:
        """The driver's connection (DuckDB's for the file), for compute's read queries."""
        return self.backend.connection

    def engine(self) -> Engine:
        """A compute engine reading this store, on the same connection."""
        return self.backend.engine()

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together or not at all (nested uses join the outer one)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.backend.begin()
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.backend.rollback()
            self._columns.clear()  # an ALTER may have been rolled back
            raise
        self._depth = 0
        self.backend.commit()

    # -- raw tables --------------------------------------------------------------------------

    @staticmethod
    def table_name(sobject: str) -> str:
        return f"sf_{sobject.lower()}"

    def ensure_table(self, sobject: str, fields: Mapping[str, str]) -> bool:
        """Create the object's table, or add the columns it lacks; True if any column is new
        (the rows already stored have no value there, so the object needs a full re-read)."""
        if "Id" not in fields:
            raise StoreError(f"cannot store {sobject} without its Id field")
        existing = self.columns(sobject)
        table = exp.to_table(self.table_name(sobject))
        with self.transaction():
            if not existing:
                definitions = [_column_def(n, t, primary=n == "Id") for n, t in fields.items()]
                self._execute(exp.Create(this=exp.Schema(this=table, expressions=definitions),
                                         kind="TABLE", exists=True))
            for field_name, sf_type in fields.items():
                if existing and field_name not in existing:
                    self._execute(exp.Alter(this=table, kind="TABLE",
                                            actions=[_column_def(field_name, sf_type)]))
        self._columns.pop(sobject, None)
        return not existing or any(name not in existing for name in fields)

    def columns(self, sobject: str) -> dict[str, str]:
        """The table's columns and their types in DuckDB's spelling (``SF_TYPES``, whichever
        database holds the store), in table order ({} if no table)."""
        if sobject not in self._columns:
            info = exp.to_table("information_schema.columns")
            query = (
                exp.select("column_name", "data_type", "numeric_precision", "numeric_scale")
                .from_(info)
                .where(exp.column("table_name").eq(exp.Placeholder()))
                .where(exp.column("table_schema").eq(exp.Placeholder()))
                .order_by("ordinal_position")
            )
            rows = self._execute(query, [self.table_name(sobject), self.backend.schema])
            if not rows:
                return {}
            self._columns[sobject] = {name: canonical_type(kind, precision, scale)
                                      for name, kind, precision, scale in rows}
        return dict(self._columns[sobject])

    def count(self, sobject: str) -> int:
        if not self.columns(sobject):
            return 0
        query = exp.select(exp.Count(this=exp.Star())).from_(self.table_name(sobject))
        return int(self._execute(query)[0][0])

    def upsert(self, sobject: str, records: Sequence[Mapping[str, Any]]) -> int:
        """Insert or update ``records`` (Salesforce JSON dicts) by Id; returns how many.

        Fields the table has no column for (``attributes``, relationship objects) are ignored;
        columns a record does not carry keep their stored value.
        """
        columns = self.columns(sobject)
        if not columns:
            raise StoreError(f"no table for {sobject} in {self.location}: ensure_table first")
        by_id = {r["Id"]: r for r in records}  # one row per Id: ON CONFLICT updates each once
        if not by_id:
            return 0
        present = [c for c in columns if any(c in r for r in by_id.values())]
        rows = list(by_id.values())
        params = [_column_values(rows, name, columns[name]) for name in present]
        select = exp.select(*(
            exp.alias_(exp.Unnest(expressions=[exp.cast(exp.Placeholder(), f"{columns[n]}[]",
                                                         dialect=DIALECT)]), n, quoted=True)
            for n in present
        ))
        updates = [
            exp.EQ(this=_quoted(n), expression=exp.column(n, table="excluded", quoted=True))
            for n in present if n != "Id"
        ]
        conflict = exp.OnConflict(
            conflict_keys=[_quoted("Id")],
            action=exp.var("DO UPDATE") if updates else exp.var("DO NOTHING"),
            expressions=updates or None,
        )
        insert = exp.insert(select, self.table_name(sobject), columns=[_ident(n) for n in present])
        insert.set("conflict", conflict)
        with self.transaction():
            self._execute(insert, params)
        return len(rows)

    def delete(self, sobject: str, ids: Iterable[str]) -> int:
        """Delete the rows with these Ids (missing Ids are fine); returns how many rows were
        in the store and are now gone, so that a first sync, which reads deleted records it
        never stored, does not report them as removed."""
        ids = list(dict.fromkeys(ids))
        if not ids or not self.columns(sobject):
            return 0
        listed = exp.select(exp.Unnest(expressions=[exp.cast(exp.Placeholder(), "VARCHAR[]")]))
        statement = exp.delete(self.table_name(sobject),
                               where=_quoted("Id").isin(query=listed))
        with self.transaction():
            return self.backend.changed(*bind(statement, [ids]))

    def clear(self, sobject: str) -> None:
        """Remove every row of the object and its sync state (``kpisync sync --full``)."""
        with self.transaction():
            if self.columns(sobject):
                self._execute(exp.delete(self.table_name(sobject)))
            self._execute(exp.delete(STATE_TABLE,
                                     where=exp.column("sobject").eq(exp.Placeholder())),
                          [sobject])

    # -- sync state --------------------------------------------------------------------------

    def get_state(self, sobject: str) -> SyncState | None:
        """Where the sync of ``sobject`` stands; None if it was never synced (or cleared)."""
        rows = self._execute(state.select_query(), [sobject])
        return state.from_row(sobject, rows[0]) if rows else None

    def states(self) -> list[SyncState]:
        """The sync state of every object ever synced, by object name."""
        rows = self._execute(state.select_all_query())
        return [state.from_row(row[0], row[1:]) for row in rows]

    def save_state(self, sync_state: SyncState) -> None:
        """Record ``sync_state`` (``updated_at`` is set to now). Call it inside the same
        ``transaction()`` as the page it checkpoints."""
        statement, values = state.upsert_statement(sync_state, datetime.now(UTC))
        with self.transaction():
            self._execute(statement, values)

    def meta(self, key: str) -> str | None:
        """A fact the sync recorded about the store (``instance_url``); None if never set."""
        rows = self._execute(exp.select("value").from_(META_TABLE).where(
            exp.column("key").eq(exp.Placeholder())), [key])
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Record ``key`` = ``value`` (replacing it), in the caller's transaction if any."""
        where = exp.column("key").eq(exp.Placeholder())
        with self.transaction():
            self._execute(exp.delete(META_TABLE, where=where), [key])
            self._execute(exp.insert(exp.values([(exp.Placeholder(), exp.Placeholder())]),
                                     META_TABLE), [key, value])

    # -- internals ---------------------------------------------------------------------------

    def _init_schema(self) -> None:
        meta = exp.Schema(this=exp.to_table(META_TABLE), expressions=[
            _column_def("key", "string", primary=True, quoted=False),
            _column_def("value", "string", quoted=False),
        ])
        with self.transaction():
            self._execute(exp.Create(this=meta, kind="TABLE", exists=True))
            rows = self._execute(_version_query())
            version = int(rows[0][0]) if rows else None
            if version is not None and version > SCHEMA_VERSION:
                raise StoreError(
                    f"the store {self.location} was written by a newer kpisync (store schema "
                    f"version {version}, this kpisync reads up to {SCHEMA_VERSION}); upgrade "
                    "kpisync, or sync into a new store file"
                )
            self._execute(exp.Create(this=state.table_schema(), kind="TABLE", exists=True))
            if version is None:
                insert = exp.insert(exp.values([(exp.Placeholder(), exp.Placeholder())]),
                                    META_TABLE)
                self._execute(insert, ["schema_version", str(SCHEMA_VERSION)])
            elif version < SCHEMA_VERSION:
                self._migrate(version)

    def _migrate(self, version: int) -> None:
        """Bring a store written by an older kpisync up to ``SCHEMA_VERSION``, in the caller's
        transaction: the raw tables never change shape, only the sync state gains columns."""
        for statement in state.migrations(version):
            self._execute(statement)
        update = (exp.update(META_TABLE, {"value": exp.Placeholder()},
                             where=exp.column("key").eq(exp.Literal.string("schema_version"))))
        self._execute(update, [str(SCHEMA_VERSION)])

    def _execute(self, statement: exp.Expression, values: Sequence[Any] | None = None
                 ) -> list[tuple]:
        return self.backend.execute(*bind(statement, values))


def _version_query() -> exp.Select:
    return (exp.select("value").from_(META_TABLE)
            .where(exp.column("key").eq(exp.Literal.string("schema_version"))))


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _quoted(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _column_def(name: str, sf_type: str, *, primary: bool = False,
                quoted: bool = True) -> exp.ColumnDef:
    kind = exp.DataType.build(SF_TYPES.get(sf_type, "VARCHAR"), dialect=DIALECT)
    constraints = [exp.ColumnConstraint(kind=exp.PrimaryKeyColumnConstraint())] if primary else []
    return exp.ColumnDef(this=exp.to_identifier(name, quoted=quoted), kind=kind,
                         constraints=constraints)


def _to_datetime(value: Any) -> datetime:
    # Salesforce sends "2026-01-05T14:03:00.000+0000"; fromisoformat reads it since 3.11.
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"datetime without a timezone: {value!r}")
    return parsed.astimezone(UTC)


def _to_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _to_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    _TIMESTAMPTZ: _to_datetime,
    "DATE": _to_date,
    "BOOLEAN": bool,
    "BIGINT": int,
    "DOUBLE": float,
    "VARCHAR": _to_text,
}


def _column_values(rows: Sequence[Mapping[str, Any]], name: str, duck_type: str) -> list[Any]:
    if duck_type.startswith("DECIMAL"):
        convert: Callable[[Any], Any] = Decimal
    else:
        convert = _CONVERTERS.get(duck_type, _to_text)
    try:
        return [None if (v := r.get(name)) is None else convert(v) for r in rows]
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise StoreError(f"cannot store a value of column {name!r} as {duck_type}: {exc}") from exc
