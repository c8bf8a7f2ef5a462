"""Warnings: valid kpis.yaml that is almost surely not what the admin meant. They are kept on
the Config, printed by ``kpisync validate`` and never fail it."""

from __future__ import annotations

from click.testing import CliRunner
from test_config import FUNNEL_BASE

from kpisync.cli import main
from kpisync.config import parse_config

# FUNNEL_BASE: team sdr tracks calls; deals_won (a count, target on line 24), revenue (a sum,
# target on line 32) and deal_size (an average, no target) are on no team.
UNUSED = ("no team lists this KPI in teams[].kpis, so the target is never used; add it to a "
          "team's kpis or remove the target")
TRACKED = FUNNEL_BASE.replace("kpis: [calls]", "kpis: [calls, deals_won, revenue]")


def warnings(text: str) -> list[str]:
    return [str(w) for w in parse_config(text).warnings]


def test_count_and_sum_targets_no_team_lists_are_warned_about_in_file_order():
    assert warnings(FUNNEL_BASE) == [
        f"kpis.yaml:24:5: warning: kpis[deals_won].target: {UNUSED}",
        f"kpis.yaml:32:5: warning: kpis[revenue].target: {UNUSED}",
    ]


def test_no_warning_once_a_team_lists_the_kpi():
    assert warnings(TRACKED) == []


def test_no_warning_for_an_average_target_the_org_still_shows():
    assert warnings(TRACKED + "    target: {per_rep: 900}\n") == []


def validate(path, text: str):
    """``kpisync validate`` on ``text`` written to ``path``."""
    path.write_text(text)
    return CliRunner().invoke(main, ["validate", "-c", str(path)], catch_exceptions=False)


def test_validate_prints_warnings_and_still_exits_0(tmp_path):
    path = tmp_path / "kpis.yaml"
    result = validate(path, FUNNEL_BASE)
    assert (result.exit_code, result.output) == (0, (
        f"{path}:24:5: warning: kpis[deals_won].target: {UNUSED}\n"
        f"{path}:32:5: warning: kpis[revenue].target: {UNUSED}\n"
        f"{path}: OK — 4 KPIs, 1 teams, cascade of 0 steps; 2 warnings\n"
    ))


def test_validate_counts_one_warning_as_one(tmp_path):
    path = tmp_path / "kpis.yaml"
    result = validate(path, FUNNEL_BASE.replace("kpis: [calls]", "kpis: [calls, revenue]"))
    assert (result.exit_code, result.output.splitlines()[-1]) == (
        0, f"{path}: OK — 4 KPIs, 1 teams, cascade of 0 steps; 1 warning")


def test_a_team_total_for_a_team_that_does_not_score_the_kpi_is_warned_about():
    """sdr lists calls, deals_won and revenue; ae (added here) lists only calls, so a total
    for ae on revenue would never show."""
    text = TRACKED.replace(
        "    target: {per_rep: 1000}\n",
        "    target:\n      per_rep: 1000\n      team_totals: {sdr: 5000, ae: 9000}\n")
    text = text.replace("teams:\n", "teams:\n  - id: ae\n    name: AE\n    members: {roles: [AE]}\n"
                                     "    kpis: [calls]\n", 1)
    config = parse_config(text)
    found = [str(w) for w in config.warnings]
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "team_totals" in row)
    column = text.splitlines()[line - 1].index("ae:") + 1
    assert found == [
        f"kpis.yaml:{line}:{column}: warning: kpis[revenue].target.team_totals.ae: team 'ae' "
        "does not list this KPI in its kpis, so this total is never used; add the KPI to the "
        "team's kpis or remove the entry"]


def test_no_warning_for_team_totals_of_teams_that_score_the_kpi():
    text = TRACKED.replace("    target: {per_rep: 1000}\n",
                           "    target:\n      per_rep: 1000\n      team_totals: {sdr: 5000}\n")
    assert warnings(text) == []
