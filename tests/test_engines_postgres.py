"""The same scorecard on DuckDB and on a real PostgreSQL server (Debian's package, started
for the session by tests/pg_server.py): the store's tables are copied over (bring your own
tables) and compute runs there through the PostgreSQL engine."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from compute_fixtures import AS_OF, build_store, tiny_config
from engine_compare import add_minute_events, assert_same_scores
from pg_server import postgres_server, postgres_url  # noqa: F401 (fixtures)

from kpisync.compute import compute
from kpisync.compute.engine import evaluate, load_members, load_periods, scored_reps, table_columns
from kpisync.compute.windows import scorecard_periods
from kpisync.config import load_config
from kpisync.config.model import CohortStep
from kpisync.emulator.demo_org import generate_demo_org
from kpisync.engines import QueryError
from kpisync.engines.postgres import PostgresEngine
from kpisync.errors import ComputeError
from kpisync.store import Store
from kpisync.store.load import copy_store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def tiny(tmp_path, postgres_url):  # noqa: F811
    con = build_store(tmp_path / "store.duckdb")
    engine = PostgresEngine.connect(postgres_url)
    yield con, engine
    engine.close()
    con.close()


def test_tiny_org_scores_the_same_on_postgres(tiny):
    con, engine = tiny
    assert copy_store(con, engine) == {"sf_opportunity": 5, "sf_task": 11, "sf_user": 5,
                                       "sf_userrole": 3}
    config = tiny_config()
    on_duckdb, on_postgres = compute(config, con, AS_OF), compute(config, engine, AS_OF)
    assert assert_same_scores(on_duckdb, on_postgres) > 100
    # hand-computed anchors (tests/test_compute.py): Ann's calls, the org's March calls with
    # Meg's unassigned one
    cells = {(r.kpi_id, r.period_key, r.scope, r.scope_id): r for r in on_postgres.results}
    assert cells[("calls", "2026-03", "rep", "005A")].actual == 1
    assert cells[("calls", "2026-02", "rep", "005A")].actual == 2
    assert cells[("calls", "2026-03", "org", "org")].actual == 4
    assert on_postgres.results == on_duckdb.results


def test_tables_in_their_own_schema(tmp_path, postgres_url):  # noqa: F811
    con = build_store(tmp_path / "store.duckdb")
    loader = PostgresEngine.connect(postgres_url)
    loader.execute(_create_schema("salesforce"))
    loader.close()
    engine = PostgresEngine.connect(postgres_url, schema="salesforce")
    copy_store(con, engine)
    assert set(table_columns(engine)) == {"User", "UserRole", "Task", "Opportunity"}
    assert compute(tiny_config(), engine, AS_OF).results == \
        compute(tiny_config(), con, AS_OF).results
    on_public = PostgresEngine.connect(postgres_url)  # schema public: nothing synced there
    with pytest.raises(ComputeError, match="no Salesforce users"):
        compute(tiny_config(), on_public, AS_OF)
    on_public.close()
    engine.close()


def test_minutes_count_the_minute_marks_crossed_on_both_engines(tiny):
    """20 seconds across a minute mark is 1 minute, 40 seconds within one minute is 0, as
    DuckDB's date_diff counts; PostgreSQL's transpiled form would round elapsed seconds."""
    con, engine = tiny
    kpi = add_minute_events(con)
    copy_store(con, engine)
    config = replace(tiny_config(), kpis=(*tiny_config().kpis, kpi))
    found = {}
    for name, where in (("duckdb", con), ("postgres", engine)):
        columns = table_columns(where)
        load_members(where, scored_reps(config, where, columns, AS_OF))
        load_periods(where, scorecard_periods(config, AS_OF))
        found[name] = evaluate(kpi, where, columns, config.org.timezone)
    # (1 + 0 + 150) / 3 minutes
    assert found["duckdb"][("meeting_minutes", "2026-03", "rep", "005A")] == Decimal("50.3333")
    assert found["postgres"] == found["duckdb"]


def test_a_failing_query_names_the_kpi_and_postgresql(tiny):
    con, engine = tiny
    copy_store(con, engine)
    config = tiny_config()
    columns = table_columns(engine)
    load_members(engine, scored_reps(config, engine, columns, AS_OF))
    load_periods(engine, scorecard_periods(config, AS_OF))
    engine.execute(_drop("sf_task"))
    with pytest.raises(ComputeError, match=r"KPI 'calls' .* failed in PostgreSQL: .*sf_task"):
        evaluate(config.kpi("calls"), engine, columns, config.org.timezone)
    # the session survives a failed statement (autocommit: no aborted transaction)
    assert engine.execute(_select_one()) == [(1,)]
    with pytest.raises(QueryError):
        engine.execute(_drop_no_exists("sf_task"))


def test_demo_org_scores_the_same_on_postgres(tmp_path, postgres_url):  # noqa: F811
    as_of = date(2026, 6, 17)
    org = generate_demo_org(seed=7, as_of=as_of, scale=0.3)
    path = tmp_path / "store.duckdb"
    with Store.open(path) as store:
        for sobject in ("UserRole", "User", "Account", "Task", "Event", "Opportunity",
                        "OpportunityHistory"):
            store.ensure_table(sobject, org.fields(sobject))
            store.upsert(sobject, org.records(sobject))
    step = CohortStep(from_kpi="meetings_held", to_kpi="opportunities_created",
                      within_days=30, match="account", from_field="AccountId",
                      to_field="AccountId")
    stages = ("Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote",
              "Negotiation/Review", "Closed Won")
    config = replace(load_config(ROOT / "kpis.yaml"), cohorts=(step,), stages=stages)
    engine = PostgresEngine.connect(postgres_url)
    with Store.open(path) as store:
        copied = copy_store(store.connection, engine)
        on_duckdb = compute(config, store.connection, as_of)
    assert copied["sf_task"] > 10_000
    on_postgres = compute(config, engine, as_of)
    engine.close()
    assert assert_same_scores(on_duckdb, on_postgres) > 1000
    assert on_postgres.cohorts == on_duckdb.cohorts
    assert any(c.converted for c in on_postgres.cohorts)
    assert on_postgres.stages == on_duckdb.stages
    assert on_postgres.stages.pipeline


def _create_schema(name: str):
    from sqlglot import exp

    return exp.Create(this=exp.to_identifier(name), kind="SCHEMA")


def _drop(table: str):
    from kpisync.engines.base import drop_table

    return drop_table(table)


def _drop_no_exists(table: str):
    from sqlglot import exp

    return exp.Drop(tables=[exp.to_table(table)], kind="TABLE")


def _select_one():
    from sqlglot import exp

    return exp.select(exp.Literal.number(1))


def test_build_on_postgres_writes_the_same_scores_csv(tmp_path, postgres_url):  # noqa: F811
    """``kpisync build --engine URL``'s path: the site from PostgreSQL, the store unread."""
    from kpisync.build import build
    from kpisync.engines import EngineSettings

    store = tmp_path / "store.duckdb"
    con = build_store(store)
    engine = PostgresEngine.connect(postgres_url)
    copy_store(con, engine)
    engine.close()
    con.close()
    build(tiny_config(), store, tmp_path / "duck", as_of=AS_OF)
    store.unlink()
    build(tiny_config(), store, tmp_path / "pg", as_of=AS_OF,
          engine=EngineSettings(url=postgres_url))
    assert not store.exists()
    csv = Path("data") / "scores.csv"
    assert (tmp_path / "pg" / csv).read_text() == (tmp_path / "duck" / csv).read_text()


def test_explain_suggest_and_drill_through_read_postgres_as_the_store(tiny):
    """explain, targets suggest and the site's drill-through records run on the engine like
    the figures: the same numbers, records and suggestions as on the DuckDB store, and
    explain shows the SQL in PostgreSQL's dialect."""
    from suggest_fixtures import add_history

    from kpisync.compute.drill import drill_records
    from kpisync.compute.explain import explain
    from kpisync.compute.suggest import suggest_targets

    con, engine = tiny
    add_history(con)
    copy_store(con, engine)
    config = tiny_config()
    for asked in ({"rep": "Ann"}, {"team": "sdr"}, {}):
        on_duckdb, on_postgres = (
            explain(config, on, "calls", period_key="2026-02", as_of=AS_OF, **asked)
            for on in (con, engine))
        assert (on_postgres.actual, on_postgres.target, on_postgres.derivation) == (
            on_duckdb.actual, on_duckdb.target, on_duckdb.derivation)
        assert [q.records for q in on_postgres.queries] == [q.records for q in on_duckdb.queries]
        assert on_postgres.queries[0].record_count > 0
    assert on_postgres.queries[0].sql != on_duckdb.queries[0].sql
    assert suggest_targets(config, engine, AS_OF) == suggest_targets(config, con, AS_OF)
    scorecard = compute(config, con, AS_OF)
    periods = tuple(p for p in scorecard.periods if p.key in ("2026-02", "2026-03"))
    listed = drill_records(config, engine, scorecard.reps, periods)
    assert listed == drill_records(config, con, scorecard.reps, periods)
    assert sum(len(r.records) for r in listed) > 5


@pytest.mark.parametrize("command", [["explain", "calls"], ["targets", "suggest"]])
def test_explain_and_suggest_take_the_engine_option(command):
    from click.testing import CliRunner

    from kpisync.cli import main

    result = CliRunner().invoke(main, [*command, "--engine", "snowflake://acme/sales"])
    assert result.exit_code == 2
    assert "Invalid value for --engine: the snowflake engine is not available yet" in \
        result.output
