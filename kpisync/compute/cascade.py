"""The cascade: how each step of the funnel converts into the next, per scope and period.

Read forwards, a low rate shows where a rep or team loses deals (many calls, few
conversations); the site highlights the weakest step. This is period conversion (this month's
meetings over this month's conversations), not cohort conversion, which follows the same
records through the funnel and comes with opportunity stage history later.

A rate alone does not say whether it is bad for this market: the weakest link compares each
rep's rates with their team's (and each team's with the org's), step by step, and names the
step where the rep falls furthest behind. Steps whose base has fewer than ``min_sample``
records are skipped: 1 conversation out of 3 calls says little about a rep.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from kpisync.compute.model import (
    ORG_SCOPE_ID,
    CascadeStep,
    KpiResult,
    Period,
    Rep,
    Scope,
    WeakestLink,
    frozen,
)
from kpisync.config.model import Config

PLACES = Decimal("0.0001")


def cascade_steps(
    config: Config, periods: Iterable[Period], results: Iterable[KpiResult]
) -> Iterator[CascadeStep]:
    """Every step of the cascade for every scope the results have, in every period."""
    results = list(results)
    steps = frozenset(config.cascade)
    # indexed by scope: a step reads two actuals of each of a period's 505 scopes or so
    actual = {(r.kpi_id, r.period_key, r.scope, r.scope_id): r.actual for r in results
              if r.kpi_id in steps}
    scopes = list(dict.fromkeys((r.scope, r.scope_id) for r in results))
    pairs = list(zip(config.cascade, config.cascade[1:], strict=False))
    for period in periods:
        for scope, scope_id in scopes:
            for from_kpi, to_kpi in pairs:
                from_actual = actual.get((from_kpi, period.key, scope, scope_id))
                to_actual = actual.get((to_kpi, period.key, scope, scope_id))
                yield frozen(CascadeStep, {
                    "from_kpi": from_kpi,
                    "to_kpi": to_kpi,
                    "period_key": period.key,
                    "scope": scope,
                    "scope_id": scope_id,
                    "from_actual": from_actual,
                    "to_actual": to_actual,
                    "rate": conversion(from_actual, to_actual),
                })


def conversion(from_actual: Decimal | None, to_actual: Decimal | None) -> Decimal | None:
    if not from_actual or to_actual is None:
        return None
    return (to_actual / from_actual).quantize(PLACES)


def weakest_links(
    config: Config, reps: Iterable[Rep], steps: Iterable[CascadeStep]
) -> Iterator[WeakestLink]:
    """For each rep and team and period, the trusted step with the lowest rate relative to the
    team's (the org's) rate on it; none when no step qualifies. Ties go to the earlier step.

    Only steps whose both KPIs the team tracks count, as on the site's cascade: an SDR team
    that hands its meetings to AEs converts meetings into opportunities at 0 by design."""
    min_sample = config.cascade_options.min_sample
    team_of = {rep.id: rep.team_id for rep in reps}
    tracked = {team.id: frozenset(team.kpis) for team in config.teams}
    index = {(s.period_key, s.scope, s.scope_id, s.from_kpi): s for s in steps}
    groups: dict[tuple[str, Scope, str], list[CascadeStep]] = {}
    for step in index.values():
        groups.setdefault((step.period_key, step.scope, step.scope_id), []).append(step)
    for (period_key, scope, scope_id), own in groups.items():
        chain = references(scope, scope_id, team_of)
        if not chain:
            continue
        kpis = tracked.get(team_of.get(scope_id, "") if scope == "rep" else scope_id, frozenset())
        weakest: tuple[Decimal, CascadeStep, CascadeStep] | None = None
        for step in own:
            reference = index.get((period_key, *chain[0], step.from_kpi))
            if reference is None or not _comparable(step, reference, kpis, min_sample):
                continue
            ratio = _ratio(step, reference)
            if weakest is None or ratio < weakest[0]:  # strictly: ties go to the earlier step
                weakest = (ratio, step, reference)
        if weakest is not None:
            yield _link(weakest[1], weakest[2])


def references(scope: Scope, scope_id: str, team_of: dict[str, str]
               ) -> tuple[tuple[Scope, str], ...]:
    """Whose rates a scope is compared with or falls back to, nearest first: a rep's team and
    then the org, a team's org; none for the org."""
    org: tuple[Scope, str] = ("org", ORG_SCOPE_ID)
    if scope == "rep":
        team = team_of.get(scope_id)
        return (("team", team), org) if team is not None else (org,)
    return (org,) if scope == "team" else ()


def trusted(step: CascadeStep, min_sample: int) -> bool:
    """A rate measured on at least ``min_sample`` base records."""
    return step.rate is not None and step.from_actual is not None \
        and step.from_actual >= min_sample


def _comparable(step: CascadeStep, reference: CascadeStep, kpis: frozenset[str],
                min_sample: int) -> bool:
    """A step the team tracks, with a trusted rate and a reference rate to divide by."""
    return {step.from_kpi, step.to_kpi} <= kpis and trusted(step, min_sample) \
        and bool(reference.rate)


def _ratio(step: CascadeStep, reference: CascadeStep) -> Decimal:
    """For a pair that is ``_comparable``: both rates are known, the reference's is not 0."""
    rate, reference_rate = Decimal(step.rate), Decimal(reference.rate)  # type: ignore[arg-type]
    return (rate / reference_rate).quantize(PLACES)


def _link(step: CascadeStep, reference: CascadeStep) -> WeakestLink:
    """The weakest link of a ``_comparable`` pair."""
    return WeakestLink(
        scope=step.scope, scope_id=step.scope_id, period_key=step.period_key,
        step=step.from_kpi, to_kpi=step.to_kpi, rate=Decimal(step.rate),  # type: ignore[arg-type]
        reference_rate=Decimal(reference.rate),  # type: ignore[arg-type]
        ratio=_ratio(step, reference),
    )
