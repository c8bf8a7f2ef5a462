"""The shapes the templates receive: frozen dataclasses of ready-to-print text, and where
each page lives in the output directory.

Every field is a string, a flag or a tuple of these shapes; ``kpisync.site.views`` fills them.
A template override can rely on exactly these names (docs/site.md lists them).
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from kpisync.site.charts import Sparkline, TrendChart
from kpisync.site.funnel_chart import Funnel

TIER_LABELS = {"results": "Results", "objectives": "Objectives", "activities": "Activities"}
TIER_BLURBS = {
    "results": "Business outcomes: lagging, read after the fact.",
    "objectives": "Intermediate goals that drive results.",
    "activities": "What reps do every day: fully in their control.",
}
STATUS_LABELS = {
    "met": "Met",
    "on-pace": "On pace",
    "behind": "Behind",
    "missed": "Missed",
    "no-target": "No target",
    "no-data": "No data",
}
#: why a KPI with a target in kpis.yaml shows "No target": no team lists it (teams[].kpis)
NO_TEAM_REASON = "no team tracks this KPI"
#: why a figure is "No data" for a period that begins before the synced history
BEFORE_HISTORY_REASON = "before the synced history"
PACE_LABELS = {"ahead": "Ahead", "on_pace": "On pace", "behind": "Behind"}
INDEX_PAGE = "index.html"
KPIS_PAGE = "kpis.html"
PERIODS_PAGE = "periods.html"
REPS_PAGE = "reps.html"
NOT_FOUND_PAGE = "404.html"
STYLESHEET = "assets/style.css"
FAVICON = "assets/favicon.svg"
CSV_EXPORT = "data/scores.csv"
JSON_EXPORT = "data/scores.json"

_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Link:
    text: str
    href: str
    current: bool = False


@dataclass(frozen=True)
class Status:
    #: css class suffix and stable name: met, on-pace, behind, missed, no-target, no-data
    key: str
    label: str


@dataclass(frozen=True)
class Figure:
    """One KPI result, formatted: the content of a card, a table cell or a history cell."""

    actual: str
    target: str
    attainment: str
    #: CSS width of the attainment bar, already clamped ("87.5%")
    bar: str
    status: Status
    #: whether there is an attainment to show (a target and an actual)
    scored: bool = False
    #: why the status is what it is, when the file alone would not say: "no team tracks this
    #: KPI" for a target nothing uses; empty otherwise
    reason: str = ""
    #: a running period's pace, "ahead", "on-pace" or "behind" (css suffix), "" otherwise
    pace_key: str = ""
    #: "Ahead", "On pace", "Behind"; "" for a closed period or before any business day
    pace: str = ""
    #: "Expected by now 170 · Projected 300" for a running period with a target, else ""
    pace_line: str = ""
    #: the drill-through page listing the records behind ``actual``; "" when there is none
    href: str = ""
    #: the exact attainment as sortable text ("0.8750"), "" without one (sort.js reads it)
    sort_value: str = ""

    @property
    def meta(self) -> str:
        """The small line under a table cell's actual: "87% · Behind", or just "No target"
        ("No target · no team tracks this KPI" with a reason)."""
        if self.scored:
            return f"{self.attainment} · {self.status.label}"
        return f"{self.status.label} · {self.reason}" if self.reason else self.status.label


@dataclass(frozen=True)
class Frame:
    """What every page shares: head, navigation, footer."""

    title: str
    stylesheet: str
    favicon: str
    org_name: str
    as_of: str
    home: str
    nav: tuple[Link, ...]
    breadcrumbs: tuple[Link, ...]
    downloads: tuple[Link, ...]
    generated: str
    version: str


@dataclass(frozen=True)
class Focus:
    """The period the cards and tables are about."""

    label: str
    dates: str
    #: "Day 17 of 30 · 57% elapsed" for a running period, "Closed" otherwise
    progress: str


@dataclass(frozen=True)
class KpiCard:
    kpi_id: str
    name: str
    href: str
    type_key: str
    type_label: str
    #: "Target 800", or "No target" when kpis.yaml sets none for this scope
    target_line: str
    direction_note: str
    figure: Figure
    #: the same KPI for fiscal year to date, when the window has it
    ytd_label: str
    ytd: Figure | None
    #: on a rep's page, which target applied: "Target source: segment Enterprise override
    #: (kpis.yaml line 72)"; empty elsewhere
    target_source: str = ""
    #: chart slot: this KPI over the periods of the focus period's kind up to it, oldest
    #: first, as exact numbers for a chart module to draw (templates print none of them)
    trend: tuple[TrendPoint, ...] = ()
    #: ``trend``'s actuals as a sparkline (kpisync.site.charts); None under two periods
    spark: Sparkline | None = None


@dataclass(frozen=True)
class TrendPoint:
    period_key: str
    label: str
    actual: Decimal | None
    target: Decimal | None
    attainment: Decimal | None


@dataclass(frozen=True)
class TierGroup:
    key: str
    label: str
    blurb: str
    cards: tuple[KpiCard, ...]


@dataclass(frozen=True)
class PeriodHead:
    label: str
    dates: str
    current: bool


@dataclass(frozen=True)
class HistoryRow:
    link: Link
    cells: tuple[Figure, ...]


@dataclass(frozen=True)
class History:
    periods: tuple[PeriodHead, ...]
    rows: tuple[HistoryRow, ...]


@dataclass(frozen=True)
class CascadeStepView:
    from_name: str
    to_name: str
    from_actual: str
    to_actual: str
    rate: str
    weakest: bool


@dataclass(frozen=True)
class Cascade:
    period_label: str
    steps: tuple[CascadeStepView, ...]
    #: one sentence naming the weakest step, or "" when there is none to name
    weakest_note: str
    #: "SDR East" or "Acme & Co": whose cascade this is, for two shown side by side
    title: str = ""
    #: the same steps as a funnel chart, the same step marked weakest
    funnel: Funnel | None = None


@dataclass(frozen=True)
class ScoreView:
    """The tier-weighted scorecard score: "87%", and "Results 90%" per weighted tier."""

    value: str
    tiers: tuple[Fact, ...]
    note: str


@dataclass(frozen=True)
class FunnelLine:
    kpi_name: str
    needed: str
    #: "at 25.0% (your rate)", "at 22.5% (the team's rate)"; "" for the goal's own step
    rate: str


@dataclass(frozen=True)
class ReverseFunnelView:
    """"To reach $200,000 of Revenue at your rates: 41 Opportunities created, ..."."""

    sentence: str
    lines: tuple[FunnelLine, ...]
    note: str


@dataclass(frozen=True)
class KpiTrend:
    """One KPI's trend chart on a rep's page, under the KPI's name linking to its definition."""

    name: str
    href: str
    chart: TrendChart


@dataclass(frozen=True)
class TrendPanel:
    #: "Trend · last 5 months"
    title: str
    note: str
    charts: tuple[KpiTrend, ...]


@dataclass(frozen=True)
class SummaryCount:
    status: Status
    count: str


@dataclass(frozen=True)
class ScopeView:
    """Cards, history and cascade for one scope (the org, a team or a rep)."""

    focus: Focus
    summary: tuple[SummaryCount, ...]
    tiers: tuple[TierGroup, ...]
    history: History
    cascade: Cascade | None
    #: the scope's scorecard score for the focus period; None when compute has none
    score: ScoreView | None = None
    #: links to this same page in every period with pages, the shown one marked current
    periods: tuple[Link, ...] = ()


@dataclass(frozen=True)
class TeamRow:
    link: Link
    segment: str
    region: str
    reps: str
    headline_kpi: str
    headline: Figure
    on_track: str


@dataclass(frozen=True)
class RepRow:
    link: Link
    inactive: bool
    role: str
    cells: tuple[Figure, ...]
    #: the name as sortable text (casefolded)
    sort_name: str = ""


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class OrgPage:
    frame: Frame
    heading: str
    scope: ScopeView
    teams: tuple[TeamRow, ...]


@dataclass(frozen=True)
class TeamPage:
    frame: Frame
    heading: str
    facts: tuple[Fact, ...]
    scope: ScopeView
    kpi_heads: tuple[Link, ...]
    reps: tuple[RepRow, ...]
    #: the org's cascade over the same steps, shown beside the team's
    org_cascade: Cascade | None = None
    #: False when kpis.yaml publishes team-level pages only: no rep table at all
    show_reps: bool = True


@dataclass(frozen=True)
class RepPage:
    frame: Frame
    heading: str
    inactive: bool
    facts: tuple[Fact, ...]
    scope: ScopeView
    reverse_funnel: ReverseFunnelView | None = None
    #: a trend chart per KPI over up to 12 periods; None with only one period computed
    trends: TrendPanel | None = None


@functools.lru_cache(maxsize=4096)
def page_name(identifier: str) -> str:
    """A file name stem for a team or rep id that is safe on every filesystem and in a URL.

    Salesforce Ids and config ids pass through unchanged; anything else is cleaned and suffixed
    with a short hash so that two ids never share a page.
    """
    if _SAFE_NAME.fullmatch(identifier):
        return identifier
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", identifier).strip("-")[:40] or "id"
    digest = hashlib.sha1(identifier.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned}-{digest}"


def period_dir(period_key: str) -> str:
    return page_name(period_key)


def org_path(period_key: str) -> str:
    """The org page of one period: ``2026-Q3/index.html``, a stable URL for that period."""
    return f"{period_dir(period_key)}/{INDEX_PAGE}"


def team_path(team_id: str, period_key: str) -> str:
    return f"{period_dir(period_key)}/team/{page_name(team_id)}/{INDEX_PAGE}"


def rep_path(rep_id: str, period_key: str) -> str:
    return f"{period_dir(period_key)}/rep/{page_name(rep_id)}/{INDEX_PAGE}"


def records_path(rep_id: str, period_key: str) -> str:
    """The drill-through page of one rep and period, a section per KPI:
    ``2026-06/rep/<Id>/records.html`` (each section at ``#kpi-<id>``)."""
    return f"{period_dir(period_key)}/rep/{page_name(rep_id)}/records.html"


def kpi_records_path(rep_id: str, kpi_id: str, period_key: str) -> str:
    """Every listed record of one rep's figure, for a section ``records.html`` cuts short:
    ``2026-06/rep/<Id>/records-calls.html``."""
    return f"{period_dir(period_key)}/rep/{page_name(rep_id)}/records-{page_name(kpi_id)}.html"


def leaderboards_path(period_key: str) -> str:
    return f"{period_dir(period_key)}/leaderboards/{INDEX_PAGE}"


def leaderboard_path(kpi_id: str, period_key: str) -> str:
    return f"{period_dir(period_key)}/leaderboards/{page_name(kpi_id)}.html"


def kpi_anchor(kpi_id: str) -> str:
    return f"kpi-{page_name(kpi_id)}"


@functools.lru_cache(maxsize=16384)  # a site links the same few thousand paths over and over
def _quote(path: str) -> str:
    return quote(path)


def relative_to(page: str):
    """A function turning a root-relative path into one relative to ``page``, so the site works
    from file:// and from any sub-path of a static host."""
    here = page.split("/")[:-1]

    def rel(target: str) -> str:
        path, _, fragment = target.partition("#")
        parts = path.split("/")
        shared = 0  # directories the two paths share: "records-calls.html", not "../../../.."
        while shared < len(here) and shared < len(parts) - 1 and here[shared] == parts[shared]:
            shared += 1
        href = "../" * (len(here) - shared) + _quote("/".join(parts[shared:]))
        return f"{href}#{fragment}" if fragment else href

    return rel
