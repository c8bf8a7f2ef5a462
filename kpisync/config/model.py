"""The validated, immutable form of kpis.yaml that every later stage reads.

Nothing downstream sees YAML: ``kpisync.config.load_config`` turns the file into these frozen
dataclasses or raises ``ConfigError`` listing every problem. Numbers that are money or targets
are ``Decimal`` so that a sales leader's figures are never rounded through a float.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Literal

PeriodKind = Literal["month", "quarter", "fiscal_quarter", "year"]
Tier = Literal["results", "objectives", "activities"]
KpiType = Literal["leading", "lagging"]
Unit = Literal["count", "currency", "percent", "days", "minutes"]
Direction = Literal["higher", "lower"]
FilterOp = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "is_null"]
MeasureKind = Literal["count", "sum", "average", "distinct_count", "ratio", "duration"]
OverrideScope = Literal["team", "segment", "region", "rep"]

PERIOD_KINDS: tuple[str, ...] = ("month", "quarter", "fiscal_quarter", "year")
TIERS: tuple[str, ...] = ("results", "objectives", "activities")
UNITS: tuple[str, ...] = ("count", "currency", "percent", "days", "minutes")
FILTER_OPS: tuple[str, ...] = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "is_null")
#: Measures whose team and org values are the sum of their reps' values, and whose targets
#: add up across reps and periods. The others (averages, ratios) are recomputed per scope.
ADDITIVE_MEASURES: tuple[str, ...] = ("count", "sum")

Scalar = str | int | Decimal | bool | date
FilterValue = Scalar | None | tuple[Scalar, ...]


@dataclass(frozen=True)
class Org:
    """Who the scorecard is for and how its calendar works."""

    name: str
    #: IANA zone: a datetime (CreatedDate) lands in the period of its local date here
    timezone: str
    #: 1-12; the fiscal year is named after the calendar year in which it ends
    fiscal_year_start_month: int = 1
    #: ISO 4217 code used to format currency KPIs
    currency: str = "USD"
    default_period: PeriodKind = "month"
    #: how many periods of ``default_period`` the site shows, the current one included
    window: int = 4
    #: the first day of a week, 0 = Monday (ISO) .. 6 = Sunday
    week_start: int = 0
    #: the days people work, 0 = Monday .. 6 = Sunday: business-day pacing counts only these
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    #: days off that are not weekends (public holidays, a company shutdown)
    holidays: tuple[date, ...] = ()


@dataclass(frozen=True)
class MemberSelector:
    """Which Salesforce users belong to a team; a user matching any one rule is a member."""

    roles: tuple[str, ...] = ()
    user_ids: tuple[str, ...] = ()
    usernames: tuple[str, ...] = ()
    #: User field equalities, e.g. (("Department", "Sales"),); all must hold
    where: tuple[tuple[str, Scalar], ...] = ()


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    members: MemberSelector
    #: the KPIs this team's scorecard shows, in order (3-4 is the sweet spot)
    kpis: tuple[str, ...]
    segment: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class Filter:
    """One condition on a source field; a KPI's filters all hold (AND)."""

    field: str
    op: FilterOp
    #: a tuple for ``in``/``not_in``; True/False for ``is_null``
    value: FilterValue


@dataclass(frozen=True)
class Measure:
    """How a KPI turns the records that pass its filters into one number."""

    kind: MeasureKind
    #: the summed/averaged/counted field (sum, average, distinct_count)
    field: str | None = None
    #: KPI ids, for ratio
    numerator: str | None = None
    denominator: str | None = None
    #: date or datetime fields, for duration (average of end - start, in the KPI's unit)
    start_field: str | None = None
    end_field: str | None = None

    @property
    def additive(self) -> bool:
        return self.kind in ADDITIVE_MEASURES


@dataclass(frozen=True)
class TargetOverride:
    """A per-rep target that replaces the default for some reps. The most specific wins:
    rep, then team, then segment, then region."""

    scope: OverrideScope
    #: team id, segment label, region label, or a rep's user Id or username
    match: str
    per_rep: Decimal


@dataclass(frozen=True)
class Target:
    """What good looks like, per rep, per ``Org.default_period``."""

    per_rep: Decimal | None
    direction: Direction = "higher"
    overrides: tuple[TargetOverride, ...] = ()


@dataclass(frozen=True)
class Kpi:
    id: str
    name: str
    tier: Tier
    type: KpiType
    unit: Unit
    measure: Measure
    description: str = ""
    #: Salesforce object the records come from; None for ratio KPIs
    source: str | None = None
    filters: tuple[Filter, ...] = ()
    #: field whose (local) date puts a record in a period; None for ratio KPIs
    date_field: str | None = None
    #: field holding the credited user's Id ("Opportunity.OwnerId" for OpportunityHistory)
    credit_field: str | None = None
    target: Target | None = None
    #: where the KPI is defined, so later errors can point at kpis.yaml
    line: int = 0

    @property
    def direction(self) -> Direction:
        return self.target.direction if self.target else "higher"


@dataclass(frozen=True)
class CascadeOptions:
    """How the cascade is read backwards (the reverse funnel) and compared (the weakest link)."""

    #: below this many records at a step's base, a rep's (or team's) rate there is not trusted:
    #: the weakest link skips the step and the reverse funnel uses the team's rate instead
    min_sample: int = 20
    #: the KPI whose target the reverse funnel works back from; None means the last step
    goal: str | None = None
    #: the KPI giving the value of one deal (average deal size), turning a goal that is not a
    #: cascade step (revenue) into deals at the last step; None when the goal is a step
    per_deal: str | None = None


#: tier weights of the scorecard score, in percent
DEFAULT_TIER_WEIGHTS: tuple[tuple[str, Decimal], ...] = (
    ("results", Decimal(50)), ("objectives", Decimal(30)), ("activities", Decimal(20)),
)


@dataclass(frozen=True)
class Scoring:
    """How per-KPI attainment rolls up into one scorecard score per rep, team and the org."""

    #: (tier, weight in percent) for every tier, in TIERS order; the weights add up to 100
    weights: tuple[tuple[str, Decimal], ...] = DEFAULT_TIER_WEIGHTS
    #: attainment above this many percent counts as this much, so one KPI cannot carry a score
    cap: Decimal = Decimal(150)

    def weight(self, tier: str) -> Decimal:
        return dict(self.weights).get(tier, Decimal(0))


@dataclass(frozen=True)
class Config:
    path: Path
    org: Org
    teams: tuple[Team, ...]
    kpis: tuple[Kpi, ...]
    #: KPI ids from first activity to closed deal; each step's conversion is next / previous
    cascade: tuple[str, ...] = ()
    cascade_options: CascadeOptions = field(default_factory=CascadeOptions)
    scoring: Scoring = field(default_factory=Scoring)
    #: the fields the sync must fetch for each Salesforce object, derived from the KPIs
    required_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def kpi(self, kpi_id: str) -> Kpi:
        for kpi in self.kpis:
            if kpi.id == kpi_id:
                return kpi
        raise KeyError(kpi_id)

    def team(self, team_id: str) -> Team:
        for team in self.teams:
            if team.id == team_id:
                return team
        raise KeyError(team_id)
