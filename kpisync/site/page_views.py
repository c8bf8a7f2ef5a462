"""The org, team and rep pages as view data: what each page adds to the scope view its
``Site`` builds (the team list, the rep table, the org's cascade beside a team's, a rep's
facts, trend charts and reverse funnel).

One function per page, in the order a visitor drills down: org, team, rep.
"""

from __future__ import annotations

from kpisync.compute.model import ORG_SCOPE_ID, Rep
from kpisync.site import formatting as fmt
from kpisync.site.chart_views import kpi_trends
from kpisync.site.rules import status_of
from kpisync.site.viewdata import (
    INDEX_PAGE,
    Fact,
    Figure,
    Link,
    OrgPage,
    RepPage,
    RepRow,
    TeamPage,
    TeamRow,
    org_path,
    relative_to,
    rep_path,
    team_path,
)
from kpisync.site.views import Site
from kpisync.site.whattakes import reverse_funnel_view


def org_page(site: Site, path: str = INDEX_PAGE) -> OrgPage:
    """The org page: at the root for the home period, else at ``org_path(key)``."""
    rel = relative_to(path)
    org = site.config.org.name
    return OrgPage(
        frame=site.frame(path, org),
        heading=org,
        scope=site.scope_view(path, list(site.config.kpis), "org", ORG_SCOPE_ID, org_path),
        teams=tuple(team_row(site, team, rel) for team in site.card.teams),
    )


def team_row(site: Site, team, rel) -> TeamRow:
    """A team on the org page: its headline KPI (the first lagging one) and how many of its
    KPIs are met or on pace."""
    kpis = site.kpis_of(team.kpi_ids)
    headline = next((k for k in kpis if k.type == "lagging"), kpis[0] if kpis else None)
    statuses = [site.figure(k, site.focus_period, "team", team.id).status for k in kpis]
    scored = [s for s in statuses if s.key not in ("no-target", "no-data")]
    on_track = sum(1 for s in scored if s.key in ("met", "on-pace"))
    return TeamRow(
        link=Link(team.name, rel(team_path(team.id, site.focus_period.key))),
        segment=team.segment or fmt.MISSING,
        region=team.region or fmt.MISSING,
        reps=f"{len(team.rep_ids):,}",
        headline_kpi=headline.name if headline else fmt.MISSING,
        headline=(
            site.figure(headline, site.focus_period, "team", team.id)
            if headline
            else Figure(fmt.MISSING, fmt.MISSING, fmt.MISSING, "0%", status_of(None, None))
        ),
        on_track=f"{on_track} of {len(scored)}" if scored else fmt.MISSING,
    )


def team_reps(site: Site, team) -> list[Rep]:
    """The team's reps by name: a readable order before any sorting script runs."""
    reps = site.lookups.reps
    members = [reps[i] for i in team.rep_ids if i in reps]
    return sorted(members, key=lambda r: (site.rep_name(r).casefold(), r.id))


def team_page(site: Site, team) -> TeamPage:
    key = site.focus_period.key
    path = team_path(team.id, key)
    rel = relative_to(path)
    kpis = site.kpis_of(team.kpi_ids)
    members = team_reps(site, team)
    rows = tuple(
        RepRow(
            link=Link(site.rep_name(rep), rel(site.rep_page_path(rep.id))),
            inactive=not rep.active,
            role=rep.role or "",
            cells=tuple(site.figure(k, site.focus_period, "rep", rep.id) for k in kpis),
            sort_name=site.rep_name(rep).casefold(),
        )
        for rep in members
    ) if site.rep_pages else ()
    facts = (
        Fact("Segment", team.segment or fmt.MISSING),
        Fact("Region", team.region or fmt.MISSING),
        Fact("Reps", f"{len(members):,}"),
    )
    scope = site.scope_view(path, kpis, "team", team.id, lambda k: team_path(team.id, k))
    return TeamPage(
        frame=site.frame(path, team.name, (Link(site.config.org.name, INDEX_PAGE),)),
        heading=team.name,
        facts=facts,
        scope=scope,
        kpi_heads=tuple(site.kpi_link(k, rel) for k in kpis),
        reps=rows,
        org_cascade=site.cascade("org", ORG_SCOPE_ID, kpis) if scope.cascade else None,
        show_reps=site.rep_pages,
    )


def rep_page(site: Site, rep) -> RepPage:
    key = site.focus_period.key
    path = rep_path(rep.id, key)
    team = site.lookups.teams.get(rep.team_id)
    crumbs = [Link(site.config.org.name, INDEX_PAGE)]
    if team is not None:
        crumbs.append(Link(team.name, team_path(team.id, key)))
    facts = [
        Fact("Team", team.name if team else fmt.MISSING),
        Fact("Role", rep.role or fmt.MISSING),
        Fact("Salesforce user", rep.username),
        Fact("Status", "Active" if rep.active else "Inactive"),
    ]
    if site.options.rep_names == "initials":
        del facts[2]  # a username names the rep
    kpis = site.kpis_of(team.kpi_ids) if team else []
    funnel = site.card.reverse_funnel(key, "rep", rep.id)
    name = site.rep_name(rep)
    return RepPage(
        frame=site.frame(path, name, tuple(crumbs)),
        heading=name,
        inactive=not rep.active,
        facts=tuple(facts),
        scope=site.scope_view(path, kpis, "rep", rep.id, lambda k: rep_path(rep.id, k),
                              site.rep_keys),
        reverse_funnel=reverse_funnel_view(site, funnel) if funnel else None,
        trends=kpi_trends(site, kpis, "rep", rep.id, relative_to(path)),
    )
