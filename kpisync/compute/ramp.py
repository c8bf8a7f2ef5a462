"""The new-hire ramp: the share of a rep's count and sum targets they carry by month of tenure.

A rep who joined last week cannot close a full quota; ``ramp: {months: [25, 50, 75]}`` says they
carry 25 % in the calendar month they start, 50 % in the next, 75 % in the third, then 100 %.
Before their first day they carry nothing, so a rep starting on the 15th carries 25 % of the
business days from the 15th. Tenure starts at the configured start date (``ramp.start_dates``),
else at User.CreatedDate, else the rep is not ramped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from kpisync.compute.model import Rep
from kpisync.compute.periods import add_months
from kpisync.config.model import Config, Kpi


@dataclass(frozen=True)
class Stretch:
    """Days ``start``..``end`` (inclusive) on which the rep carries ``share`` of the target."""

    start: date
    end: date
    share: Fraction


@dataclass(frozen=True)
class Schedule:
    """A rep's ramp; days outside every stretch carry the full target."""

    first_day: date
    stretches: tuple[Stretch, ...]

    def describe(self) -> str:
        return f"new-hire ramp from {self.first_day.isoformat()}"


def schedule(config: Config, kpi: Kpi, rep: Rep) -> Schedule | None:
    """The rep's ramp for ``kpi``: the KPI's own months replace the top-level ones."""
    if not kpi.measure.additive:
        return None
    own = kpi.target.ramp if kpi.target else None
    ramp = own or config.ramp
    if ramp is None or not ramp.months:
        return None
    first_day = start_date(config, rep)
    if first_day is None:
        return None
    stretches = [Stretch(date.min, first_day - timedelta(days=1), Fraction(0))]
    month = date(first_day.year, first_day.month, 1)
    for index, percent in enumerate(ramp.months):
        begin = first_day if index == 0 else add_months(month, index)
        end = add_months(month, index + 1) - timedelta(days=1)
        stretches.append(Stretch(begin, end, Fraction(percent) / 100))
    return Schedule(first_day, tuple(stretches))


def start_date(config: Config, rep: Rep) -> date | None:
    """The configured start date (by username or user Id), else the User's CreatedDate."""
    for who, day in config.ramp.start_dates if config.ramp else ():
        if who.lower() == rep.username.lower() or ("@" not in who and who[:15] == rep.id[:15]):
            return day
    return rep.start_date
