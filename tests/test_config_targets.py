"""kpis.yaml target keys: explicit period targets, role overrides, team totals, the ramp and
pacing; each mistake reported once, located, with what would be right."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kpisync.config import parse_config
from kpisync.config.model import Pacing, Ramp, Target, TargetOverride
from kpisync.errors import ConfigError

D = Decimal
# Lines 1-16; snippets are appended from line 17 on, so their positions are fixed.
BASE = """\
org:
  name: Test Co
  timezone: UTC
teams:
  - id: sdr
    name: SDR
    members: {roles: [SDR]}
    kpis: [calls]
kpis:
  - id: calls
    name: Calls
    tier: activities
    type: leading
    unit: count
    source: Task
    measure: count
"""
FULL = BASE + """\
    target:
      per_rep: 300
      per_period: {quarter: 850, week: 70}
      periods: {2026-Q4: 1000, FY2027: 9000, spring_push: 120}
      team_totals: {sdr: 5000}
      ramp: {months: [10, 20]}
      overrides:
        - role: SDR East
          per_rep: 250
          per_period: {quarter: 700}
ramp:
  months: [25, 50, 75]
  start_dates: {jane@x.example: 2026-09-01, 005000000000001AAA: 2026-10-01}
pacing: {tolerance: 7.5}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    return [str(p) for p in caught.value.problems]


def test_every_target_key_is_read_exactly():
    target = parse_config(FULL).kpi("calls").target
    assert target == Target(
        per_rep=D(300),
        overrides=(TargetOverride("role", "SDR East", D(250), per_period=(("quarter", D(700)),)),),
        per_period=(("quarter", D(850)), ("week", D(70))),
        periods=(("2026-Q4", D(1000)), ("FY2027", D(9000)), ("spring_push", D(120))),
        team_totals=(("sdr", D(5000)),),
        ramp=Ramp(months=(D(10), D(20))),
    )


def test_target_and_override_lines_are_kept_for_the_rep_page():
    target = parse_config(FULL).kpi("calls").target
    assert (target.line, target.overrides[0].line) == (18, 24)


def test_top_level_ramp_and_pacing_are_read():
    config = parse_config(FULL)
    assert config.ramp == Ramp(
        months=(D(25), D(50), D(75)),
        start_dates=(("jane@x.example", date(2026, 9, 1)),
                     ("005000000000001AAA", date(2026, 10, 1))),
    )
    assert config.pacing == Pacing(tolerance=D("7.5"))


def test_pacing_defaults_to_ten_percent_and_no_ramp():
    config = parse_config(BASE)
    assert (config.pacing, config.ramp) == (Pacing(tolerance=D(10)), None)


AVERAGE = BASE.replace("    measure: count\n", "    measure: {average: CallDurationInSeconds}\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            BASE + "    target: {per_rep: 5, per_period: {quartr: 850}}\n",
            "kpis.yaml:17:39: kpis[calls].target.per_period.quartr: unknown period kind 'quartr' "
            "— did you mean 'quarter'?", id="unknown-kind"),
        pytest.param(
            BASE + "    target: {per_rep: 5, per_period: {ytd: 850}}\n",
            "kpis.yaml:17:39: kpis[calls].target.per_period.ytd: year to date is not set: it is "
            "scaled from the default period's targets (expected one of: week, month, quarter, "
            "year, fiscal_quarter, fiscal_year)", id="ytd-kind"),
        pytest.param(
            BASE + "    target: {per_rep: 5, per_period: [quarter, 850]}\n",
            "kpis.yaml:17:38: kpis[calls].target.per_period: expected a mapping such as "
            "{quarter: 850, week: 70}; got a list", id="kinds-not-a-mapping"),
        pytest.param(
            BASE + "    target: {per_rep: 5, periods: {Q4-2026: 1000}}\n",
            "kpis.yaml:17:36: kpis[calls].target.periods.Q4-2026: 'Q4-2026' is not a period key: "
            "expected one such as 2026-11, 2026-Q4, FY2027-Q3, FY2027, 2026-W45 or a custom "
            "period's id", id="bad-period-key"),
        pytest.param(
            BASE + "    target: {per_rep: 5, periods: {2026-Q4: lots}}\n",
            "kpis.yaml:17:45: kpis[calls].target.periods.2026-Q4: expected a number, got 'lots'",
            id="period-amount"),
        pytest.param(
            BASE + "    target: {per_rep: 5, team_totals: {sdrs: 5000}}\n",
            "kpis.yaml:17:40: kpis[calls].target.team_totals.sdrs: 'sdrs' is not a defined team "
            "— did you mean 'sdr'?", id="team-total-unknown-team"),
        pytest.param(
            AVERAGE + "    target: {per_rep: 5, team_totals: {sdr: 5000}}\n",
            "kpis.yaml:17:26: kpis[calls].target.team_totals: team_totals add up counts and sums; "
            "for an average or ratio give the team its own target with an override "
            "{team: ..., per_rep: ...}", id="team-total-of-an-average"),
        pytest.param(
            AVERAGE + "    target: {per_rep: 5, ramp: {months: [50]}}\n",
            "kpis.yaml:17:26: kpis[calls].target.ramp: a ramp scales counts and sums; an average "
            "or ratio target is the same for new hires", id="ramp-of-an-average"),
        pytest.param(
            BASE + "    target: {per_rep: 5, ramp: {months: [25, 150]}}\n",
            "kpis.yaml:17:46: kpis[calls].target.ramp.months[1]: expected a percentage from 0 to "
            "100, got 150", id="ramp-over-100"),
        pytest.param(
            BASE + "    target: {per_rep: 5, ramp: {months: [25], "
            "start_dates: {a@x.example: 2026-01-01}}}\n",
            "kpis.yaml:17:47: kpis[calls].target.ramp: start dates are about people, not one KPI: "
            "set them once, in the top-level ramp.start_dates", id="start-dates-in-a-kpi"),
        pytest.param(
            BASE + "ramp:\n  start_dates: {ann@x.example: 2026-09-01}\n",
            "kpis.yaml:18:3: ramp: missing required key 'months' (percent of target by month, "
            "such as [25, 50, 75]; [] for no ramp)", id="ramp-without-months"),
        pytest.param(
            BASE + "ramp:\n  months: [25]\n  start_dates: {ann: 2026-09-01}\n",
            "kpis.yaml:19:17: ramp.start_dates.ann: expected a username (with @) or a user Id "
            "(005 followed by 12 or 15 letters and digits), got 'ann'", id="start-date-who"),
        pytest.param(
            BASE + "ramp:\n  months: [25]\n  start_dates: {ann@x.example: soon}\n",
            "kpis.yaml:19:32: ramp.start_dates.ann@x.example: expected a date such as "
            "2026-09-01, got 'soon'", id="start-date-not-a-date"),
        pytest.param(
            BASE + "pacing: {tolerance: 100}\n",
            "kpis.yaml:17:21: pacing.tolerance: expected a percentage below 100, got 100",
            id="tolerance-too-wide"),
        pytest.param(
            BASE + "    target: {per_rep: 5, overrides: [{role: 7, per_rep: 1}]}\n",
            "kpis.yaml:17:45: kpis[calls].target.overrides[0].role: expected a string, got 7: "
            "write '7' in quotes if that is the value", id="role-not-a-name"),
        pytest.param(
            BASE + "    target: {per_rep: 5, overrides: [{role: SDR, per_rep: 1, "
            "per_period: {decade: 3}}]}\n",
            "kpis.yaml:17:75: kpis[calls].target.overrides[0].per_period.decade: unknown period "
            "kind 'decade' — expected one of: week, month, quarter, year, fiscal_quarter, "
            "fiscal_year", id="override-unknown-kind"),
    ],
)
def test_target_problem(text, expected):
    assert problems(text) == [expected]


def test_misspelt_tolerance_also_says_it_is_missing():
    assert problems(BASE + "pacing: {tolerence: 5}\n") == [
        "kpis.yaml:17:9: pacing: missing required key 'tolerance' (percent either side of "
        "expected that counts as on pace, such as 10)",
        "kpis.yaml:17:10: pacing: unknown key 'tolerence' — did you mean 'tolerance'?",
    ]
