"""Apache Spark through PySpark: local mode (``local[*]``), a standalone or cluster master
(``spark://host:7077``) or a Spark Connect server (``sc://host:15002``).

Compute's trees are rendered in sqlglot's ``spark`` dialect and run with ``spark.sql`` and
named parameter markers (``:p1``). Three things Spark does differently are rewritten here, on
the tree, before rendering (docs/engines.md, "What needed care"):

* ``GROUPING(a, b, c)``: Spark's ``grouping`` takes one column; the same bit mask (first
  column highest) is summed from one-column GROUPINGs.
* ``information_schema``: open-source Spark has none. The engine answers it from the catalog
  (``spark.catalog.listTables``, each table's schema) through two temp views it refreshes
  before such a query, with the type names DuckDB's information_schema uses.
* time zones: ``x AT TIME ZONE tz`` becomes ``FROM_UTC_TIMESTAMP(x, tz)``, which is the local
  wall clock only when the session time zone is UTC: every session is set so.

The tables are the store's (``sf_<object>``, Salesforce field names): in production in a
catalog database (``schema``), written by another tool; in tests and the benchmark loaded
from a DuckDB store with ``load_store`` (Parquet files Spark reads, registered as temp views).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlglot import exp

from kpisync.config.engine import TOKEN_VARIABLE
from kpisync.engines.base import Columns, QueryError

#: the views that stand in for information_schema's tables
INFO_VIEWS = {"columns": "kpisync_information_schema_columns",
              "tables": "kpisync_information_schema_tables"}
#: Spark's type names (as sqlglot reads them) spelled as DuckDB's information_schema does
_INFO_TYPES = {exp.DataType.Type.TIMESTAMPTZ: "TIMESTAMP WITH TIME ZONE",
               exp.DataType.Type.TIMESTAMPLTZ: "TIMESTAMP WITH TIME ZONE",
               exp.DataType.Type.INT: "INTEGER",
               exp.DataType.Type.TEXT: "VARCHAR"}
#: every session's settings: UTC (see the module docstring), no web UI for a batch job
SESSION_CONFIG = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}


def spark_query(query: exp.Expression) -> exp.Expression:
    """``query`` with what Spark spells differently rewritten (module docstring); the tree
    passed in is not changed."""
    def rewrite(node: exp.Expression) -> exp.Expression:
        if _is_grouping(node) and len(node.expressions) > 1:
            return _grouping_mask(node.expressions)
        if (isinstance(node, exp.Table) and node.db.lower() == "information_schema"
                and node.name.lower() in INFO_VIEWS):
            view = exp.to_table(INFO_VIEWS[node.name.lower()])
            return view.as_(node.alias) if node.alias else view
        return node

    return query.transform(rewrite)


class SparkEngine:
    name = "Spark"
    dialect = "spark"

    def __init__(self, session: Any, schema: str = "default", *, owned: bool = False):
        self.session = session
        #: the catalog database the store's tables are in (temp views are listed with it)
        self.schema = schema
        self._owned = owned

    @classmethod
    def connect(cls, url: str, schema: str | None = None, *, app_name: str = "kpisync",
                config: Mapping[str, str] | None = None) -> SparkEngine:
        """A session on ``url`` (a master URL, or ``sc://`` for Spark Connect), its time zone
        UTC; ``schema`` becomes the current database. Stopped by ``close`` unless it was
        already running in this process."""
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise QueryError("the Spark engine needs PySpark: pip install 'kpisync[spark]'"
                             ) from exc
        builder = SparkSession.builder.appName(app_name)
        if url.lower().startswith("sc://"):
            builder = builder.remote(_connect_url(url))
        else:
            builder = builder.master(url)
        for key, value in {**SESSION_CONFIG, **(config or {})}.items():
            builder = builder.config(key, value)
        # getOrCreate hands back a session this process already runs (a notebook's, a test
        # suite's): that one is not ours to stop
        running = SparkSession.getActiveSession()
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # py4j/JVM start-up errors have no common base class
            raise QueryError(f"cannot start a Spark session on {url.split(';')[0]}: {exc}"
                             ) from exc
        _quiet_query_context_logs()
        engine = cls(session, schema or "default", owned=running is None)
        # a joined session keeps its own settings but for this one, which the local-day
        # conversion depends on (module docstring)
        engine._guard(lambda: session.conf.set("spark.sql.session.timeZone", "UTC"))
        if schema:
            engine._guard(lambda: session.catalog.setCurrentDatabase(schema))
        return engine

    def execute(self, query: exp.Expression, params: Mapping[str, Any] | None = None
                ) -> list[tuple]:
        rewritten = spark_query(query)
        if any(t.name in INFO_VIEWS.values() for t in rewritten.find_all(exp.Table)):
            self._refresh_information_schema()
        text = rewritten.sql(dialect=self.dialect)
        rows = self._guard(lambda: self.session.sql(text, args=dict(params or {})).collect())
        return [tuple(_value(v) for v in row) for row in rows]

    def create_temp_table(self, name: str, columns: Columns, rows: Sequence[tuple]) -> None:
        """A temp view over the rows as literals (``SELECT CAST(v.c AS type) … FROM VALUES``):
        it stays in the JVM, where ``createDataFrame`` would start Python workers on the
        executors to unpickle the rows (and so need the driver's Python version there)."""
        typed = [(exp.to_identifier(column, quoted=True),
                  exp.DataType.build(kind, dialect="duckdb")) for column, kind in columns]
        if rows:
            values = exp.values([tuple(_literal(v) for v in row) for row in rows], alias="v",
                                columns=[column.copy() for column, _ in typed])
            query = exp.select(*(exp.cast(exp.column(column.copy(), table="v"), kind)
                                 .as_(column.copy()) for column, kind in typed)).from_(values)
        else:
            query = exp.select(*(exp.cast(exp.null(), kind).as_(column.copy())
                                 for column, kind in typed)).where(exp.false())
        view = exp.Create(this=exp.to_table(name), kind="VIEW", replace=True,
                          properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
                          expression=query)
        self._guard(lambda: self.session.sql(view.sql(dialect=self.dialect)))

    def register_parquet(self, name: str, path: Path) -> None:
        """The Parquet file(s) at ``path`` as the temp view ``name`` (replacing one registered
        before). ``path`` must be readable by every executor: a local path serves local mode,
        a cluster needs shared storage. ``kpisync.store.load.load_into_spark`` loads a whole
        DuckDB store this way."""
        frame = self._guard(lambda: self.session.read.parquet(str(path)))
        frame.createOrReplaceTempView(name)

    def close(self) -> None:
        """Stops the session when ``connect`` started it; a session passed in is the
        caller's."""
        if self._owned:
            self.session.stop()

    def _refresh_information_schema(self) -> None:
        """The temp views ``spark_query`` points information_schema at, from the catalog:
        the current database's tables and the session's temp views, under ``self.schema``."""
        catalog = self.session.catalog
        tables = self._guard(lambda: catalog.listTables(self.schema))
        names = sorted({t.name for t in tables if t.name not in INFO_VIEWS.values()})
        columns = [(self.schema, name, field.name, _info_type(field.dataType.simpleString()))
                   for name in names for field in self.session.table(name).schema.fields]
        self.create_temp_table(INFO_VIEWS["tables"], (("table_schema", "VARCHAR"),
                                                      ("table_name", "VARCHAR")),
                               [(self.schema, name) for name in names])
        self.create_temp_table(INFO_VIEWS["columns"], (
            ("table_schema", "VARCHAR"), ("table_name", "VARCHAR"),
            ("column_name", "VARCHAR"), ("data_type", "VARCHAR")), columns)

    def _guard(self, call):
        """``call()``, a Spark error (analysis, parse, execution) raised as a QueryError with
        Spark's own first line."""
        from pyspark.errors import PySparkException

        try:
            return call()
        except PySparkException as exc:
            raise QueryError(_first_line(exc)) from exc
        except Exception as exc:
            # py4j wraps JVM errors PySpark does not translate
            if type(exc).__module__.startswith("py4j"):
                raise QueryError(_first_line(exc)) from exc
            raise


def _literal(value: Any) -> exp.Expression:
    """``value`` as a literal; a date through its ISO form, four-digit year included (sqlglot's
    own conversion writes ``date.min`` as ``'1-01-01'``, which Spark refuses)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    return exp.convert(value)


def _is_grouping(node: exp.Expression) -> bool:
    """``GROUPING(...)`` as sqlglot parses it, or as compute builds it (an anonymous call)."""
    return isinstance(node, exp.Grouping) or (
        isinstance(node, exp.Anonymous) and node.name.upper() == "GROUPING")


def _grouping_mask(columns: list[exp.Expression]) -> exp.Expression:
    """``GROUPING(a, b, c)``'s bit mask from one-column GROUPINGs: ``GROUPING(a) * 4 +
    GROUPING(b) * 2 + GROUPING(c)``. Spark's ``grouping_id(a, b, c)`` would be shorter but
    insists on naming every GROUP BY column, in order (compute groups by the period too)."""
    last = len(columns) - 1
    terms = [exp.Grouping(expressions=[c.copy()]) for c in columns]
    weighted = [term if i == last else exp.Mul(this=term, expression=exp.Literal.number(
        2 ** (last - i))) for i, term in enumerate(terms)]
    total = weighted[0]
    for term in weighted[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.Paren(this=total)


def _info_type(spark_type: str) -> str:
    kind = exp.DataType.build(spark_type, dialect="spark")
    return _INFO_TYPES.get(kind.this) or kind.sql(dialect="duckdb")


def _value(value: Any) -> Any:
    """A fetched value as the DuckDB engine gives it: PySpark returns instants as naive
    datetimes in the Python process's local time zone; they become aware UTC datetimes."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.astimezone(UTC)
    return value


def _quiet_query_context_logs() -> None:
    """PySpark 4 logs every analysis error with its JVM stack as JSON on stderr before raising
    it; the engine raises it as a QueryError with Spark's message, which is what a user sees."""
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # PySpark before 4.0 logs nothing of the kind
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _connect_url(url: str) -> str:
    """A Spark Connect URL with the token from the environment, when one is set."""
    import os

    token = os.environ.get(TOKEN_VARIABLE)
    if not token:
        return url
    separator = "" if url.endswith("/") or ";" in url else "/"
    return f"{url}{separator};token={token}"
