"""The registry: kpisync's own pieces go through it, clashes are reported, broken plugins named,
and plugins' options are validated like the core's."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from compute_fixtures import AS_OF, build_store
from plugin_fixtures import BASE_YAML, EXAMPLE, TINY_YAML, example_in_place, write_dist_info

from kpisync import registry as reg
from kpisync.build import build
from kpisync.cli import main
from kpisync.compute.measures import BUILTIN_MEASURES
from kpisync.config import parse_config
from kpisync.config.plugin_options import plugin_schemas
from kpisync.errors import ConfigError, PluginError
from kpisync.plugins import describe
from kpisync.site.definitions import definition
from kpisync.sobjects import TASK
from kpisync.store import Store
from kpisync.sync.store_sources import run_store_sources


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    return [str(p) for p in info.value.problems]


# ------------------------------------------------------------------- registry and loading


def test_builtins_register_sources_measures_and_outputs():
    registry = reg.load_registry(include_plugins=False)
    assert set(registry.sources) == {
        "User", "UserRole", "Task", "Event", "Opportunity", "OpportunityHistory", "Account"
    }
    assert set(registry.measures) == {m.name for m in BUILTIN_MEASURES}
    assert list(registry.outputs) == ["html", "csv", "json"]
    assert {registry.owner("output", n) for n in registry.outputs} == {"core"}


def test_registering_a_name_twice_names_both_plugins():
    registry = reg.Registry()
    registry.add_source(TASK)
    with registry.loading(reg.Plugin("crm_extra", "crm_extra.plugin")), \
            pytest.raises(PluginError) as info:
        registry.add_source(TASK)
    assert str(info.value) == ("two plugins register the source 'Task' ('core' and "
                               "'crm_extra'); uninstall one of them")


class FakeEntryPoint:
    def __init__(self, name, value, module):
        self.name, self.value, self._module, self.dist = name, value, module, None

    def load(self):
        if isinstance(self._module, Exception):
            raise self._module
        return self._module


def fake_groups(monkeypatch, groups):
    monkeypatch.setattr(reg, "entry_points", lambda group: groups.get(group, []))


def test_plugins_of_both_groups_load_after_builtins(monkeypatch):
    def module(output):
        class Module:
            @staticmethod
            def register(registry):
                registry.add_output(reg.Output(output, output, lambda run: None))
        return Module

    fake_groups(monkeypatch, {
        "kpisync.plugins": [FakeEntryPoint("core", reg.BUILTINS, None),
                            FakeEntryPoint("pq", "pq.plugin", module("parquet"))],
        "kpisync": [FakeEntryPoint("old", "old.plugin", module("teams_post")),
                    FakeEntryPoint("pq", "pq.plugin", module("parquet"))],  # both: loaded once
    })
    registry = reg.load_registry()
    assert list(registry.outputs) == ["html", "csv", "json", "parquet", "teams_post"]
    assert registry.owner("output", "teams_post") == "old"
    assert "Task" in registry.sources


def test_broken_plugin_is_named(monkeypatch):
    fake_groups(monkeypatch, {"kpisync.plugins": [
        FakeEntryPoint("median", "kpisync_median.plugin", ImportError("No module named 'x'"))]})
    with pytest.raises(PluginError) as info:
        reg.load_registry()
    assert str(info.value) == (
        "plugin 'median' (kpisync_median.plugin) failed to load: No module named 'x'"
    )


def test_installed_plugin_is_found_through_its_dist_info(tmp_path, monkeypatch):
    write_dist_info(tmp_path, "kpisync-monday-digest", "0.1.0",
                    "[kpisync.plugins]\nmonday_digest = kpisync_monday_digest.plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(EXAMPLE))
    registry = reg.load_registry()
    assert registry.plugins["monday_digest"] == reg.Plugin(
        "monday_digest", "kpisync_monday_digest.plugin", "kpisync-monday-digest", "0.1.0")
    with reg.using(registry):
        result = CliRunner().invoke(main, ["plugins"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.split("\n", 4)[4] == (
        "monday_digest (kpisync-monday-digest 0.1.0) from kpisync_monday_digest.plugin\n"
        "  measure: capped_sum\n"
        "  output: monday_digest\n"
    )
    assert result.output.startswith("core (kpisync ")


def test_describe_lists_store_sources_and_plugin_options():
    registry = reg.load_registry(include_plugins=False)
    with registry.loading(reg.Plugin("gong", "kpisync_gong.plugin", "kpisync-gong", "2.1")):
        registry.add_store_source(reg.StoreSource("gong", "Gong calls", lambda run: None))
        registry.add_options(reg.Option("api_key_env", required=True))
    assert describe(registry).split("\n")[4:] == [
        "gong (kpisync-gong 2.1) from kpisync_gong.plugin",
        "  store source: gong",
        "  options: api_key_env",
    ]


# ------------------------------------------------------------------- config: plugins, outputs

GONG = reg.Plugin("gong", "kpisync_gong.plugin")


@pytest.fixture
def gong_registry():
    registry = reg.load_registry(include_plugins=False)
    with registry.loading(GONG):
        registry.add_store_source(reg.StoreSource("gong", "Gong calls", lambda run: None))
        registry.add_options(reg.Option("api_key_env", required=True),
                             reg.Option("days", "integer", default=30),
                             reg.Option("kinds", "strings", default=("call",)))
    with reg.using(registry):
        yield registry


def test_plugin_options_are_read_with_defaults(gong_registry):
    config = parse_config(BASE_YAML + "plugins:\n  gong: {api_key_env: GONG_KEY}\n")
    assert config.plugin_options == {"gong": {"api_key_env": "GONG_KEY", "days": 30,
                                              "kinds": ("call",)}}


def test_plugin_option_errors_carry_file_and_line(gong_registry):
    assert problems(BASE_YAML + "plugins:\n  gong: {api_key_env: K, dayz: 3, kinds: x}\n") == [
        "kpis.yaml:24:26: plugins.gong: unknown key 'dayz' — did you mean 'days'?",
        "kpis.yaml:24:42: plugins.gong.kinds: expected a list; got 'x'",
    ]


def test_plugin_with_required_options_must_be_configured(gong_registry):
    assert problems(BASE_YAML) == [
        "kpis.yaml:1:1: the plugin 'gong' needs options: add plugins: "
        "{gong: {api_key_env: ...}}",
    ]


def test_unknown_plugin_suggests_the_installed_one(gong_registry):
    assert problems(BASE_YAML + "plugins:\n  gongg: {}\n  gong: {api_key_env: K}\n") == [
        "kpis.yaml:24:3: plugins: unknown key 'gongg' — did you mean 'gong'?",
    ]


def test_outputs_default_to_the_site_csv_and_json():
    config = parse_config(BASE_YAML)
    assert [o.name for o in config.outputs] == ["html", "csv", "json"]


def test_an_output_is_turned_off_with_false():
    config = parse_config(BASE_YAML + "outputs:\n  json: false\n")
    assert [o.name for o in config.outputs] == ["html", "csv"]


def test_unknown_output_is_an_error_with_a_suggestion():
    assert problems(BASE_YAML + "outputs:\n  jsn: false\n") == [
        "kpis.yaml:24:3: outputs: unknown key 'jsn' — did you mean 'json'?",
    ]


def test_schemas_of_plugin_options(gong_registry):
    schemas = plugin_schemas(gong_registry)
    assert schemas["plugins"]["properties"]["gong"] == {
        "type": "object",
        "properties": {"api_key_env": {"type": "string"},
                       "days": {"type": "integer", "default": 30},
                       "kinds": {"type": "array", "items": {"type": "string"},
                                 "default": ["call"]}},
        "additionalProperties": False,
        "required": ["api_key_env"],
    }
    assert set(schemas["outputs"]["properties"]) == {"html", "csv", "json"}
    assert schemas["store_sources"] == {
        "type": "object", "additionalProperties": False,
        "properties": {"gong": {"type": "boolean", "default": True,
                                "description": "Gong calls"}},
    }
    json.dumps(schemas)  # plain JSON, ready for `kpisync schema`


# ------------------------------------------------------------------- the example plugin


@pytest.fixture
def example(monkeypatch):
    with example_in_place(monkeypatch.syspath_prepend) as registry:
        yield registry


def test_plugin_measure_options_are_validated(example):
    text = TINY_YAML.replace("{capped_sum: {field: Amount, cap: 500}}",
                             "{capped_sum: {field: Amount, cap: lots, limit: 3}}")
    assert problems(text) == [
        "kpis.yaml:29:48: kpis[capped_revenue].measure.capped_sum.cap: expected a number, "
        "got 'lots'",
        "kpis.yaml:29:54: kpis[capped_revenue].measure.capped_sum: unknown key 'limit' — "
        "expected one of: cap, field",
    ]


def test_plugin_measure_checks_its_field_type(example):
    text = TINY_YAML.replace("field: Amount, cap", "field: StageName, cap")
    assert problems(text) == [
        "kpis.yaml:29:35: kpis[capped_revenue].measure.capped_sum.field: "
        "Opportunity.StageName is a picklist field; capped_sum needs a number (int, double, "
        "currency or percent) field",
    ]


def test_misspelt_plugin_measure_suggests_it(example):
    text = TINY_YAML.replace("capped_sum:", "caped_sum:")
    assert problems(text)[0] == (
        "kpis.yaml:29:15: kpis[capped_revenue].measure: unknown measure 'caped_sum' — did you mean "
        "'capped_sum'?")


def test_plugin_measure_is_computed_in_sql(example, tmp_path):
    config = parse_config(TINY_YAML)
    kpi = config.kpi("capped_revenue")
    assert (kpi.measure.kind, kpi.measure.field, kpi.measure.option("cap")) == \
        ("capped_sum", "Amount", 500)
    build_store(tmp_path / "s.duckdb").close()
    report = build(config, tmp_path / "s.duckdb", tmp_path / "site", as_of=AS_OF)
    card = report.scorecard
    # Feb: 1000.00 capped at 500; Mar: 250.50 (the 9999.00 deal is deleted)
    assert card.result("capped_revenue", "2026-02", "rep", "005C").actual == 500
    march = card.result("capped_revenue", "2026-03", "team", "ae")
    assert (march.actual, march.attainment) == (Decimal("250.50"), Decimal("0.2505"))


@pytest.mark.parametrize(("value", "message"), [
    (lambda kpi, field, local_date: kpi.measure.option("ceiling") + 1,
     "the measure 'capped_sum' of plugin 'monday_digest' failed to build its SQL (value): "
     "TypeError: unsupported operand type(s) for +: 'NoneType' and 'int'"),
    (lambda kpi, field, local_date: "LEAST(Amount, 500)",
     "the measure 'capped_sum' of plugin 'monday_digest' returned str from value, not a "
     "sqlglot expression"),
], ids=["raises", "returns-sql-text"])
def test_broken_plugin_measure_is_named(example, tmp_path, value, message):
    import dataclasses

    config = parse_config(TINY_YAML)
    broken = dataclasses.replace(example.measures.pop("capped_sum"), value=value)
    with example.loading(reg.Plugin("monday_digest", "kpisync_monday_digest.plugin")):
        example.add_measure(broken)
    build_store(tmp_path / "s.duckdb").close()
    with pytest.raises(PluginError) as info:
        build(config, tmp_path / "s.duckdb", tmp_path / "site", as_of=AS_OF)
    assert str(info.value) == message
    assert not (tmp_path / "site").exists()


def test_example_digest_is_written_inside_the_site(example, tmp_path):
    text = TINY_YAML + "outputs:\n  monday_digest: {format: slack, top: 1}\n"
    build_store(tmp_path / "s.duckdb").close()
    build(parse_config(text), tmp_path / "s.duckdb", tmp_path / "site", as_of=AS_OF)
    assert (tmp_path / "site" / "digest" / "monday.txt").read_text() == (
        "*Monday digest: Tiny Co, Mar 2026*\n"
        "\n"
        "• Deals won: 1 of 2 (50%)\n"
        "• Capped revenue: $251 of $1,000 (25%)\n"
        "\n"
        "*Top 1*\n"
        "1. Cat: 38%\n"
    )
    assert (tmp_path / "site" / "data" / "scores.csv").is_file()


def test_definitions_page_reads_a_plugin_measure_with_its_options(example, tmp_path):
    text = TINY_YAML.replace("cap: 500", "cap: 5000")
    config = parse_config(text)
    facts = dict((f.label, f.value) for f in definition(config.kpi("capped_revenue"),
                                                         config).facts)
    words = ("Capped sum of Amount (cap: 5,000): the sum of a number field, each record "
             "counting at most cap")
    assert facts["Measure"] == words
    build_store(tmp_path / "s.duckdb").close()
    build(config, tmp_path / "s.duckdb", tmp_path / "site", as_of=AS_OF)
    assert words in (tmp_path / "site" / "kpis.html").read_text()


def test_failing_output_names_its_plugin_and_keeps_the_previous_site(example, tmp_path):
    build_store(tmp_path / "s.duckdb").close()
    site = tmp_path / "site"
    build(parse_config(TINY_YAML), tmp_path / "s.duckdb", site, as_of=AS_OF)
    before = sorted(p.relative_to(site) for p in site.rglob("*"))

    def broken(run):
        (run.root / "half.txt").write_text("half")
        raise ValueError("Slack said no")

    example.outputs["monday_digest"] = reg.Output("monday_digest", "", broken)
    text = TINY_YAML + "outputs:\n  monday_digest: true\n"
    with pytest.raises(PluginError) as info:
        build(parse_config(text), tmp_path / "s.duckdb", site, as_of=AS_OF)
    assert str(info.value) == ("the output 'monday_digest' of plugin 'monday_digest' failed: "
                               "ValueError: Slack said no")
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []  # no staging


# ------------------------------------------------------------------- store sources


def _source_registry(sync):
    registry = reg.load_registry(include_plugins=False)
    with registry.loading(reg.Plugin("gong", "kpisync_gong.plugin")):
        registry.add_store_source(reg.StoreSource("gong", "Gong calls", sync))
        registry.add_options(reg.Option("days", "integer", default=30))
    return registry


def test_store_source_writes_its_own_tables_with_its_options(tmp_path):
    seen = {}

    def sync(run):
        seen.update(run.options)
        run.connection.execute(f"CREATE TABLE {run.table('calls')} (id VARCHAR, seconds INT)")
        run.connection.execute(f"INSERT INTO {run.table('calls')} VALUES ('c1', 300)")

    registry = _source_registry(sync)
    with reg.using(registry):
        config = parse_config(BASE_YAML + "plugins:\n  gong: {days: 7}\n")
    with Store.open(tmp_path / "s.duckdb") as store:
        assert run_store_sources(config, store, registry) == ("gong",)
        rows = store.connection.execute("SELECT * FROM ext_gong_calls").fetchall()
    assert seen == {"days": 7}
    assert rows == [("c1", 300)]


def test_failing_store_source_is_rolled_back_and_named(tmp_path):
    def sync(run):
        run.connection.execute(f"CREATE TABLE {run.table('calls')} (id VARCHAR)")
        raise ConnectionError("gong.io unreachable")

    registry = _source_registry(sync)
    with reg.using(registry):
        config = parse_config(BASE_YAML)
    with Store.open(tmp_path / "s.duckdb") as store:
        with pytest.raises(PluginError) as info:
            run_store_sources(config, store, registry)
        assert "ext_gong_calls" not in {t for (t,) in store.connection.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
    assert str(info.value) == ("the source 'gong' of plugin 'gong' failed, and nothing it "
                               "wrote was kept: ConnectionError: gong.io unreachable")


def test_store_source_may_not_touch_other_tables(tmp_path):
    def sync(run):
        run.connection.execute("DROP TABLE sf_task")

    registry = _source_registry(sync)
    with reg.using(registry):
        config = parse_config(BASE_YAML)
    build_store(tmp_path / "s.duckdb").close()
    with Store.open(tmp_path / "s.duckdb") as store:
        with pytest.raises(PluginError) as info:
            run_store_sources(config, store, registry)
        assert store.count("Task") == 11
    assert str(info.value) == (
        "the source 'gong' of plugin 'gong' created or dropped sf_task; a source writes only "
        "tables named ext_gong_*, so nothing it did was kept")

