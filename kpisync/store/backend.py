"""What the store asks of the database it lives in: run a sqlglot statement with named
parameters, count the rows a statement changed, and begin, commit or roll back a transaction.

``kpisync.store.database.Store`` holds every statement of the store (the raw tables' DDL, the
upserts by Id, the deletes, the sync state) once, as sqlglot trees; a backend only renders
them in its dialect and runs them. Two backends exist: ``DuckDBBackend`` (the local file, the
default) and ``PostgresBackend`` (a server, chosen with kpis.yaml's ``engine:`` or
``--engine URL``); see docs/engines.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlglot import exp

from kpisync.engines.base import Engine


class StoreBackend(Protocol):
    #: sqlglot's dialect name, the one every statement is rendered in
    dialect: str
    #: the schema information_schema lists the store's tables under
    schema: str
    #: where the store is, for messages (a path, or a URL without its password)
    location: str
    #: the driver's connection (compute's DuckDB callers and plugins' store sources use it)
    connection: Any

    def execute(self, statement: exp.Expression, params: Mapping[str, Any] | None = None
                ) -> list[tuple]:
        """Every row the statement returns (none for DDL); raises StoreError."""
        ...

    def changed(self, statement: exp.Expression, params: Mapping[str, Any] | None = None
                ) -> int:
        """Run a DELETE or UPDATE; how many rows it changed."""
        ...

    def begin(self) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def engine(self) -> Engine:
        """A compute engine on the same connection (``kpisync build`` after a sync)."""
        ...

    def close(self) -> None: ...


def bind(statement: exp.Expression, values: Sequence[Any] | None
         ) -> tuple[exp.Expression, dict[str, Any]]:
    """``statement`` with its unnamed placeholders named ``p1``, ``p2``, ... in order, and
    ``values`` keyed by those names: every driver takes named parameters, not every one takes
    positional ones in every dialect's spelling."""
    names = iter(range(1, 1_000_000))
    params: dict[str, Any] = {}
    values = list(values or ())

    def name(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name in ("", "?"):
            key = f"p{next(names)}"
            params[key] = values[len(params)]
            return exp.Placeholder(this=key)
        return node

    named = statement.transform(name)
    if len(params) != len(values):
        raise ValueError(f"{len(values)} values for {len(params)} placeholders")
    return named, params


#: information_schema spellings -> the store's column types in DuckDB's spelling (SF_TYPES),
#: so that what the sync reads back (``Store.columns``) is the same on every backend
_CANONICAL = {
    "CHARACTER VARYING": "VARCHAR", "TEXT": "VARCHAR", "VARCHAR": "VARCHAR",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ":
    "TIMESTAMP WITH TIME ZONE", "DOUBLE PRECISION": "DOUBLE", "DOUBLE": "DOUBLE",
    "BIGINT": "BIGINT", "BOOLEAN": "BOOLEAN", "DATE": "DATE",
}


def canonical_type(data_type: str, precision: int | None, scale: int | None) -> str:
    """A column's type as the store names it, whichever database lists it: PostgreSQL says
    ``numeric`` and puts the precision in its own columns, DuckDB ``DECIMAL(18,2)``."""
    upper = data_type.upper()
    if upper in ("NUMERIC", "DECIMAL") and precision is not None:
        return f"DECIMAL({precision},{scale or 0})"
    return _CANONICAL.get(upper, upper)
