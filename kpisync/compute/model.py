"""What compute hands to the site and to the CSV/JSON exports: plain, immutable numbers.

A ``Scorecard`` is the whole result of one ``kpisync build``: the periods of the window, who is
scored, and one ``KpiResult`` per KPI x period x scope. Attainment is already inverted for
lower-is-better KPIs, so consumers never need to know the direction to colour a cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from kpisync.config.model import Config

Scope = Literal["rep", "team", "org"]
ORG_SCOPE_ID = "org"


@dataclass(frozen=True)
class Period:
    """A closed date range in the org's timezone."""

    #: stable id used in URLs and exports: "2026-11", "2026-Q4", "FY2027-Q3", "FY2027", "FY2027-YTD"
    key: str
    #: for people: "Nov 2026", "Q4 2026", "FY2027 Q3", "FY2027 year to date"
    label: str
    kind: str
    start: date
    #: inclusive
    end: date
    #: the period containing the as-of date (still running)
    is_current: bool = False
    #: share of the period elapsed at the as-of date, 0..1 (1 for past periods)
    elapsed: Decimal = Decimal(1)


@dataclass(frozen=True)
class Rep:
    id: str
    name: str
    username: str
    team_id: str
    active: bool
    role: str | None = None


@dataclass(frozen=True)
class TeamInfo:
    id: str
    name: str
    segment: str | None
    region: str | None
    rep_ids: tuple[str, ...]
    kpi_ids: tuple[str, ...]


@dataclass(frozen=True)
class KpiResult:
    kpi_id: str
    period_key: str
    scope: Scope
    #: user Id for reps, team id for teams, "org" for the org
    scope_id: str
    scope_name: str
    #: None when there is nothing to measure (an average of no records, a ratio over zero)
    actual: Decimal | None
    target: Decimal | None
    #: actual / target, or target / actual where lower is better; None without both
    attainment: Decimal | None
    #: for a running period: whether actual keeps up with the target scaled to time elapsed
    on_pace: bool | None = None


@dataclass(frozen=True)
class CascadeStep:
    """Conversion from one cascade KPI to the next, for one scope and period."""

    from_kpi: str
    to_kpi: str
    period_key: str
    scope: Scope
    scope_id: str
    from_actual: Decimal | None
    to_actual: Decimal | None
    #: to_actual / from_actual; None when from_actual is zero or missing
    rate: Decimal | None


@dataclass(frozen=True)
class Score:
    """The tier-weighted scorecard score of one scope for one period (see compute/scores.py)."""

    period_key: str
    scope: Scope
    scope_id: str
    #: weighted mean of the tiers' values, 1 meaning on target everywhere; None without any
    #: attainment in a tier that has a weight
    value: Decimal | None
    #: (tier, mean capped attainment of its KPIs, or None when none has one), in TIERS order
    by_tier: tuple[tuple[str, Decimal | None], ...]
    #: the KPIs whose attainment went into the score, in kpis.yaml order
    kpis_counted: tuple[str, ...]


@dataclass(frozen=True)
class WeakestLink:
    """The cascade step where a rep (or team) converts worst relative to its team (or the org)."""

    scope: Scope
    scope_id: str
    period_key: str
    #: the step's first KPI (the base): "calls" for calls → conversations
    step: str
    #: the step's second KPI
    to_kpi: str
    rate: Decimal
    #: the team's rate on this step for a rep, the org's for a team
    reference_rate: Decimal
    #: rate / reference_rate, below 1 when the scope converts worse than its reference
    ratio: Decimal


@dataclass(frozen=True)
class FunnelStep:
    """How many records of one cascade KPI the goal needs, and the rate it was worked out by."""

    kpi_id: str
    #: whole records; None when no rate leads back here
    needed: int | None
    #: the conversion from this KPI to the next step (None for the goal's own step)
    rate_used: Decimal | None
    #: whose rate that is: "rep", "team" or "org"; None with no rate
    rate_source: Scope | None


@dataclass(frozen=True)
class ReverseFunnel:
    """The activity one scope needs to reach its goal target at its conversion rates."""

    scope: Scope
    scope_id: str
    period_key: str
    #: the goal KPI and its target for this scope and period
    goal_kpi: str
    goal_value: Decimal
    #: the cascade from its first KPI to the goal's step (the last one when the goal is a sum)
    steps: tuple[FunnelStep, ...]
    #: the value of one deal that turned the goal into deals; None when the goal is a step
    per_deal: Decimal | None = None
    per_deal_source: Scope | None = None


@dataclass(frozen=True)
class Scorecard:
    config: Config
    as_of: date
    periods: tuple[Period, ...]
    teams: tuple[TeamInfo, ...]
    reps: tuple[Rep, ...]
    results: tuple[KpiResult, ...]
    cascade: tuple[CascadeStep, ...]
    scores: tuple[Score, ...] = ()
    weakest_links: tuple[WeakestLink, ...] = ()
    reverse_funnels: tuple[ReverseFunnel, ...] = ()

    def result(self, kpi_id: str, period_key: str, scope: Scope, scope_id: str) -> KpiResult:
        """The one result for this cell; a KeyError means compute did not produce it."""
        return self._index()[(kpi_id, period_key, scope, scope_id)]

    def cascade_for(self, period_key: str, scope: Scope, scope_id: str) -> list[CascadeStep]:
        return [
            step
            for step in self.cascade
            if step.period_key == period_key and step.scope == scope and step.scope_id == scope_id
        ]

    def score_for(self, period_key: str, scope: Scope, scope_id: str) -> Score | None:
        return _find(self.scores, period_key, scope, scope_id)

    def weakest_link(self, period_key: str, scope: Scope, scope_id: str) -> WeakestLink | None:
        """None when no step has a base of ``min_sample`` records and a known reference rate."""
        return _find(self.weakest_links, period_key, scope, scope_id)

    def reverse_funnel(self, period_key: str, scope: Scope, scope_id: str
                       ) -> ReverseFunnel | None:
        """None when the scope has no goal target in that period (or the period is not running)."""
        return _find(self.reverse_funnels, period_key, scope, scope_id)

    def _index(self) -> dict[tuple[str, str, str, str], KpiResult]:
        cached = self.__dict__.get("_result_index")
        if cached is None:
            cached = {(r.kpi_id, r.period_key, r.scope, r.scope_id): r for r in self.results}
            object.__setattr__(self, "_result_index", cached)
        return cached


def _find(items, period_key: str, scope: Scope, scope_id: str):
    return next(
        (i for i in items
         if i.period_key == period_key and i.scope == scope and i.scope_id == scope_id),
        None,
    )
