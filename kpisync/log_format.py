"""``--log-format json``: what kpisync writes on stderr, as one JSON object per line.

Log collectors (Loki, CloudWatch, Datadog, a CI's log search) parse a line per event rather
than text meant for people. Every line has the same first keys, then the event's own fields::

    {"timestamp": "2026-11-23T09:40:01.000Z", "level": "info", "event": "sync.progress",
     "sobject": "Task", "fetched": 4000, "total": 12345, "pages": 2, "records_per_second": 1950}

Events: ``sync.progress`` (a page stored, throttled like the plain progress lines), ``error``
(what ends a command with exit 1: ``message``, ``error`` the class, and the error's context),
``note`` (what admins should know about the figures) and ``log`` (kpisync's own logging:
token requests, re-logins, Bulk API jobs). stdout is never touched: ``--json`` reports and
the site paths print exactly as in text mode.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

LOG_FORMATS = ("text", "json")


def timestamp(at: datetime) -> str:
    """UTC, to the millisecond, with a Z: the form log collectors parse without a hint."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_line(event: str, *, level: str = "info", at: datetime | None = None,
              **fields: Any) -> str:
    """One event as a JSON object on one line (no newline at the end). Values JSON cannot
    hold (a Decimal, a date) are written as text."""
    record = {"timestamp": timestamp(at or datetime.now(UTC)), "level": level, "event": event,
              **fields}
    return json.dumps(record, default=str, ensure_ascii=False)


class JsonLogFormatter(logging.Formatter):
    """A ``logging`` record as a ``log`` event: the logger's name and the formatted message."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {"logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            fields["traceback"] = self.formatException(record.exc_info)
        return json_line("log", level=record.levelname.lower(),
                         at=datetime.fromtimestamp(record.created, UTC), **fields)


class _CurrentStderr(logging.StreamHandler):
    """Writes to ``sys.stderr`` as it is at each record, so that click's CliRunner, which
    swaps it per invocation, captures the lines."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ sets it; always sys.stderr
        pass


def log_as_json(level: int = logging.INFO) -> logging.Handler:
    """Send the ``kpisync`` loggers' records at ``level`` and above to stderr as JSON lines
    (and nowhere else); returns the handler, for ``stop_logging_as_json``."""
    handler = _CurrentStderr()
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger("kpisync")
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return handler


def stop_logging_as_json(handler: logging.Handler) -> None:
    logger = logging.getLogger("kpisync")
    logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)
    logger.propagate = True
