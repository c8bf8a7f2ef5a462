"""The same scorecard on DuckDB, PostgreSQL and Apache Spark (PySpark, local[2]): the store's
tables are loaded into Spark as Parquet-backed temp views and compute runs there through the
Spark engine. One Spark session serves every test (``spark_engine`` in conftest.py); the
rewrites the engine makes to compute's trees are also checked without Spark."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlglot
from compute_fixtures import AS_OF, build_store, tiny_config
from engine_compare import add_minute_events, assert_same_scores, demo_config, demo_store
from pg_server import postgres_server, postgres_url  # noqa: F401 (fixtures)
from sqlglot import exp

from kpisync.compute import compute
from kpisync.compute.engine import (
    evaluate,
    evaluate_all,
    load_members,
    load_periods,
    scored_reps,
    table_columns,
)
from kpisync.compute.windows import scorecard_periods
from kpisync.config.model import Filter, Kpi, Measure
from kpisync.engines import QueryError
from kpisync.engines.postgres import PostgresEngine
from kpisync.engines.spark import INFO_VIEWS, spark_query
from kpisync.errors import ComputeError
from kpisync.store import Store
from kpisync.store.load import copy_store, load_into_spark
from kpisync.store.select import credentials_problem, engine_kind


def test_grouping_of_many_columns_becomes_a_sum_of_one_column_groupings():
    query = sqlglot.parse_one("SELECT GROUPING(a, b, c), GROUPING(a) FROM t "
                              "GROUP BY GROUPING SETS ((p, a, b, c), (p))", read="duckdb")
    built = exp.select(exp.Anonymous(this="GROUPING", expressions=[exp.column("a"),
                                                                   exp.column("b")]))
    assert spark_query(query).sql(dialect="spark") == (
        "SELECT (GROUPING(a) * 4 + GROUPING(b) * 2 + GROUPING(c)), GROUPING(a) FROM t "
        "GROUP BY GROUPING SETS ((p, a, b, c), (p))")
    assert spark_query(built).sql(dialect="spark") == "SELECT (GROUPING(a) * 2 + GROUPING(b))"
    # the tree compute built is left as it was, for the other engines
    assert query.sql(dialect="duckdb").startswith("SELECT GROUPING(a, b, c)")


def test_information_schema_is_read_from_views_the_engine_keeps():
    query = exp.select("table_name").from_(exp.to_table("information_schema.tables"))
    assert spark_query(query).sql(dialect="spark") == (
        f"SELECT table_name FROM {INFO_VIEWS['tables']}")
    aliased = sqlglot.parse_one("SELECT c.column_name FROM information_schema.columns AS c")
    assert spark_query(aliased).sql(dialect="spark") == (
        f"SELECT c.column_name FROM {INFO_VIEWS['columns']} AS c")


@pytest.mark.parametrize("url", ["spark://spark-master.internal:7077", "local", "local[2]",
                                 "local[*]", "LOCAL[4,2]", "sc://spark.internal:15002"])
def test_spark_urls_select_the_spark_engine(url):
    assert engine_kind(url) == "spark"
    assert credentials_problem(url) is None


def test_a_spark_connect_token_in_the_url_is_refused():
    problem = credentials_problem("sc://spark.internal:443/;use_ssl=true;token=dapi123")
    assert problem and "KPISYNC_SPARK_TOKEN" in problem
    with pytest.raises(ValueError, match="unknown engine 'localhost'"):
        engine_kind("localhost")


def test_store_tables_load_as_views_with_their_types(tmp_path, spark_engine, monkeypatch):
    con = build_store(tmp_path / "store.duckdb")
    loaded = load_into_spark(con, spark_engine, tmp_path)
    assert loaded == {"sf_opportunity": 5, "sf_task": 11, "sf_user": 5, "sf_userrole": 3}
    columns = table_columns(spark_engine)
    assert columns == table_columns(con)
    assert columns["Opportunity"]["CreatedDate"] == "datetime"
    assert columns["Opportunity"]["Amount"] == columns["Task"]["CallDurationInSeconds"] == "number"
    # instants come back as aware UTC datetimes, whatever the Python process's zone (PySpark
    # gives naive datetimes on that zone's wall clock)
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    first = exp.select(exp.func("MIN", exp.column("CreatedDate", quoted=True))).from_(
        "sf_opportunity")
    ((earliest,),) = spark_engine.execute(first)
    monkeypatch.delenv("TZ")
    time.tzset()
    assert earliest == datetime(2026, 2, 1, 3, 0, tzinfo=UTC)
    assert earliest.tzinfo is UTC
    con.close()


def test_minutes_count_the_minute_marks_crossed_on_spark(tmp_path, spark_engine):
    """Spark's DATEDIFF(MINUTE, …) counts whole elapsed minutes; compute truncates both ends
    to the minute, so it counts marks crossed as DuckDB does (see the PostgreSQL test)."""
    con = build_store(tmp_path / "store.duckdb")
    kpi = add_minute_events(con)
    load_into_spark(con, spark_engine, tmp_path)
    config = replace(tiny_config(), kpis=(*tiny_config().kpis, kpi))
    on_duckdb, on_spark = (_evaluate(where, config, [kpi]) for where in (con, spark_engine))
    # (1 + 0 + 150) / 3 minutes
    assert on_spark[("meeting_minutes", "2026-03", "rep", "005A")] == Decimal("50.3333")
    assert on_spark == on_duckdb
    con.close()


def test_text_filters_and_medians_agree_on_spark(tmp_path, spark_engine):
    """ILIKE with ESCAPE (a backslash in Spark's escaped strings) and MEDIAN, which the demo
    org's KPIs do not use: a literal ``%`` matches nothing, ``ca`` matches Call."""
    con = build_store(tmp_path / "store.duckdb")
    load_into_spark(con, spark_engine, tmp_path)

    def kpi(id_: str, measure: Measure, *filters: Filter) -> Kpi:
        return Kpi(id=id_, name=id_, tier="activities", type="leading", unit="count",
                   source="Task", measure=measure, filters=filters,
                   date_field="ActivityDate", credit_field="OwnerId")

    kpis = [kpi("median_call", Measure("median", field="CallDurationInSeconds"),
                Filter("TaskSubtype", "starts_with", "ca")),
            kpi("percent_signs", Measure("count"), Filter("TaskSubtype", "contains", "%")),
            kpi("all_calls", Measure("count"), Filter("TaskSubtype", "contains", "AL"))]
    config = replace(tiny_config(), kpis=(*tiny_config().kpis, *kpis))
    on_duckdb, on_spark = (_evaluate(where, config, kpis) for where in (con, spark_engine))
    assert on_spark == on_duckdb
    assert on_spark[("all_calls", "2026-03", "org", "org")] == Decimal(4)
    assert on_spark[("median_call", "2026-03", "org", "org")] == Decimal(120)  # 119, 120, 300
    assert not any(key[0] == "percent_signs" and value for key, value in on_spark.items())
    con.close()


def _evaluate(where, config, kpis: list[Kpi]):
    """``kpis`` evaluated in one statement on ``where`` over the tiny org's members and
    periods."""
    columns = table_columns(where)
    load_members(where, scored_reps(config, where, columns, AS_OF))
    load_periods(where, scorecard_periods(config, AS_OF))
    return evaluate_all(kpis, where, columns, config.org.timezone)[0]


def test_a_failing_query_names_the_kpi_and_spark(tmp_path, spark_engine):
    con = build_store(tmp_path / "store.duckdb")
    load_into_spark(con, spark_engine, tmp_path)
    config = tiny_config()
    columns = table_columns(spark_engine)
    load_members(spark_engine, scored_reps(config, spark_engine, columns, AS_OF))
    load_periods(spark_engine, scorecard_periods(config, AS_OF))
    spark_engine.session.catalog.dropTempView("sf_task")
    with pytest.raises(ComputeError, match=r"KPI 'calls' .* failed in Spark: .*sf_task"):
        evaluate(config.kpi("calls"), spark_engine, columns, config.org.timezone)
    # the session goes on after a failed statement
    assert spark_engine.execute(exp.select(exp.Literal.number(1))) == [(1,)]
    with pytest.raises(QueryError, match=r"PARSE_SYNTAX_ERROR|syntax"):
        spark_engine.execute(exp.select(exp.Anonymous(this="NO SUCH")))
    con.close()


def test_build_on_spark_writes_the_same_scores_csv(tmp_path, spark_engine):
    """``kpisync build --engine local[2]``'s path: the site from Spark (the running session,
    holding the tables), the store unread."""
    from kpisync.build import build
    from kpisync.engines import EngineSettings

    store = tmp_path / "store.duckdb"
    con = build_store(store)
    load_into_spark(con, spark_engine, tmp_path)
    con.close()
    build(tiny_config(), store, tmp_path / "duck", as_of=AS_OF)
    store.unlink()
    build(tiny_config(), store, tmp_path / "spark", as_of=AS_OF,
          engine=EngineSettings(url="local[2]"))
    assert not store.exists()
    csv = Path("data") / "scores.csv"
    assert (tmp_path / "spark" / csv).read_text() == (tmp_path / "duck" / csv).read_text()
    # the shared session was the suite's: build left it running
    assert spark_engine.execute(exp.select(exp.Literal.number(1))) == [(1,)]


def test_demo_org_scores_the_same_on_duckdb_postgres_and_spark(tmp_path, spark_engine,
                                                               postgres_url):  # noqa: F811
    as_of = date(2026, 6, 17)
    path = tmp_path / "store.duckdb"
    demo_store(path, as_of, scale=0.2)
    config = demo_config()
    postgres = PostgresEngine.connect(postgres_url)
    with Store.open(path) as store:
        copied = copy_store(store.connection, postgres)
        loaded = load_into_spark(store.connection, spark_engine, tmp_path)
        on_duckdb = compute(config, store.connection, as_of)
    assert loaded == copied
    assert loaded["sf_task"] > 10_000
    on_postgres = compute(config, postgres, as_of)
    postgres.close()
    on_spark = compute(config, spark_engine, as_of)
    for other in (on_postgres, on_spark):
        assert assert_same_scores(on_duckdb, other) > 1000
        assert other.cohorts == on_duckdb.cohorts
        assert other.stages == on_duckdb.stages
    assert any(c.converted for c in on_spark.cohorts)
    assert on_spark.stages.pipeline
    # in fact identical, not merely within the tolerances
    assert on_spark.results == on_duckdb.results
