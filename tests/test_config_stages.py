"""``kpisync validate`` in stages: schema → semantics → --online (describe against the org) →
dry run (every KPI's SQL on an empty store), each finding saying the stage that found it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner
from sf_fixtures import API, add_describe, make_client

from kpisync.cli import main
from kpisync.emulator import Emulator
from kpisync.emulator.demo_org import generate_demo_org
from kpisync.errors import AuthenticationError
from kpisync.sobjects import catalogue
from kpisync.validation import validate_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "kpis.yaml"
MINIMAL = (ROOT / "tests" / "fixtures" / "config" / "minimal.yaml").read_text()
#: a KPI summing a custom field: offline, its type is inferred (a number); describe says text
AMOUNT_KPI = """\
  - id: bonus
    name: Bonus
    tier: results
    type: lagging
    unit: currency
    source: Opportunity
    measure: {sum: Bonus__c}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kpis.yaml"
    path.write_text(text)
    return path


def statuses(report) -> list[tuple[str, str]]:
    return [(s.name, s.status) for s in report.stages]


def test_a_shape_problem_fails_the_schema_stage_and_skips_the_rest(tmp_path):
    report = validate_file(write(tmp_path, MINIMAL.replace("measure: count", "measure: 3")))
    assert report.failed_stage == "schema"
    assert statuses(report) == [("schema", "failed"), ("semantics", "skipped"),
                                ("online", "skipped"), ("dry_run", "skipped")]
    assert [f.stage for f in report.findings] == ["schema"]


def test_an_unknown_reference_fails_the_semantics_stage(tmp_path):
    report = validate_file(write(tmp_path, MINIMAL.replace("kpis: [calls]",
                                                           "kpis: [calls, cals]")))
    assert statuses(report)[:2] == [("schema", "passed"), ("semantics", "failed")]
    assert report.failed_stage == "semantics"
    assert [(f.stage, f.rule, f.message) for f in report.findings] == [
        ("semantics", "unknown-reference",
         "'cals' is not a defined KPI — did you mean 'calls'?")]


def test_a_misspelt_salesforce_field_is_a_semantic_problem(tmp_path):
    text = MINIMAL + "    where:\n      Subjct: Call\n"
    (finding,) = validate_file(write(tmp_path, text)).findings
    assert (finding.stage, finding.rule, finding.line) == ("semantics", "unknown-field", 20)
    assert finding.message == "Task has no field 'Subjct' — did you mean 'Subject'?"


def test_a_valid_file_passes_every_offline_stage(tmp_path):
    report = validate_file(write(tmp_path, MINIMAL))
    assert report.ok and report.failed_stage is None
    assert statuses(report) == [("schema", "passed"), ("semantics", "passed"),
                                ("online", "skipped"), ("dry_run", "passed")]


def test_the_dry_run_can_be_turned_off(tmp_path):
    report = validate_file(write(tmp_path, MINIMAL), dry_run=False)
    assert statuses(report)[-1] == ("dry_run", "skipped")


# -- online, with `responses` --------------------------------------------------------------


def describe_all(rsps, overrides: dict[str, dict[str, str] | None] | None = None,
                 objects: tuple[str, ...] = ("User", "UserRole", "Task", "Opportunity")
                 ) -> None:
    """Describe ``objects`` with the catalogue's fields, changed by ``overrides`` (None: the
    org has no such object)."""
    overrides = overrides or {}
    for sobject in objects:
        if sobject in overrides and overrides[sobject] is None:
            rsps.get(f"{API}/sobjects/{sobject}/describe", status=404,
                     json=[{"errorCode": "NOT_FOUND",
                            "message": "The requested resource does not exist"}])
            continue
        fields = dict(catalogue()[sobject].fields)
        add_describe(rsps, sobject, {**fields, **overrides.get(sobject, {})})


def test_online_finds_a_field_the_sync_user_cannot_see(tmp_path):
    path = write(tmp_path, MINIMAL + AMOUNT_KPI)
    with responses.RequestsMock() as rsps:
        describe_all(rsps)  # no Bonus__c on Opportunity
        report = validate_file(path, online=True, connect=make_client)
    assert statuses(report)[2:] == [("online", "failed"), ("dry_run", "skipped")]
    (finding,) = report.findings
    assert (finding.stage, finding.line, finding.path) == ("online", 19, "kpis[bonus]")
    assert finding.message == (
        "Opportunity has no field 'Bonus__c' (used by KPI 'bonus'); check the field's API name "
        "and that the sync user can see it (field-level security)")
    assert finding.rule == "unknown-field"


def test_online_finds_an_object_the_org_lacks(tmp_path):
    path = write(tmp_path, MINIMAL)
    with responses.RequestsMock() as rsps:
        describe_all(rsps, {"Task": None}, ("User", "UserRole", "Task"))
        report = validate_file(path, online=True, connect=make_client)
    (finding,) = report.findings
    assert (finding.stage, finding.rule, finding.line) == ("online", "missing-object", 12)
    assert finding.message == (
        "Salesforce has no object 'Task', or the sync user cannot see it (used by 'calls'); "
        "check its API name and the user's object permissions")


def test_online_types_reach_the_dry_run_which_finds_a_sum_of_text(tmp_path):
    path = write(tmp_path, MINIMAL + AMOUNT_KPI)
    with responses.RequestsMock() as rsps:
        describe_all(rsps, {"Opportunity": {"Bonus__c": "string"}})
        report = validate_file(path, online=True, connect=make_client)
    assert statuses(report)[2:] == [("online", "passed"), ("dry_run", "failed")]
    (finding,) = report.findings
    assert (finding.stage, finding.rule, finding.line) == ("dry_run", "sql-error", 19)
    assert finding.message.startswith("the generated SQL fails on an empty store: KPI 'bonus' ")


def test_offline_the_same_custom_field_is_taken_for_a_number(tmp_path):
    assert validate_file(write(tmp_path, MINIMAL + AMOUNT_KPI)).ok


def test_a_refused_login_fails_the_online_stage(tmp_path):
    def refused():
        raise AuthenticationError("access token: missing SF_INSTANCE_URL, SF_ACCESS_TOKEN")

    report = validate_file(write(tmp_path, MINIMAL), online=True, connect=refused)
    assert [str(f) for f in report.findings] == [
        f"{tmp_path / 'kpis.yaml'}:1:1: cannot check against the org: access token: missing "
        "SF_INSTANCE_URL, SF_ACCESS_TOKEN"]


def test_a_filter_that_cannot_match_the_described_type_fails_the_dry_run(tmp_path):
    text = MINIMAL + "    where:\n      Done__c: true\n"
    path = write(tmp_path, text)
    with responses.RequestsMock() as rsps:
        describe_all(rsps, {"Task": {"Done__c": "string"}}, ("User", "UserRole", "Task"))
        report = validate_file(path, online=True, connect=make_client)
    (finding,) = report.findings
    assert (finding.stage, finding.line) == ("dry_run", 20)  # the condition's line
    assert finding.message.startswith("KPI 'calls': Task.Done__c is a text field in Salesforce")


# -- end to end, against the emulator -------------------------------------------------------


@pytest.fixture(scope="module")
def emulator():
    org = generate_demo_org(seed=3, as_of=date(2026, 6, 17), scale=0.05)
    with Emulator(org) as running:
        yield running


def test_online_against_the_emulator_passes_the_sample(emulator):
    env = {"SF_INSTANCE_URL": emulator.url, "SF_ACCESS_TOKEN": emulator.access_token,
           "REQUESTS_CA_BUNDLE": str(emulator.ca_path)}
    result = CliRunner().invoke(main, ["validate", "-c", str(SAMPLE), "--online", "--format",
                                       "json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert '"online",\n      "status": "passed"' in result.output


def test_online_against_the_emulator_names_a_missing_custom_field(emulator, tmp_path):
    path = write(tmp_path, SAMPLE.read_text().replace("Meeting_Held__c", "Meeting_Hold__c"))
    env = {"SF_INSTANCE_URL": emulator.url, "SF_ACCESS_TOKEN": emulator.access_token,
           "REQUESTS_CA_BUNDLE": str(emulator.ca_path)}
    result = CliRunner().invoke(main, ["validate", "-c", str(path), "--online"], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert "Event has no field 'Meeting_Hold__c' (used by KPI 'meetings_held')" in result.output
    assert result.output.endswith("Validation failed at the online stage (schema: passed, "
                                  "semantics: passed, online: failed, dry run: skipped).\n")


def test_an_engine_section_has_its_tables_checked_after_describe(tmp_path):
    path = write(tmp_path, MINIMAL + "engine:\n  url: duckdb\n")
    with responses.RequestsMock() as rsps:
        describe_all(rsps, objects=("User", "UserRole", "Task"))
        report = validate_file(path, online=True, connect=make_client)
    online = next(s for s in report.stages if s.name == "online")
    assert (online.status, online.detail) == (
        "passed", "3 objects described; the local store's tables are made by the sync")


def test_a_mapping_checks_the_mapped_tables_instead_of_describing(tmp_path, monkeypatch):
    """Bring your own tables: the records are in the engine's tables, so the online stage
    checks those (``check_mapping``) and asks Salesforce nothing (no request is registered:
    any describe would fail the test)."""
    from kpisync.errors import ConfigProblem
    from kpisync.store import select as engine_tables

    seen = []

    def missing_table(config):
        seen.append(config.mapping.preset)
        return [ConfigProblem(str(config.path), 3, 3, "mapping", "no table 'task' for Task")]

    monkeypatch.setattr(engine_tables, "check_online", missing_table)
    path = write(tmp_path, MINIMAL + "engine:\n  url: postgresql://127.0.0.1/crm\n"
                                     "mapping:\n  preset: fivetran\n")
    with responses.RequestsMock():
        report = validate_file(path, online=True, connect=make_client)
    assert seen == ["fivetran"]
    online = next(s for s in report.stages if s.name == "online")
    assert online.status == "failed"
    assert [(f.stage, f.message) for f in report.errors] == [("online", "no table 'task' for Task")]


def test_the_dry_run_creates_a_plugin_store_sources_tables(tmp_path):
    """A KPI over ``ext_gong_calls`` (a store source's table) runs on the empty store too."""
    from plugin_fixtures import CALLS_YAML, calls_registry

    from kpisync import registry as reg

    with reg.using(calls_registry()):
        report = validate_file(write(tmp_path, CALLS_YAML))
    assert report.ok, [str(f) for f in report.findings]
    assert statuses(report)[-1] == ("dry_run", "passed")
