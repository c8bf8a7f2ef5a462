"""The rules behind a page's words: which period a page is about, which periods drill into
their records, a result's status, the weakest cascade step, the focus line.

Each is a plain function over the engine's figures so that a rule a sales leader questions
("why is this Behind and not Missed?") has one place to read and a test to point at.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from kpisync.compute.model import KpiResult, Period, Scorecard
from kpisync.site import formatting as fmt
from kpisync.site.viewdata import STATUS_LABELS, Focus, Status, SummaryCount


def drill_periods(scorecard: Scorecard, focus: Period) -> tuple[str, ...]:
    """The periods whose rep figures link to their records: the focus period and the one
    before it, when the scorecard computed that one (shown or as a comparison)."""
    known = {p.key for p in scorecard.periods}
    previous = focus.previous_key
    if previous is None:  # a hand-built scorecard: the shown period of the kind just before
        earlier = [p for p in scorecard.shown_periods
                   if p.kind == focus.kind and p.end < focus.start]
        previous = max(earlier, key=lambda p: p.end).key if earlier else None
    return (focus.key, previous) if previous in known else (focus.key,)


#: period kinds that are date ranges rather than calendar periods
_RANGE_KINDS = ("ytd", "trailing", "custom")


def focus_period(periods: tuple[Period, ...]) -> Period:
    """The running period of the window (not year to date, a trailing window or a custom
    period), else the latest one."""
    window = [p for p in periods if p.kind not in _RANGE_KINDS] or list(periods)
    if not window:
        raise ValueError("a scorecard needs at least one period")
    return next((p for p in window if p.is_current), window[-1])


def status_of(result: KpiResult | None, period: Period | None) -> Status:
    """The status of one result.

    Met at 100 % attainment or more. Below that, a running period is "on pace" or "behind"
    (compute's pace against the target prorated to today) and a closed one is "missed".
    """
    if result is None:
        key = "no-data"
    elif result.target is None:
        key = "no-target"
    elif result.attainment is None:
        key = "no-data"
    elif result.attainment >= 1:
        key = "met"
    elif period is not None and period.is_current:
        key = "on-pace" if result.on_pace else "behind"
    else:
        key = "missed"
    return Status(key, STATUS_LABELS[key])


def weakest_step(rates: list[Decimal | None]) -> int | None:
    """Index of the lowest conversion rate (the first on a tie), among two or more known rates;
    with a single rate there is nothing to compare it with."""
    known = [(rate, index) for index, rate in enumerate(rates) if rate is not None]
    if len(known) < 2:
        return None
    return min(known, key=lambda pair: pair[0])[1]


def summarise(statuses) -> tuple[SummaryCount, ...]:
    """How many KPIs are in each status, in a fixed order, leaving out empty statuses."""
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status.key] = counts.get(status.key, 0) + 1
    return tuple(
        SummaryCount(Status(key, label), f"{counts[key]:,}")
        for key, label in STATUS_LABELS.items()
        if counts.get(key)
    )


def describe_focus(period: Period, as_of: date) -> Focus:
    dates = fmt.display_range(period.start, period.end)
    if not period.is_current or not period.start <= as_of <= period.end:
        return Focus(period.label, dates, "Closed")
    day = (as_of - period.start).days + 1
    days = (period.end - period.start).days + 1
    elapsed = fmt.display_share(period.elapsed)
    return Focus(period.label, dates, f"Day {day} of {days} · {elapsed} elapsed")
