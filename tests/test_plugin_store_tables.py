"""A plugin's store source declares the tables it writes; KPIs read them as their ``source``
through the same SQL as a Salesforce object, and kpis.yaml can turn the source off."""

from __future__ import annotations

from decimal import Decimal

import pytest
from compute_fixtures import AS_OF, build_store
from plugin_fixtures import BASE_YAML, CALLS_PLUGIN, CALLS_YAML, calls_registry

from kpisync import registry as reg
from kpisync.build import build
from kpisync.config import parse_config
from kpisync.config.required import plan_objects
from kpisync.errors import ConfigError, PluginError
from kpisync.plugins import describe
from kpisync.store import Store
from kpisync.sync.store_sources import run_store_sources

CAT = "005C"
OFF = "store_sources:\n  gong: false\n"


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    return [str(p) for p in info.value.problems]


@pytest.fixture
def calls():
    with reg.using(calls_registry()) as registry:
        yield registry


@pytest.fixture
def store(tmp_path):
    build_store(tmp_path / "s.duckdb").close()
    return tmp_path / "s.duckdb"


def test_a_declared_table_is_a_source_kpis_can_read(calls):
    table = calls.sources["ext_gong_calls"]
    assert (table.store_source, table.default_date, table.default_credit) == (
        "gong", "CallDate", "RepId")
    assert table.fields == {"Id": "id", "IsDeleted": "boolean", "RepId": "reference",
                            "Seconds": "int", "Outcome": "picklist", "CallDate": "date"}
    assert calls.owner("source", "ext_gong_calls") == "gong"


def test_kpisync_plugins_lists_the_source_and_its_tables(calls):
    assert describe(calls).split("\n")[4:] == [
        "gong (kpisync-gong 2.1) from kpisync_gong.plugin",
        "  source: ext_gong_calls",
        "  store source: gong",
    ]


def test_kpi_over_a_store_table_is_computed_in_the_same_engine(calls, store, tmp_path):
    config = parse_config(CALLS_YAML)
    with Store.open(store) as opened:
        assert run_store_sources(config, opened, calls) == ("gong",)
    report = build(config, store, tmp_path / "site", as_of=AS_OF)
    card = report.scorecard
    # March: g1 connected (g2 a voicemail, g4 deleted); February: g3
    march = card.result("connected_calls", "2026-03", "rep", CAT)
    assert (march.actual, march.attainment) == (Decimal(1), Decimal("0.25"))
    assert card.result("connected_calls", "2026-02", "team", "ae").actual == 1
    assert "connected_calls" in (tmp_path / "site" / "data" / "scores.csv").read_text()


def test_a_store_table_takes_filters_lookups_and_measures_on_its_columns(calls, store):
    text = CALLS_YAML.replace("measure: count\n    where: {Outcome: connected}",
                              "measure: {sum: Seconds}\n    where: {Owner.Name: Cat}")
    config = parse_config(text)
    with Store.open(store) as opened:
        run_store_sources(config, opened, calls)
    card = build(config, store, store.parent / "site", as_of=AS_OF).scorecard
    assert card.result("connected_calls", "2026-03", "rep", CAT).actual == 345


def test_the_sync_does_not_ask_salesforce_for_a_store_table(calls):
    config = parse_config(CALLS_YAML)
    assert "ext_gong_calls" in config.required_fields
    assert "ext_gong_calls" not in [plan.sobject for plan in plan_objects(config)]


def test_unknown_store_table_lists_the_sources_there_are(calls):
    assert problems(CALLS_YAML.replace("ext_gong_calls", "ext_gong_call")) == [
        "kpis.yaml:28:13: kpis[connected_calls].source: expected one of: Task, Event, "
        "Opportunity, OpportunityHistory, ext_gong_calls; got 'ext_gong_call' — did you mean "
        "'ext_gong_calls'?",
    ]


def test_a_store_tables_fields_are_checked_like_an_objects(calls):
    assert problems(CALLS_YAML.replace("{Outcome: connected}", "{Outcom: connected}")) == [
        "kpis.yaml:30:13: kpis[connected_calls].where.Outcom: ext_gong_calls has no field "
        "'Outcom' — did you mean 'Outcome'?",
    ]


def test_a_store_source_is_turned_off_in_kpis_yaml(calls, store):
    config = parse_config(BASE_YAML + OFF)
    assert config.store_sources == ()
    with Store.open(store) as opened:
        assert run_store_sources(config, opened, calls) == ()
        assert not opened.connection.execute(
            "SELECT * FROM information_schema.tables WHERE table_name = 'ext_gong_calls'"
        ).fetchall()
    assert parse_config(BASE_YAML).store_sources == ("gong",)


def test_a_kpi_cannot_read_the_table_of_a_source_turned_off(calls):
    assert problems(CALLS_YAML + OFF) == [
        "kpis.yaml:28:13: kpis[connected_calls].source: ext_gong_calls is written by the store "
        "source 'gong', which kpis.yaml turns off (store_sources: {gong: false})",
    ]


def test_store_sources_section_is_validated(calls):
    assert problems(BASE_YAML + "store_sources:\n  gongg: false\n  gong: maybe\n") == [
        "kpis.yaml:24:3: store_sources: unknown key 'gongg' — did you mean 'gong'?",
        "kpis.yaml:25:9: store_sources.gong: expected true or false, got 'maybe'",
    ]


def test_a_source_that_leaves_out_a_declared_column_is_rolled_back(store):
    def sync(run):
        run.connection.execute(f'CREATE TABLE {run.table("calls")} ("Id" VARCHAR)')

    registry = calls_registry(sync)
    with reg.using(registry):
        config = parse_config(BASE_YAML)
    with Store.open(store) as opened:
        with pytest.raises(PluginError) as info:
            run_store_sources(config, opened, registry)
        assert not opened.connection.execute(
            "SELECT * FROM information_schema.tables WHERE table_name = 'ext_gong_calls'"
        ).fetchall()
    assert str(info.value) == (
        "the source 'gong' of plugin 'gong' did not write the columns IsDeleted, RepId, "
        "Seconds, Outcome, CallDate of ext_gong_calls, which it declares for KPIs to read, so "
        "nothing it did was kept")


@pytest.mark.parametrize(("table", "message"), [
    (reg.StoreTable("calls", {"When": "string"}, date="When"),
     "the table 'ext_gong_calls': date 'When' must be one of its date or datetime fields"),
    (reg.StoreTable("calls", {"Day": "date", "Rep": "string"}, date="Day", credit="Rep"),
     "the table 'ext_gong_calls': credit 'Rep' must be a reference field (a Salesforce User "
     "Id)"),
    (reg.StoreTable("call-log", {"Day": "date"}, date="Day"),
     "the table 'ext_gong_call-log': 'call-log' is not a column name (a letter, then letters, "
     "digits and underscores)"),
], ids=["date-not-a-date", "credit-not-a-reference", "bad-name"])
def test_a_badly_declared_table_is_refused_at_registration(table, message):
    registry = reg.load_registry(include_plugins=False)
    with registry.loading(CALLS_PLUGIN), pytest.raises(PluginError) as info:
        registry.add_store_source(reg.StoreSource("gong", "", lambda run: None,
                                                  tables=(table,)))
    assert str(info.value) == message
    assert "gong" not in registry.store_sources

