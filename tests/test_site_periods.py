"""The site lists shown periods only: a period compute evaluated just to compare with
(``shown=False``) appears in no history table, focus or export."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from scorecards import ANN, TINY_PERIOD, tiny_scorecard

from kpisync.compute.model import KpiResult, Period
from kpisync.site.exports import score_rows, write_scores_json
from kpisync.site.rules import focus_period
from kpisync.site.views import Site

LAST_YEAR = Period("2025-03", "Mar 2025", "month", date(2025, 3, 1), date(2025, 3, 31),
                   shown=False)
LAST_90 = Period("last-90-days", "Last 90 days", "trailing", date(2025, 12, 11),
                 date(2026, 3, 10), is_current=True)


def with_last_year():
    card = tiny_scorecard()
    old = KpiResult("calls", LAST_YEAR.key, "rep", ANN, "Ann", Decimal(7), Decimal(10),
                    Decimal("0.7"))
    current = replace(TINY_PERIOD, year_ago_key=LAST_YEAR.key)
    results = tuple(replace(r, period_key=current.key) for r in card.results)
    return replace(card, periods=(current, LAST_YEAR), results=(*results, old))


def test_history_leaves_out_comparison_periods():
    site = Site(with_last_year(), datetime(2026, 3, 10, tzinfo=UTC))
    kpis = site.kpis_of(("calls",))
    history = site.history(kpis, "rep", ANN, lambda path: path)
    assert [head.label for head in history.periods] == ["Mar 2026"]
    assert len(history.rows[0].cells) == 1


def test_exports_leave_out_comparison_periods(tmp_path):
    card = with_last_year()
    assert {row["period_key"] for row in score_rows(card)} == {"2026-03"}
    write_scores_json(card, tmp_path / "scores.json")
    assert '"2025-03"' not in (tmp_path / "scores.json").read_text(encoding="utf-8")


def test_comparison_finds_the_year_ago_result():
    previous, year_ago = with_last_year().comparison("calls", "2026-03", "rep", ANN)
    assert previous is None
    assert (year_ago.period_key, year_ago.actual) == ("2025-03", Decimal(7))


def test_comparison_of_an_unknown_period_is_empty():
    assert with_last_year().comparison("calls", "1999-01", "rep", ANN) == (None, None)


def test_focus_is_the_running_calendar_period_not_a_trailing_window():
    assert focus_period((LAST_90, TINY_PERIOD)).key == "2026-03"
