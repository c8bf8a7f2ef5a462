"""The scorecard's lists keyed once, for a build that asks about every scope of every period.

A 500-rep build asks for reps, teams and periods by id thousands of times; ``Lookups`` reads
each list once. (Results, cascade steps, scores, weakest links and reverse funnels are keyed
by ``Scorecard`` itself.)
"""

from __future__ import annotations

from collections import defaultdict

from kpisync.compute.model import KpiResult, Period, Rep, Scorecard, TeamInfo


class Lookups:
    """Keyed views of one scorecard, built once per build and shared by every period's site."""

    def __init__(self, card: Scorecard) -> None:
        self.periods: dict[str, Period] = {p.key: p for p in card.periods}
        #: ``Scorecard.shown_periods``, a property that filters on every call
        self.shown_periods: tuple[Period, ...] = card.shown_periods
        self.reps: dict[str, Rep] = {r.id: r for r in card.reps}
        self.teams: dict[str, TeamInfo] = {t.id: t for t in card.teams}
        ranked: dict[tuple[str, str], list[KpiResult]] = defaultdict(list)
        for result in card.results:
            if result.scope == "rep" and result.rank_in_org is not None:
                ranked[(result.kpi_id, result.period_key)].append(result)
        self._ranked = dict(ranked)

    def ranked(self, kpi_id: str, period_key: str) -> list[KpiResult]:
        """The ranked rep results of one KPI and period, in the scorecard's order."""
        return self._ranked.get((kpi_id, period_key), [])

    def ranked_kpi_ids(self, period_key: str) -> set[str]:
        return {kpi_id for kpi_id, key in self._ranked if key == period_key}
