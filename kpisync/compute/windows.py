"""What a scorecard covers: the periods the site lists, and the comparison periods behind them.

Shown, in this order: the default window (``org.window`` periods of ``org.default_period``,
oldest first, the running one last), fiscal year to date, the trailing windows, the views of
other kinds (each oldest first), then the custom periods of ``kpis.yaml``. Every shown period
is compared with the period just before it and with the same period a year earlier; those are
computed too, marked ``shown=False`` unless they are shown anyway (last month usually is).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from kpisync.compute.model import Period
from kpisync.compute.periods import (
    Calendar,
    calendar_period,
    elapsed,
    fiscal_year_name,
    period_containing,
    previous_calendar_period,
    shift_years,
    year_ago_calendar_period,
)
from kpisync.config.model import Config, CustomPeriod, Org

_RANGE_KINDS = ("trailing", "custom")


def scorecard_periods(config: Config, as_of: date) -> tuple[Period, ...]:
    """Every period compute evaluates: the shown ones with their comparison keys set, then
    the comparison-only ones."""
    return with_comparisons(shown_periods(config.org, as_of, config.custom_periods), config.org,
                            as_of)


def shown_periods(
    org: Org, as_of: date, custom: tuple[CustomPeriod, ...] = ()
) -> tuple[Period, ...]:
    cal = Calendar.of(org)
    periods = run_of(org.default_period, org.window, cal, as_of)
    if org.year_to_date:
        periods.append(year_to_date(org, as_of))
    periods += [trailing(days, as_of) for days in org.trailing_days]
    for view in org.views:
        periods += run_of(view.kind, view.count, cal, as_of)
    periods += [custom_period(c, as_of) for c in custom]
    return tuple(periods)


def run_of(kind: str, count: int, cal: Calendar, as_of: date) -> list[Period]:
    """The running ``kind`` period and the ``count - 1`` before it, oldest first."""
    periods = [calendar_period(as_of, kind, cal, as_of)]
    while len(periods) < count:
        periods.append(previous_calendar_period(periods[-1], cal, as_of))
    return periods[::-1]


def year_to_date(org: Org, as_of: date) -> Period:
    """Fiscal year to date: from the fiscal year's first day to the as-of day.

    Its target spans whole default periods (the running one included), so the share elapsed
    is measured against the end of the running default period, not of the fiscal year.
    """
    fy_start, _ = period_containing(as_of, "fiscal_year", org.fiscal_year_start_month)
    _, target_end = period_containing(as_of, org.default_period, org.fiscal_year_start_month,
                                      org.week_start)
    fy = fiscal_year_name(fy_start)
    return Period(
        key=f"FY{fy}-YTD",
        label=f"FY{fy} year to date",
        kind="ytd",
        start=fy_start,
        end=as_of,
        is_current=True,
        elapsed=elapsed(fy_start, target_end, as_of),
    )


def trailing(days: int, as_of: date) -> Period:
    """The ``days`` days up to and including the as-of day: complete, so fully elapsed."""
    return Period(key=f"last-{days}-days", label=f"Last {days} days", kind="trailing",
                  start=as_of - timedelta(days=days - 1), end=as_of, is_current=True)


def custom_period(custom: CustomPeriod, as_of: date) -> Period:
    return Period(key=custom.id, label=custom.name, kind="custom", start=custom.start,
                  end=custom.end, is_current=custom.start <= as_of <= custom.end,
                  elapsed=elapsed(custom.start, custom.end, as_of))


def with_comparisons(shown: tuple[Period, ...], org: Org, as_of: date) -> tuple[Period, ...]:
    """``shown`` with ``previous_key`` and ``year_ago_key`` set (for the comparisons
    ``org.comparisons`` asks for), then each comparison period that is not itself shown, once,
    with ``shown=False``. Each one widens the facts-to-periods join, hence the setting."""
    keys = {p.key for p in shown}
    hidden: dict[str, Period] = {}
    linked = []
    for period in shown:
        before = previous(period, org, as_of) if "previous" in org.comparisons else None
        year_ago = (same_period_last_year(period, org, as_of)
                    if "year_ago" in org.comparisons else None)
        for other in (before, year_ago):
            if other is not None and other.key not in keys and other.key not in hidden:
                hidden[other.key] = replace(other, shown=False)
        linked.append(replace(period, previous_key=before and before.key,
                              year_ago_key=year_ago and year_ago.key))
    return (*linked, *hidden.values())


def previous(period: Period, org: Org, as_of: date) -> Period:
    """The period just before: the previous month of a month, last year's year to date (the
    previous one of its kind), the same number of days just before a trailing or custom one."""
    if period.kind == "ytd":
        return same_period_last_year(period, org, as_of)
    if period.kind in _RANGE_KINDS:
        length = period.end - period.start + timedelta(days=1)
        start, end = period.start - length, period.start - timedelta(days=1)
        return _range(period, "previous", f"the {length.days} days before", start, end, as_of)
    return previous_calendar_period(period, Calendar.of(org), as_of)


def same_period_last_year(period: Period, org: Org, as_of: date) -> Period:
    if period.kind == "ytd":
        fy_start = shift_years(period.start, -1)
        fy = fiscal_year_name(fy_start)
        end = shift_years(period.end, -1)
        return Period(key=f"FY{fy}-YTD", label=f"FY{fy} year to date", kind="ytd",
                      start=fy_start, end=end, elapsed=elapsed(fy_start, end, as_of))
    if period.kind in _RANGE_KINDS:
        start, end = shift_years(period.start, -1), shift_years(period.end, -1)
        return _range(period, "year-ago", "a year earlier", start, end, as_of)
    return year_ago_calendar_period(period, Calendar.of(org), as_of)


def _range(period: Period, suffix: str, words: str, start: date, end: date,
           as_of: date) -> Period:
    # A custom id has no hyphen, so "<id>-previous" never collides with another period's key.
    return Period(key=f"{period.key}-{suffix}", label=f"{period.label}, {words}",
                  kind=period.kind, start=start, end=end, is_current=start <= as_of <= end,
                  elapsed=elapsed(start, end, as_of))
