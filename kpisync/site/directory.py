"""The pages for finding your way: every period with its stable URL, every rep (with a filter
box for a big org), and the 404 page a static host serves for a wrong address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kpisync.site import formatting as fmt
from kpisync.site.shell import absolute_url
from kpisync.site.viewdata import (
    INDEX_PAGE,
    NOT_FOUND_PAGE,
    PERIODS_PAGE,
    REPS_PAGE,
    Frame,
    Link,
    org_path,
    relative_to,
    rep_path,
)

if TYPE_CHECKING:
    from kpisync.site.views import Site

_KIND_LABELS = {
    "week": "Weeks", "month": "Months", "quarter": "Quarters", "year": "Years",
    "fiscal_quarter": "Fiscal quarters", "fiscal_year": "Fiscal years",
    "ytd": "Year to date", "trailing": "Trailing windows", "custom": "Custom periods",
}


@dataclass(frozen=True)
class PeriodEntry:
    link: Link
    dates: str
    #: "Running" or "Closed"
    state: str


@dataclass(frozen=True)
class PeriodGroup:
    label: str
    periods: tuple[PeriodEntry, ...]


@dataclass(frozen=True)
class PeriodsPage:
    frame: Frame
    heading: str
    intro: str
    groups: tuple[PeriodGroup, ...]


@dataclass(frozen=True)
class RepEntry:
    link: Link
    team: str
    inactive: bool


@dataclass(frozen=True)
class RepsPage:
    frame: Frame
    heading: str
    intro: str
    reps: tuple[RepEntry, ...]


@dataclass(frozen=True)
class NotFoundPage:
    frame: Frame
    heading: str
    home: Link


def periods_page(site: Site) -> PeriodsPage:
    rel = relative_to(PERIODS_PAGE)
    groups: dict[str, list[PeriodEntry]] = {}
    for period in site.lookups.shown_periods:
        groups.setdefault(period.kind, []).append(PeriodEntry(
            link=Link(period.label, rel(org_path(period.key)), period == site.home_period),
            dates=fmt.display_range(period.start, period.end),
            state="Running" if period.is_current else "Closed",
        ))
    return PeriodsPage(
        frame=site.frame(PERIODS_PAGE, "Periods", (Link(site.config.org.name, INDEX_PAGE),)),
        heading="Periods",
        intro="Each period has its own address, which does not change as time goes on: "
              "bookmark or share it. The overview always shows the running period.",
        groups=tuple(PeriodGroup(_KIND_LABELS.get(kind, kind), tuple(entries))
                     for kind, entries in groups.items()),
    )


def reps_page(site: Site) -> RepsPage:
    rel = relative_to(REPS_PAGE)
    key = site.home_period.key
    teams = {t.id: t.name for t in site.card.teams}
    reps = sorted(site.card.reps, key=lambda r: (site.rep_name(r).casefold(), r.id))
    return RepsPage(
        frame=site.frame(REPS_PAGE, "Find a rep", (Link(site.config.org.name, INDEX_PAGE),)),
        heading="Find a rep",
        intro=f"Every rep, by name, linking to their scorecard for {site.home_period.label}.",
        reps=tuple(RepEntry(Link(site.rep_name(r), rel(rep_path(r.id, key))),
                            teams.get(r.team_id, fmt.MISSING), not r.active) for r in reps),
    )


def not_found_page(site: Site) -> NotFoundPage:
    """Served by the host for any wrong address, at any depth: with ``site.base_url`` its links
    are absolute, so they work at any depth; without it they are relative to the site's root,
    which is right only where the host serves 404.html at the root."""
    base_url = site.config.publishing.base_url
    rel = (lambda path: absolute_url(base_url, path)) if base_url else None
    frame = site.frame(NOT_FOUND_PAGE, "Page not found", rel=rel)
    return NotFoundPage(frame=frame, heading="Page not found",
                        home=Link("Go to the overview", frame.home))
