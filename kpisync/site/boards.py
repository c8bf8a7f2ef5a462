"""Leaderboards: every rep on one KPI, ranked on standardized attainment.

Ranks are the engine's ``rank_in_org``: attainment is the share of each rep's own target, so
an enterprise AE and an SMB AE compare fairly. The engine leaves inactive reps unranked in a
running period, so they drop off the current boards (a past period's board stays as it was).
One page per KPI and period, and a page per period with each board's top three, keeps every
page small in a big org.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kpisync.compute.model import KpiResult
from kpisync.config.model import Kpi
from kpisync.site.viewdata import (
    INDEX_PAGE,
    Frame,
    Link,
    leaderboard_path,
    leaderboards_path,
    relative_to,
    team_path,
)

if TYPE_CHECKING:
    from kpisync.site.views import Site

TOP = 3


@dataclass(frozen=True)
class BoardRow:
    rank: str
    rep: Link
    team: Link | None
    attainment: str
    actual: str
    target: str


@dataclass(frozen=True)
class Board:
    kpi_id: str
    name: str
    href: str
    rows: tuple[BoardRow, ...]
    #: "12 reps ranked", with why some are missing
    note: str


@dataclass(frozen=True)
class BoardsPage:
    frame: Frame
    heading: str
    period_label: str
    intro: str
    #: on the period's overview page the top rows of each board; on a KPI's page, one board
    boards: tuple[Board, ...]
    periods: tuple[Link, ...]
    #: on a KPI's page, the link back to the overview; None on the overview
    overview: Link | None = None


def ranked_kpis(site: Site) -> list[Kpi]:
    """The KPIs with at least one ranked rep in the site's period."""
    ranked = site.lookups.ranked_kpi_ids(site.focus_period.key)
    return [k for k in site.config.kpis if k.id in ranked]


def boards_pages(site: Site) -> list[tuple[str, BoardsPage]]:
    """The overview page and one page per ranked KPI, with their paths."""
    key = site.focus_period.key
    kpis = ranked_kpis(site)
    rankings = {kpi.id: _ranking(site, kpi) for kpi in kpis}  # the overview's and the KPI's
    overview_path = leaderboards_path(key)
    pages = [(overview_path, BoardsPage(
        frame=site.frame(overview_path, f"Leaderboards · {site.focus_period.label}",
                         (Link(site.config.org.name, INDEX_PAGE),)),
        heading=f"Leaderboards · {site.focus_period.label}",
        period_label=site.focus_period.label,
        intro=_intro(site),
        boards=tuple(_board(site, kpi, rankings[kpi.id], overview_path, TOP) for kpi in kpis),
        periods=site.period_links(overview_path, leaderboards_path),
    ))]
    for kpi in kpis:
        path = leaderboard_path(kpi.id, key)
        rel = relative_to(path)
        pages.append((path, BoardsPage(
            frame=site.frame(path, f"{kpi.name} leaderboard · {site.focus_period.label}",
                             (Link(site.config.org.name, INDEX_PAGE),
                              Link("Leaderboards", overview_path))),
            heading=f"{kpi.name} leaderboard",
            period_label=site.focus_period.label,
            intro=_intro(site),
            boards=(_board(site, kpi, rankings[kpi.id], path, None),),
            periods=site.period_links(path, lambda k, kpi_id=kpi.id: leaderboard_path(kpi_id, k)),
            overview=Link("All leaderboards", rel(overview_path)),
        )))
    return pages


def _intro(site: Site) -> str:
    text = ("Ranked on attainment, the share of each rep's own target reached, so that reps "
            "with different targets compare fairly. Reps with the same attainment share a "
            "rank.")
    if site.focus_period.is_current:
        text += " Inactive reps are not ranked in a running period."
    return text


def _ranking(site: Site, kpi: Kpi) -> list[KpiResult]:
    """The KPI's ranked reps in the site's period, best first, ties by name."""
    reps = site.lookups.reps
    return sorted(
        (r for r in site.lookups.ranked(kpi.id, site.focus_period.key) if r.scope_id in reps),
        key=lambda r: (r.rank_in_org, site.rep_name(reps[r.scope_id]).casefold(), r.scope_id),
    )


def _board(site: Site, kpi: Kpi, ranked: list[KpiResult], path: str, top: int | None) -> Board:
    rel = relative_to(path)
    key = site.focus_period.key
    reps, teams = site.lookups.reps, site.lookups.teams
    rows = []
    for result in ranked[:top] if top else ranked:
        rep = reps[result.scope_id]
        team = teams.get(rep.team_id)
        figure = site.figure(kpi, site.focus_period, "rep", rep.id)  # as on the team's page
        rows.append(BoardRow(
            rank=f"{result.rank_in_org:,}",
            rep=Link(site.rep_name(rep), rel(site.rep_page_path(rep.id))),
            team=Link(team.name, rel(team_path(team.id, key))) if team else None,
            attainment=figure.attainment,
            actual=figure.actual,
            target=figure.target,
        ))
    count = len(ranked)
    note = f"{count:,} rep{'s' if count != 1 else ''} ranked"
    if top and count > top:
        note += f"; the top {top} are shown"
    return Board(kpi.id, kpi.name, rel(leaderboard_path(kpi.id, key)), tuple(rows), note + ".")
