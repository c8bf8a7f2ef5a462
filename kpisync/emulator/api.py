"""The REST resources under /services/data/vXX.X/: what each answers, independent of HTTP.

``handle(state, method, version, rest, params, headers)`` returns ``(status, body)`` or raises
``ApiError``; ``server.py`` turns either into bytes on the wire and does the counting, limits,
auth and faults around it. Shapes follow the samples in /work/shared/data.
"""

from __future__ import annotations

import re
import secrets
import string
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

from kpisync.emulator import describe, soql
from kpisync.emulator.faults import Faults
from kpisync.emulator.oauth import EmulatorCredentials, Sessions
from kpisync.emulator.orgdata import OrgData

OLDEST_VERSION = 31  # Summer '14, where versions.json starts
NOT_FOUND = ("NOT_FOUND", "The requested resource does not exist")
_SEASONS = ("Summer", "Winter", "Spring")
_BATCH_SIZE = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)
_MORE = re.compile(r"^/(query|queryAll)/(01g[A-Za-z0-9]{15})-(\d+)/?$")
_ALPHANUMERIC = string.ascii_uppercase + string.ascii_lowercase + string.digits


class ApiError(Exception):
    """An error answer: HTTP status and Salesforce's ``[{"message", "errorCode"}]`` body."""

    def __init__(self, status: int, error_code: str, message: str):
        self.status = status
        self.error_code = error_code
        self.message = message
        super().__init__(f"{status} {error_code}: {message}")

    def body(self) -> list[dict]:
        return [{"message": self.message, "errorCode": self.error_code}]


@dataclass
class Cursor:
    """A query's matching rows as they were when it ran: later changes do not leak in."""

    query: soql.Query
    rows: list[dict]
    page_size: int
    last_used: float = field(default_factory=time.monotonic)


class Cursors:
    """Open query locators. Like Salesforce's, they expire after 15 idle minutes, and only so
    many stay open per user (the oldest is dropped first)."""

    IDLE_SECONDS = 15 * 60
    MAX_OPEN = 50

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: OrderedDict[str, Cursor] = OrderedDict()

    def open(self, cursor: Cursor) -> str:
        locator = "01g" + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(15))
        with self._lock:
            self._open[locator] = cursor
            while len(self._open) > self.MAX_OPEN:
                self._open.popitem(last=False)
        return locator

    def get(self, locator: str) -> Cursor | None:
        now = time.monotonic()
        with self._lock:
            cursor = self._open.get(locator)
            if cursor is None or now - cursor.last_used > self.IDLE_SECONDS:
                self._open.pop(locator, None)
                return None
            cursor.last_used = now
            self._open.move_to_end(locator)
            return cursor


@dataclass
class ApiState:
    """Everything one running emulator shares between its request threads."""

    org: OrgData
    api_version: str
    daily_api_limit: int
    page_size: int
    credentials: EmulatorCredentials
    sessions: Sessions = field(default_factory=Sessions)
    faults: Faults = field(default_factory=Faults)
    cursors: Cursors = field(default_factory=Cursors)
    url: str = ""
    api_calls: int = 0
    # Bulk API 2.0 query jobs (bulk.py): polls until JobComplete, records per result set, the
    # DailyBulkV2QueryJobs limit, jobs created so far, and the jobs by Id (under ``lock``).
    bulk_polls_to_complete: int = 2
    bulk_page_size: int = 50_000
    daily_bulk_query_jobs: int = 10_000
    #: a query (not a count) matching more rows than this answers QUERY_TIMEOUT; None: never
    query_timeout_rows: int | None = None
    bulk_jobs_created: int = 0
    bulk_jobs: dict = field(default_factory=dict)
    recent: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    RECENT_MAX = 200

    def count_call(self) -> int:
        """Count one API call against the daily limit; the new total."""
        with self.lock:
            self.api_calls += 1
            return self.api_calls

    def note_request(self, method: str, target: str) -> None:
        with self.lock:
            self.recent.append(f"{method} {target}")
            del self.recent[: -self.RECENT_MAX]


def versions(api_version: str) -> list[dict]:
    """GET /services/data/: every version from v31.0 up to the emulator's, with its release."""
    newest = int(float(api_version))
    out = []
    for number in range(OLDEST_VERSION, newest + 1):
        n = number - OLDEST_VERSION
        label = f"{_SEASONS[n % 3]} '{14 + (n + 2) // 3:02d}"
        out.append({"label": label, "url": f"/services/data/v{number}.0",
                    "version": f"{number}.0"})
    return out


def supported(state: ApiState, version: str) -> bool:
    return any(v["version"] == version for v in versions(state.api_version))


def handle(state: ApiState, method: str, version: str, rest: str,
           params: Mapping[str, str], headers: Mapping[str, str]) -> tuple[int, object]:
    """The answer to one authenticated, counted request under /services/data/v{version}."""
    if not supported(state, version):
        raise ApiError(404, *NOT_FOUND)
    route = _route(rest)
    if route is None:
        raise ApiError(404, *NOT_FOUND)
    if method not in ("GET", "HEAD"):
        raise ApiError(405, "METHOD_NOT_ALLOWED",
                       f"HTTP Method '{method}' not allowed. Allowed are GET,HEAD")
    name, args = route
    if name == "resources":
        base = f"/services/data/v{version}"
        return 200, {k: f"{base}/{k}" for k in ("limits", "query", "queryAll", "sobjects")}
    if name == "limits":
        return 200, limits(state)
    if name == "global":
        return 200, describe.describe_global(state.org, version)
    if name == "describe":
        return 200, describe.describe_sobject(state.org, _sobject(state, args[0]), version)
    if name == "record":
        return 200, _record_by_id(state, _sobject(state, args[0]), args[1], version)
    if name == "more":
        return 200, _more(state, args[1], int(args[2]), version, headers)
    return 200, _query(state, params.get("q", ""), all_rows=name == "queryAll",
                       version=version, headers=headers)


def _route(rest: str) -> tuple[str, tuple[str, ...]] | None:
    path = rest if rest.endswith("/") or rest == "" else rest + "/"
    simple = {"/": "resources", "": "resources", "/limits/": "limits", "/sobjects/": "global",
              "/query/": "query", "/queryAll/": "queryAll"}
    if path in simple:
        return simple[path], ()
    match = _MORE.match(rest)
    if match:
        return "more", match.groups()
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[0] == "sobjects" and parts[2] == "describe":
        return "describe", (parts[1],)
    if len(parts) == 3 and parts[0] == "sobjects":
        return "record", (parts[1], parts[2])
    return None


def _sobject(state: ApiState, name: str) -> str:
    """The canonical object name (URLs match case-insensitively), or 404."""
    for known in state.org.objects():
        if known.lower() == name.lower():
            return known
    raise ApiError(404, *NOT_FOUND)


def limits(state: ApiState) -> dict:
    """GET /limits: the sample's keys, with DailyApiRequests reflecting the calls made."""
    def fixed(maximum: int) -> dict:
        return {"Max": maximum, "Remaining": maximum}

    return {
        "ConcurrentAsyncGetReportInstances": fixed(200),
        "DailyApiRequests": {"Max": state.daily_api_limit,
                             "Remaining": max(0, state.daily_api_limit - state.api_calls)},
        "DailyAsyncApexExecutions": fixed(250000),
        "DailyBulkApiBatches": fixed(15000),
        "DailyBulkV2QueryFileStorageMB": fixed(976562),
        "DailyBulkV2QueryJobs": {
            "Max": state.daily_bulk_query_jobs,
            "Remaining": max(0, state.daily_bulk_query_jobs - state.bulk_jobs_created)},
    }


def _record_by_id(state: ApiState, sobject: str, record_id: str, version: str) -> dict:
    row = state.org.get(sobject, record_id)
    if row is None:
        raise ApiError(404, *NOT_FOUND)
    out = {"attributes": {"type": sobject,
                          "url": f"/services/data/v{version}/sobjects/{sobject}/{record_id}"}}
    out.update({name: row.get(name) for name in state.org.fields(sobject)})
    return out


def page_size(state: ApiState, headers: Mapping[str, str]) -> int:
    """min(emulator page size, Sforce-Query-Options batchSize); a batchSize outside 200..2000
    is ignored, as Salesforce treats it as a hint only."""
    size = state.page_size
    match = _BATCH_SIZE.search(headers.get("Sforce-Query-Options", ""))
    if match and 200 <= int(match.group(1)) <= 2000:
        size = min(size, int(match.group(1)))
    return size


def _query(state: ApiState, text: str, *, all_rows: bool, version: str,
           headers: Mapping[str, str]) -> dict:
    if not text.strip():
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    schema = {name: state.org.fields(name) for name in state.org.objects()}
    try:
        query = soql.parse(text, schema)
    except soql.SoqlError as exc:
        raise ApiError(400, exc.error_code, exc.message) from None
    rows = state.org.records(query.sobject)
    if not all_rows:  # query hides the recycle bin and archived activities; queryAll does not
        rows = [r for r in rows if not r.get("IsDeleted") and not r.get("IsArchived")]
    matched = soql.run(query, rows)
    if query.is_count:
        return {"totalSize": len(matched), "done": True, "records": []}
    if state.query_timeout_rows is not None and len(matched) > state.query_timeout_rows:
        # Salesforce gives up on a query that runs too long (2 minutes over REST); here a
        # query is "too long" when it matches too many rows, so narrower windows succeed.
        raise ApiError(400, "QUERY_TIMEOUT", "Your query request was running for too long.")
    cursor = Cursor(query, matched, page_size(state, headers))
    if len(matched) <= cursor.page_size:
        return _page(cursor, None, 0, cursor.page_size, version)
    return _page(cursor, state.cursors.open(cursor), 0, cursor.page_size, version)


def _more(state: ApiState, locator: str, offset: int, version: str,
          headers: Mapping[str, str]) -> dict:
    cursor = state.cursors.get(locator)
    if cursor is None or not 0 <= offset < len(cursor.rows):
        raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    size = page_size(state, headers) if "Sforce-Query-Options" in headers else cursor.page_size
    return _page(cursor, locator, offset, size, version)


def _page(cursor: Cursor, locator: str | None, offset: int, size: int, version: str) -> dict:
    chunk = cursor.rows[offset: offset + size]
    end = offset + len(chunk)
    done = end >= len(cursor.rows)
    body: dict = {"totalSize": len(cursor.rows), "done": done}
    if not done:
        body["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
    sobject, fields = cursor.query.sobject, cursor.query.fields
    prefix = f"/services/data/v{version}/sobjects/{sobject}/"
    body["records"] = [
        {"attributes": {"type": sobject, "url": prefix + row["Id"]},
         **{name: row.get(name) for name in fields}}
        for row in chunk
    ]
    return body
