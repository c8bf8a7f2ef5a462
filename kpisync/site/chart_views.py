"""The engine's figures turned into chart models: a KPI card's sparkline, a cascade's funnel and
a rep's trend charts.

``kpisync.site.charts`` and ``kpisync.site.funnel_chart`` lay out any series they are given;
this module decides which series each page draws (which periods, whose values, which step is
the weakest) so that a chart always shows the same numbers as the cards and tables beside it.
The values are the exact Decimals of the scorecard, never the rounded text of the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from kpisync.compute.model import CascadeStep, Period, Scope, Scorecard
from kpisync.config.model import Kpi
from kpisync.site.charts import ChartPeriod, ChartPoint, Sparkline, sparkline, trend_chart
from kpisync.site.funnel_chart import Funnel, FunnelStage, FunnelStep, funnel
from kpisync.site.rules import describe_focus
from kpisync.site.viewdata import KpiTrend, TrendPanel, TrendPoint

if TYPE_CHECKING:
    from kpisync.site.views import Site

#: how many periods a rep's trend chart reaches back, the focus period included
TREND_PERIODS = 12
#: the trend charts' text size in chart units: legible when a phone shows the chart 300 px wide
TREND_FONT = 12
#: what one period of a kind is called in a chart's text ("over the last 4 months")
_NOUNS = {"week": "week", "month": "month", "quarter": "quarter", "year": "year",
          "fiscal_quarter": "quarter", "fiscal_year": "year"}
#: kinds whose label's first word names the period within its year: "Jun" of "Jun 2026"
_SHORT_FIRST_WORD = ("month", "quarter")


def period_noun(kind: str) -> str:
    return _NOUNS.get(kind, "period")


def short_label(period: Period) -> str:
    """The axis label: "Jun" for Jun 2026, "Q2" for Q2 2026, the full label otherwise (the
    full one is in the chart's table either way)."""
    if period.kind in _SHORT_FIRST_WORD:
        return period.label.split(" ", 1)[0]
    if period.kind == "week" and period.label.startswith("W"):
        return period.label.split(" ", 1)[0]
    return period.label


def card_sparkline(kpi: Kpi, trend: Sequence[TrendPoint], focus: Period, *,
                   currency: str) -> Sparkline | None:
    """The card's sparkline over ``trend`` (the shown periods of the focus period's kind up to
    it, oldest first); None with fewer than two periods, where a line says nothing. A running
    focus period's segment is dashed: a month to date is not a month."""
    if len(trend) < 2:
        return None
    return sparkline([ChartPoint(p.label, p.actual) for p in trend], title=kpi.name,
                     unit=kpi.unit, name=f"spark-{kpi.id}", currency=currency,
                     noun=period_noun(focus.kind), running=focus.is_current)


def cascade_funnel(site: Site, steps: Sequence[CascadeStep], weakest: int | None, *,
                   title: str) -> Funnel:
    """The funnel of the cascade ``steps`` the page lists, the same step marked weakest."""
    units = {k.id: k.unit for k in site.config.kpis}

    def stage(kpi_id: str, value) -> FunnelStage:
        return FunnelStage(site.kpi_name(kpi_id), value, units.get(kpi_id, "count"))

    first = steps[0]
    return funnel(
        [FunnelStep(stage(s.from_kpi, s.from_actual), stage(s.to_kpi, s.to_actual), s.rate)
         for s in steps],
        weakest=weakest,
        title=title,
        name=f"funnel-{first.scope}-{first.scope_id}",
        currency=site.currency,
    )


def trend_periods(card: Scorecard, focus: Period, limit: int = TREND_PERIODS
                  ) -> tuple[Period, ...]:
    """The unbroken run of computed periods of the focus period's kind that ends with it,
    oldest first, at most ``limit``: the shown window and the comparison period computed
    just before it. A run stops at the first period the scorecard did not compute, so the
    axis never skips a period silently."""
    by_end = {p.end: p for p in card.periods if p.kind == focus.kind}
    run = [focus]
    while len(run) < limit and (earlier := by_end.get(run[-1].start - timedelta(days=1))):
        run.append(earlier)
    return tuple(reversed(run))


def kpi_trends(site: Site, kpis: Sequence[Kpi], scope: Scope, scope_id: str,
               rel) -> TrendPanel | None:
    """One trend chart per KPI: the actual as bars and the target as a line, per period of
    ``trend_periods``; None when there is only the focus period to draw."""
    periods = trend_periods(site.card, site.focus_period)
    if len(periods) < 2 or not kpis:
        return None
    noun = period_noun(site.focus_period.kind)
    axis = [ChartPeriod(p.label, short_label(p)) for p in periods]
    charts = []
    for kpi in kpis:
        results = [site.result(kpi.id, p, scope, scope_id) for p in periods]
        charts.append(KpiTrend(
            name=kpi.name,
            href=site.kpi_link(kpi, rel).href,
            chart=trend_chart(
                axis,
                [r.actual if r else None for r in results],
                [r.target if r else None for r in results],
                title=f"{kpi.name} per {noun}",
                unit=kpi.unit, name=f"trend-{kpi.id}", currency=site.currency, noun=noun,
                font_size=TREND_FONT),
        ))
    note = (f"Actual per {noun} as bars, the target as a dashed line, "
            f"{periods[0].label} to {periods[-1].label}.")
    focus = describe_focus(site.focus_period, site.card.as_of)
    if focus.progress != "Closed":
        note += f" {focus.label} is still running, so its bar is to date ({focus.progress})."
    return TrendPanel(title=f"Trend · last {len(periods)} {noun}s", note=note,
                      charts=tuple(charts))
