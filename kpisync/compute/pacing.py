"""Pacing: partway through a running period, is the actual keeping up with the target?

Time runs on business days (``compute.calendar``): 4 of 20 business days gone means a fifth
of a count or sum target is expected by now, whatever the weekends and holidays in between.
The as-of day counts as elapsed. Year to date is measured against its target span, which runs
to the end of the running default period (``scaling.target_span``).

- expected = target × elapsed business days ÷ business days in the period (counts and sums);
  the target itself for averages, ratios and durations, which do not accumulate.
- pace: "ahead" above expected by more than the tolerance (``pacing.tolerance``, 10 % by
  default), "behind" below it by more, else "on_pace"; inverted where lower is better.
- projected = actual ÷ elapsed business days × business days in the period for counts and
  sums (the rate so far, kept up); the actual for the others.

Before any business day has elapsed (the 1st falls on a Saturday) nothing can be judged: the
pace and projection are None, not "behind". So are they without a target, for a target of 0,
and for closed periods, where attainment tells the story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from kpisync.compute.model import Pace, Period
from kpisync.compute.scaling import cached_business_days, round_target, target_span
from kpisync.config.model import Config, Kpi, Org


@dataclass(frozen=True)
class Progress:
    expected: Decimal | None = None
    pace: Pace | None = None
    projected: Decimal | None = None

    @property
    def on_pace(self) -> bool | None:
        """The two-state view the site has always shown: ahead counts as on pace."""
        return None if self.pace is None else self.pace != "behind"


def pacing(config: Config, kpi: Kpi, period: Period, as_of: date, actual: Decimal | None,
           target: Decimal | None) -> Progress:
    if not period.is_current or target is None:
        return Progress()
    share = elapsed_share(config.org, period, as_of)
    additive = kpi.measure.additive
    if share is None:
        return Progress(expected=Decimal(0) if additive else target)
    expected = _fraction(target) * share if additive else _fraction(target)
    projected = None
    if actual is not None:
        projected = round_target(_fraction(actual) / share) if additive else actual
    state = None
    if actual is not None and target > 0:
        state = _state(_fraction(actual), expected, kpi.direction == "lower",
                       Fraction(config.pacing.tolerance) / 100)
    return Progress(round_target(expected), state, projected)


@lru_cache(maxsize=256)
def elapsed_share(org: Org, period: Period, as_of: date) -> Fraction | None:
    """Business days elapsed ÷ business days in the period's target span; None before the
    first business day (or in a span without any). The same for every cell of a period, so
    worked out once."""
    start, end = target_span(period, org)
    total = cached_business_days(start, end, org)
    done = cached_business_days(start, min(as_of, end), org)
    return None if done == 0 or total == 0 else Fraction(done, total)


def _fraction(value: Decimal) -> Fraction:
    return Fraction(*value.as_integer_ratio())


def _state(actual: Fraction, expected: Fraction, lower: bool, tolerance: Fraction) -> Pace:
    """Compare like attainment: actual ÷ expected, or expected ÷ actual where lower is better."""
    if lower and actual == 0:
        return "ahead"
    ratio = expected / actual if lower else actual / expected
    if ratio > 1 + tolerance:
        return "ahead"
    if ratio < 1 - tolerance:
        return "behind"
    return "on_pace"
