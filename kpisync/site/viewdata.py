"""The shapes the templates receive: frozen dataclasses of ready-to-print text, and where
each page lives in the output directory.

Every field is a string, a flag or a tuple of these shapes; ``kpisync.site.views`` fills them.
A template override can rely on exactly these names (docs/site.md lists them).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import quote

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
INDEX_PAGE = "index.html"
KPIS_PAGE = "kpis.html"
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


@dataclass(frozen=True)
class RepPage:
    frame: Frame
    heading: str
    inactive: bool
    facts: tuple[Fact, ...]
    scope: ScopeView


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


def team_path(team_id: str) -> str:
    return f"teams/{page_name(team_id)}.html"


def rep_path(rep_id: str) -> str:
    return f"reps/{page_name(rep_id)}.html"


def kpi_anchor(kpi_id: str) -> str:
    return f"kpi-{page_name(kpi_id)}"


def relative_to(page: str):
    """A function turning a root-relative path into one relative to ``page``, so the site works
    from file:// and from any sub-path of a static host."""
    prefix = "../" * page.count("/")

    def rel(target: str) -> str:
        path, _, fragment = target.partition("#")
        href = prefix + quote(path)
        return f"{href}#{fragment}" if fragment else href

    return rel
