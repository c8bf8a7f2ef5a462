"""The scorecard score: one number per rep, team and the org per period, from the three tiers.

Each KPI's attainment is capped (at 150 % by default) so that one KPI far over target cannot
carry the score; the capped attainments are averaged within their tier (results, objectives,
activities), and the tiers combined by the weights of ``scoring`` in kpis.yaml. A tier none of
whose KPIs has an attainment is left out and the other weights renormalised, so an SDR team
without results KPIs is scored on objectives and activities alone rather than dragged to zero.

A rep and their team count the KPIs their team tracks; the org counts every KPI with an org
attainment (an org target). KPIs without an attainment (no target, a zero target, no actual)
simply do not count. Values are exact until the end and quantized to 4 places (1 = 100 %).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal

from kpisync.compute.model import ORG_SCOPE_ID, KpiResult, Period, Rep, Scope, Score, TeamInfo
from kpisync.config.model import TIERS, Config, Kpi, Scoring

PLACES = Decimal("0.0001")


def scores(
    config: Config,
    periods: Iterable[Period],
    teams: Iterable[TeamInfo],
    reps: Iterable[Rep],
    results: Iterable[KpiResult],
) -> Iterator[Score]:
    """A Score for every rep, team and the org in every period, in that order."""
    # only the cells with an attainment: a missing one reads as None, as it would from the cell
    attainment = {(r.kpi_id, r.period_key, r.scope, r.scope_id): r.attainment for r in results
                  if r.attainment is not None}
    tracked = {t.id: t.kpi_ids for t in teams}
    scopes: list[tuple[Scope, str, tuple[Kpi, ...]]] = [
        ("rep", rep.id, _kpis(config, tracked.get(rep.team_id, ()))) for rep in reps
    ]
    scopes += [("team", team_id, _kpis(config, kpi_ids)) for team_id, kpi_ids in tracked.items()]
    scopes.append(("org", ORG_SCOPE_ID, config.kpis))
    for period in periods:
        for scope, scope_id, kpis in scopes:
            of_scope = {k.id: attainment.get((k.id, period.key, scope, scope_id)) for k in kpis}
            value, by_tier, counted = tier_score(config.scoring, kpis, of_scope)
            yield Score(period.key, scope, scope_id, value, by_tier, counted)


def tier_score(
    scoring: Scoring, kpis: Iterable[Kpi], attainment: Mapping[str, Decimal | None]
) -> tuple[Decimal | None, tuple[tuple[str, Decimal | None], ...], tuple[str, ...]]:
    """(score, (tier, tier value) per tier, KPIs counted) from each KPI's attainment."""
    cap = scoring.cap / 100
    by_tier: dict[str, list[Decimal]] = {tier: [] for tier in TIERS}
    counted = []
    for kpi in kpis:
        value = attainment.get(kpi.id)
        if value is not None:
            by_tier[kpi.tier].append(min(value, cap))
            counted.append(kpi.id)
    means = {tier: sum(values, Decimal(0)) / len(values)
             for tier, values in by_tier.items() if values}
    weight = sum((scoring.weight(tier) for tier in means), Decimal(0))
    score = None
    if weight:
        score = sum(scoring.weight(tier) * mean for tier, mean in means.items()) / weight
    tiers = tuple((tier, _quantize(means.get(tier))) for tier in TIERS)
    return _quantize(score), tiers, tuple(counted)


def _kpis(config: Config, kpi_ids: Iterable[str]) -> tuple[Kpi, ...]:
    """The KPIs in kpis.yaml order."""
    wanted = set(kpi_ids)
    return tuple(k for k in config.kpis if k.id in wanted)


def _quantize(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(PLACES)
