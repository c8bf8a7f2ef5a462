"""What compute hands to the site and to the CSV/JSON exports: plain, immutable numbers.

A ``Scorecard`` is the whole result of one ``kpisync build``: the periods of the window (and,
marked ``shown=False``, the periods computed only to compare with), who is scored, and one
``KpiResult`` per KPI x period x scope. Attainment is already inverted for
lower-is-better KPIs, so consumers never need to know the direction to colour a cell.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any, Literal, TypeVar

from kpisync.config.model import Config

Scope = Literal["rep", "team", "org"]
Pace = Literal["ahead", "on_pace", "behind"]
ORG_SCOPE_ID = "org"
T = TypeVar("T")


@dataclass(frozen=True)
class Period:
    """A closed date range in the org's timezone (see docs/compute.md, Periods)."""

    #: stable id used in URLs and exports: "2026-W49", "2026-11", "2026-Q4", "2026",
    #: "FY2027-Q3", "FY2027", "FY2027-YTD", "last-90-days", a custom period's id
    key: str
    #: for people: "W49 2026", "Nov 2026", "Q4 2026", "FY2027 Q3", "FY2027 year to date"
    label: str
    #: a ``PERIOD_KINDS`` kind, or "ytd", "trailing" or "custom"
    kind: str
    start: date
    #: inclusive
    end: date
    #: the period containing the as-of date (still running)
    is_current: bool = False
    #: share of the period elapsed at the as-of date, 0..1 (1 for past periods)
    elapsed: Decimal = Decimal(1)
    #: key of the period just before, of the same kind and length (set on shown periods)
    previous_key: str | None = None
    #: key of the same period a year earlier (set on shown periods)
    year_ago_key: str | None = None
    #: False for a period computed only as another's comparison: the site does not list it
    shown: bool = True


@dataclass(frozen=True)
class Membership:
    """A stretch of days (both ends inclusive, None open-ended) a rep is on one team."""

    team_id: str
    start: date | None = None
    end: date | None = None

    def holds_on(self, day: date) -> bool:
        return (self.start or date.min) <= day <= (self.end or date.max)


@dataclass(frozen=True)
class Rep:
    id: str
    name: str
    username: str
    #: the team on the as-of day, or the last one the rep was on (the site shows this one)
    team_id: str
    active: bool
    role: str | None = None
    #: first day in the org's timezone (User.CreatedDate), where tenure for the ramp starts
    start_date: date | None = None
    #: every team the rep was on and when, in date order, never two on one day
    memberships: tuple[Membership, ...] = ()

    def team_on(self, day: date) -> str | None:
        """The team credited with the rep's records of ``day``; None when on no team."""
        if not self.memberships:
            return self.team_id  # a Rep built by hand (tests, plugins): one team for all time
        return next((m.team_id for m in self.memberships if m.holds_on(day)), None)


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
    #: (pace is "ahead" or "on_pace")
    on_pace: bool | None = None
    #: for people: which target applied and how it was derived ("segment Enterprise override
    #: (kpis.yaml line 72) × 3 months", "sum of 5 reps' targets")
    target_source: str | None = None
    #: for a running period: the target prorated to the business days elapsed
    expected: Decimal | None = None
    #: for a running period: "ahead", "on_pace" or "behind"; None before any business day
    pace: Pace | None = None
    #: for a running period: the end-of-period value at the current rate
    projected: Decimal | None = None
    #: 1 = best attainment among the rep's team / all reps, ties share a rank
    rank_in_team: int | None = None
    rank_in_org: int | None = None
    #: the period begins before the synced history of the KPI's object: no actual, not 0
    #: (compute/history.py)
    before_history: bool = False


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
class CohortResult:
    """A windowed conversion for one scope and period: of the base KPI's records in the period
    (credited to their reps), how many were followed within the window by a conversion KPI
    record for the same entity, each conversion going to its nearest earlier base record."""

    from_kpi: str
    to_kpi: str
    period_key: str
    scope: Scope
    scope_id: str
    #: base records in the period
    base: int
    #: of those, the ones at least one conversion was matched to
    converted: int
    #: converted / base, 0..1; None without base records
    rate: Decimal | None


@dataclass(frozen=True)
class StageConversion:
    """Of the opportunities that entered ``from_stage`` in the period, the share that later
    reached ``to_stage`` (the next listed stage) or a stage listed after it."""

    from_stage: str
    to_stage: str
    period_key: str
    scope: Scope
    scope_id: str
    reached: int
    advanced: int
    #: advanced / reached, 0..1; None when no opportunity entered the stage
    rate: Decimal | None


@dataclass(frozen=True)
class StageTime:
    """How long opportunities stayed in a stage, over the stays that ended in the period."""

    stage: str
    period_key: str
    scope: Scope
    scope_id: str
    #: stays in the stage that ended (the opportunity moved to another stage) in the period
    exits: int
    #: mean local days from entering the stage to leaving it; None without exits
    average_days: Decimal | None


@dataclass(frozen=True)
class PipelineFlow:
    """Pipeline created in the period against pipeline closed in it, won and lost."""

    period_key: str
    scope: Scope
    scope_id: str
    created_count: int
    #: sum of Amount; opportunities without one add nothing
    created_amount: Decimal
    won_count: int
    won_amount: Decimal
    lost_count: int
    lost_amount: Decimal


@dataclass(frozen=True)
class StageReport:
    """The opportunity stage analysis; empty when kpis.yaml lists no ``stages``."""

    conversions: tuple[StageConversion, ...] = ()
    times: tuple[StageTime, ...] = ()
    pipeline: tuple[PipelineFlow, ...] = ()


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
class UnassignedCount:
    """What one KPI read, in one period, from an owner on no team."""

    kpi_id: str
    period_key: str
    #: records the KPI counted at the org level for this owner
    records: int
    #: the KPI's value over those records (the count, the sum of Amount, the average ...)
    actual: Decimal | None


@dataclass(frozen=True)
class UnassignedOwner:
    """A user credited with records on days they were on no team (a manager, an admin, someone
    who left every team), a user missing from the store, or no user at all: their records count
    for the org but for no team or rep, and admins fix that in the teams of kpis.yaml."""

    #: None for records with no owner (an empty OwnerId or credit field)
    owner_id: str | None
    #: None when the user is not in the store, or there is no owner
    name: str | None
    counts: tuple[UnassignedCount, ...]

    def records(self, kpi_id: str, period_key: str) -> int:
        return sum(c.records for c in self.counts
                   if c.kpi_id == kpi_id and c.period_key == period_key)


@dataclass(frozen=True)
class Scorecard:
    config: Config
    as_of: date
    periods: tuple[Period, ...]
    teams: tuple[TeamInfo, ...]
    reps: tuple[Rep, ...]
    results: tuple[KpiResult, ...]
    cascade: tuple[CascadeStep, ...]
    cohorts: tuple[CohortResult, ...] = ()
    stages: StageReport = field(default_factory=StageReport)
    scores: tuple[Score, ...] = ()
    weakest_links: tuple[WeakestLink, ...] = ()
    reverse_funnels: tuple[ReverseFunnel, ...] = ()
    #: owners of records counted at the org level only, for admins to fix team membership
    unassigned: tuple[UnassignedOwner, ...] = ()
    #: (object, first day its synced history is complete from) for the objects KPIs read
    history_starts: tuple[tuple[str, date], ...] = ()

    def result(self, kpi_id: str, period_key: str, scope: Scope, scope_id: str) -> KpiResult:
        """The one result for this cell; a KeyError means compute did not produce it."""
        return self._index()[(kpi_id, period_key, scope, scope_id)]

    def find(self, kpi_id: str, period_key: str, scope: Scope, scope_id: str
             ) -> KpiResult | None:
        """The result for this cell, or None when compute did not produce it."""
        return self._index().get((kpi_id, period_key, scope, scope_id))

    @property
    def shown_periods(self) -> tuple[Period, ...]:
        """The periods the site and exports list, in order (comparison-only ones left out)."""
        return tuple(p for p in self.periods if p.shown)

    def comparison(
        self, kpi_id: str, period_key: str, scope: Scope, scope_id: str
    ) -> tuple[KpiResult | None, KpiResult | None]:
        """This cell in the previous period and in the same period a year earlier; None
        where the scorecard has no such period or result."""
        period = next((p for p in self.periods if p.key == period_key), None)
        if period is None:
            return None, None
        index = self._index()
        return tuple(  # type: ignore[return-value]
            None if key is None else index.get((kpi_id, key, scope, scope_id))
            for key in (period.previous_key, period.year_ago_key)
        )

    def cascade_for(self, period_key: str, scope: Scope, scope_id: str) -> list[CascadeStep]:
        """The scope's steps, in the cascade's order."""
        return list(self._by_scope("cascade").get((period_key, scope, scope_id), ()))

    def score_for(self, period_key: str, scope: Scope, scope_id: str) -> Score | None:
        return _first(self._by_scope("scores"), period_key, scope, scope_id)

    def weakest_link(self, period_key: str, scope: Scope, scope_id: str) -> WeakestLink | None:
        """None when no step has a base of ``min_sample`` records and a known reference rate."""
        return _first(self._by_scope("weakest_links"), period_key, scope, scope_id)

    def reverse_funnel(self, period_key: str, scope: Scope, scope_id: str
                       ) -> ReverseFunnel | None:
        """None when the scope has no goal target in that period (or the period is not running)."""
        return _first(self._by_scope("reverse_funnels"), period_key, scope, scope_id)

    def _by_scope(self, name: str) -> dict[tuple[str, str, str], list]:
        """The items of the list field ``name`` by (period key, scope, scope id), in order,
        keyed once: a site build asks about every scope of every period."""
        attr = f"_{name}_by_scope"
        cached = self.__dict__.get(attr)
        if cached is None:
            cached = {}
            for item in getattr(self, name):
                cached.setdefault((item.period_key, item.scope, item.scope_id), []).append(item)
            object.__setattr__(self, attr, cached)
        return cached

    def _index(self) -> dict[tuple[str, str, str, str], KpiResult]:
        cached = self.__dict__.get("_result_index")
        if cached is None:
            cached = {(r.kpi_id, r.period_key, r.scope, r.scope_id): r for r in self.results}
            object.__setattr__(self, "_result_index", cached)
        return cached


def defaults(cls: type) -> dict[str, Any]:
    """Every field of the dataclass ``cls`` at its default (None for fields without one): the
    start of the ``fields`` that ``frozen`` takes."""
    return {f.name: None if f.default is MISSING else f.default for f in fields(cls)}


def frozen(cls: type[T], values: dict[str, Any]) -> T:
    """An instance of the frozen dataclass ``cls`` holding ``values``, which must name every
    field (start from ``defaults``) and is taken over, not copied. Made the way pickle restores
    one: a frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``,
    several microseconds a result, and compute makes over 100,000 KpiResults and a third as
    many CascadeSteps."""
    made = object.__new__(cls)
    object.__setattr__(made, "__dict__", values)
    return made


def _first(index: dict[tuple[str, str, str], list], period_key: str, scope: Scope,
           scope_id: str):
    items = index.get((period_key, scope, scope_id))
    return items[0] if items else None
