"""Calendar arithmetic for periods: which period of a kind contains a day, its key and label,
the period before it and the same period a year earlier.

Fiscal years follow Salesforce's default naming: a fiscal year is named after the calendar year in
which it ends, so with a February start, FY2027 runs from 2026-02-01 to 2027-01-31. ``year`` is
the calendar year.

Weeks start on ``Org.week_start``. Monday weeks are ISO 8601 weeks, keyed "2026-W53" (it runs
2026-12-28 to 2027-01-03: a week belongs to the year of its Thursday). Weeks starting on another
day have no standard number, and borrowing ISO's would mislabel them by a day, so their key is
their first day: "wk-2026-11-29", "Week of 29 Nov 2026". Both are stable and URL-safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from kpisync.compute.model import Period
from kpisync.config.model import Org

_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Calendar:
    """The two org settings period boundaries depend on."""

    fiscal_start_month: int = 1
    #: 0 = Monday .. 6 = Sunday
    week_start: int = 0

    @classmethod
    def of(cls, org: Org) -> Calendar:
        return cls(org.fiscal_year_start_month, org.week_start)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def shift_years(day: date, years: int) -> date:
    """The same day ``years`` later (earlier when negative); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def fiscal_year_start(day: date, start_month: int) -> date:
    year = day.year if day.month >= start_month else day.year - 1
    return date(year, start_month, 1)


def fiscal_year_name(fy_start: date) -> int:
    """The calendar year in which the fiscal year starting at ``fy_start`` ends."""
    return add_months(fy_start, 11).year


def week_of(day: date, week_start: int) -> date:
    """The first day of the week containing ``day``."""
    return day - timedelta(days=(day.weekday() - week_start) % 7)


def week_number(start: date) -> tuple[int, int]:
    """(year, number) of the week starting at ``start``: the year of its fourth day (its
    Thursday for a Monday week, as ISO 8601), counted from the first such week."""
    fourth = start + timedelta(days=3)
    return fourth.year, (fourth - date(fourth.year, 1, 1)).days // 7 + 1


def period_containing(
    day: date, kind: str, fiscal_start_month: int = 1, week_start: int = 0
) -> tuple[date, date]:
    """Start and inclusive end of the ``kind`` period containing ``day``."""
    if kind == "week":
        start = week_of(day, week_start)
        return start, start + timedelta(days=6)
    months = {"month": 1, "quarter": 3, "year": 12}.get(kind)
    if months is not None:
        start = date(day.year, (day.month - 1) // months * months + 1, 1)
        return start, add_months(start, months) - _DAY
    fy_start = fiscal_year_start(day, fiscal_start_month)
    if kind == "fiscal_quarter":
        months_in = (day.year - fy_start.year) * 12 + day.month - fy_start.month
        start = add_months(fy_start, months_in // 3 * 3)
        return start, add_months(start, 3) - _DAY
    if kind == "fiscal_year":
        return fy_start, add_months(fy_start, 12) - _DAY
    raise ValueError(f"unknown period kind {kind!r}")


def describe(start: date, kind: str, fiscal_start_month: int = 1) -> tuple[str, str]:
    """(key, label) of the ``kind`` period starting at ``start``."""
    if kind == "week":
        if start.weekday() == 0:
            year, number = week_number(start)
            return f"{year}-W{number:02d}", f"W{number:02d} {year}"
        day = f"{start.day} {_MONTH_ABBR[start.month - 1]} {start.year}"
        return f"wk-{start.isoformat()}", f"Week of {day}"
    if kind == "month":
        return f"{start.year}-{start.month:02d}", f"{_MONTH_ABBR[start.month - 1]} {start.year}"
    if kind == "quarter":
        quarter = (start.month - 1) // 3 + 1
        return f"{start.year}-Q{quarter}", f"Q{quarter} {start.year}"
    if kind == "year":
        return f"{start.year}", f"{start.year}"
    fy_start = fiscal_year_start(start, fiscal_start_month)
    fy = fiscal_year_name(fy_start)
    if kind == "fiscal_quarter":
        months_in = (start.year - fy_start.year) * 12 + start.month - fy_start.month
        quarter = months_in // 3 + 1
        return f"FY{fy}-Q{quarter}", f"FY{fy} Q{quarter}"
    if kind == "fiscal_year":
        return f"FY{fy}", f"FY{fy}"
    raise ValueError(f"unknown period kind {kind!r}")


def elapsed(start: date, end: date, as_of: date) -> Decimal:
    """Share of ``start..end`` gone by the end of ``as_of``, in calendar days."""
    if as_of >= end:
        return Decimal(1)
    if as_of < start:
        return Decimal(0)
    days_total = (end - start).days + 1
    days_done = (as_of - start).days + 1
    return (Decimal(days_done) / Decimal(days_total)).quantize(Decimal("0.0001"))


def calendar_period(day: date, kind: str, cal: Calendar, as_of: date) -> Period:
    """The ``kind`` period containing ``day``, with its state at ``as_of``."""
    start, end = period_containing(day, kind, cal.fiscal_start_month, cal.week_start)
    key, label = describe(start, kind, cal.fiscal_start_month)
    return Period(key=key, label=label, kind=kind, start=start, end=end,
                  is_current=start <= as_of <= end, elapsed=elapsed(start, end, as_of))


def previous_calendar_period(period: Period, cal: Calendar, as_of: date) -> Period:
    return calendar_period(period.start - _DAY, period.kind, cal, as_of)


def year_ago_calendar_period(period: Period, cal: Calendar, as_of: date) -> Period:
    """The same period a year earlier. A week is the week with the same number (see
    ``week_number``) a year before, week 53 falling back to week 52, so weekdays line up."""
    if period.kind != "week":
        return calendar_period(add_months(period.start, -12), period.kind, cal, as_of)
    year, number = week_number(period.start)
    # Week 1 is the week holding 4 January, the last week the one holding 28 December.
    first = week_of(date(year - 1, 1, 4), cal.week_start)
    last = week_of(date(year - 1, 12, 28), cal.week_start)
    start = min(first + timedelta(days=7 * (number - 1)), last)
    return calendar_period(start, "week", cal, as_of)


def periods_spanned(
    period: Period, kind: str, fiscal_start_month: int, week_start: int = 0
) -> int:
    """How many ``kind`` periods overlap ``period``: the multiplier for additive targets
    (a monthly target of 300 calls is 900 for a quarter, and 300 x months so far for YTD).
    Exact for periods made of whole ``kind`` periods; a week against a monthly target, or a
    custom range, counts every month it touches."""
    count = 0
    start, _ = period_containing(period.start, kind, fiscal_start_month, week_start)
    while start <= period.end:
        count += 1
        _, end = period_containing(start, kind, fiscal_start_month, week_start)
        start = end + _DAY
    return count


def window(org: Org, as_of: date) -> tuple[Period, ...]:
    """The periods the site lists for ``org`` (no custom periods, no comparison periods):
    see ``kpisync.compute.windows.shown_periods``."""
    from kpisync.compute.windows import shown_periods

    return shown_periods(org, as_of)
