"""Sync progress for people: a redrawn line per object on a terminal, plain lines in CI.

A terminal gets one line per object, rewritten in place with ``\\r`` after every page and ended
when the object is read completely or the next object starts. Anything else (a CI log, a pipe,
click's CliRunner) gets timestamped lines with no control characters, at most one per object
every ``interval`` seconds plus the object's final line, so a 200-page sync stays a short log::

    2026-11-23T09:40:01Z Task: 4,000 of 12,345 records, 2 pages, 1,950 rec/s

With ``log_format="json"`` the same lines, throttled the same way, are ``sync.progress`` events
of ``kpisync.log_format`` for log collectors, never redrawn.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from kpisync.log_format import json_line
from kpisync.sync.report import ProgressEvent

#: seconds between two plain lines of the same object (its final line is always written)
DEFAULT_INTERVAL = 10.0

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC: the default clock."""
    return datetime.now(UTC)


def progress_display(
    stream: TextIO | None = None,
    *,
    tty: bool | None = None,
    clock: Clock = utc_now,
    interval: float = DEFAULT_INTERVAL,
    log_format: str = "text",
) -> ProgressDisplay:
    """A callable for ``on_progress`` writing to ``stream`` (default: ``sys.stderr`` as it is
    when this is called, so click's CliRunner, which swaps ``sys.stderr``, captures it).

    ``tty`` None asks the stream (``isatty()``). ``clock`` returns aware datetimes; it
    stamps the plain lines and times the rate and the throttle. Call ``close()`` once the sync
    is over: it ends a terminal line left open (a sync stopped mid-object) and writes the
    final plain line still held back by the throttle. ``log_format`` "json" writes the plain
    lines as JSON events, on a terminal too.
    """
    stream = sys.stderr if stream is None else stream
    as_json = log_format == "json"
    if as_json:
        tty = False
    elif tty is None:
        isatty = getattr(stream, "isatty", None)
        tty = bool(isatty and isatty())
    return ProgressDisplay(stream, tty=tty, clock=clock, interval=interval, as_json=as_json)


class ProgressDisplay:
    """Receives a ProgressEvent per stored page; see ``progress_display``."""

    def __init__(self, stream: TextIO, *, tty: bool, clock: Clock, interval: float,
                 as_json: bool = False) -> None:
        self._stream, self._tty, self._clock, self._interval = stream, tty, clock, interval
        self._json = as_json
        #: the object being read, and when it started (when the previous one ended)
        self._sobject: str | None = None
        self._started = clock()
        self._last_seen = self._started
        # terminal: width of the line being redrawn (None: no line open)
        self._open_width: int | None = None
        # plain: when this object's last line was written; the event held back since, with
        # the time it came
        self._written_at: datetime | None = None
        self._pending: tuple[ProgressEvent, datetime] | None = None

    def __call__(self, event: ProgressEvent) -> None:
        now = self._clock()
        if event.sobject != self._sobject:
            self._end_object()
            self._sobject, self._started = event.sobject, self._last_seen
        self._last_seen = now
        if self._tty:
            self._redraw(event, now)
        else:
            self._plain(event, now)

    def close(self) -> None:
        """End the current object's display: the sync is over (or stopped)."""
        self._end_object()
        self._sobject = None

    def _end_object(self) -> None:
        if self._open_width is not None:
            self._write("\n")
            self._open_width = None
        if self._pending is not None:
            self._write_plain(*self._pending)
        self._written_at = None

    def _redraw(self, event: ProgressEvent, now: datetime) -> None:
        text = self._describe(event, now)
        # Pad over what is left of a longer previous text: no escape sequence needed.
        self._write("\r" + text.ljust(self._open_width or 0))
        self._open_width = len(text)
        if _is_complete(event):
            self._write("\n")
            self._open_width = None

    def _plain(self, event: ProgressEvent, now: datetime) -> None:
        due = (self._written_at is None
               or (now - self._written_at).total_seconds() >= self._interval)
        if due or _is_complete(event):
            self._write_plain(event, now)
        else:
            self._pending = (event, now)

    def _write_plain(self, event: ProgressEvent, at: datetime) -> None:
        if self._json:
            rate = self._rate(event, at)
            self._write(json_line("sync.progress", at=at, sobject=event.sobject,
                                  fetched=event.fetched, total=event.total, pages=event.pages,
                                  records_per_second=None if rate is None else round(rate))
                        + "\n")
        else:
            stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self._write(f"{stamp} {self._describe(event, at)}\n")
        self._written_at, self._pending = at, None

    def _describe(self, event: ProgressEvent, at: datetime) -> str:
        pages = f"{event.pages:,} page{'s' if event.pages != 1 else ''}"
        text = f"{event.sobject}: {event.fetched:,} of {event.total:,} records, {pages}"
        rate = self._rate(event, at)
        if rate is not None:
            text += f", {rate:,.0f} rec/s"
        return text

    def _rate(self, event: ProgressEvent, at: datetime) -> float | None:
        """Records per second since the object started; None before any time has passed."""
        seconds = (at - self._started).total_seconds()
        return event.fetched / seconds if seconds > 0 else None

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()


def _is_complete(event: ProgressEvent) -> bool:
    """True on an object's last page: every record the query matched has been fetched.

    ``total`` is Salesforce's ``totalSize`` for the query (deleted rows included under
    queryAll), so it is reached exactly on the last page; an object with no records sends one
    empty page with a total of 0.
    """
    return event.fetched >= event.total
