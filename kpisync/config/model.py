"""The validated, immutable form of kpis.yaml that every later stage reads.

Nothing downstream sees YAML: ``kpisync.config.load_config`` turns the file into these frozen
dataclasses or raises ``ConfigError`` listing every problem. Numbers that are money or targets
are ``Decimal`` so that a sales leader's figures are never rounded through a float.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kpisync.sobjects import SObject

if TYPE_CHECKING:
    from collections.abc import Iterable

    from kpisync.config.engine import EngineSettings
    from kpisync.config.formulas import Formula
    from kpisync.config.mapping import TableMapping
    from kpisync.config.problems import ConfigWarning

PeriodKind = Literal["week", "month", "quarter", "year", "fiscal_quarter", "fiscal_year"]
Tier = Literal["results", "objectives", "activities"]
KpiType = Literal["leading", "lagging"]
Unit = Literal["count", "currency", "percent", "days", "minutes"]
Direction = Literal["higher", "lower"]
FilterOp = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "between", "is_null",
                   "is_not_null", "starts_with", "contains"]
MeasureKind = Literal["count", "sum", "average", "median", "min", "max", "distinct_count",
                      "ratio", "duration", "formula"]
OverrideScope = Literal["team", "segment", "region", "role", "rep"]

#: calendar period kinds; ``year`` is the calendar year (it meant the fiscal year before issue 8)
PERIOD_KINDS: tuple[str, ...] = ("week", "month", "quarter", "year", "fiscal_quarter",
                                 "fiscal_year")
COMPARISONS: tuple[str, ...] = ("previous", "year_ago")
#: day names in kpis.yaml, index = ``date.weekday()``
DAY_NAMES: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday",
                              "saturday", "sunday")
TIERS: tuple[str, ...] = ("results", "objectives", "activities")
UNITS: tuple[str, ...] = ("count", "currency", "percent", "days", "minutes")
FILTER_OPS: tuple[str, ...] = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "between",
                                "is_null", "is_not_null", "starts_with", "contains")
#: how ``all:``/``any:`` groups combine their items
GroupKind = Literal["all", "any"]
#: Measures whose team and org values are the sum of their reps' values, and whose targets
#: add up across reps and periods. The others (averages, ratios) are recomputed per scope.
ADDITIVE_MEASURES: tuple[str, ...] = ("count", "sum")

Scalar = str | int | Decimal | bool | date
FilterValue = Scalar | None | tuple[Scalar, ...]


@dataclass(frozen=True)
class PeriodView:
    """Periods of another kind shown beside the default window: the current one and the
    ``count - 1`` before it (``views: [{quarter: 2}]``)."""

    kind: PeriodKind
    count: int = 2


@dataclass(frozen=True)
class CustomPeriod:
    """A named date range from the top-level ``periods:`` list (a campaign, a contest)."""

    #: lowercase id, also the period's key in URLs and exports
    id: str
    name: str
    start: date
    #: inclusive
    end: date


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
    #: whether fiscal year to date is shown (``windows:`` without ``year_to_date`` turns it off)
    year_to_date: bool = True
    #: lengths of the trailing windows shown, in days, each ending on the as-of day
    trailing_days: tuple[int, ...] = ()
    #: periods of other kinds shown beside the default window
    views: tuple[PeriodView, ...] = ()
    #: which comparison periods compute adds behind each shown period ("previous", "year_ago")
    comparisons: tuple[str, ...] = COMPARISONS
    #: the first day of a week, 0 = Monday (ISO) .. 6 = Sunday
    week_start: int = 0
    #: the days people work, 0 = Monday .. 6 = Sunday: business-day pacing counts only these
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    #: days off that are not weekends (public holidays, a company shutdown)
    holidays: tuple[date, ...] = ()


@dataclass(frozen=True)
class DatedMember:
    """One user on a team for a stretch of days (``from``/``until`` in kpis.yaml, both
    inclusive; None is open-ended). For those days it wins over every team's rules."""

    kind: Literal["user_id", "username"]
    #: a user Id (15 or 18 characters) or a username, as written
    value: str
    start: date | None = None
    end: date | None = None
    #: where kpis.yaml says so, for messages about overlapping dates
    line: int = 0


@dataclass(frozen=True)
class MemberSelector:
    """Which Salesforce users belong to a team; a user matching any one rule is a member."""

    roles: tuple[str, ...] = ()
    user_ids: tuple[str, ...] = ()
    usernames: tuple[str, ...] = ()
    #: User field equalities, e.g. (("Department", "Sales"),); all must hold
    where: tuple[tuple[str, Scalar], ...] = ()
    #: user_ids and usernames given with from/until dates
    dated: tuple[DatedMember, ...] = ()


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
    #: a tuple for ``in``/``not_in``, (low, high) for ``between``; True/False for ``is_null``
    #: and ``is_not_null``; the text for ``starts_with``/``contains``
    value: FilterValue
    #: the kpis.yaml line of the condition, for errors found once Salesforce's types are known
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class FilterGroup:
    """``all:`` (every item holds) or ``any:`` (at least one does) over filters and groups."""

    kind: GroupKind
    items: tuple[Filter | FilterGroup, ...]


def conditions(filters: tuple[Filter | FilterGroup, ...]) -> tuple[Filter, ...]:
    """Every single condition in ``filters``, groups opened, in file order (for the fields a
    KPI reads and the checks of their values)."""
    found: list[Filter] = []
    for item in filters:
        found += conditions(item.items) if isinstance(item, FilterGroup) else [item]
    return tuple(found)


@dataclass(frozen=True)
class Measure:
    """How a KPI turns the records that pass its filters into one number."""

    kind: MeasureKind
    #: the field aggregated (sum, average, median, min, max, distinct_count)
    field: str | None = None
    #: KPI ids, for ratio
    numerator: str | None = None
    denominator: str | None = None
    #: date or datetime fields, for duration (average of end - start, in the KPI's unit)
    start_field: str | None = None
    end_field: str | None = None
    #: arithmetic over other KPIs and their targets, for formula (see compute/formulas.py)
    formula: Formula | None = None
    #: a plugin measure's options from kpis.yaml, defaults filled in (see docs/plugins.md)
    options: tuple[tuple[str, Any], ...] = ()
    #: a plugin measure's own word on whether it adds up across reps (None: a core measure)
    plugin_additive: bool | None = None

    @property
    def additive(self) -> bool:
        if self.plugin_additive is not None:
            return self.plugin_additive
        return self.kind in ADDITIVE_MEASURES

    def option(self, name: str) -> Any:
        """A plugin measure's option ``name`` (its default when kpis.yaml leaves it out)."""
        return dict(self.options).get(name)


#: (period kind or period key, amount): explicit targets that replace scaling for those periods
PeriodAmounts = tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class TargetOverride:
    """A per-rep target that replaces the default for some reps. The most specific wins:
    rep, then role, then team, then segment, then region."""

    scope: OverrideScope
    #: team id, segment label, region label, Salesforce role name, or a rep's Id or username
    match: str
    per_rep: Decimal
    #: explicit targets per period kind (("quarter", 850),) for these reps
    per_period: PeriodAmounts = ()
    #: explicit targets for named periods (("2026-Q4", 1000),) for these reps
    periods: PeriodAmounts = ()
    #: kpis.yaml line of the override, so a rep's page can say which one applied
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Ramp:
    """New hires carry a share of their target by month of tenure (month 1 is the calendar
    month they start in); from the month after the last listed one, 100 %."""

    #: percent points per tenure month: (25, 50, 75)
    months: tuple[Decimal, ...]
    #: (username or user Id, first day) overriding User.CreatedDate as the start
    start_dates: tuple[tuple[str, date], ...] = ()


@dataclass(frozen=True)
class Pacing:
    """How far from the expected-to-date value still counts as on pace."""

    #: percent points either side of expected: 10 means within ±10 % is "on pace"
    tolerance: Decimal = Decimal(10)


@dataclass(frozen=True)
class Publishing:
    """Where and how fresh the published site is (``site: stale_after, base_url``)."""

    #: older than this since the last finished sync, every page shows a banner; None: never
    stale_after: timedelta | None = timedelta(hours=36)
    #: the site's address on its host, ending in "/" ("/scorecards/" or "https://h/sc/");
    #: None: the site never writes an absolute URL (every link is relative)
    base_url: str | None = None


@dataclass(frozen=True)
class Target:
    """What good looks like, per rep, per ``Org.default_period``, with explicit targets for
    other period kinds and named periods."""

    per_rep: Decimal | None
    direction: Direction = "higher"
    overrides: tuple[TargetOverride, ...] = ()
    per_period: PeriodAmounts = ()
    periods: PeriodAmounts = ()
    #: (team id, target per default period) for teams whose target is not the sum of reps'
    team_totals: PeriodAmounts = ()
    #: this KPI's own ramp months, replacing the top-level ``ramp`` (empty months: no ramp)
    ramp: Ramp | None = None
    #: kpis.yaml line of ``per_rep`` (or of ``target`` without one)
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Kpi:
    id: str
    name: str
    tier: Tier
    type: KpiType
    unit: Unit
    measure: Measure
    description: str = ""
    #: Salesforce object the records come from; None for ratio and formula KPIs
    source: str | None = None
    #: all hold (AND); an item may be an ``all:``/``any:`` group
    filters: tuple[Filter | FilterGroup, ...] = ()
    #: field whose (local) date puts a record in a period; None for ratio KPIs
    date_field: str | None = None
    #: fields tried in order when ``date_field`` is empty on a record (``date: [ActivityDate,
    #: CreatedDate]``); the record's date is the first that is set
    date_fallbacks: tuple[str, ...] = ()
    #: field holding the credited user's Id ("Opportunity.OwnerId" for OpportunityHistory)
    credit_field: str | None = None
    target: Target | None = None
    #: where the KPI is defined, so later errors can point at kpis.yaml
    line: int = 0

    @property
    def date_fields(self) -> tuple[str, ...]:
        """``date_field`` then its fallbacks: every field that can date a record."""
        return ((self.date_field,) if self.date_field else ()) + self.date_fallbacks

    @property
    def conditions(self) -> tuple[Filter, ...]:
        """Every single condition of ``filters``, inside groups too."""
        return conditions(self.filters)

    @property
    def direction(self) -> Direction:
        return self.target.direction if self.target else "higher"


def target_unused(kpi: Kpi, teams: Iterable[Team]) -> bool:
    """Whether ``kpi`` has a target that no scope can ever show: a count's or sum's targets
    belong to the reps of the teams that list it (``teams[].kpis``), and the org's is their
    total, so with no such team there is none. (An average's or ratio's target is one figure
    for everyone and still shows at the org.)"""
    return kpi.target is not None and kpi.measure.additive \
        and not any(kpi.id in team.kpis for team in teams)


CohortMatchKind = Literal["account", "who", "fields"]


@dataclass(frozen=True)
class CohortStep:
    """A windowed conversion: of the base KPI's records, the share followed within
    ``within_days`` by a record of the conversion KPI for the same entity (see
    docs/compute.md, Cohort conversion)."""

    from_kpi: str
    to_kpi: str
    within_days: int
    #: how ``match:`` was written: account, who, or an explicit pair of fields
    match: CohortMatchKind
    #: the entity key on the base KPI's records (``AccountId``; ``Opportunity.AccountId`` for
    #: OpportunityHistory, read through the parent opportunity)
    from_field: str
    #: the entity key on the conversion KPI's records
    to_field: str
    line: int = 0


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
        return self._by_tier.get(tier, Decimal(0))

    @cached_property
    def _by_tier(self) -> dict[str, Decimal]:
        # a scorecard asks for weights once per scope and period (thousands of times)
        return dict(self.weights)


#: how the site writes rep names: as in Salesforce, or initials only ("D. W.")
REP_NAME_STYLES: tuple[str, ...] = ("full", "initials")


@dataclass(frozen=True)
class SiteOptions:
    """What the published site shows (``site:`` in kpis.yaml, see docs/config.md)."""

    leaderboards: bool = True
    drill_through: bool = True
    #: False: team-level pages only; no rep page, no rep name in any page or export
    rep_pages: bool = True
    #: "full" or "initials"
    rep_names: str = "full"
    #: the org's https:// address; drill-through records link to ``<salesforce_url>/<Id>``
    salesforce_url: str | None = None
    #: sync and show each drill-through record's Subject (Tasks, Events) or Name (other
    #: objects); off by default: subject lines may name customers, and a site may be public
    record_labels: bool = False


@dataclass(frozen=True)
class OutputSetting:
    """One output a build writes, as kpis.yaml's ``outputs:`` enables it."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    path: Path
    org: Org
    teams: tuple[Team, ...]
    kpis: tuple[Kpi, ...]
    #: KPI ids from first activity to closed deal; each step's conversion is next / previous
    cascade: tuple[str, ...] = ()
    #: named date ranges from the top-level ``periods:`` list, shown like any period
    custom_periods: tuple[CustomPeriod, ...] = ()
    #: windowed conversions declared under ``cascade.cohorts``
    cohorts: tuple[CohortStep, ...] = ()
    #: Opportunity stages in funnel order; empty means no stage analysis
    stages: tuple[str, ...] = ()
    cascade_options: CascadeOptions = field(default_factory=CascadeOptions)
    scoring: Scoring = field(default_factory=Scoring)
    #: the fields the sync must fetch for each Salesforce object, derived from the KPIs
    required_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the new-hire ramp for every count and sum target (a KPI's own ``ramp`` replaces it)
    ramp: Ramp | None = None
    pacing: Pacing = field(default_factory=Pacing)
    #: what is valid but almost surely not meant (a target nothing uses); ``kpisync validate``
    #: prints them, nothing fails on them
    warnings: tuple[ConfigWarning, ...] = ()
    site: SiteOptions = field(default_factory=SiteOptions)
    publishing: Publishing = field(default_factory=Publishing)
    #: where compute runs (kpis.yaml's ``engine:``); None: the local DuckDB store
    engine: EngineSettings | None = None
    #: the tables another tool replicates, read instead of a synced store (``mapping:``)
    mapping: TableMapping | None = None
    #: the outputs a build writes, each with its options (``outputs:``, see docs/plugins.md)
    outputs: tuple[OutputSetting, ...] | None = None
    #: each plugin's options (``plugins:``), defaults filled in, keyed by plugin name
    plugin_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the Salesforce objects kpis.yaml declares (``objects:``)
    objects: dict[str, SObject] = field(default_factory=dict)
    #: the plugins' store sources ``kpisync sync`` runs (``store_sources:``); None (a Config
    #: built in Python): every installed one
    store_sources: tuple[str, ...] | None = None

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
