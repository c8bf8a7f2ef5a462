"""Bulk API 2.0 query jobs: the job store, the job lifecycle and the CSV writer.

    POST   /services/data/vXX.X/jobs/query                  create (state UploadComplete)
    GET    /services/data/vXX.X/jobs/query/{id}             job info; each poll moves it on
    GET    /services/data/vXX.X/jobs/query/{id}/results     one result set as CSV
    PATCH  /services/data/vXX.X/jobs/query/{id}             {"state": "Aborted"}
    DELETE /services/data/vXX.X/jobs/query/{id}             204

The query is parsed and run when the job is created, with the same SOQL subset and errors as
the REST query resource, so the results are a snapshot of that moment. The job then reports
InProgress on each poll until the ``bulk_polls_to_complete``-th, which reports JobComplete: a
client's wait loop runs for real but finishes in a few polls. Jobs live in
``ApiState.bulk_jobs`` and change only under ``ApiState.lock``. Shapes follow the bulk2_*
samples in /work/shared/data; see docs/emulator.md for the choices where Salesforce's behaviour
was not captured.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kpisync.emulator import soql
from kpisync.emulator.api import NOT_FOUND, ApiError, ApiState, supported
from kpisync.emulator.demo_ids import id18
from kpisync.emulator.faults import JSON
from kpisync.emulator.orgdata import now_stamp

#: Query jobs exist from API version 47.0 on; below it the resource is unknown (404).
FIRST_VERSION = 47
#: From v50.0 result columns follow the SELECT order; before, they were alphabetical.
SELECT_ORDER_VERSION = 50
CSV = "text/csv"
DELIMITERS = {"BACKQUOTE": "`", "CARET": "^", "COMMA": ",", "PIPE": "|", "SEMICOLON": ";",
              "TAB": "\t"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
UPLOAD_COMPLETE, IN_PROGRESS, JOB_COMPLETE = "UploadComplete", "InProgress", "JobComplete"
ABORTED, FAILED = "Aborted", "Failed"
_TERMINAL = (JOB_COMPLETE, ABORTED, FAILED)
_STATUS_NAMES = {UPLOAD_COMPLETE: "UPLOAD_COMPLETE", IN_PROGRESS: "IN_PROGRESS",
                 JOB_COMPLETE: "JOB_COMPLETE", ABORTED: "ABORTED", FAILED: "FAILED"}
_PATH = re.compile(r"^/jobs/query(?:/(?P<id>[^/]+)(?P<results>/results)?)?/?$")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class BulkAnswer:
    """A bulk resource's answer: unlike the REST resources, not always JSON (results are CSV,
    DELETE has no body), so the server sends these bytes and headers as they are."""

    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class QueryJob:
    """One query job. ``rows`` are the matching records when the job was created."""

    id: str
    operation: str
    sobject: str
    columns: tuple[str, ...]
    rows: list[dict]
    api_version: str
    created_by: str
    delimiter: str
    line_ending: str
    polls_to_complete: int
    created: str = field(default_factory=now_stamp)
    modstamp: str = ""
    state: str = UPLOAD_COMPLETE
    polls: int = 0
    started: float = field(default_factory=time.monotonic)
    processing_ms: int = 0

    def __post_init__(self) -> None:
        self.modstamp = self.modstamp or self.created

    def poll(self) -> None:
        """One GET of the job info: InProgress until the configured poll, then JobComplete."""
        if self.state in _TERMINAL:
            return
        self.polls += 1
        if self.polls >= self.polls_to_complete:
            self.complete()
        elif self.state != IN_PROGRESS:
            self.state, self.modstamp = IN_PROGRESS, now_stamp()

    def abort(self) -> None:
        self.state, self.modstamp = ABORTED, now_stamp()

    def complete(self) -> None:
        self.state, self.modstamp = JOB_COMPLETE, now_stamp()
        self.processing_ms = int((time.monotonic() - self.started) * 1000)

    def info(self, *, brief: bool = False) -> dict:
        """The job as Salesforce describes it: the keys of bulk2_query_job_created.json when
        ``brief`` (the create and abort answers), else those of bulk2_query_job_complete.json."""
        out = {"id": self.id, "operation": self.operation, "object": self.sobject,
               "createdById": self.created_by, "createdDate": self.created,
               "systemModstamp": self.modstamp, "state": self.state,
               "concurrencyMode": "Parallel", "contentType": "CSV",
               "apiVersion": float(self.api_version)}
        if not brief:
            out["jobType"] = "V2Query"
        out["lineEnding"] = self.line_ending
        out["columnDelimiter"] = self.delimiter
        if not brief:
            done = self.state == JOB_COMPLETE
            out.update(numberRecordsProcessed=len(self.rows) if done else 0, retries=0,
                       totalProcessingTime=self.processing_ms)
        return out


# ---------------------------------------------------------------------------------- routing

def handles(rest: str) -> bool:
    """Whether ``rest`` (the path after /services/data/vXX.X) is a Bulk API 2.0 resource."""
    return rest == "/jobs" or rest.startswith("/jobs/")


def handle(state: ApiState, method: str, version: str, rest: str,
           params: Mapping[str, str], body: bytes) -> BulkAnswer:
    """The answer to one authenticated, counted request under /services/data/vX/jobs.

    Raises ApiError for error answers (JSON arrays, as everywhere in the API)."""
    match = _PATH.match(rest)
    if not supported(state, version) or int(float(version)) < FIRST_VERSION or match is None:
        raise ApiError(404, *NOT_FOUND)
    method = "GET" if method == "HEAD" else method
    job_id, results = match.group("id"), bool(match.group("results"))
    if job_id is None:
        _allow(method, ("POST",))
        return _json(200, _create(state, version, body))
    if results:
        _allow(method, ("GET",))
        return _results(state, job_id, version, params)
    _allow(method, ("GET", "PATCH", "DELETE"))
    with state.lock:
        job = _job(state, job_id)
        if method == "GET":
            job.poll()
            return _json(200, job.info())
        if method == "PATCH":
            return _json(200, _abort(job, body))
        if job.state not in _TERMINAL:
            raise ApiError(400, "API_ERROR", "Error encountered when deleting the job because "
                                             "the job is not terminated")
        del state.bulk_jobs[job_id]
        return BulkAnswer(204)


def _allow(method: str, allowed: Sequence[str]) -> None:
    if method not in allowed:
        raise ApiError(405, "METHOD_NOT_ALLOWED",
                       f"HTTP Method '{method}' not allowed. Allowed are {','.join(allowed)}")


def _json(status: int, payload: object) -> BulkAnswer:
    return BulkAnswer(status, json.dumps(payload).encode())


def _job(state: ApiState, job_id: str) -> QueryJob:
    job = state.bulk_jobs.get(job_id)
    if job is None:
        raise ApiError(404, *NOT_FOUND)
    return job


# ------------------------------------------------------------------------------- job making

def _create(state: ApiState, version: str, body: bytes) -> dict:
    spec = _job_spec(body)
    query = _parse(state, spec["query"])
    rows = state.org.records(query.sobject)
    if spec["operation"] == "query":  # query hides the recycle bin and archived activities
        rows = [r for r in rows if not r.get("IsDeleted") and not r.get("IsArchived")]
    columns = query.fields
    if int(float(version)) < SELECT_ORDER_VERSION:
        columns = tuple(sorted(columns, key=str.lower))
    matched = soql.run(query, rows)
    with state.lock:
        state.bulk_jobs_created += 1
        if state.bulk_jobs_created > state.daily_bulk_query_jobs:
            # Message as Salesforce words it (matched by public connectors; see the docs).
            raise ApiError(400, "LIMIT_EXCEEDED", (
                f"Max bulk v2 query jobs ({state.daily_bulk_query_jobs}) per 24 hrs has been "
                f"reached ({state.bulk_jobs_created})"))
        job = QueryJob(id=_new_id(state), operation=spec["operation"], sobject=query.sobject,
                       columns=columns, rows=matched, api_version=version,
                       created_by=state.sessions.user_id, delimiter=spec["columnDelimiter"],
                       line_ending=spec["lineEnding"],
                       polls_to_complete=state.bulk_polls_to_complete)
        state.bulk_jobs[job.id] = job
        answer = job.info(brief=True)
        if job.polls_to_complete == 0:  # done before the first poll, as a tiny job can be
            job.complete()
        return answer


def _job_spec(body: bytes) -> dict:
    """The create request's JSON, checked, with the documented defaults filled in."""
    try:
        spec = json.loads(body or b"null")
    except ValueError:
        spec = None
    if not isinstance(spec, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    spec = {"contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF", **spec}
    choices = {"operation": ("query", "queryAll"), "contentType": ("CSV",),
               "columnDelimiter": tuple(DELIMITERS), "lineEnding": tuple(LINE_ENDINGS)}
    for key, allowed in choices.items():
        if spec.get(key) not in allowed:
            raise ApiError(400, "API_ERROR", f"Invalid {key}: {spec.get(key)!r}; expected one "
                                             f"of {', '.join(allowed)}")
    if not isinstance(spec.get("query"), str) or not spec["query"].strip():
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    return spec


def _parse(state: ApiState, text: str) -> soql.Query:
    schema = {name: state.org.fields(name) for name in state.org.objects()}
    try:
        query = soql.parse(text, schema)
    except soql.SoqlError as exc:
        raise ApiError(400, exc.error_code, exc.message) from None
    if query.is_count:
        # Bulk API 2.0 refuses aggregate functions; Salesforce's Data Loader recognises the
        # refusal by this message.
        raise ApiError(400, "API_ERROR", "Aggregate Relationships not supported in Bulk Query")
    return query


def _new_id(state: ApiState) -> str:
    """A fresh 18-character job Id with 750, the key prefix of bulk jobs."""
    while True:
        job_id = id18("7505g0" + "".join(secrets.choice(_BASE62) for _ in range(9)))
        if job_id not in state.bulk_jobs:
            return job_id


def _abort(job: QueryJob, body: bytes) -> dict:
    try:
        change = json.loads(body or b"null")
    except ValueError:
        change = None
    if not isinstance(change, dict) or change.get("state") != ABORTED:
        raise ApiError(400, "API_ERROR", "The request body must be {\"state\": \"Aborted\"}")
    if job.state in _TERMINAL:
        raise ApiError(400, "API_ERROR",
                       f"Cannot abort the job: its state is {job.state}; only UploadComplete "
                       "and InProgress jobs can be aborted")
    job.abort()
    return job.info(brief=True)


# ---------------------------------------------------------------------------------- results

def _results(state: ApiState, job_id: str, version: str,
             params: Mapping[str, str]) -> BulkAnswer:
    with state.lock:
        job = _job(state, job_id)
        status = job.state
    if status != JOB_COMPLETE:
        raise ApiError(412, "JOB_NOT_COMPLETE", (
            "can only download query results of successfully completed bulk job with status: "
            f"JOB_COMPLETE. Current status: {_STATUS_NAMES[status]}"))
    if version != job.api_version:  # documented as 409; the body text is the emulator's
        raise ApiError(409, "API_ERROR", f"The job was created with API version "
                                         f"{job.api_version}; get its results with that version")
    offset = offset_of(params["locator"], len(job.rows)) if "locator" in params else 0
    size = state.bulk_page_size
    if "maxRecords" in params:
        size = min(size, _max_records(params["maxRecords"]))
    chunk = job.rows[offset: offset + size]
    end = offset + len(chunk)
    text = write_csv(job.columns, chunk, DELIMITERS[job.delimiter], LINE_ENDINGS[job.line_ending])
    headers = (("Sforce-NumberOfRecords", str(len(chunk))),
               ("Sforce-Locator", locator_for(end) if end < len(job.rows) else "null"))
    return BulkAnswer(200, text.encode(), CSV, headers)


def _max_records(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ApiError(400, "API_ERROR", f"maxRecords must be a positive integer, got {text!r}")
    return int(text)


def locator_for(offset: int) -> str:
    """The Sforce-Locator of the result set starting at ``offset``: like Salesforce's
    ("MTAwMDA=" is base64 of "10000"), opaque to clients and stable while the job exists."""
    return base64.b64encode(str(offset).encode()).decode()


def offset_of(locator: str, total: int) -> int:
    """The offset a locator stands for; ApiError 400 if it is not one this job handed out."""
    try:
        text = base64.b64decode(locator, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.isdigit() or not 0 < int(text) < total or locator != locator_for(int(text)):
        raise ApiError(400, "INVALID_LOCATOR", f"Invalid locator: {locator}")
    return int(text)


def write_csv(columns: Sequence[str], rows: Sequence[Mapping[str, object]],
              delimiter: str = ",", line_ending: str = "\n") -> str:
    """Rows as Bulk API 2.0 writes them: a header row, every value in double quotes (inner
    quotes doubled), each line ended by ``line_ending`` (the last one too).

    Values keep their REST JSON form (dates, datetimes, numbers), booleans become true/false,
    and a null becomes an empty unquoted field, so it stays distinct from an empty string.
    """
    lines = [delimiter.join(_quote(name) for name in columns)]
    for row in rows:
        lines.append(delimiter.join(_cell(row.get(name)) for name in columns))
    return "".join(line + line_ending for line in lines)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _quote("true" if value else "false")
    if isinstance(value, int | float):
        return _quote(json.dumps(value))
    return _quote(str(value))


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
