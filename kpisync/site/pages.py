"""Every page of the site and where it lives: the one list ``site.build`` renders.

Layout (docs/site.md, Pages): the overview at the root shows the running period; each shown
period has a directory named by its key (``2026-06/``, ``2026-Q2/``, ``FY2026-YTD/``) holding
its org page, ``team/<id>/``, ``rep/<Id>/`` (with the drill-through record pages of the
running and previous period) and ``leaderboards/``. A period's URLs never change, so a link
shared today still shows that period next quarter.
"""

from __future__ import annotations

from collections.abc import Iterator

from kpisync.site.boards import boards_pages
from kpisync.site.definitions import kpis_page
from kpisync.site.directory import not_found_page, periods_page, reps_page
from kpisync.site.page_views import org_page, rep_page, team_page
from kpisync.site.records import records_pages
from kpisync.site.viewdata import (
    INDEX_PAGE,
    KPIS_PAGE,
    NOT_FOUND_PAGE,
    PERIODS_PAGE,
    REPS_PAGE,
    Link,
    org_path,
    rep_path,
    team_path,
)
from kpisync.site.views import Site

#: (path in the site, template, the page's view)
Page = tuple[str, str, object]


def site_pages(site: Site) -> Iterator[Page]:
    """Every page, in a fixed order (a deterministic build)."""
    yield INDEX_PAGE, "index.html", org_page(site)
    home = Link(site.config.org.name, INDEX_PAGE)
    yield KPIS_PAGE, "kpis.html", kpis_page(site.config, site.frame(KPIS_PAGE,
                                                                   "KPI definitions", (home,)))
    yield PERIODS_PAGE, "periods.html", periods_page(site)
    yield NOT_FOUND_PAGE, "404.html", not_found_page(site)
    if site.rep_pages:
        yield REPS_PAGE, "reps.html", reps_page(site)
    for period in site.card.shown_periods:
        yield from period_pages(site.at(period))


def period_pages(site: Site) -> Iterator[Page]:
    key = site.focus_period.key
    yield org_path(key), "index.html", org_page(site, org_path(key))
    for team in site.card.teams:
        yield team_path(team.id, key), "team.html", team_page(site, team)
    if site.rep_pages:
        for rep in site.card.reps:
            yield rep_path(rep.id, key), "rep.html", rep_page(site, rep)
            if key == site.home_period.key:
                for path, page in records_pages(site, rep):
                    yield path, "records.html", page
    if site.leaderboards:
        for path, page in boards_pages(site):
            yield path, "leaderboards.html", page
