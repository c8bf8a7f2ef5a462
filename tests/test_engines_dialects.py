"""Every query compute generates, for the sample kpis.yaml with a cohort step and the stage
analysis, rendered in Spark's, Databricks', Snowflake's and BigQuery's dialects: sqlglot must
transpile each without an unsupported construct and parse its own output back. No such engine
runs here (docs/engines.md says what this does and does not prove)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from kpisync.compute import stages as stage_queries
from kpisync.compute.cohorts import compile_cohort
from kpisync.compute.engine import _measure, table_columns
from kpisync.compute.sql import compile_batch, compile_kpi
from kpisync.config import load_config
from kpisync.config.model import CohortStep
from kpisync.emulator.demo_org import generate_demo_org
from kpisync.engines.postgres import psycopg_sql
from kpisync.store import Store

ROOT = Path(__file__).resolve().parent.parent
DIALECTS = ("postgres", "spark", "databricks", "snowflake", "bigquery")
STAGES = ("Prospecting", "Qualification", "Closed Won")
#: how each dialect writes the first bound value
PLACEHOLDER = {"duckdb": "$k1_1", "postgres": "%(k1_1)s", "spark": ":k1_1",
               "databricks": ":k1_1", "snowflake": ":k1_1", "bigquery": "@k1_1"}


@pytest.fixture(scope="module")
def queries(tmp_path_factory):
    """(name, expression) of every query a compute of the sample config runs."""
    org = generate_demo_org(seed=7, as_of=date(2026, 6, 17), scale=0.05)
    path = tmp_path_factory.mktemp("dialects") / "store.duckdb"
    with Store.open(path) as store:
        for sobject in ("UserRole", "User", "Account", "Task", "Event", "Opportunity",
                        "OpportunityHistory"):
            store.ensure_table(sobject, org.fields(sobject))
        columns = table_columns(store.connection)
    step = CohortStep(from_kpi="meetings_held", to_kpi="opportunities_created",
                      within_days=30, match="account", from_field="AccountId",
                      to_field="AccountId")
    config = replace(load_config(ROOT / "kpis.yaml"), cohorts=(step,), stages=STAGES)
    tz = config.org.timezone
    measured = [k for k in config.kpis if k.measure.kind not in ("ratio", "formula")]
    found = [(kpi.id, compile_kpi(kpi, measure=_measure(kpi), columns=columns,
                                  timezone=tz).query) for kpi in measured]
    found.append(("batch", compile_batch([(k, _measure(k)) for k in measured],
                                         columns=columns, timezone=tz).query))
    found.append(("cohort", compile_cohort(step, config, columns).query))
    found += [
        ("stage conversions", stage_queries._conversion_query(STAGES, columns, tz)[0]),
        ("stage times", stage_queries._time_query(STAGES, columns, tz)[0]),
        ("pipeline created", stage_queries._created_query(columns, tz)[0]),
        ("pipeline closed", stage_queries._closed_query(columns, tz)[0]),
    ]
    assert len(measured) >= 10
    return found


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_query_transpiles_and_parses_back(queries, dialect):
    for name, query in queries:
        text = query.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)
        parsed = sqlglot.parse_one(text, read=dialect)
        assert isinstance(parsed, exp.Query), name
        # the KPI's values stay bound, never pasted in
        assert "'America/New_York'" not in text, name


def test_placeholders_take_each_dialects_form(queries):
    batch = dict(queries)["batch"]
    for dialect, mark in PLACEHOLDER.items():
        assert mark in batch.sql(dialect=dialect), dialect


def test_psycopg_text_doubles_a_literal_percent_sign():
    """psycopg reads % as the start of a placeholder: a literal one must arrive doubled."""
    query = exp.select(exp.Literal.string("100%")).where(
        exp.column("a").eq(exp.Placeholder(this="p1")))
    assert psycopg_sql(query) == "SELECT '100%%' WHERE a = %(p1)s"
