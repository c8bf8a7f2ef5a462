"""Bulk API 2.0 query jobs: read a big object as CSV result sets instead of 2,000-row pages.

A REST read of 500,000 records costs 250 API calls; a Bulk API 2.0 query job costs a handful
(create, a few polls, one call per result set of up to 50,000 records, delete), though it
uses one of the org's daily Bulk API 2.0 query jobs (``DailyBulkV2QueryJobs``, 10,000 by
default), which is checked on /limits before a job is created:

    POST   jobs/query                        {"operation": "queryAll" | "query", "query": ...}
    GET    jobs/query/{id}                   poll, with backoff, until JobComplete
    GET    jobs/query/{id}/results?locator=&maxRecords=     until Sforce-Locator is "null"
    DELETE jobs/query/{id}                   (PATCH {"state": "Aborted"} first on a failure)

Every call goes through the client's public calls (``rest``, ``get_raw``, ``limits``): it is
counted, retried when transient, and refused by the client's quota guard like a REST call.
CSV values are typed from the describe so the rows look like the REST JSON the store takes:
booleans, int or Decimal numbers, None for a blank, dates and datetimes as the strings the
store parses.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from kpisync.errors import SalesforceError, TransientSalesforceError
from kpisync.sync.client import SalesforceClient

log = logging.getLogger(__name__)

#: The issue's default: objects with more records to read than this go through Bulk API 2.0.
DEFAULT_BULK_THRESHOLD = 50_000
JOB_COMPLETE, FAILED, ABORTED = "JobComplete", "Failed", "Aborted"
_INTEGER_TYPES = frozenset({"int", "long"})
_DECIMAL_TYPES = frozenset({"double", "percent", "currency"})


@dataclass(frozen=True)
class BulkPolicy:
    """How a query job is waited for and read."""

    #: seconds before the second poll; each later wait doubles, up to ``max_wait``
    first_wait: float = 1.0
    max_wait: float = 30.0
    #: give up (and abort the job) once the waits would pass this many seconds in all
    max_total: float = 3600.0
    #: records per result set asked for (``maxRecords``); Salesforce may send fewer
    max_records: int = 50_000
    #: a result set is typed and handed on this many records at a time, so that memory holds
    #: the set's CSV text and one chunk of dicts, not 50,000 dicts
    chunk_records: int = 2_000
    #: injected by tests so that they never really sleep
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)


#: The policy ``bulk_query`` and ``kpisync.sync.jobs.sync`` use unless given one.
DEFAULT_BULK_POLICY = BulkPolicy()


@dataclass(frozen=True)
class ResultSet:
    """Records of one result set of a query job (all of them, or a chunk of up to
    ``BulkPolicy.chunk_records``), typed like REST JSON."""

    records: list[dict[str, Any]]
    #: the job's ``numberRecordsProcessed``: the whole query, not this set
    total_size: int
    #: True for the first chunk of a result set (each set has one, even when empty)
    first_in_set: bool = True


def bulk_jobs_remaining(client: SalesforceClient) -> tuple[int, int]:
    """(remaining, max) of the org's daily Bulk API 2.0 query jobs, from GET /limits."""
    jobs = client.limits().get("DailyBulkV2QueryJobs")
    if not isinstance(jobs, dict):
        raise SalesforceError("Salesforce's /limits answer has no DailyBulkV2QueryJobs, so "
                              "kpisync cannot tell whether a Bulk API 2.0 query job may be "
                              "created; sync without the bulk threshold")
    return int(jobs["Remaining"]), int(jobs["Max"])


def bulk_query(
    client: SalesforceClient,
    soql: str,
    *,
    sobject: str,
    field_types: Mapping[str, str],
    include_deleted: bool = True,
    policy: BulkPolicy = DEFAULT_BULK_POLICY,
) -> Iterator[ResultSet]:
    """The result sets of ``soql`` run as a Bulk API 2.0 query job, fetched lazily.

    ``include_deleted`` runs a queryAll job (deleted and archived rows too). ``field_types``
    maps each selected field to its describe type, for typing the CSV. Checks the daily job
    limit first (SalesforceError if none is left). The job is deleted when the generator
    ends, and aborted first when it ends early or on an error; close the generator (e.g.
    with ``contextlib.closing``) to make that happen at once.
    """
    remaining, maximum = bulk_jobs_remaining(client)
    if remaining <= 0:
        raise SalesforceError(
            f"the org has used up its daily Bulk API 2.0 query jobs (0 of {maximum:,} left), "
            f"so {sobject} cannot be read with one; wait for the rolling 24 hours to free "
            "jobs, or raise the bulk threshold so that it is read through the REST API",
            error_code="LIMIT_EXCEEDED", sobject=sobject)
    job = _create(client, soql, sobject=sobject, include_deleted=include_deleted)
    seen = {"state": job["state"]}  # the job's last known state, for the clean-up
    try:
        info = _wait(client, job["id"], sobject, policy, seen)
        total = int(info.get("numberRecordsProcessed") or 0)
        locator: str | None = None
        while True:
            text, locator = _results(client, job["id"], sobject, locator, policy.max_records)
            chunks = csv_chunks(text, field_types, sobject=sobject, size=policy.chunk_records)
            for number, records in enumerate(chunks):
                yield ResultSet(records, total, first_in_set=number == 0)
            if locator is None:
                break
    except BaseException:  # an error, or the reader stopped early (GeneratorExit)
        if seen["state"] not in (JOB_COMPLETE, FAILED, ABORTED):
            _quietly(client, lambda: _job_call(client, job["id"], "PATCH",
                                               json={"state": ABORTED}), "abort", job["id"])
        _quietly(client, lambda: _job_call(client, job["id"], "DELETE"), "delete", job["id"])
        raise
    _quietly(client, lambda: _job_call(client, job["id"], "DELETE"), "delete", job["id"])


def _create(client: SalesforceClient, soql: str, *, sobject: str,
            include_deleted: bool) -> dict[str, Any]:
    spec = {"operation": "queryAll" if include_deleted else "query", "query": soql,
            "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"}
    body = client.rest("jobs/query", method="POST", json=spec, sobject=sobject)
    if not isinstance(body, dict) or not body.get("id") or not body.get("state"):
        raise SalesforceError(f"Salesforce's answer to creating a Bulk API 2.0 query job for "
                              f"{sobject} has no job id and state: "
                              f"{json.dumps(body, default=str)[:160]}",
                              sobject=sobject)
    return body


def _wait(client: SalesforceClient, job_id: str, sobject: str,
          policy: BulkPolicy, seen: dict[str, Any]) -> dict[str, Any]:
    """The job's info once JobComplete; polls with doubling waits, at most ``max_total``.
    Each state polled is written to ``seen["state"]``."""
    waited, wait = 0.0, policy.first_wait
    while True:
        info = _job_call(client, job_id, "GET", sobject=sobject) or {}
        state = seen["state"] = info.get("state")
        if state == JOB_COMPLETE:
            return info
        if state == FAILED:
            reason = info.get("errorMessage") or "Salesforce gave no reason"
            raise SalesforceError(f"the Bulk API 2.0 query job {job_id} for {sobject} failed: "
                                  f"{reason}", sobject=sobject)
        if state == ABORTED:
            raise SalesforceError(f"the Bulk API 2.0 query job {job_id} for {sobject} was "
                                  "aborted in Salesforce (not by kpisync); run the sync again",
                                  sobject=sobject)
        if waited + wait > policy.max_total:
            raise TransientSalesforceError(
                f"the Bulk API 2.0 query job {job_id} for {sobject} did not finish within "
                f"{policy.max_total:g} seconds (state {state}); kpisync aborted it. Run the "
                "sync again later: it resumes from the last checkpoint", sobject=sobject)
        policy.sleep(wait)
        waited += wait
        wait = min(wait * 2, policy.max_wait)


def _results(client: SalesforceClient, job_id: str, sobject: str, locator: str | None,
             max_records: int) -> tuple[str, str | None]:
    """One result set's CSV text and the locator of the next (None after the last)."""
    params = {"maxRecords": str(max_records)}
    if locator is not None:
        params["locator"] = locator

    response = client.get_raw(f"jobs/query/{job_id}/results", params=params, sobject=sobject)
    following = response.headers.get("Sforce-Locator", "null")
    return response.content.decode("utf-8"), None if following in ("", "null") else following


def parse_csv(text: str, field_types: Mapping[str, str], *,
              sobject: str) -> list[dict[str, Any]]:
    """Bulk API 2.0 CSV (header row, then records) as REST-like dicts typed by ``field_types``.

    A blank field is None whether quoted or not: Salesforce has no empty strings, and how it
    writes a null in the CSV is not documented.
    """
    return [r for chunk in csv_chunks(text, field_types, sobject=sobject) for r in chunk]


def csv_chunks(text: str, field_types: Mapping[str, str], *, sobject: str,
               size: int = 2_000) -> Iterator[list[dict[str, Any]]]:
    """``parse_csv`` ``size`` records at a time; at least one (possibly empty) chunk."""
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, None)
    chunk: list[dict[str, Any]] = []
    sent = False
    for row in rows if header is not None else ():
        chunk.append({name: typed(value, field_types.get(name, "string"), name, sobject)
                      for name, value in zip(header, row, strict=True)})
        if len(chunk) >= size:
            yield chunk
            chunk, sent = [], True
    if chunk or not sent:
        yield chunk


def typed(text: str, sf_type: str, name: str, sobject: str) -> Any:
    """One CSV value as the REST JSON would carry it."""
    if text == "":
        return None
    try:
        if sf_type == "boolean":
            return {"true": True, "false": False}[text]
        if sf_type in _INTEGER_TYPES:
            return int(Decimal(text))
        if sf_type in _DECIMAL_TYPES:
            return Decimal(text)
    except (KeyError, InvalidOperation, ValueError):
        raise SalesforceError(f"the Bulk API 2.0 results for {sobject} have {text!r} in "
                              f"{name}, which is not a {sf_type}", sobject=sobject) from None
    return text


def _job_call(client: SalesforceClient, job_id: str, method: str, *,
              sobject: str | None = None, **kwargs: Any) -> Any:
    return client.rest(f"jobs/query/{job_id}", method=method, sobject=sobject, **kwargs)


def _quietly(client: SalesforceClient, action: Callable[[], Any], what: str,
             job_id: str) -> None:
    """Clean up after a job without hiding the error that ended it."""
    try:
        action()
    except SalesforceError as exc:
        log.warning("could not %s the Bulk API 2.0 query job %s: %s", what, job_id, exc)
