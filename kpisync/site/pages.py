"""Every page of the site and where it lives: the one list ``site.build`` renders.

Layout (docs/site.md, Pages): the overview at the root shows the running period; each shown
period has a directory named by its key (``2026-06/``, ``2026-Q2/``, ``FY2026-YTD/``) holding
its org page, ``team/<id>/``, ``rep/<Id>/`` (with the drill-through record pages of the
running and previous period) and ``leaderboards/``. A period's URLs never change, so a link
shared today still shows that period next quarter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

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
#: a share of the build: builds some pages' views when called. Jobs are independent of each
#: other, so a build may run them in any process; a page's content never depends on which.
Job = Callable[[], Iterable[Page]]


def site_jobs(site: Site) -> list[Job]:
    """Every page as a list of jobs, in a fixed order (a deterministic build): one job per page,
    except that a rep's records pages go with the rep's page and a period's leaderboards
    together."""
    home = Link(site.config.org.name, INDEX_PAGE)
    jobs: list[Job] = [
        lambda: [(INDEX_PAGE, "index.html", org_page(site))],
        lambda: [(KPIS_PAGE, "kpis.html",
                  kpis_page(site.config, site.frame(KPIS_PAGE, "KPI definitions", (home,))))],
        lambda: [(PERIODS_PAGE, "periods.html", periods_page(site))],
        lambda: [(NOT_FOUND_PAGE, "404.html", not_found_page(site))],
    ]
    if site.rep_pages:
        jobs.append(lambda: [(REPS_PAGE, "reps.html", reps_page(site))])
    for period in site.lookups.shown_periods:
        jobs += period_jobs(site.at(period))
    return jobs


def period_jobs(site: Site) -> list[Job]:
    key = site.focus_period.key
    jobs: list[Job] = [lambda: [(org_path(key), "index.html", org_page(site, org_path(key)))]]
    jobs += [partial(_team_pages, site, team) for team in site.card.teams]
    if site.has_rep_pages():
        jobs += [partial(_rep_pages, site, rep) for rep in site.card.reps]
    if site.leaderboards:
        jobs.append(lambda: [(path, "leaderboards.html", page)
                             for path, page in boards_pages(site)])
    return jobs


def _team_pages(site: Site, team) -> list[Page]:
    return [(team_path(team.id, site.focus_period.key), "team.html", team_page(site, team))]


def _rep_pages(site: Site, rep) -> list[Page]:
    pages: list[Page] = [(rep_path(rep.id, site.focus_period.key), "rep.html",
                          rep_page(site, rep))]
    if site.focus_period.key == site.home_period.key:
        pages += [(path, "records.html", page) for path, page in records_pages(site, rep)]
    return pages
