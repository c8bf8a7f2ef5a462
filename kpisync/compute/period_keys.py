"""Period keys back into periods, for commands that name one (``kpisync explain --period``).

A key may name any period the engine knows, in the window or not: ``2026-W27`` (or
``wk-2026-06-28`` when weeks do not start on Monday), ``2026-07``, ``2026-Q3``, ``2026`` (the
calendar year), ``FY2027-Q1``, ``FY2027``, and the window's own keys (``FY2027-YTD``). Each
pattern below names a period kind and the first day of the period; the ``Period`` itself is built by
``periods.window``, so its key, label, dates and elapsed share are exactly the site's. A new
kind of period is one more pattern.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from kpisync.compute.model import Period
from kpisync.compute.periods import add_months, period_containing, window
from kpisync.config.model import Org
from kpisync.errors import ComputeError

FirstDay = Callable[[re.Match[str], int], date]


def _fiscal_year_start(name: int, start_month: int) -> date:
    # A fiscal year is named for the calendar year it ends in: FY2027 with a February start
    # runs from 2026-02-01.
    return date(name if start_month == 1 else name - 1, start_month, 1)


_PATTERNS: tuple[tuple[re.Pattern[str], str, FirstDay], ...] = (
    (re.compile(r"(\d{4})-(\d{2})"), "month", lambda m, fsm: date(int(m[1]), int(m[2]), 1)),
    (re.compile(r"(\d{4})-Q([1-4])"), "quarter",
     lambda m, fsm: date(int(m[1]), 3 * int(m[2]) - 2, 1)),
    (re.compile(r"FY(\d{4})-Q([1-4])"), "fiscal_quarter",
     lambda m, fsm: add_months(_fiscal_year_start(int(m[1]), fsm), 3 * (int(m[2]) - 1))),
    (re.compile(r"FY(\d{4})"), "fiscal_year",
     lambda m, fsm: _fiscal_year_start(int(m[1]), fsm)),
    (re.compile(r"(\d{4})"), "year", lambda m, fsm: date(int(m[1]), 1, 1)),
    # ISO weeks (Monday weeks) and weeks keyed by their first day (other week starts)
    (re.compile(r"(\d{4})-W(\d{2})"), "week",
     lambda m, fsm: date.fromisocalendar(int(m[1]), int(m[2]), 1)),
    (re.compile(r"WK-(\d{4}-\d{2}-\d{2})"), "week", lambda m, fsm: date.fromisoformat(m[1])),
)
EXAMPLES = "2026-W27, 2026-07, 2026-Q3, 2026, FY2027-Q1 or FY2027"


def resolve_period(org: Org, key: str | None, as_of: date) -> Period:
    """The period ``key`` names, as the scorecard of ``as_of`` sees it (running or past);
    None names the running ``org.default_period``.

    Raises ComputeError for a key no pattern reads, listing the window's keys, and for a
    period that starts after ``as_of``: nothing can have happened in it yet."""
    if key is None:
        return window(replace(org, window=1), as_of)[0]
    wanted = key.strip().upper()
    in_window = window(org, as_of)
    for period in in_window:
        if period.key.upper() == wanted:
            return period
    period = _parse(org, wanted, as_of)
    if period is None:
        keys = ", ".join(p.key for p in in_window)
        raise ComputeError(
            f"unknown period '{key}': the window has {keys}; other periods are named like "
            f"{EXAMPLES}"
        )
    return period


def _parse(org: Org, key: str, as_of: date) -> Period | None:
    for pattern, kind, first_day in _PATTERNS:
        match = pattern.fullmatch(key)
        if match is None:
            continue
        try:
            start = first_day(match, org.fiscal_year_start_month)
        except ValueError:  # month 13
            return None
        if start > as_of:
            raise ComputeError(
                f"period '{key}' starts on {start}, after the as-of day {as_of}: nothing has "
                f"happened in it yet"
            )
        _, end = period_containing(start, kind, org.fiscal_year_start_month)
        # The window of one period of this kind, seen from the as-of day or the period's end.
        period = window(replace(org, default_period=kind, window=1), min(as_of, end))[0]
        if period.key.upper() != key:  # e.g. an ISO week key when weeks start on Sunday
            return None
        return period if as_of <= end else replace(period, is_current=False)
    return None
