"""Business days, checked against days counted one by one."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kpisync.compute.calendar import business_days, is_business_day
from kpisync.config.model import Org

ORG = Org(name="T", timezone="UTC", holidays=(date(2026, 12, 25), date(2026, 12, 26)))


def test_december_2026_has_22_weekdays_less_christmas():
    # 23 weekdays; 25 Dec is a Friday and counts off, 26 Dec is a Saturday anyway
    assert business_days(date(2026, 12, 1), date(2026, 12, 31), ORG) == 22


def test_end_before_start_is_zero():
    assert business_days(date(2026, 3, 2), date(2026, 3, 1), ORG) == 0


def test_a_sunday_to_saturday_week_has_five():
    assert business_days(date(2026, 3, 1), date(2026, 3, 7), ORG) == 5


def test_custom_workdays_sunday_to_thursday():
    org = Org(name="T", timezone="Asia/Dubai", workdays=(6, 0, 1, 2, 3))
    assert business_days(date(2026, 3, 6), date(2026, 3, 7), org) == 0  # Fri, Sat
    assert business_days(date(2026, 3, 8), date(2026, 3, 8), org) == 1  # Sun


@given(st.dates(date(2024, 1, 1), date(2028, 12, 31)), st.integers(0, 800),
       st.lists(st.dates(date(2024, 1, 1), date(2028, 12, 31)), max_size=8))
def test_equals_counting_day_by_day(start, length, holidays):
    org = Org(name="T", timezone="UTC", holidays=tuple(holidays))
    end = start + timedelta(days=length)
    expected = sum(is_business_day(start + timedelta(days=i), org) for i in range(length + 1))
    assert business_days(start, end, org) == expected
