"""The charts on the pages carry the engine's figures: a rep's trend chart shows the scorecard's
results period by period, a card's sparkline the shown periods with the running one dashed,
a cascade's funnel the same weakest step as the list beside it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal as D

from scorecards import AS_OF, PERIODS, SAM, sample_scorecard

from kpisync.compute.model import Period
from kpisync.site import formatting as fmt
from kpisync.site.chart_views import short_label, trend_periods
from kpisync.site.charts import Point, TableRow
from kpisync.site.page_views import org_page, rep_page, team_page
from kpisync.site.views import Site

GENERATED = datetime(2026, 6, 17, 13, 30, tzinfo=UTC)


def with_actuals(card, kpi_id, scope, scope_id, values):
    """The scorecard with this cell's (actual, target) replaced per period key."""
    results = tuple(
        replace(r, actual=values[r.period_key][0], target=values[r.period_key][1])
        if (r.kpi_id, r.scope, r.scope_id) == (kpi_id, scope, scope_id)
        and r.period_key in values else r
        for r in card.results)
    return replace(card, results=results)


def rep_trend(site, kpi_name):
    sam = next(r for r in site.card.reps if r.id == SAM)
    trends = rep_page(site, sam).trends
    return next(t for t in trends.charts if t.name == kpi_name)


def test_rep_trend_chart_shows_the_scorecards_actuals_and_targets():
    card = with_actuals(sample_scorecard(), "calls", "rep", SAM, {
        "2026-04": (D(250), D(300)), "2026-05": (D(310), D(300)), "2026-06": (D(120), D(300))})
    trend = rep_trend(Site(card, GENERATED), "Calls")
    assert trend.chart.table == (
        TableRow("Apr 2026", "250", "300"), TableRow("May 2026", "310", "300"),
        TableRow("Jun 2026", "120", "300"))
    assert [b.tip for b in trend.chart.bars] == [
        "Apr 2026: 250 (target 300)", "May 2026: 310 (target 300)", "Jun 2026: 120 (target 300)"]
    assert [label.text for label in trend.chart.x_labels] == ["Apr", "May", "Jun"]
    assert trend.chart.id == "chart-trend-calls"


def test_every_rep_trend_chart_equals_the_engine_result_of_each_period():
    card = sample_scorecard()
    site = Site(card, GENERATED)
    sam = next(r for r in card.reps if r.id == SAM)
    trends = rep_page(site, sam).trends
    months = [p for p in PERIODS if p.kind == "month"]
    kpis = {k.name: k for k in card.config.kpis}
    assert len(trends.charts) == 4  # the team's KPIs: calls, conversations, meetings, opps
    for trend in trends.charts:
        kpi = kpis[trend.name]
        expected = tuple(
            TableRow(p.label, fmt.display_value(r.actual, kpi.unit, "USD"),
                     fmt.display_value(r.target, kpi.unit, "USD"))
            for p in months for r in [card.result(kpi.id, p.key, "rep", SAM)])
        assert trend.chart.table == expected, trend.name
    assert trends.title == "Trend · last 3 months"
    assert "Jun 2026 is still running" in trends.note


def test_a_missing_result_is_a_dash_not_a_zero_bar():
    card = sample_scorecard()
    card = replace(card, results=tuple(
        r for r in card.results
        if (r.kpi_id, r.period_key, r.scope, r.scope_id) != ("calls", "2026-05", "rep", SAM)))
    chart = rep_trend(Site(card, GENERATED), "Calls").chart
    assert chart.table[1] == TableRow("May 2026", "—", "—")
    assert len(chart.bars) == 2 and len(chart.missing) == 1


def month(key, label, start, end, shown=True):
    return Period(key, label, "month", start, end, shown=shown)


def test_trend_periods_reach_back_through_comparison_periods_and_stop_at_a_gap():
    jan = month("2026-01", "Jan 2026", date(2026, 1, 1), date(2026, 1, 31), shown=False)
    mar = month("2026-03", "Mar 2026", date(2026, 3, 1), date(2026, 3, 31), shown=False)
    apr, may, jun = PERIODS[:3]
    card = replace(sample_scorecard(), periods=(*PERIODS, mar, jan))
    assert [p.key for p in trend_periods(card, jun)] == ["2026-03", "2026-04", "2026-05",
                                                         "2026-06"]  # Feb missing: no Jan
    assert [p.key for p in trend_periods(card, jun, limit=2)] == ["2026-05", "2026-06"]
    assert [p.key for p in trend_periods(card, apr)] == ["2026-03", "2026-04"]
    assert may.key == "2026-05"


def test_short_labels_keep_the_period_within_its_year():
    assert short_label(PERIODS[2]) == "Jun"
    assert short_label(Period("2026-Q2", "Q2 2026", "quarter", date(2026, 4, 1),
                              date(2026, 6, 30))) == "Q2"
    assert short_label(PERIODS[3]) == "FY2026 year to date"


def org_card(site, name):
    return next(c for t in org_page(site).scope.tiers for c in t.cards if c.name == name)


def test_card_sparkline_is_the_shown_periods_with_the_running_one_dashed():
    # org calls 1000, 1200, 500: range 500..1200 over y 3..29, so y = 3 + 26·(1200 − v)/700
    card = with_actuals(sample_scorecard(), "calls", "org", "org", {
        "2026-04": (D(1000), D(900)), "2026-05": (D(1200), D(900)), "2026-06": (D(500), D(900))})
    calls = org_card(Site(card, GENERATED), "Calls")
    spark = calls.spark
    assert spark.id == "chart-spark-calls"
    assert (spark.path, spark.running_path) == ("M3 10.4L60 3", "M60 3L117 29")
    assert spark.last == Point("117", "29")
    assert spark.text == ("Calls over the last 3 months: 1,000, 1,200, 500. "
                          "Latest 500 so far: this month is running.")


def test_a_closed_periods_sparkline_is_solid_and_compares_with_the_month_before():
    card = with_actuals(sample_scorecard(), "calls", "org", "org", {
        "2026-04": (D(1000), D(900)), "2026-05": (D(1200), D(900))})
    may = Site(card, GENERATED)
    calls = org_card(may.at(PERIODS[1]), "Calls")
    assert (calls.spark.path, calls.spark.running_path) == ("M3 29L117 3", "")
    assert calls.spark.text.endswith("Latest 1,200, up 20% on the previous month.")


def test_funnel_marks_the_step_the_cascade_list_calls_weakest():
    cascade = org_page(Site(sample_scorecard(), GENERATED)).scope.cascade
    weakest = [i for i, s in enumerate(cascade.steps) if s.weakest]
    weak_links = [i for i, link in enumerate(cascade.funnel.links) if link.weak]
    assert len(weakest) == 1 and weak_links == weakest  # the org cascade has no gap
    step = cascade.steps[weakest[0]]
    assert cascade.funnel.links[weakest[0]].label.text == (
        f"↓ {step.rate} to {step.to_name} · weakest step")
    assert [r.count.text for r in cascade.funnel.rows] == [
        cascade.steps[0].from_actual, *(s.to_actual for s in cascade.steps)]
    assert cascade.funnel.title == "Acme & Co cascade, Jun 2026"


def test_team_page_shows_its_funnel_beside_the_orgs_with_distinct_ids():
    card = sample_scorecard()
    page = team_page(Site(card, GENERATED), card.teams[0])
    assert page.scope.cascade.funnel.id == "chart-funnel-team-sdr_east"
    assert page.org_cascade.funnel.id == "chart-funnel-org-org"
    assert len(page.org_cascade.funnel.rows) == len(page.scope.cascade.funnel.rows)
    assert card.as_of == AS_OF
