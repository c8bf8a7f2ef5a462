"""Targets per rep, team and org, and attainment against them.

kpis.yaml states a target per rep per default period, with overrides; the most specific
override wins (rep, then team, then segment, then region). For additive KPIs (counts and sums)
a team's target is the sum of its active reps' targets, the org's the sum of all, and a longer
period's target is the per-period target times the periods it spans. Averages and ratios do not
add up: their target is the same number at every scope and period length.

A rep has a target only for the KPIs their team's scorecard tracks: an SDR team that shows
calls and meetings is not charged a share of the revenue target, so the org's revenue target is
the sum over the teams that carry it.

Inactive reps keep their actuals (their deals still count for the team) but get no target:
kpisync cannot know from Salesforce when they left, and charging a team for a departed rep's
quota would understate its attainment.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from kpisync.compute.model import Period, Rep
from kpisync.compute.periods import periods_spanned
from kpisync.config.model import Config, Kpi, Team

_SPECIFICITY = {"rep": 0, "team": 1, "segment": 2, "region": 3}


def per_rep_target(kpi: Kpi, team: Team, rep: Rep | None) -> Decimal | None:
    """The per-period target for one rep of ``team`` (or a typical rep when ``rep`` is None)."""
    if kpi.target is None:
        return None
    candidates = []
    for override in kpi.target.overrides:
        if (
            (override.scope == "rep" and rep is not None and _is_rep(override.match, rep))
            or (override.scope == "team" and override.match == team.id)
            or (override.scope == "segment" and override.match == team.segment)
            or (override.scope == "region" and override.match == team.region)
        ):
            candidates.append(override)
    if candidates:
        return min(candidates, key=lambda o: _SPECIFICITY[o.scope]).per_rep
    return kpi.target.per_rep


def _is_rep(match: str, rep: Rep) -> bool:
    if "@" in match:
        return match.lower() == rep.username.lower()
    return match[:15] == rep.id[:15]


def period_multiplier(config: Config, kpi: Kpi, period: Period) -> int:
    if not kpi.measure.additive:
        return 1
    org = config.org
    return periods_spanned(period, org.default_period, org.fiscal_year_start_month,
                           org.week_start)


def rep_target(config: Config, kpi: Kpi, rep: Rep, period: Period) -> Decimal | None:
    team = config.team(rep.team_id)
    if not rep.active or kpi.id not in team.kpis:
        return None
    base = per_rep_target(kpi, team, rep)
    return None if base is None else base * period_multiplier(config, kpi, period)


def group_target(
    config: Config, kpi: Kpi, reps: Iterable[Rep], period: Period, team: Team | None
) -> Decimal | None:
    """A team's target (``team`` given) or the org's (``team`` None) over ``reps``."""
    if kpi.target is None:
        return None
    if kpi.measure.additive:
        targets = [t for t in (rep_target(config, kpi, r, period) for r in reps) if t is not None]
        return sum(targets, Decimal(0)) if targets else None
    if team is None:
        return kpi.target.per_rep
    if kpi.id not in team.kpis:
        return None
    return per_rep_target(kpi, team, None)


def attainment(kpi: Kpi, actual: Decimal | None, target: Decimal | None) -> Decimal | None:
    """Actual over target, inverted where lower is better; 1 means exactly on target."""
    if actual is None or target is None:
        return None
    if kpi.direction == "lower":
        if actual <= 0:
            return None
        value = target / actual
    else:
        if target <= 0:
            return None
        value = actual / target
    return value.quantize(Decimal("0.0001"))


def on_pace(
    kpi: Kpi, period: Period, actual: Decimal | None, target: Decimal | None
) -> bool | None:
    """For a running period: is the actual keeping up with the target prorated to today?

    Additive KPIs compare with the target scaled by the share of the period elapsed (calendar
    days for now); averages and ratios compare with the full target.
    """
    if not period.is_current or actual is None or target is None:
        return None
    expected = target * period.elapsed if kpi.measure.additive else target
    if kpi.direction == "lower":
        return actual <= expected
    return actual >= expected
