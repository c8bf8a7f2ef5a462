"""The scorecard's lists keyed once, for a build that asks about every scope of every period.

``Scorecard.cascade_for``, ``score_for``, ``weakest_link`` and ``reverse_funnel`` scan their
lists on each call, which is fine for one question and quadratic for a site: a 500-rep build
asked them about 6,000 times. ``Lookups`` reads each list once; its answers are the same items
(the first match, as the scans return).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Generic, TypeVar

from kpisync.compute.model import (
    CascadeStep,
    KpiResult,
    Period,
    Rep,
    ReverseFunnel,
    Scope,
    Score,
    Scorecard,
    TeamInfo,
    WeakestLink,
)

Item = TypeVar("Item")
#: (period key, scope, scope id)
ScopeKey = tuple[str, str, str]


class _ByScope(Generic[Item]):
    """The first item of each (period, scope, scope id) of a scorecard list."""

    def __init__(self, items) -> None:
        self._items: dict[ScopeKey, Item] = {}
        for item in items:
            self._items.setdefault((item.period_key, item.scope, item.scope_id), item)

    def get(self, period_key: str, scope: Scope, scope_id: str) -> Item | None:
        return self._items.get((period_key, scope, scope_id))


class Lookups:
    """Keyed views of one scorecard, built once per build and shared by every period's site."""

    def __init__(self, card: Scorecard) -> None:
        self.periods: dict[str, Period] = {p.key: p for p in card.periods}
        #: ``Scorecard.shown_periods``, a property that filters on every call
        self.shown_periods: tuple[Period, ...] = card.shown_periods
        self.reps: dict[str, Rep] = {r.id: r for r in card.reps}
        self.teams: dict[str, TeamInfo] = {t.id: t for t in card.teams}
        cascade: dict[ScopeKey, list[CascadeStep]] = defaultdict(list)
        for step in card.cascade:
            cascade[(step.period_key, step.scope, step.scope_id)].append(step)
        self._cascade = dict(cascade)
        self.scores: _ByScope[Score] = _ByScope(card.scores)
        self.weakest_links: _ByScope[WeakestLink] = _ByScope(card.weakest_links)
        self.reverse_funnels: _ByScope[ReverseFunnel] = _ByScope(card.reverse_funnels)
        ranked: dict[tuple[str, str], list[KpiResult]] = defaultdict(list)
        for result in card.results:
            if result.scope == "rep" and result.rank_in_org is not None:
                ranked[(result.kpi_id, result.period_key)].append(result)
        self._ranked = dict(ranked)

    def cascade_for(self, period_key: str, scope: Scope, scope_id: str) -> list[CascadeStep]:
        """``Scorecard.cascade_for``: the scope's steps in the scorecard's order."""
        return self._cascade.get((period_key, scope, scope_id), [])

    def ranked(self, kpi_id: str, period_key: str) -> list[KpiResult]:
        """The ranked rep results of one KPI and period, in the scorecard's order."""
        return self._ranked.get((kpi_id, period_key), [])

    def ranked_kpi_ids(self, period_key: str) -> set[str]:
        return {kpi_id for kpi_id, key in self._ranked if key == period_key}
