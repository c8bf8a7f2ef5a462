"""``kpisync validate --format text|github|json|sarif``: the same findings, in the form a
person, GitHub Actions, another CI system or a code-scanning view reads; exit 1 on errors in
every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sarif_pydantic
from click.testing import CliRunner
from pydantic import ValidationError

from kpisync.cli import main
from kpisync.validation.formats import github, render, to_dict
from kpisync.validation.report import Finding, StageResult, ValidationReport

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "kpis.yaml"
MANY = ROOT / "tests" / "fixtures" / "config" / "many_problems.yaml"
UNUSED = ("no team lists this KPI in teams[].kpis, so the target is never used; add it to a "
          "team's kpis or remove the target")


def invoke(*args: str):
    return CliRunner().invoke(main, ["validate", *args], catch_exceptions=False)


@pytest.fixture
def broken(tmp_path) -> Path:
    """many_problems.yaml under a relative-looking name: two schema and one semantic problem
    before line 21, then more."""
    path = tmp_path / "kpis.yaml"
    path.write_text(MANY.read_text())
    return path


@pytest.mark.parametrize("fmt", ["text", "github", "json", "sarif"])
def test_errors_exit_1_in_every_format(broken, fmt):
    assert invoke("-c", str(broken), "--format", fmt).exit_code == 1


@pytest.mark.parametrize("fmt", ["text", "github", "json", "sarif"])
def test_a_valid_file_exits_0_in_every_format(fmt):
    assert invoke("-c", str(SAMPLE), "--format", fmt).exit_code == 0


def test_github_annotations_point_at_each_line_with_stage_and_kind(broken):
    result = invoke("-c", str(broken), "--format", "github")
    lines = result.output.splitlines()
    assert lines[0] == (
        f"::error file={broken},line=4,col=13,title=kpisync schema (wrong-value)::org.timezone: "
        "'America/NewYork' is not an IANA timezone — did you mean 'America/New_York'?")
    assert lines[2] == (
        f"::error file={broken},line=11,col=19,title=kpisync semantics (unknown-reference)::"
        "teams[sdr].kpis[1]: 'meetings' is not a defined KPI — expected one of: calls, won")
    assert lines[3] == (
        f"::error file={broken},line=20,col=5,title=kpisync schema (unknown-key)::"
        "kpis[calls]: unknown key 'taget' — did you mean 'target'?")
    assert lines[-1] == (
        f"::notice title=kpisync validate::{broken}: failed at the schema stage (schema: failed, "
        "semantics: failed, online: skipped, dry run: skipped)")


def test_github_warnings_are_warning_commands(tmp_path):
    path = tmp_path / "kpis.yaml"
    path.write_text(SAMPLE.read_text().replace(  # no team tracks calls, which has a target
        "kpis: [calls, conversations,", "kpis: [conversations,"))
    result = invoke("-c", str(path), "--format", "github")
    assert result.exit_code == 0, result.output
    warning = result.output.splitlines()[0]
    assert warning.startswith(f"::warning file={path},line=")
    assert warning.endswith(f",title=kpisync semantics (unused-target)::kpis[calls].target: "
                            f"{UNUSED}")


def test_github_escapes_data_and_properties_as_workflow_commands_require():
    """%, CR and LF in a message; also , and : in a property (a file name here)."""
    finding = Finding("error", "schema", "a,b:c%.yaml", 3, 7, "org.name",
                      "100% wrong\r\nsecond line")
    report = ValidationReport("a,b:c%.yaml", (finding,),
                              (StageResult("schema", "failed"),), "")
    assert github(report).splitlines()[0] == (
        "::error file=a%2Cb%3Ac%25.yaml,line=3,col=7,title=kpisync schema (wrong-value)::"
        "org.name: 100%25 wrong%0D%0Asecond line")


def test_json_has_the_documented_shape(broken):
    result = invoke("-c", str(broken), "--format", "json")
    document = json.loads(result.output)
    assert set(document) == {"version", "file", "ok", "failed_stage", "summary", "stages",
                             "findings"}
    assert (document["version"], document["ok"], document["failed_stage"]) == (1, False,
                                                                               "schema")
    assert [s["name"] for s in document["stages"]] == ["schema", "semantics", "online",
                                                       "dry_run"]
    assert document["findings"][0] == {
        "level": "error", "stage": "schema", "rule": "wrong-value", "file": str(broken),
        "line": 4, "column": 13, "path": "org.timezone",
        "message": "'America/NewYork' is not an IANA timezone — did you mean "
                   "'America/New_York'?"}


def test_json_of_a_valid_file_lists_every_stage_it_ran():
    document = json.loads(invoke("-c", str(SAMPLE), "--format", "json").output)
    assert document["ok"] is True and document["failed_stage"] is None
    assert document["summary"] == "13 KPIs, 4 teams, cascade of 5 steps"
    assert [(s["name"], s["status"]) for s in document["stages"]] == [
        ("schema", "passed"), ("semantics", "passed"), ("online", "skipped"),
        ("dry_run", "passed")]


def test_sarif_is_a_valid_sarif_2_1_0_log_with_a_rule_per_kind(broken):
    result = invoke("-c", str(broken), "--format", "sarif")
    log = json.loads(result.output)
    sarif_pydantic.Sarif.model_validate(log)  # the SARIF 2.1.0 object model accepts it
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == ["unknown-key", "unknown-reference", "unknown-field", "wrong-value"]
    first = run["results"][0]
    assert first["ruleId"] == "wrong-value" and rules[first["ruleIndex"]] == "wrong-value"
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": str(broken)}, "region": {"startLine": 4, "startColumn": 13}}
    assert len(run["results"]) == len(to_dict_of(broken)["findings"])


def to_dict_of(path: Path) -> dict:
    from kpisync.validation import validate_file

    return to_dict(validate_file(path))


def test_the_sarif_model_refuses_a_broken_log(broken):
    """The check above can fail: a result without a message is not SARIF."""
    log = json.loads(invoke("-c", str(broken), "--format", "sarif").output)
    del log["runs"][0]["results"][0]["message"]
    with pytest.raises(ValidationError):
        sarif_pydantic.Sarif.model_validate(log)


def test_text_stays_the_default_and_names_the_failed_stage(broken):
    result = invoke("-c", str(broken))
    lines = result.output.splitlines()
    assert lines[0] == "Error: 6 problems in the config:"
    assert lines[1] == (f"  {broken}:4:13: org.timezone: 'America/NewYork' is not an IANA "
                        "timezone — did you mean 'America/New_York'?")
    assert lines[-1] == ("Validation failed at the schema stage (schema: failed, semantics: "
                         "failed, online: skipped, dry run: skipped).")


def test_every_format_renders_every_finding(broken):
    from kpisync.validation import validate_file

    report = validate_file(broken)
    for fmt in ("text", "github"):
        rendered = render(report, fmt)
        assert all(f.message.split(" — ")[0] in rendered for f in report.findings), fmt


def test_every_rule_is_documented():
    from kpisync.validation.report import RULE_HELP

    docs = (ROOT / "docs" / "config.md").read_text()
    assert [rule for rule, text in RULE_HELP.items() if f"| `{rule}` | {text} |" not in docs] \
        == []


@pytest.mark.parametrize("message, rule", [
    ("'east' is not a region of any team — did you mean 'East'?", "unknown-reference"),
    ("'smb' is not a segment of any team", "unknown-reference"),
    ("duplicate team id 'sdr_east' (first defined at line 10)", "duplicate-id"),
    ("missing required key 'tier' (one of: results, objectives, activities)", "missing-key"),
    ("invalid YAML: while parsing a flow sequence", "file"),
    ("the formula of 'other' depends on itself (other → third → other)", "formula-cycle"),
    ("expected a number, got 'ten'", "wrong-value"),
])
def test_findings_are_sorted_into_rules_by_kind(message, rule):
    assert Finding("error", "schema", "k.yaml", 1, 1, "", message).rule == rule
