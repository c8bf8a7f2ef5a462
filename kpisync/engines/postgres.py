"""PostgreSQL through psycopg 3: the store's tables (``sf_<object>``, Salesforce field names)
on a server, written by another tool or loaded with ``kpisync.store.load``.

The connection runs in autocommit: compute only reads, and a failed statement must not leave
the session in an aborted transaction that refuses the next KPI's query.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlglot import exp

from kpisync.engines.base import Columns, QueryError, column_defs, drop_table

#: a placeholder as rendered before psycopg's own ``%(name)s`` syntax is put in: sqlglot does
#: not double a literal ``%``, which psycopg would read as the start of a placeholder
_MARK = "\x00kpisync:{}\x00"
_MARKS = re.compile("\x00kpisync:([A-Za-z0-9_]+)\x00")


def psycopg_sql(query: exp.Expression) -> str:
    """``query`` in PostgreSQL's dialect with psycopg's named placeholders (``%(p1)s``)."""
    def mark(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder):
            if not node.name:
                raise QueryError("a query for PostgreSQL has an unnamed placeholder")
            return exp.Var(this=_MARK.format(node.name))
        return node

    text = query.transform(mark).sql(dialect="postgres")
    return _MARKS.sub(r"%(\1)s", text.replace("%", "%%"))


class PostgresEngine:
    name = "PostgreSQL"
    dialect = "postgres"

    def __init__(self, connection: Any, schema: str = "public"):
        self.connection = connection
        self.schema = schema

    @classmethod
    def connect(cls, url: str, schema: str | None = None) -> PostgresEngine:
        """A session on ``url``; libpq reads the password and the rest from the environment
        (PGPASSWORD, PGUSER, PGSSLMODE, ~/.pgpass), never from kpis.yaml."""
        try:
            import psycopg
        except ImportError as exc:
            raise QueryError("the PostgreSQL engine needs psycopg: pip install "
                             "'kpisync[postgres]'") from exc
        try:
            connection = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise QueryError(f"cannot connect to PostgreSQL at {safe_url(url)}: {exc}") from exc
        engine = cls(connection, schema or "public")
        # UTC: a timestamptz cast to a plain timestamp (minute durations) is then the instant
        # itself, never shifted by a daylight-saving change of the server's zone
        settings = {"TimeZone": exp.Literal.string("UTC")}
        if schema:
            settings["search_path"] = exp.to_identifier(schema, quoted=True)
        for name, value in settings.items():
            statement = exp.Set(expressions=[exp.SetItem(this=exp.EQ(this=exp.var(name),
                                                                     expression=value))])
            engine._run(statement.sql(dialect="postgres"), None).close()
        return engine

    def execute(self, query: exp.Expression, params: Mapping[str, Any] | None = None
                ) -> list[tuple]:
        with self._run(psycopg_sql(query), dict(params or {})) as cursor:
            return cursor.fetchall() if cursor.description is not None else []

    def create_temp_table(self, name: str, columns: Columns, rows: Sequence[tuple]) -> None:
        # PostgreSQL has no CREATE OR REPLACE TABLE: drop, then create
        self._run(drop_table(name).sql(dialect=self.dialect), None).close()
        create = exp.Create(
            this=exp.Schema(this=exp.to_table(name),
                            expressions=column_defs(columns, self.dialect)),
            kind="TABLE",
            properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
        )
        self._run(create.sql(dialect=self.dialect), None).close()
        if rows:
            self.copy_rows(name, [column for column, _ in columns], rows)

    def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
        """``rows`` into ``table`` with COPY, orders of magnitude faster than INSERTs."""
        import psycopg

        target = exp.Schema(this=exp.table_(exp.to_identifier(table, quoted=True)),
                            expressions=[exp.to_identifier(c, quoted=True) for c in columns])
        statement = exp.Copy(this=target, kind=True, files=[exp.to_identifier("STDIN")]
                             ).sql(dialect=self.dialect)
        try:
            with self.connection.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:
            raise QueryError(str(exc)) from exc

    def close(self) -> None:
        self.connection.close()

    def _run(self, sql: str, params: dict | None):
        import psycopg

        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, params)
        except psycopg.Error as exc:
            cursor.close()
            raise QueryError(str(exc).strip()) from exc
        return cursor


def safe_url(url: str) -> str:
    """``url`` without a password, should one have been written into it anyway."""
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)
