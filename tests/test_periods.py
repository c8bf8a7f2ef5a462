"""Period arithmetic, keys, windows and comparisons, worked out by hand or against the standard
library's ISO calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpisync.compute.model import Period
from kpisync.compute.periods import (
    Calendar,
    calendar_period,
    period_containing,
    periods_spanned,
    previous_calendar_period,
    year_ago_calendar_period,
)
from kpisync.compute.windows import scorecard_periods, shown_periods
from kpisync.config.model import Config, CustomPeriod, Org, PeriodView

KINDS = ("week", "month", "quarter", "year", "fiscal_quarter", "fiscal_year")
FEB_FY = Calendar(fiscal_start_month=2)
SUNDAY = Calendar(week_start=6)


def key_of(day: date, kind: str, cal: Calendar = FEB_FY) -> tuple[str, str, date, date]:
    p = calendar_period(day, kind, cal, day)
    return p.key, p.label, p.start, p.end


@pytest.mark.parametrize(
    ("day", "kind", "cal", "expected"),
    [
        (date(2026, 12, 2), "week", FEB_FY,
         ("2026-W49", "W49 2026", date(2026, 11, 30), date(2026, 12, 6))),
        (date(2026, 12, 2), "week", SUNDAY,
         ("wk-2026-11-29", "Week of 29 Nov 2026", date(2026, 11, 29), date(2026, 12, 5))),
        (date(2026, 12, 2), "month", FEB_FY,
         ("2026-12", "Dec 2026", date(2026, 12, 1), date(2026, 12, 31))),
        (date(2026, 12, 2), "quarter", FEB_FY,
         ("2026-Q4", "Q4 2026", date(2026, 10, 1), date(2026, 12, 31))),
        # year is the calendar year, whatever the fiscal start month
        (date(2026, 12, 2), "year", FEB_FY,
         ("2026", "2026", date(2026, 1, 1), date(2026, 12, 31))),
        # a February fiscal year is named for the year it ends in: Nov-Jan is its Q4
        (date(2026, 12, 2), "fiscal_quarter", FEB_FY,
         ("FY2027-Q4", "FY2027 Q4", date(2026, 11, 1), date(2027, 1, 31))),
        (date(2026, 12, 2), "fiscal_year", FEB_FY,
         ("FY2027", "FY2027", date(2026, 2, 1), date(2027, 1, 31))),
        (date(2026, 1, 31), "fiscal_year", FEB_FY,
         ("FY2026", "FY2026", date(2025, 2, 1), date(2026, 1, 31))),
        (date(2026, 2, 1), "fiscal_quarter", FEB_FY,
         ("FY2027-Q1", "FY2027 Q1", date(2026, 2, 1), date(2026, 4, 30))),
        # with a January start the fiscal year is the calendar year, under its FY name
        (date(2026, 12, 2), "fiscal_year", Calendar(),
         ("FY2026", "FY2026", date(2026, 1, 1), date(2026, 12, 31))),
        # 2026 has 53 ISO weeks; the last spans two months and two years
        (date(2027, 1, 2), "week", FEB_FY,
         ("2026-W53", "W53 2026", date(2026, 12, 28), date(2027, 1, 3))),
        (date(2025, 12, 29), "week", FEB_FY,
         ("2026-W01", "W01 2026", date(2025, 12, 29), date(2026, 1, 4))),
        # leap day: in February, in ISO week 9, in Q1 and in the Feb-Apr fiscal quarter
        (date(2028, 2, 29), "month", FEB_FY,
         ("2028-02", "Feb 2028", date(2028, 2, 1), date(2028, 2, 29))),
        (date(2028, 2, 29), "week", FEB_FY,
         ("2028-W09", "W09 2028", date(2028, 2, 28), date(2028, 3, 5))),
        (date(2028, 2, 29), "quarter", FEB_FY,
         ("2028-Q1", "Q1 2028", date(2028, 1, 1), date(2028, 3, 31))),
        (date(2028, 2, 29), "fiscal_quarter", FEB_FY,
         ("FY2029-Q1", "FY2029 Q1", date(2028, 2, 1), date(2028, 4, 30))),
        (date(2028, 1, 31), "fiscal_quarter", FEB_FY,
         ("FY2028-Q4", "FY2028 Q4", date(2027, 11, 1), date(2028, 1, 31))),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_period_key_label_and_dates(day, kind, cal, expected):
    assert key_of(day, kind, cal) == expected


@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)))
def test_monday_week_keys_are_iso_weeks(day):
    year, week, _ = day.isocalendar()
    assert key_of(day, "week")[0] == f"{year}-W{week:02d}"


@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)), st.sampled_from(KINDS),
       st.integers(1, 12), st.integers(0, 6))
def test_periods_tile_the_calendar(day, kind, fiscal_start, week_start):
    """Each day is in exactly one period of each kind: the one before ends the day before."""
    cal = Calendar(fiscal_start, week_start)
    period = calendar_period(day, kind, cal, day)
    before = previous_calendar_period(period, cal, day)
    assert period.start <= day <= period.end
    assert before.end == period.start - timedelta(days=1)
    assert before.key != period.key
    if kind == "week":
        assert period.start.weekday() == week_start


@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)), st.sampled_from(KINDS),
       st.integers(0, 6))
def test_year_ago_is_about_a_year_earlier(day, kind, week_start):
    cal = Calendar(2, week_start)
    period = calendar_period(day, kind, cal, day)
    ago = year_ago_calendar_period(period, cal, day)
    assert 357 <= (period.start - ago.start).days <= 371
    assert ago.kind == kind


@pytest.mark.parametrize(
    ("day", "kind", "expected"),
    [
        (date(2026, 12, 2), "month", "2025-12"),
        (date(2026, 12, 2), "week", "2025-W49"),
        (date(2027, 1, 2), "week", "2025-W52"),  # 2025 has no week 53
        (date(2026, 12, 2), "fiscal_quarter", "FY2026-Q4"),
        (date(2028, 2, 29), "month", "2027-02"),
    ],
)
def test_year_ago_key(day, kind, expected):
    period = calendar_period(day, kind, FEB_FY, day)
    assert year_ago_calendar_period(period, FEB_FY, day).key == expected


def _period(kind, start, end):
    return Period(key="p", label="p", kind=kind, start=start, end=end)


@pytest.mark.parametrize(
    ("period", "kind", "expected"),
    [
        (_period("quarter", date(2026, 1, 1), date(2026, 3, 31)), "month", 3),
        (_period("fiscal_year", date(2026, 2, 1), date(2027, 1, 31)), "month", 12),
        (_period("fiscal_year", date(2026, 2, 1), date(2027, 1, 31)), "fiscal_quarter", 4),
        (_period("year", date(2026, 1, 1), date(2026, 12, 31)), "quarter", 4),
        (_period("month", date(2026, 3, 1), date(2026, 3, 31)), "month", 1),
        (_period("ytd", date(2026, 2, 1), date(2026, 3, 10)), "month", 2),
        # Monday weeks in Q1 2026: 29 Dec 2025 .. 5 Apr 2026 touch it, 14 weeks
        (_period("quarter", date(2026, 1, 1), date(2026, 3, 31)), "week", 14),
        (_period("week", date(2026, 12, 28), date(2027, 1, 3)), "week", 1),
    ],
)
def test_periods_spanned(period, kind, expected):
    assert periods_spanned(period, kind, 2) == expected


def test_periods_spanned_counts_weeks_from_the_org_week_start():
    # Sunday weeks from 29 Nov 2026: 4 weeks cover 29 Nov .. 26 Dec exactly
    period = _period("custom", date(2026, 11, 29), date(2026, 12, 26))
    assert periods_spanned(period, "week", 1, 6) == 4
    assert periods_spanned(period, "week", 1, 0) == 5


ORG = Org(name="T", timezone="UTC", fiscal_year_start_month=2, window=2,
          trailing_days=(30,), views=(PeriodView("quarter", 2),))
SPRING = CustomPeriod("spring", "Spring campaign", date(2026, 3, 1), date(2026, 5, 31))
AS_OF = date(2026, 4, 10)


def test_shown_periods_are_window_ytd_trailing_views_then_custom():
    periods = shown_periods(ORG, AS_OF, (SPRING,))
    assert [(p.key, p.kind, p.start, p.end, p.is_current) for p in periods] == [
        ("2026-03", "month", date(2026, 3, 1), date(2026, 3, 31), False),
        ("2026-04", "month", date(2026, 4, 1), date(2026, 4, 30), True),
        ("FY2027-YTD", "ytd", date(2026, 2, 1), AS_OF, True),
        ("last-30-days", "trailing", date(2026, 3, 12), AS_OF, True),
        ("2026-Q1", "quarter", date(2026, 1, 1), date(2026, 3, 31), False),
        ("2026-Q2", "quarter", date(2026, 4, 1), date(2026, 6, 30), True),
        ("spring", "custom", date(2026, 3, 1), date(2026, 5, 31), True),
    ]


def test_custom_period_elapsed_is_its_share_of_days():
    spring = shown_periods(ORG, AS_OF, (SPRING,))[-1]
    assert (spring.label, spring.elapsed) == ("Spring campaign", Decimal("0.4457"))  # 41/92


def test_windows_without_year_to_date_leave_it_out():
    org = Org(name="T", timezone="UTC", window=1, year_to_date=False)
    assert [p.key for p in shown_periods(org, AS_OF)] == ["2026-04"]


def _config(org: Org, custom=()) -> Config:
    from pathlib import Path

    return Config(path=Path("kpis.yaml"), org=org, teams=(), kpis=(), custom_periods=custom)


def test_comparisons_link_each_shown_period_and_add_hidden_ones_once():
    periods = scorecard_periods(_config(ORG, (SPRING,)), AS_OF)
    links = {p.key: (p.previous_key, p.year_ago_key) for p in periods if p.shown}
    assert links == {
        "2026-03": ("2026-02", "2025-03"),
        "2026-04": ("2026-03", "2025-04"),
        "FY2027-YTD": ("FY2026-YTD", "FY2026-YTD"),
        "last-30-days": ("last-30-days-previous", "last-30-days-year-ago"),
        "2026-Q1": ("2025-Q4", "2025-Q1"),
        "2026-Q2": ("2026-Q1", "2025-Q2"),
        "spring": ("spring-previous", "spring-year-ago"),
    }
    hidden = [(p.key, p.start, p.end) for p in periods if not p.shown]
    assert hidden == [
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2025-03", date(2025, 3, 1), date(2025, 3, 31)),
        ("2025-04", date(2025, 4, 1), date(2025, 4, 30)),
        ("FY2026-YTD", date(2025, 2, 1), date(2025, 4, 10)),
        ("last-30-days-previous", date(2026, 2, 10), date(2026, 3, 11)),
        ("last-30-days-year-ago", date(2025, 3, 12), date(2025, 4, 10)),
        ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31)),
        ("2025-Q1", date(2025, 1, 1), date(2025, 3, 31)),
        ("2025-Q2", date(2025, 4, 1), date(2025, 6, 30)),
        ("spring-previous", date(2025, 11, 29), date(2026, 2, 28)),
        ("spring-year-ago", date(2025, 3, 1), date(2025, 5, 31)),
    ]
    assert all(p.previous_key is None and p.year_ago_key is None for p in periods if not p.shown)


def test_comparisons_setting_limits_the_hidden_periods():
    org = Org(name="T", timezone="UTC", window=2, comparisons=("previous",))
    periods = scorecard_periods(_config(org), AS_OF)
    assert [(p.key, p.shown, p.previous_key, p.year_ago_key) for p in periods] == [
        ("2026-03", True, "2026-02", None),
        ("2026-04", True, "2026-03", None),
        ("FY2026-YTD", True, "FY2025-YTD", None),
        ("2026-02", False, None, None),
        ("FY2025-YTD", False, None, None),
    ]
    off = replace(org, comparisons=())
    assert [p.key for p in scorecard_periods(_config(off), AS_OF)] == [
        "2026-03", "2026-04", "FY2026-YTD"]


def test_year_to_date_on_a_leap_day_compares_with_the_28th():
    org = Org(name="T", timezone="UTC", fiscal_year_start_month=2, window=1)
    periods = scorecard_periods(_config(org), date(2028, 2, 29))
    ytd_ago = next(p for p in periods if p.key == "FY2028-YTD")
    assert (ytd_ago.start, ytd_ago.end, ytd_ago.shown) == (date(2027, 2, 1), date(2027, 2, 28),
                                                           False)


def test_period_containing_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown period kind 'fortnight'"):
        period_containing(date(2026, 1, 1), "fortnight")
