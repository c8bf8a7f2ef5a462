"""The periods a scorecard covers: the window of ``Org.default_period`` plus fiscal year to date.

Fiscal years follow Salesforce's default naming: a fiscal year is named after the calendar year in
which it ends, so with a February start, FY2027 runs from 2026-02-01 to 2027-01-31.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from kpisync.compute.model import Period
from kpisync.config.model import Org

_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def fiscal_year_start(day: date, start_month: int) -> date:
    year = day.year if day.month >= start_month else day.year - 1
    return date(year, start_month, 1)


def fiscal_year_name(fy_start: date) -> int:
    """The calendar year in which the fiscal year starting at ``fy_start`` ends."""
    return add_months(fy_start, 11).year


def period_containing(day: date, kind: str, fiscal_start_month: int = 1) -> tuple[date, date]:
    """Start and inclusive end of the ``kind`` period containing ``day``."""
    if kind == "month":
        start = date(day.year, day.month, 1)
        return start, add_months(start, 1) - timedelta(days=1)
    if kind == "quarter":
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return start, add_months(start, 3) - timedelta(days=1)
    fy_start = fiscal_year_start(day, fiscal_start_month)
    if kind == "fiscal_quarter":
        months_in = (day.year - fy_start.year) * 12 + day.month - fy_start.month
        start = add_months(fy_start, months_in // 3 * 3)
        return start, add_months(start, 3) - timedelta(days=1)
    if kind == "year":
        return fy_start, add_months(fy_start, 12) - timedelta(days=1)
    raise ValueError(f"unknown period kind {kind!r}")


def _describe(start: date, kind: str, fiscal_start_month: int) -> tuple[str, str]:
    if kind == "month":
        return f"{start.year}-{start.month:02d}", f"{_MONTH_ABBR[start.month - 1]} {start.year}"
    if kind == "quarter":
        quarter = (start.month - 1) // 3 + 1
        return f"{start.year}-Q{quarter}", f"Q{quarter} {start.year}"
    fy_start = fiscal_year_start(start, fiscal_start_month)
    fy = fiscal_year_name(fy_start)
    if kind == "fiscal_quarter":
        months_in = (start.year - fy_start.year) * 12 + start.month - fy_start.month
        quarter = months_in // 3 + 1
        return f"FY{fy}-Q{quarter}", f"FY{fy} Q{quarter}"
    return f"FY{fy}", f"FY{fy}"


def _elapsed(start: date, end: date, as_of: date) -> Decimal:
    if as_of >= end:
        return Decimal(1)
    if as_of < start:
        return Decimal(0)
    days_total = (end - start).days + 1
    days_done = (as_of - start).days + 1
    return (Decimal(days_done) / Decimal(days_total)).quantize(Decimal("0.0001"))


def window(org: Org, as_of: date) -> tuple[Period, ...]:
    """The current period and the ``org.window - 1`` before it, oldest first, then fiscal YTD."""
    kind = org.default_period
    fsm = org.fiscal_year_start_month
    current_start, _ = period_containing(as_of, kind, fsm)
    periods: list[Period] = []
    start = current_start
    for _ in range(org.window):
        start, end = period_containing(start, kind, fsm)
        key, label = _describe(start, kind, fsm)
        is_current = start == current_start
        periods.append(
            Period(
                key=key,
                label=label,
                kind=kind,
                start=start,
                end=end,
                is_current=is_current,
                elapsed=_elapsed(start, end, as_of),
            )
        )
        start = start - timedelta(days=1)
    periods.reverse()
    periods.append(year_to_date(org, as_of))
    return tuple(periods)


def year_to_date(org: Org, as_of: date) -> Period:
    """Fiscal year to date: from the fiscal year's first day to the as-of day.

    Its target spans whole default periods (the running one included), so the share elapsed
    is measured against the end of the running default period, not of the fiscal year.
    """
    fy_start, _ = period_containing(as_of, "year", org.fiscal_year_start_month)
    _, target_end = period_containing(as_of, org.default_period, org.fiscal_year_start_month)
    fy = fiscal_year_name(fy_start)
    return Period(
        key=f"FY{fy}-YTD",
        label=f"FY{fy} year to date",
        kind="ytd",
        start=fy_start,
        end=as_of,
        is_current=True,
        elapsed=_elapsed(fy_start, target_end, as_of),
    )


def periods_spanned(period: Period, kind: str, fiscal_start_month: int) -> int:
    """How many ``kind`` periods overlap ``period``: the multiplier for additive targets
    (a monthly target of 300 calls is 900 for a quarter, and 300 x months so far for YTD)."""
    count = 0
    start, _ = period_containing(period.start, kind, fiscal_start_month)
    while start <= period.end:
        count += 1
        _, end = period_containing(start, kind, fiscal_start_month)
        start = end + timedelta(days=1)
    return count
