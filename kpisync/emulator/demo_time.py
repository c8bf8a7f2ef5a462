"""The demo org's calendar: which days it covers, and Salesforce-shaped timestamps.

Times are plain integers (seconds since 0001-01-01 UTC, i.e. ``date.toordinal() * 86400``) while
records are generated: comparing and adding integers is what keeps a 200,000-Task org fast.
They become REST JSON strings (``2026-05-04T14:03:09.000+0000``) only when a record is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

DAY = 86_400
HOUR = 3_600
#: reps log activity between 09:00 New York and 19:00 New York (13:00-23:00 UTC, summer time)
WORK_START = 13 * HOUR
WORK_END = 23 * HOUR


def resolve_clock(as_of: date | None, now: datetime | None) -> tuple[date, datetime]:
    """The ``as_of`` day and the ``now`` instant the org is generated for.

    ``now`` bounds every timestamp. When ``as_of`` is today it is the real time; for a past
    ``as_of`` it is 23:00 UTC that day, so the same ``as_of`` always yields the same org.
    """
    today = datetime.now(UTC).date()
    if as_of is None:
        as_of = now.astimezone(UTC).date() if now is not None else today
    if now is None:
        now = datetime.now(UTC) if as_of == today else datetime.combine(as_of, time(23), UTC)
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
    now = now.astimezone(UTC)
    if now.date() < as_of:
        raise ValueError(f"now ({now.isoformat()}) is before as_of ({as_of.isoformat()})")
    return as_of, now


def window_start(as_of: date) -> date:
    """The first day of the month twelve months before ``as_of``'s month.

    Starting on a month boundary gives twelve whole months before the current one, so every
    monthly KPI in the site's window has complete data.
    """
    index = as_of.year * 12 + as_of.month - 1 - 12
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class Timeline:
    """Days, workdays and the ``now`` bound of one generated org."""

    as_of: date
    now: datetime
    start: date = field(init=False)
    now_s: int = field(init=False)
    _iso: dict[int, str] = field(init=False, default_factory=dict)
    _clock: dict[int, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.start = window_start(self.as_of)
        self.now_s = self.now.date().toordinal() * DAY + (
            self.now.hour * HOUR + self.now.minute * 60 + self.now.second
        )

    @property
    def as_of_ordinal(self) -> int:
        return self.as_of.toordinal()

    def days(self) -> list[date]:
        """Every day from the window start to ``as_of`` inclusive."""
        count = (self.as_of - self.start).days + 1
        return [self.start + timedelta(days=i) for i in range(count)]

    def day_iso(self, ordinal: int) -> str:
        text = self._iso.get(ordinal)
        if text is None:
            text = self._iso[ordinal] = date.fromordinal(ordinal).isoformat()
        return text

    def stamp(self, seconds: int) -> str:
        """A REST datetime string for an instant in seconds."""
        ordinal, rest = divmod(seconds, DAY)
        clock = self._clock.get(rest)
        if clock is None:
            hour, minute = divmod(rest // 60, 60)
            clock = self._clock[rest] = f"T{hour:02d}:{minute:02d}:{rest % 60:02d}.000+0000"
        day = self._iso.get(ordinal)
        return (day or self.day_iso(ordinal)) + clock

    def date_of(self, seconds: int) -> str:
        return self.day_iso(seconds // DAY)

    def add_workdays(self, ordinal: int, count: int) -> int:
        """The day ``count`` workdays after the day ``ordinal``, skipping weekends."""
        while count > 0:
            ordinal += 1
            if date.fromordinal(ordinal).weekday() < 5:
                count -= 1
        return ordinal

    def later(self, start: int, delay: int) -> int | None:
        """``start + delay`` if that instant is already past, else None."""
        moment = start + delay
        return moment if moment < self.now_s else None

    def before_now(self, start: int, delay: int) -> int:
        """``start + delay``, pulled back between ``start`` and ``now`` if it would be later."""
        moment = start + delay
        if moment < self.now_s:
            return moment
        return start + max(0, (self.now_s - start - 1) // 2)
