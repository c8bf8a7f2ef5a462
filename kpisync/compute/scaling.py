"""Scaling an additive target to any period: business-day proration from the default period.

The target for a period P is the sum, over the default periods B that overlap P, of
target(B) × business days of P∩B ÷ business days of B (calendar days for a B with no business
day at all), with a new hire's ramp weighting each day. The arithmetic is done in fractions so
that the pieces tiling a period add up to it exactly; ``round_target`` rounds once, at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from kpisync.compute import ramp as ramps
from kpisync.compute.calendar import business_days
from kpisync.compute.model import Period
from kpisync.compute.periods import describe, period_containing
from kpisync.config.model import Org, PeriodAmounts

#: the same few spans are asked for again and again (a month, its weeks, the quarter)
cached_business_days = lru_cache(maxsize=65536)(business_days)
_PLACES = 10_000  # targets are rounded to 4 decimal places, once, at the end


@dataclass(frozen=True)
class Entry:
    """The part of ``target:`` that applies to some reps: the default or one override."""

    per_rep: Decimal | None
    #: (period kind, amount)
    per_period: PeriodAmounts
    #: (period key, amount)
    periods: PeriodAmounts
    #: "default per_rep (kpis.yaml line 63)", "segment Enterprise override (kpis.yaml line 72)"
    label: str
    #: what the plain amount is called in kpis.yaml, for explain: ``per_rep`` or ``team_totals``
    amount_name: str = "per_rep"

    def for_key(self, key: str) -> Decimal | None:
        return next((amount for k, amount in self.periods if k == key), None)

    def for_kind(self, kind: str) -> Decimal | None:
        return next((amount for k, amount in self.per_period if k == kind), None)


def explicit_source(name: str, entry: Entry) -> str:
    """For people: "explicit quarter target of the segment SMB override (kpis.yaml line 41)"."""
    label = entry.label.replace("default per_rep", "default target")
    return f"explicit {name} target of the {label}"


@dataclass(frozen=True)
class Part:
    """One term of an additive target: the target ``amount`` of the days ``start``..``end``
    (a default period, or the period itself for an explicit target), times the share of them
    the period covers: Σ(days × share) over ``days`` ÷ ``of_days``."""

    key: str
    start: date
    end: date
    amount: Decimal
    #: where in the entry the amount is written: ``per_rep``, ``per_period: month``,
    #: ``periods: 2026-07``, ``team_totals``
    written_as: str
    #: (days the period covers, share of the target carried on them): the share is 1, or a
    #: new hire's ramp percentage (0 before their first day)
    days: tuple[tuple[int, Fraction], ...]
    of_days: int
    #: the block has no business day, so days are calendar days
    calendar: bool
    #: amount × Σ(days × share) ÷ of_days, exactly
    value: Fraction


@dataclass(frozen=True)
class Scaled:
    """An additive target before rounding: its exact value, how it was got (one line, for
    people) and its terms, which add up to the value exactly."""

    value: Fraction | None
    how: str
    parts: tuple[Part, ...] = ()


def scaled(org: Org, entry: Entry, period: Period, schedule: ramps.Schedule | None = None
           ) -> tuple[Fraction | None, str]:
    """The exact (unrounded) additive target of ``entry`` for ``period``, and how it was got."""
    found = scaled_parts(org, entry, period, schedule)
    return found.value, found.how


def scaled_parts(org: Org, entry: Entry, period: Period,
                 schedule: ramps.Schedule | None = None) -> Scaled:
    """``scaled``, with the terms it is the sum of (what ``kpisync explain`` prints)."""
    start, end = target_span(period, org)
    for name, amount, written in (
            (period.key, entry.for_key(period.key), f"periods: {period.key}"),
            (period.kind, entry.for_kind(period.kind), f"per_period: {period.kind}")):
        if amount is not None:
            part = _share(period.key, amount, written, (start, end), (start, end), org,
                          schedule)
            return Scaled(part.value, explicit_source(name, entry), (part,))
    parts = []
    blocks = default_periods(org, start, end)
    named = []
    for key, b_start, b_end in blocks:
        amount, written = entry.for_key(key), f"periods: {key}"
        if amount is not None:
            named.append(key)
        else:
            amount, written = entry.for_kind(org.default_period), \
                f"per_period: {org.default_period}"
            if amount is None:
                amount, written = entry.per_rep, entry.amount_name
        if amount is None:
            return Scaled(None, "")
        parts.append(_share(key, amount, written, (b_start, b_end), (start, end), org,
                            schedule))
    return Scaled(sum((p.value for p in parts), Fraction(0)),
                  entry.label + _how_scaled(org, blocks, (start, end), named), tuple(parts))


def _how_scaled(org: Org, blocks, span: tuple[date, date], named: list[str]) -> str:
    whole = blocks[0][1] == span[0] and blocks[-1][2] == span[1]
    if whole and len(blocks) == 1:
        how = ""
    elif whole:
        how = f" × {len(blocks)} {org.default_period.replace('_', ' ')}s"
    else:
        how = ", prorated by business days"
    if named:
        how += f" (explicit {', '.join(named)} included)"
    return how


def _share(key: str, amount: Decimal, written_as: str, block: tuple[date, date],
           part: tuple[date, date], org: Org, schedule: ramps.Schedule | None) -> Part:
    """The part of ``amount`` (the target of ``block``) that falls on the days of ``part``,
    weighted by business days and by the ramp."""
    calendar = cached_business_days(block[0], block[1], org) == 0

    def weight(a: date, b: date) -> int:
        if calendar:
            return max((b - a).days + 1, 0)
        return cached_business_days(a, b, org)

    lo, hi = max(block[0], part[0]), min(block[1], part[1])
    days: list[tuple[int, Fraction]] = []
    if lo <= hi:
        # the ramp's stretches never overlap: the days outside all of them carry it in full
        full = weight(lo, hi)
        for stretch in schedule.stretches if schedule else ():
            s_lo, s_hi = max(lo, stretch.start), min(hi, stretch.end)
            if s_lo <= s_hi:
                days.append((weight(s_lo, s_hi), stretch.share))
                full -= days[-1][0]
        days.insert(0, (full, Fraction(1)))
    of_days = weight(block[0], block[1])
    covered = sum((n * share for n, share in days), Fraction(0))
    return Part(key, block[0], block[1], amount, written_as,
                tuple((n, share) for n, share in days if n), of_days, calendar,
                Fraction(amount) * covered / of_days)


def target_span(period: Period, org: Org) -> tuple[date, date]:
    """The days a period's target covers: its own, except that year to date runs to the end
    of the running default period (which it counts in full)."""
    if period.kind == "ytd":
        return period.start, period_containing(period.end, org.default_period,
                                               org.fiscal_year_start_month, org.week_start)[1]
    return period.start, period.end


def default_periods(org: Org, start: date, end: date) -> list[tuple[str, date, date]]:
    """(key, start, end) of each ``org.default_period`` overlapping ``start``..``end``."""
    found = []
    day = start
    while day <= end:
        b_start, b_end = period_containing(day, org.default_period, org.fiscal_year_start_month,
                                           org.week_start)
        key, _ = describe(b_start, org.default_period, org.fiscal_year_start_month)
        found.append((key, b_start, b_end))
        day = b_end + timedelta(days=1)
    return found


def round_target(value: Fraction) -> Decimal:
    """To 4 decimal places, half to even, exactly (no float, no context precision)."""
    return Decimal(round(value * _PLACES)).scaleb(-4)
