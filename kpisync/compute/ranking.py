"""Ranks on attainment: reps in different segments and regions compare fairly on the share of
their own target they reached, not on raw numbers (an enterprise AE's 2 deals against a target
of 1 beat an SMB AE's 9 against 12).

Per KPI and period: 1 is the best attainment (already inverted where lower is better), ties
share a rank and the next rank skips (1, 1, 3). Reps without attainment are not ranked, nor
are inactive reps in a running period (they are off the current leaderboard, but a past
period's ranking stays as it was).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from kpisync.compute.model import KpiResult, Period, Rep


def with_ranks(results: Iterable[KpiResult], reps: Iterable[Rep], periods: Iterable[Period]
               ) -> tuple[KpiResult, ...]:
    """``results`` with ``rank_in_team`` and ``rank_in_org`` set on the rep results."""
    results = tuple(results)
    by_id = {r.id: r for r in reps}
    running = {p.key for p in periods if p.is_current}
    in_org: dict[tuple[str, str], list[KpiResult]] = defaultdict(list)
    for result in results:
        rep = by_id.get(result.scope_id) if result.scope == "rep" else None
        if rep is None or result.attainment is None:
            continue
        if not rep.active and result.period_key in running:
            continue
        in_org[(result.kpi_id, result.period_key)].append(result)
    org_rank: dict[int, int] = {}
    team_rank: dict[int, int] = {}
    for group in in_org.values():
        org_rank.update(_competition_ranks(group))
        teams: dict[str, list[KpiResult]] = defaultdict(list)
        for result in group:
            teams[by_id[result.scope_id].team_id].append(result)
        for members in teams.values():
            team_rank.update(_competition_ranks(members))
    if not org_rank:
        return results
    return tuple(
        dataclasses.replace(r, rank_in_team=team_rank[id(r)], rank_in_org=org_rank[id(r)])
        if id(r) in org_rank else r
        for r in results
    )


def _competition_ranks(group: list[KpiResult]) -> dict[int, int]:
    """id(result) → 1 + the number of results with a strictly better attainment."""
    values: list[Decimal] = sorted((r.attainment for r in group), reverse=True)  # type: ignore[misc]
    first = {}
    for index, value in enumerate(values):
        first.setdefault(value, index + 1)
    return {id(r): first[r.attainment] for r in group}
