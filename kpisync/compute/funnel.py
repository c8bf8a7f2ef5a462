"""The reverse funnel: the cascade read backwards, from a results target to the activity it takes.

"To close $200k at your rates: 41 deals, 96 opportunities, 250 meetings, ..." For each rep,
team and the org, in each running period: the goal KPI's target (``cascade.goal``, by default
the last step's target) is turned into deals with the value of one deal (``per_deal``, when the
goal is a sum such as revenue), then divided step by step by the conversion rates of the
cascade, last step to first.

Whose rates: a rep's own where the step's base has at least ``min_sample`` records, else the
team's (again only with ``min_sample``), else the org's, whatever its sample; a team's own,
else the org's. A rate of 0 cannot be worked back through and counts as unknown. The value of
one deal is the scope's own, else the team's, else the org's.

Rounding: records are whole, so every step is rounded **up** from the rounded step after it:
41 deals at a win rate of 0.43 need ceil(41 / 0.43) = 96 opportunities, and 96 x 0.43 = 41.28
reaches the 41 shown. The rates are the 4-place rates the cascade shows, so each figure can be
checked by hand from the page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal

from kpisync.compute.cascade import references
from kpisync.compute.model import (
    ORG_SCOPE_ID,
    CascadeStep,
    FunnelStep,
    KpiResult,
    Period,
    Rep,
    ReverseFunnel,
    Scope,
)
from kpisync.config.model import Config

ScopeKey = tuple[Scope, str]


def reverse_funnels(
    config: Config,
    periods: Iterable[Period],
    reps: Iterable[Rep],
    results: Iterable[KpiResult],
    steps: Iterable[CascadeStep],
) -> Iterator[ReverseFunnel]:
    """A ReverseFunnel for every scope with a goal target in every running period."""
    if len(config.cascade) < 2:
        return
    reps = list(reps)
    funnel = _Funnel(config, reps, results, steps)
    scopes: list[ScopeKey] = [("rep", r.id) for r in reps]
    scopes += [("team", t.id) for t in config.teams]
    scopes.append(("org", ORG_SCOPE_ID))
    for period in periods:
        if period.is_current:
            for scope in scopes:
                built = funnel.build(period.key, scope)
                if built is not None:
                    yield built


class _Funnel:
    """The indexes one scorecard's funnels are read from."""

    def __init__(self, config: Config, reps: list[Rep], results: Iterable[KpiResult],
                 steps: Iterable[CascadeStep]):
        self.cascade = config.cascade
        self.options = config.cascade_options
        self.goal = self.options.goal or config.cascade[-1]
        self.team_of = {rep.id: rep.team_id for rep in reps}
        # only the goal's and the deal value's results are read: not the other KPIs' cells
        read = {self.goal, self.options.per_deal}
        self.results: Mapping[tuple[str, str, str, str], KpiResult] = {
            (r.kpi_id, r.period_key, r.scope, r.scope_id): r for r in results if r.kpi_id in read
        }
        self.steps: Mapping[tuple[str, str, str, str], CascadeStep] = {
            (s.period_key, s.scope, s.scope_id, s.from_kpi): s for s in steps
        }

    def build(self, period_key: str, scope: ScopeKey) -> ReverseFunnel | None:
        goal = self.results.get((self.goal, period_key, *scope))
        if goal is None or goal.target is None:
            return None
        chain = (scope, *references(*scope, self.team_of))
        per_deal = per_deal_source = None
        if self.goal in self.cascade:
            end = self.cascade.index(self.goal)
            needed: int | None = math.ceil(goal.target)
        else:
            end = len(self.cascade) - 1
            per_deal, per_deal_source = self._per_deal(period_key, chain)
            needed = math.ceil(goal.target / per_deal) if per_deal else None
        walked = [FunnelStep(self.cascade[end], needed, None, None)]
        for kpi_id in reversed(self.cascade[:end]):
            rate, source = self._rate(period_key, chain, kpi_id)
            needed = math.ceil(needed / rate) if needed is not None and rate else None
            walked.append(FunnelStep(kpi_id, needed, rate, source))
        return ReverseFunnel(
            scope=scope[0], scope_id=scope[1], period_key=period_key, goal_kpi=self.goal,
            goal_value=goal.target, steps=tuple(reversed(walked)), per_deal=per_deal,
            per_deal_source=per_deal_source,
        )

    def _rate(self, period_key: str, chain: tuple[ScopeKey, ...], kpi_id: str
              ) -> tuple[Decimal | None, Scope | None]:
        """The first usable rate along the chain; the last one in it needs no sample size."""
        for position, (scope, scope_id) in enumerate(chain):
            step = self.steps.get((period_key, scope, scope_id, kpi_id))
            if step is None or not step.rate or step.from_actual is None:
                continue
            if position == len(chain) - 1 or step.from_actual >= self.options.min_sample:
                return step.rate, scope
        return None, None

    def _per_deal(self, period_key: str, chain: tuple[ScopeKey, ...]
                  ) -> tuple[Decimal | None, Scope | None]:
        if self.options.per_deal is None:
            return None, None
        for scope, scope_id in chain:
            result = self.results.get((self.options.per_deal, period_key, scope, scope_id))
            if result is not None and result.actual is not None and result.actual > 0:
                return result.actual, scope
        return None, None
