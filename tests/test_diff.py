"""kpisync diff on the tiny org (compute_fixtures), as of 2026-03-10, comparing March 2026.

Hand-checked figures for calls in March: Ann 1 (00T3; 00T5 is deleted), Bob 2 (00T6, 00T7),
Cat 0, Meg (on no team) 1, so SDR 3, AE 0 and the org 4. Per-rep targets: 10, AE's override 4;
Dan is inactive and has none: SDR 20, AE 4, the org 24.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from compute_fixtures import ANN, AS_OF, BOB, CAT, build_store

from kpisync.cli import main
from kpisync.config import parse_config
from kpisync.diff import Cell, Change, ConfigDiff, ConfigSide, KpiChange, Movement, diff
from kpisync.diff_markdown import render
from kpisync.errors import ComputeError
from tests.test_config_objects import CONFIG as LEAD_CONFIG

TINY = (Path(__file__).resolve().parent / "fixtures" / "config" / "tiny.yaml").read_text()
#: the calls KPI's target block in tiny.yaml
CALLS_TARGET = "      per_rep: 10\n      overrides:\n        - team: ae\n          per_rep: 4\n"


def edited(text: str, *replacements: tuple[str, str]) -> str:
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def side(text: str, label: str) -> ConfigSide:
    return ConfigSide(label, lambda: parse_config(text, label))


#: calls: target 10 → 5 per rep, AE's override dropped; the KPI renamed
HEAD = edited(TINY, (CALLS_TARGET, "      per_rep: 5\n"),
              ("    name: Calls\n", "    name: Dials\n"))


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = tmp_path_factory.mktemp("diff") / "store.duckdb"
    con = build_store(path)
    # Leads for the declared-object tests: Ann converted two in March, one in February.
    con.execute('CREATE TABLE sf_lead ("Id" VARCHAR PRIMARY KEY, "OwnerId" VARCHAR, '
                '"Status" VARCHAR, "ConvertedDate" DATE, "IsDeleted" BOOLEAN)')
    con.executemany("INSERT INTO sf_lead VALUES (?, ?, ?, ?, ?)", [
        ("00Q1", ANN, "Converted", date(2026, 3, 2), False),
        ("00Q2", ANN, "Converted", date(2026, 3, 9), False),
        ("00Q3", ANN, "Open", None, False),
        ("00Q4", ANN, "Converted", date(2026, 2, 27), False),
    ])
    yield con
    con.close()


@pytest.fixture(scope="module")
def store(con, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("diff-cli") / "store.duckdb"
    build_store(path).close()
    return path


def compare(con, base: str, head: str, **options):
    return diff(side(base, "base.yaml"), side(head, "head.yaml"), con, as_of=AS_OF, **options)


def test_target_change_moves_teams_org_and_reps(con):
    d = compare(con, TINY, HEAD)
    assert d.period == ("2026-03", "Mar 2026")
    assert d.changed == (KpiChange("calls", "Dials", (Change("name", "Calls", "Dials"),)),)
    assert d.targets == (KpiChange("calls", "Dials", (
        Change("per_rep", "10", "5"), Change("overrides", "1 item", "none"))),)
    assert (d.added, d.removed) == ((), ())
    assert d.org == (Movement("calls", "Dials", "count", "org", "org", "Tiny Co", None,
                              Cell(Decimal(4), Decimal(24), Decimal("0.1667")),
                              Cell(Decimal(4), Decimal(15), Decimal("0.2667"))),)
    # AE: Cat's target 4 → 5 with 0 calls: attainment stays 0 %, the target moves
    assert [(m.name, m.before.target, m.after.target, m.before.attainment, m.after.attainment)
            for m in d.teams] == [("AE", 4, 5, 0, 0), ("SDR", 20, 10, Decimal("0.15"),
                                                       Decimal("0.3"))]
    # Bob moves 20 % → 40 %, Ann 10 % → 20 %, Cat 0 % → 0 %
    assert [(m.scope_id, m.team, m.before.attainment, m.after.attainment) for m in d.reps] == [
        (BOB, "SDR", Decimal("0.2"), Decimal("0.4")), (ANN, "SDR", Decimal("0.1"),
                                                       Decimal("0.2")),
        (CAT, "AE", 0, 0)]


def test_top_keeps_the_reps_attainment_moves_most(con):
    d = compare(con, TINY, HEAD, top=1)
    assert ([m.scope_id for m in d.reps], d.reps_moved) == ([BOB], 3)


def test_markdown_for_a_pr_comment(con):
    assert render(compare(con, TINY, HEAD, top=2)) == """\
## kpisync diff: `base.yaml` → `head.yaml`

Scorecard of Mar 2026 (`2026-03`) as of 2026-03-10, both configs computed on the same store.

### KPIs

- Changed: `calls` (Dials): name Calls → Dials

### Targets

- `calls` (Dials): per_rep 10 → 5; overrides 1 item → none

### Attainment: org and teams

- Tiny Co · calls: attainment 17% → 27% (actual 4; target 24 → 15)
- AE · calls: attainment 0% → 0% (actual 0; target 4 → 5)
- SDR · calls: attainment 15% → 30% (actual 3; target 20 → 10)

### Reps most affected (2 of 3)

- Bob (SDR) · calls: attainment 20% → 40% (actual 2; target 10 → 5)
- Ann (SDR) · calls: attainment 10% → 20% (actual 1; target 10 → 5)
"""


def test_same_config_changes_nothing(con):
    d = compare(con, TINY, TINY)
    assert (d.changed, d.targets, d.org, d.teams, d.reps) == ((), (), (), (), ())
    assert render(d).endswith("No change to the KPIs, their targets or any attainment.\n")


#: avg_deal dropped; emails added to the SDR scorecard (Ann sent one in March, 00T4)
EMAILS = """\
  - id: emails
    name: Emails
    tier: activities
    type: leading
    unit: count
    source: Task
    measure: count
    where:
      TaskSubtype: Email
    date: ActivityDate
    credit: OwnerId
    target:
      per_rep: 4
"""


def test_added_and_removed_kpis_show_on_the_teams_that_list_them(con):
    head = edited(TINY, ("kpis: [calls, conversations]", "kpis: [calls, conversations, emails]"),
                  ("revenue, win_rate, avg_deal, cycle]", "revenue, win_rate, cycle]"),
                  ("  - id: avg_deal\n", EMAILS + "  - id: avg_deal_gone\n"))
    head = head[:head.index("  - id: avg_deal_gone\n")] + head[head.index("  - id: cycle\n"):]
    d = compare(con, TINY, head)
    assert (d.added, d.removed, d.changed, d.targets) == (("emails",), ("avg_deal",), (), ())
    sdr = next(m for m in d.teams if m.scope_id == "sdr")
    assert (sdr.kpi_id, sdr.before, sdr.after) == ("emails", None,
                                                   Cell(Decimal(1), Decimal(8), Decimal("0.125")))
    ae = next(m for m in d.teams if m.scope_id == "ae")
    # Cat's won deal closing in March: 006B, 250.50 against a 500 target
    assert (ae.kpi_id, ae.before, ae.after) == (
        "avg_deal", Cell(Decimal("250.50"), Decimal(500), Decimal("0.501")), None)
    text = render(d)
    assert "- Added: `emails`\n- Removed: `avg_deal`\n" in text
    assert "- SDR · emails: added: attainment 13% (actual 1; target 8)\n" in text
    assert "- AE · avg_deal: removed (was attainment 50% (actual $251; target $500))\n" in text


def test_period_option_compares_another_period(con):
    d = compare(con, TINY, HEAD, period_key="fy2026-ytd")
    assert d.period == ("FY2026-YTD", "FY2026 year to date")
    # YTD SDR calls: Ann 3, Bob 2, Dan 1 (inactive, no target): 6; target 3 months x 2 reps
    sdr = next(m for m in d.teams if m.scope_id == "sdr")
    assert (sdr.before.actual, sdr.before.target, sdr.after.target) == (6, 60, 30)


def test_period_missing_from_a_scorecard_is_an_error(con):
    with pytest.raises(ComputeError) as info:
        compare(con, TINY, HEAD, period_key="2025-12")
    assert str(info.value) == (
        "the base scorecard has no period '2025-12' (its periods: 2026-02, 2026-03, "
        "FY2026-YTD); pass --period with one of both scorecards' periods")


def test_both_invalid_configs_are_reported_and_nothing_computed(con):
    bad_base = edited(TINY, ("  window: 2\n", "  window: two\n"))
    bad_head = edited(TINY, ("    unit: currency\n    source: Opportunity\n    measure: {sum",
                             "    unit: dollars\n    source: Opportunity\n    measure: {sum"))
    d = compare(con, bad_base, bad_head)
    assert not d.valid and d.period is None
    assert [(s.label, len(s.problems)) for s in d.invalid] == [("base.yaml", 1), ("head.yaml", 1)]
    assert d.invalid[0].problems[0].startswith("base.yaml:7:11: org.window: ")
    assert d.invalid[1].problems[0].startswith("head.yaml:70:11: kpis[revenue].unit: ")
    text = render(d)
    assert "**`base.yaml` does not validate** (1 problem), so the scorecards were not " \
           "compared:\n\n```text\nbase.yaml:7:11: org.window: " in text
    assert "**`head.yaml` does not validate** (1 problem)" in text


#: the Lead object and its KPI as tests/test_config_objects.py declares them, with a target
LEADS = LEAD_CONFIG[LEAD_CONFIG.index("objects:\n"):LEAD_CONFIG.index("teams:\n")]
LEAD_KPI = LEAD_CONFIG[LEAD_CONFIG.index("  - id: leads_converted\n"):] + \
    "    target:\n      per_rep: 1\n"
WITH_LEADS = LEADS + edited(TINY, ("kpis: [calls, conversations]",
                                   "kpis: [calls, conversations, leads_converted]"),
                            ("cascade: [", LEAD_KPI + "cascade: ["))


@pytest.mark.parametrize("order", ["declared-in-base", "declared-in-head"])
def test_objects_declared_by_one_config_only_are_computed_with_that_config(con, order):
    """``objects:`` are known process-wide while their config is in use: each side must be
    computed with its own (Ann's two leads converted in March count for the side declaring
    Lead; the other side has no such KPI)."""
    base, head = (WITH_LEADS, TINY) if order == "declared-in-base" else (TINY, WITH_LEADS)
    d = compare(con, base, head)
    (sdr,) = [m for m in d.teams if m.scope_id == "sdr"]
    ann = next(m for m in d.reps if m.scope_id == ANN)
    lead_cell = {"declared-in-base": (sdr.before, ann.before),
                 "declared-in-head": (sdr.after, ann.after)}[order]
    assert sdr.kpi_id == ann.kpi_id == "leads_converted"
    assert lead_cell == (Cell(Decimal(2), Decimal(2), Decimal(1)),
                         Cell(Decimal(2), Decimal(1), Decimal(2)))
    assert (d.removed, d.added) == ((("leads_converted",), ()) if order == "declared-in-base"
                                    else ((), ("leads_converted",)))


def test_a_head_dropping_the_declaration_but_not_the_kpi_is_invalid(con):
    head = WITH_LEADS.replace(LEADS, "")
    d = compare(con, WITH_LEADS, head)
    assert [s.label for s in d.invalid] == ["head.yaml"]
    assert "kpis[leads_converted].source: expected one of: " in d.invalid[0].problems[0]


def invoke(store: Path, *args: str):
    return CliRunner().invoke(main, ["diff", *args, "--store", str(store), "--as-of",
                                     AS_OF.isoformat()], catch_exceptions=False)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_cli_prints_the_markdown(store, con, tmp_path):
    base, head = write(tmp_path, "base.yaml", TINY), write(tmp_path, "head.yaml", HEAD)
    result = invoke(store, str(base), str(head), "--top", "2")
    assert result.exit_code == 0, result.output
    expected = render(diff(ConfigSide.from_file(base), ConfigSide.from_file(head), con,
                           as_of=AS_OF, top=2))
    assert result.output == expected
    assert "- Bob (SDR) · calls: attainment 20% → 40%" in result.output


def test_cli_json(store, tmp_path):
    base, head = write(tmp_path, "base.yaml", TINY), write(tmp_path, "head.yaml", HEAD)
    result = invoke(store, str(base), str(head), "--json", "--top", "1")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["valid"], data["period"], data["reps_moved"]) == (
        True, {"key": "2026-03", "label": "Mar 2026"}, 3)
    assert data["reps"] == [{"kpi": "calls", "unit": "count", "scope": "rep", "id": BOB,
                             "name": "Bob",
                             "team": "SDR",
                             "before": {"actual": "2", "target": "10", "attainment": "0.2"},
                             "after": {"actual": "2", "target": "5", "attainment": "0.4"}}]


def test_cli_head_defaults_to_kpisync_config(store, tmp_path, monkeypatch):
    base, head = write(tmp_path, "base.yaml", TINY), write(tmp_path, "head.yaml", HEAD)
    monkeypatch.setenv("KPISYNC_CONFIG", str(head))
    result = invoke(store, str(base))
    assert result.exit_code == 0, result.output
    assert f"→ `{head}`" in result.output.splitlines()[0]


def test_cli_invalid_head_prints_the_comment_and_exits_1(store, tmp_path):
    base = write(tmp_path, "base.yaml", TINY)
    head = write(tmp_path, "head.yaml", edited(TINY, ("  window: 2\n", "  window: two\n")))
    result = invoke(store, str(base), str(head))
    assert result.exit_code == 1
    assert f"**`{head}` does not validate** (1 problem)" in result.output


@pytest.mark.parametrize(("args", "message"), [
    ((), "give BASE (and HEAD) config files, or --base-ref REF"),
    (("a.yaml", "b.yaml", "c.yaml"), "give at most two paths: BASE and HEAD"),
    (("--base-ref", "main", "a.yaml", "b.yaml"), "with --base-ref, give at most one path: HEAD"),
])
def test_cli_usage_errors(store, args, message):
    result = invoke(store, *args)
    assert result.exit_code == 2
    assert f"Error: {message}" in result.output


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                    "-c", "commit.gpgsign=false", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git repository with tiny.yaml committed as config/kpis.yaml and HEAD's edit in the
    working tree, as in a pull request's checkout."""
    git(tmp_path, "init", "-q", "-b", "main")
    config = tmp_path / "config"
    config.mkdir()
    write(config, "kpis.yaml", TINY)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    write(config, "kpis.yaml", HEAD)
    return tmp_path


def test_base_ref_reads_the_base_from_git(store, repo):
    path = repo / "config" / "kpis.yaml"
    result = invoke(store, "--base-ref", "main", str(path), "--top", "1")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"## kpisync diff: `main:{path}` → `{path}`"
    assert "- `calls` (Dials): per_rep 10 → 5; overrides 1 item → none\n" in result.output


def test_base_ref_unknown_is_reported_as_the_base_config(store, repo):
    path = repo / "config" / "kpis.yaml"
    result = invoke(store, "--base-ref", "nosuchref", str(path))
    assert result.exit_code == 1
    assert f"**`nosuchref:{path}` does not validate** (1 problem)" in result.output
    assert f"nosuchref:{path}:1:1: git cannot show it: " in result.output


def test_markdown_escapes_names_from_salesforce():
    moved = Movement("revenue", "Revenue", "currency", "rep", "005X", "<Sam> *Lee*",
                     "AE [SMB]", Cell(Decimal(900), Decimal(1000), Decimal("0.9")),
                     Cell(Decimal(900), Decimal(800), Decimal("1.125")))
    text = render(ConfigDiff("a.yaml", "b.yaml", as_of=AS_OF, currency="EUR",
                             period=("2026-03", "Mar 2026"), reps=(moved,), reps_moved=1))
    assert text.endswith(
        "### Reps most affected\n\n- \\<Sam\\> \\*Lee\\* (AE \\[SMB\\]) · revenue: attainment "
        "90% → 113% (actual €900; target €1,000 → €800)\n")
