"""What compute hands to the site and to the CSV/JSON exports: plain, immutable numbers.

A ``Scorecard`` is the whole result of one ``kpisync build``: the periods of the window (and,
marked ``shown=False``, the periods computed only to compare with), who is scored, and one
``KpiResult`` per KPI x period x scope. Attainment is already inverted for
lower-is-better KPIs, so consumers never need to know the direction to colour a cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from kpisync.config.model import Config

Scope = Literal["rep", "team", "org"]
Pace = Literal["ahead", "on_pace", "behind"]
ORG_SCOPE_ID = "org"


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
class Rep:
    id: str
    name: str
    username: str
    team_id: str
    active: bool
    role: str | None = None
    #: first day in the org's timezone (User.CreatedDate), where tenure for the ramp starts
    start_date: date | None = None


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

    def result(self, kpi_id: str, period_key: str, scope: Scope, scope_id: str) -> KpiResult:
        """The one result for this cell; a KeyError means compute did not produce it."""
        return self._index()[(kpi_id, period_key, scope, scope_id)]

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
        return [
            step
            for step in self.cascade
            if step.period_key == period_key and step.scope == scope and step.scope_id == scope_id
        ]

    def _index(self) -> dict[tuple[str, str, str, str], KpiResult]:
        cached = self.__dict__.get("_result_index")
        if cached is None:
            cached = {(r.kpi_id, r.period_key, r.scope, r.scope_id): r for r in self.results}
            object.__setattr__(self, "_result_index", cached)
        return cached
