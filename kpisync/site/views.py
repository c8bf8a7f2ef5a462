"""A Scorecard turned into what each page shows: text only, every status decided.

Templates print these strings and loop over these tuples; they never compute, round or compare.
That keeps every rule a sales leader might question (what "on pace" means, which cascade step is
the weakest, how money is written) here, in plain Python with tests, and lets a template
override restyle the site without re-implementing any of it.

``Site`` builds what every page shares (the frame, a figure, a scope's cards, history and
cascade); ``kpisync.site.page_views`` builds the org, team and rep pages from these,
``kpisync.site.chart_views`` the charts and ``kpisync.site.rules`` decides the statuses.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kpisync import __version__
from kpisync.compute.drill import RecordList, drillable
from kpisync.compute.model import KpiResult, Period, Rep, Scope, Scorecard
from kpisync.config.model import Kpi, target_unused
from kpisync.site import formatting as fmt
from kpisync.site.chart_views import card_sparkline, cascade_funnel
from kpisync.site.lookups import Lookups
from kpisync.site.rules import (
    describe_focus,
    drill_periods,
    focus_period,
    rep_periods,
    status_of,
    summarise,
    weakest_step,
)
from kpisync.site.viewdata import (
    BEFORE_HISTORY_REASON,
    CSV_EXPORT,
    FAVICON,
    INDEX_PAGE,
    JSON_EXPORT,
    KPIS_PAGE,
    NO_TEAM_REASON,
    PACE_LABELS,
    PERIODS_PAGE,
    REPS_PAGE,
    STYLESHEET,
    TIER_BLURBS,
    TIER_LABELS,
    Cascade,
    CascadeStepView,
    Fact,
    Figure,
    Frame,
    History,
    HistoryRow,
    KpiCard,
    Link,
    PeriodHead,
    ScopeView,
    ScoreView,
    Status,
    TierGroup,
    TrendPoint,
    kpi_anchor,
    leaderboards_path,
    records_path,
    relative_to,
    rep_path,
    team_path,
)
from kpisync.site.whattakes import weakest_link_note


class Site:
    """The scorecard plus the few facts every page needs; builds one page view at a time,
    about ``focus_period`` (``at(period)`` gives the same site about another period)."""

    def __init__(self, scorecard: Scorecard, generated_at: datetime, *,
                 records: tuple[RecordList, ...] = ()):
        self.card = scorecard
        #: the scorecard's lists keyed once; ``at()`` shares them
        self.lookups = Lookups(scorecard)
        self.config = scorecard.config
        self.options = self.config.site
        self.currency = self.config.org.currency
        self.focus_period = focus_period(scorecard.shown_periods)
        #: the period whose pages the top-level index and "Find a rep" link to
        self.home_period = self.focus_period
        self.ytd_period = next((p for p in scorecard.shown_periods if p.kind == "ytd"), None)
        self.generated_at = _in_zone(generated_at, self.config.org.timezone)
        #: KPIs whose target no team uses, so "No target" can say why
        self.untracked = frozenset(k.id for k in self.config.kpis
                                   if target_unused(k, self.config.teams))
        self.records = {(r.kpi_id, r.period_key, r.rep_id): r for r in records}
        #: drill-through needs the records, collected from the store before the build
        self.drill_keys = drill_periods(scorecard, self.focus_period) \
            if records and self.options.drill_through and self.options.rep_pages else ()
        #: the periods with rep pages; a rep named in any other period links to the home one
        self.rep_keys = rep_periods(scorecard, self.focus_period) if self.rep_pages else ()
        #: every figure formatted so far (without a records link), shared by ``at()``
        self._figures: dict[tuple[str, str, str, str], Figure] = {}

    def at(self, period: Period) -> Site:
        """This site about ``period``: its cards, tables and links are that period's."""
        other = copy.copy(self)
        other.focus_period = period
        return other

    @property
    def rep_pages(self) -> bool:
        return self.options.rep_pages

    @property
    def leaderboards(self) -> bool:
        """Leaderboards name reps, so team-level-only publishing has none."""
        return self.options.leaderboards and self.options.rep_pages

    def has_rep_pages(self) -> bool:
        """Whether this site's period gets rep pages (``rep_keys``)."""
        return self.focus_period.key in self.rep_keys

    def rep_page_path(self, rep_id: str) -> str:
        """Where a rep named on this period's pages links: the rep's page in this period when
        it has rep pages, else in the home period (the nearest that has one)."""
        key = self.focus_period.key if self.has_rep_pages() else self.home_period.key
        return rep_path(rep_id, key)

    def rep_name(self, rep: Rep) -> str:
        return fmt.initials(rep.name) if self.options.rep_names == "initials" else rep.name

    def period_links(self, path: str, page_of: Callable[[str], str],
                     keys: tuple[str, ...] | None = None) -> tuple[Link, ...]:
        """This page in every shown period (those in ``keys`` when given): ``page_of`` maps a
        period key to its path."""
        rel = relative_to(path)
        return tuple(Link(p.label, rel(page_of(p.key)), p == self.focus_period)
                     for p in self.lookups.shown_periods if keys is None or p.key in keys)

    # -- shared pieces -------------------------------------------------------------------
    def frame(self, path: str, title: str, crumbs: tuple[Link, ...] = (),
              rel: Callable[[str], str] | None = None) -> Frame:
        """The chrome around a page; its links relative to ``path`` unless ``rel`` says how
        to write them (the 404 page's are absolute)."""
        rel = rel or relative_to(path)
        org = self.config.org.name
        key = self.focus_period.key
        nav = [Link("Overview", rel(INDEX_PAGE), path == INDEX_PAGE)]
        for team in self.card.teams:
            team_page = team_path(team.id, key)
            nav.append(Link(team.name, rel(team_page), path == team_page))
        if self.leaderboards:
            nav.append(Link("Leaderboards", rel(leaderboards_path(key)),
                            path.startswith(leaderboards_path(key).rsplit("/", 1)[0])))
        if self.rep_pages:
            nav.append(Link("Find a rep", rel(REPS_PAGE), path == REPS_PAGE))
        nav.append(Link("Periods", rel(PERIODS_PAGE), path == PERIODS_PAGE))
        nav.append(Link("KPI definitions", rel(KPIS_PAGE), path == KPIS_PAGE))
        return Frame(
            title=f"{title} · {org}" if title != org else f"{org} · Sales scorecard",
            stylesheet=rel(STYLESHEET),
            favicon=rel(FAVICON),
            org_name=org,
            as_of=fmt.display_date(self.card.as_of),
            home=rel(INDEX_PAGE),
            nav=tuple(nav),
            breadcrumbs=tuple(Link(c.text, rel(c.href)) for c in crumbs),
            downloads=(Link("scores.csv", rel(CSV_EXPORT)), Link("scores.json", rel(JSON_EXPORT))),
            generated=fmt.display_datetime(self.generated_at),
            version=f"kpisync {__version__}",
        )

    def result(self, kpi_id: str, period: Period, scope: Scope, scope_id: str) -> KpiResult | None:
        return self.card.find(kpi_id, period.key, scope, scope_id)

    def figure(self, kpi: Kpi, period: Period, scope: Scope, scope_id: str,
               rel: Callable[[str], str] | None = None) -> Figure:
        """One cell. With ``rel``, a rep's figure in a drill-through period links to the
        records behind it."""
        key = (kpi.id, period.key, scope, scope_id)
        figure = self._figures.get(key)
        if figure is None:  # a cell shows on many pages (history tables): formatted once
            figure = self._figures[key] = self._figure(kpi, period, scope, scope_id)
        if rel is not None and scope == "rep" and self.has_records(kpi, period.key) \
                and self.result(kpi.id, period, scope, scope_id) is not None:
            href = rel(f"{records_path(scope_id, period.key)}#{kpi_anchor(kpi.id)}")
            return dataclasses.replace(figure, href=href)
        return figure

    def _figure(self, kpi: Kpi, period: Period, scope: Scope, scope_id: str) -> Figure:
        result = self.result(kpi.id, period, scope, scope_id)
        if result is None:
            return Figure(fmt.MISSING, fmt.MISSING, fmt.MISSING, "0%", status_of(None, period))
        status = status_of(result, period)
        pace_key = result.pace.replace("_", "-") if period.is_current and result.pace else ""
        return Figure(
            actual=fmt.display_value(result.actual, kpi.unit, self.currency),
            target=fmt.display_value(result.target, kpi.unit, self.currency),
            attainment=fmt.display_attainment(result.attainment),
            bar=fmt.bar_width(result.attainment),
            status=status,
            scored=result.attainment is not None,
            reason=self.reason(kpi, result, status),
            pace_key=pace_key,
            pace=PACE_LABELS[result.pace] if pace_key else "",
            pace_line=self.pace_line(kpi, result) if pace_key else "",
            sort_value=fmt.export_ratio(result.attainment) or "",
        )

    def reason(self, kpi: Kpi, result: KpiResult, status: Status) -> str:
        """Why a figure has no attainment, where the status alone would not say."""
        if result.before_history:
            return BEFORE_HISTORY_REASON
        if status.key == "no-target" and kpi.id in self.untracked:
            return NO_TEAM_REASON
        return ""

    def pace_line(self, kpi: Kpi, result: KpiResult) -> str:
        shown = (("Expected by now", result.expected), ("Projected", result.projected))
        return " · ".join(f"{label} {fmt.display_value(value, kpi.unit, self.currency)}"
                          for label, value in shown if value is not None)

    def has_records(self, kpi: Kpi, period_key: str) -> bool:
        """Whether this KPI and period get drill-through pages (its records are listed)."""
        return period_key in self.drill_keys and drillable(kpi)

    def kpi_link(self, kpi: Kpi, rel) -> Link:
        return Link(kpi.name, rel(f"{KPIS_PAGE}#{kpi_anchor(kpi.id)}"))

    def kpis_of(self, kpi_ids) -> list[Kpi]:
        by_id = {k.id: k for k in self.config.kpis}
        return [by_id[i] for i in kpi_ids if i in by_id]

    # -- one scope ---------------------------------------------------------------------
    def scope_view(self, path: str, kpis: list[Kpi], scope: Scope, scope_id: str,
                   page_of: Callable[[str], str] | None = None,
                   period_keys: tuple[str, ...] | None = None) -> ScopeView:
        rel = relative_to(path)
        period = self.focus_period
        cards = [self.card_for(kpi, scope, scope_id, rel) for kpi in kpis]
        tiers = tuple(
            TierGroup(tier, TIER_LABELS[tier], TIER_BLURBS[tier], tuple(group))
            for tier in TIER_LABELS
            if (group := [c for c, k in zip(cards, kpis, strict=True) if k.tier == tier])
        )
        return ScopeView(
            focus=describe_focus(period, self.card.as_of),
            summary=summarise(card.figure.status for card in cards),
            tiers=tiers,
            history=self.history(kpis, scope, scope_id, rel),
            cascade=self.cascade(scope, scope_id, kpis),
            score=self.score(scope, scope_id),
            periods=self.period_links(path, page_of, period_keys) if page_of else (),
        )

    def score(self, scope: Scope, scope_id: str) -> ScoreView | None:
        score = self.card.score_for(self.focus_period.key, scope, scope_id)
        if score is None or score.value is None:
            return None
        weights = dict(self.config.scoring.weights)
        tiers = tuple(Fact(f"{TIER_LABELS.get(t, t)} ({fmt.display_weight(weights.get(t))})",
                           fmt.display_attainment(v))
                      for t, v in score.by_tier if weights.get(t))
        return ScoreView(
            value=fmt.display_attainment(score.value), tiers=tiers,
            note=f"Each KPI's attainment is capped at {fmt.display_weight(self.config.scoring.cap)}"
                 " and each tier weighs as set in kpis.yaml; 100% is on target everywhere.")

    def card_for(self, kpi: Kpi, scope: Scope, scope_id: str, rel) -> KpiCard:
        ytd = self.ytd_period
        figure = self.figure(kpi, self.focus_period, scope, scope_id, rel)
        result = self.result(kpi.id, self.focus_period, scope, scope_id)
        has_target = result is not None and result.target is not None
        trend = self.trend(kpi, scope, scope_id)
        return KpiCard(
            kpi_id=kpi.id,
            name=kpi.name,
            href=self.kpi_link(kpi, rel).href,
            type_key=kpi.type,
            type_label=kpi.type.capitalize(),
            target_line=f"Target {figure.target}" if has_target else "No target",
            direction_note="Lower is better" if kpi.direction == "lower" else "",
            figure=figure,
            ytd_label=ytd.label if ytd else "",
            ytd=self.figure(kpi, ytd, scope, scope_id) if ytd else None,
            target_source=f"Target source: {result.target_source}"
            if scope == "rep" and has_target and result.target_source else "",
            trend=trend,
            spark=card_sparkline(kpi, trend, self.focus_period, currency=self.currency),
        )

    def trend(self, kpi: Kpi, scope: Scope, scope_id: str) -> tuple[TrendPoint, ...]:
        focus = self.focus_period
        points = []
        for period in self.lookups.shown_periods:
            if period.kind != focus.kind or period.start > focus.start:
                continue
            result = self.result(kpi.id, period, scope, scope_id)
            points.append(TrendPoint(
                period.key, period.label, result.actual if result else None,
                result.target if result else None, result.attainment if result else None))
        return tuple(points)

    def history(self, kpis: list[Kpi], scope: Scope, scope_id: str, rel) -> History:
        periods = self.lookups.shown_periods
        return History(
            periods=tuple(
                PeriodHead(p.label, fmt.display_range(p.start, p.end), p == self.focus_period)
                for p in periods
            ),
            rows=tuple(
                HistoryRow(
                    self.kpi_link(kpi, rel),
                    tuple(self.figure(kpi, p, scope, scope_id, rel) for p in periods),
                )
                for kpi in kpis
            ),
        )

    def cascade(self, scope: Scope, scope_id: str, kpis: list[Kpi]) -> Cascade | None:
        """The cascade steps whose both ends this scope tracks: an SDR team that hands
        meetings to AEs is not shown a 0 % meeting-to-opportunity step as its weakest."""
        tracked = {kpi.id for kpi in kpis}
        period = self.focus_period
        steps = [
            step
            for step in self.card.cascade_for(period.key, scope, scope_id)
            if step.from_kpi in tracked and step.to_kpi in tracked
        ]
        if not steps:
            return None
        link = self.card.weakest_link(period.key, scope, scope_id) \
            if scope != "org" else None
        if link is not None:
            weakest = next((i for i, s in enumerate(steps)
                            if (s.from_kpi, s.to_kpi) == (link.step, link.to_kpi)), None)
        else:
            weakest = None if scope != "org" else weakest_step([s.rate for s in steps])
        units = {k.id: k.unit for k in self.config.kpis}
        views = tuple(
            CascadeStepView(
                from_name=self.kpi_name(step.from_kpi),
                to_name=self.kpi_name(step.to_kpi),
                from_actual=fmt.display_value(
                    step.from_actual, units.get(step.from_kpi, "count"), self.currency
                ),
                to_actual=fmt.display_value(
                    step.to_actual, units.get(step.to_kpi, "count"), self.currency
                ),
                rate=fmt.display_rate(step.rate),
                weakest=index == weakest,
            )
            for index, step in enumerate(steps)
        )
        note = ""
        if link is not None and weakest is not None:
            note = weakest_link_note(link, views[weakest], scope)
        elif weakest is not None:
            step = views[weakest]
            note = (
                f"Weakest step: {step.from_name} → {step.to_name}, "
                f"converting at {step.rate}."
            )
        title = self.scope_title(scope, scope_id)
        return Cascade(period_label=period.label, steps=views, weakest_note=note, title=title,
                       funnel=cascade_funnel(self, steps, weakest,
                                             title=f"{title} cascade, {period.label}"))

    def scope_title(self, scope: Scope, scope_id: str) -> str:
        if scope == "org":
            return self.config.org.name
        if scope == "team":
            team = self.lookups.teams.get(scope_id)
            return team.name if team else scope_id
        rep = self.lookups.reps.get(scope_id)
        return self.rep_name(rep) if rep else scope_id

    def kpi_name(self, kpi_id: str) -> str:
        try:
            return self.config.kpi(kpi_id).name
        except KeyError:
            return kpi_id


def _in_zone(moment: datetime, timezone: str) -> datetime:
    try:
        return moment.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return moment.astimezone()
