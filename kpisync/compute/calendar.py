"""Business days: the clock that pacing and business-day proration run on.

Reps do not sell on weekends or public holidays, so "a third of the month gone" means a third
of its working days, not of its calendar days. Which weekdays count and which dates are
holidays come from ``kpis.yaml`` (``Org.workdays``, ``Org.holidays``).
"""

from __future__ import annotations

from datetime import date, timedelta

from kpisync.config.model import Org


def is_business_day(day: date, org: Org) -> bool:
    return day.weekday() in org.workdays and day not in org.holidays


def business_days(start: date, end: date, org: Org) -> int:
    """Working days from ``start`` to ``end``, both included; 0 when ``end`` is before
    ``start``. Whole weeks are counted arithmetically, so a year costs a few steps."""
    if end < start:
        return 0
    days = (end - start).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * len(set(org.workdays))
    for offset in range(rest):
        if (start + timedelta(days=weeks * 7 + offset)).weekday() in org.workdays:
            count += 1
    count -= sum(1 for h in set(org.holidays)
                 if start <= h <= end and h.weekday() in org.workdays)
    return count
