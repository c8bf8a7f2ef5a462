"""Fault injection: make the emulator fail the way Salesforce (or the network) sometimes does.

``Faults.inject(kind, on_call=N, times=T, path_contains=P)`` arms a fault that fires on the
N-th counted API call from now (the next one when ``on_call`` is None) among the calls whose
path contains ``P``, and keeps firing for ``T`` such calls in a row. Each armed fault counts
calls on its own; when two are due on the same call the one injected first fires, the other
waits for the next matching call.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

JSON = "application/json;charset=UTF-8"

#: A CDN maintenance page, as Salesforce's edge answers while an instance is unreachable (the
#: sample in SOURCES.md was such an HTML 503, not a JSON error array).
_CDN_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Service Not Available</title></head>\n"
    "<body><h1>Service Not Available</h1>\n"
    "<p>The Salesforce CDN partner could not reach the server. Please try again later.</p>\n"
    "</body></html>\n"
)


def _errors(code: str, message: str, **extra) -> bytes:
    return json.dumps([{"message": message, "errorCode": code, **extra}]).encode()


@dataclass(frozen=True)
class FaultResponse:
    """What the server sends instead of the real answer; ``status`` None drops the connection."""

    status: int | None
    body: bytes = b""
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()
    #: False for answers an edge proxy would give, which carry no Sforce-Limit-Info
    from_salesforce: bool = True


RESPONSES: dict[str, FaultResponse] = {
    "http_503_html": FaultResponse(503, _CDN_PAGE.encode(), "text/html;charset=UTF-8",
                                   from_salesforce=False),
    "http_500": FaultResponse(500, _errors(
        "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you "
        "contact support: 1234567890-12345 (-1234567890)")),
    "server_unavailable": FaultResponse(503, _errors("SERVER_UNAVAILABLE", "Server too busy")),
    # The sample's status is unknown; REST answers DML errors such as this one with 400, so the
    # client must recognise it by errorCode rather than by status (see docs/emulator.md).
    "unable_to_lock_row": FaultResponse(400, _errors(
        "UNABLE_TO_LOCK_ROW",
        "unable to obtain exclusive access to this record or 1 records: 001XXXXXXXXXXXXXXX",
        fields=[])),
    "query_timeout": FaultResponse(400, _errors(
        "QUERY_TIMEOUT", "Your query request was running for too long.")),
    "drop_connection": FaultResponse(None),
    "expired_session": FaultResponse(401, _errors("INVALID_SESSION_ID",
                                                  "Session expired or invalid"),
                                     headers=(("WWW-Authenticate", "Token"),)),
    "request_limit": FaultResponse(403, _errors("REQUEST_LIMIT_EXCEEDED",
                                                "TotalRequests Limit exceeded.")),
    "invalid_locator": FaultResponse(400, _errors("INVALID_QUERY_LOCATOR",
                                                  "invalid query locator")),
    "http_429": FaultResponse(429, b"Too Many Requests\n", "text/plain;charset=UTF-8",
                              headers=(("Retry-After", "1"),), from_salesforce=False),
}
KINDS = tuple(RESPONSES)


@dataclass
class _Armed:
    kind: str
    skip: int
    times: int
    path_contains: str | None

    def matches(self, path: str) -> bool:
        return self.path_contains is None or self.path_contains in path


class Faults:
    """The faults armed on one emulator. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[_Armed] = []
        #: (kind, path) of every fault fired, oldest first
        self.fired: list[tuple[str, str]] = []

    def inject(self, kind: str, *, on_call: int | None = None, times: int = 1,
               path_contains: str | None = None) -> None:
        """Arm ``kind`` (one of ``KINDS``); ValueError for an unknown kind or bad numbers."""
        if kind not in RESPONSES:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if on_call is not None and (isinstance(on_call, bool) or not isinstance(on_call, int)
                                    or on_call < 1):
            raise ValueError(f"on_call must be a positive integer, got {on_call!r}")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be a positive integer, got {times!r}")
        with self._lock:
            self._armed.append(_Armed(kind, (on_call or 1) - 1, times, path_contains))

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._armed.clear()

    def pending(self) -> int:
        with self._lock:
            return len(self._armed)

    def take(self, path: str) -> FaultResponse | None:
        """Called by the server once per counted call: the fault to answer with, if one is due."""
        with self._lock:
            due = None
            for fault in self._armed:
                if not fault.matches(path):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                elif due is None:
                    due = fault
            if due is None:
                return None
            due.times -= 1
            if due.times == 0:
                self._armed.remove(due)
            self.fired.append((due.kind, path))
            return RESPONSES[due.kind]
