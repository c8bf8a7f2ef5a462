"""The default store backend: one DuckDB file on this machine."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from kpisync.engines.base import Engine
from kpisync.errors import StoreError


class DuckDBBackend:
    dialect = "duckdb"
    schema = "main"

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path):
        self.connection = connection
        self.path = path
        self.location = str(path)

    @classmethod
    def open(cls, path: Path, *, create: bool = True, read_only: bool = False) -> DuckDBBackend:
        """The file at ``path`` (created with its directories unless ``create`` or
        ``read_only`` says not to; ``read_only`` opens it so that nothing can write it)."""
        if (read_only or not create) and not path.is_file():
            raise StoreError(f"there is no store at {path}: run `kpisync sync` first, or point "
                             "--store (or KPISYNC_STORE) at the store the sync wrote")
        try:
            if read_only:
                return cls(duckdb.connect(str(path), read_only=True), path)
            path.parent.mkdir(parents=True, exist_ok=True)
            return cls(duckdb.connect(str(path)), path)
        except OSError as exc:
            raise StoreError(f"cannot create the store {path}: {exc.strerror or exc}") from exc
        except duckdb.Error as exc:
            raise StoreError(_open_error(path, exc)) from exc

    def execute(self, statement: exp.Expression, params: Mapping[str, Any] | None = None
                ) -> list[tuple]:
        sql = statement.sql(dialect=self.dialect)
        return self._run(lambda: self.connection.execute(sql, dict(params or {})).fetchall())

    def changed(self, statement: exp.Expression, params: Mapping[str, Any] | None = None
                ) -> int:
        (count,) = self.execute(statement, params)[0]  # DuckDB returns the count as a row
        return int(count)

    def begin(self) -> None:
        self._run(self.connection.begin)

    def commit(self) -> None:
        self._run(self.connection.commit)

    def rollback(self) -> None:
        self._run(self.connection.rollback)

    def engine(self) -> Engine:
        from kpisync.engines.duckdb import DuckDBEngine

        return DuckDBEngine(self.connection)

    def close(self) -> None:
        self.connection.close()

    def _run(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except duckdb.Error as exc:
            raise StoreError(f"the store {self.location} failed: {exc}") from exc


def _open_error(path: Path, exc: duckdb.Error) -> str:
    text = str(exc)
    if "lock" in text.lower():
        return (f"the store {path} is in use by another process (another kpisync sync or "
                "build?); wait for it to finish and try again")
    if "not a valid DuckDB database" in text:
        return f"{path} is not a kpisync store (not a DuckDB database file)"
    return f"cannot open the store {path}: {text}"
