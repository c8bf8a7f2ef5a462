"""The sync: Salesforce records into the local store, incrementally and safe to kill.

Per object: describe it (every field the KPIs need must exist; skipped when the last sync read
exactly the same fields), make sure its table has the columns, then read the records changed
since the checkpoint (``kpisync.sync.plan`` says where a read starts), oldest first:

    SELECT ... FROM Task
    WHERE CreatedDate >= <history start>
      AND (SystemModstamp > :wm OR (SystemModstamp = :wm AND Id > :wid))
    ORDER BY SystemModstamp, Id

Each page is stored together with its checkpoint in one store transaction, so a sync killed
between pages resumes exactly after the last stored record: no gap, no duplicate. Ties on
SystemModstamp (bulk updates stamp many rows with the same second) are broken by Id.

A read recovers from two Salesforce errors without failing the run, both from the checkpoint:

* QUERY_TIMEOUT (the query still timed out after the client's retries): what is left of the
  read is split in two SystemModstamp windows, ``[from, middle)`` then ``[middle, ...)``, read
  one after the other, so the checkpoint keeps moving in the same order; a window that times
  out again is split again, down to ``SyncOptions.min_window``;
* INVALID_QUERY_LOCATOR (the server-side cursor expired or was dropped): the read starts a new
  query after the checkpoint, at most ``SyncOptions.locator_restarts`` times per object.

The same checkpoints make a quota stop clean: when a guard of ``kpisync.sync.quota`` trips, or
Salesforce answers REQUEST_LIMIT_EXCEEDED, the sync stops between pages and returns a partial
report (``SyncReport.partial``); the next run resumes after the last stored page.

Big reads go through Bulk API 2.0: when the first REST page says (``totalSize``) that more than
``SyncOptions.bulk_threshold`` records remain, the rest is read with a query job
(``kpisync.sync.bulk``), so deciding costs no extra call. A job's result sets are stored one
transaction each, but the checkpoint moves only once the whole job is stored: the bulk query
has no ORDER BY, since Salesforce does not document that a job's result sets follow one (it
splits big jobs and runs the parts in parallel), so a set's last row says nothing about the
rows before it. A bulk read killed halfway re-runs from the last checkpoint; the rows already
stored are upserted again, which is harmless.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import Any

from kpisync.config.model import Config
from kpisync.config.required import ObjectPlan, plan_objects
from kpisync.errors import QuotaReached, SalesforceError
from kpisync.store import Store, SyncState
from kpisync.store.database import INSTANCE_URL
from kpisync.sync import soql
from kpisync.sync.bulk import bulk_query
from kpisync.sync.client import Page, SalesforceClient
from kpisync.sync.plan import (
    DEFAULT_OPTIONS,
    Lower,
    ReadStart,
    SyncOptions,
    known_types,
    missing_fields_message,
    read_query,
    read_start,
    where,
)
from kpisync.sync.report import ObjectReport, ProgressEvent, SyncReport

ProgressCallback = Callable[[ProgressEvent], None]
#: retry causes the job adds to the client's, for the report
SPLIT_CAUSE = "QUERY_TIMEOUT (window split)"
RESTART_CAUSE = "INVALID_QUERY_LOCATOR (restarted from the checkpoint)"


def sync(
    config: Config,
    store: Store,
    client: SalesforceClient,
    options: SyncOptions = DEFAULT_OPTIONS,
    *,
    now: datetime | None = None,
    on_progress: ProgressCallback | None = None,
) -> SyncReport:
    """Bring the store up to date with Salesforce for every object the config needs.

    Raises SalesforceError (a field missing, a refused query, ...) or StoreError; pages stored
    before the failure stay stored with their checkpoint, and the next run resumes from there.
    A stop at the client's quota guard or at REQUEST_LIMIT_EXCEEDED is not raised: the report
    comes back with ``partial`` set and the objects after the stop not synced.
    """
    now = now or datetime.now(UTC)
    started = time.monotonic()
    reports: dict[str, ObjectReport] = {}
    recoveries: Counter[str] = Counter()
    usage_before = client.api_usage()
    stopped = None
    # the org's address, so that the site links each drill-through record to it
    store.set_meta(INSTANCE_URL, client.instance_url)
    for plan in plan_objects(config):
        read = _ObjectRead(plan, config, store, client, options, now=now,
                           on_progress=on_progress)
        reports[plan.sobject], stopped = read.run()
        recoveries.update(read.recoveries)
        if usage_before is None:
            usage_before = client.api_usage()  # known once Salesforce has answered once
        if stopped is not None:
            break
    return SyncReport(objects=reports, api_usage_before=usage_before,
                      api_usage_after=client.api_usage(), seconds=time.monotonic() - started,
                      stopped_reason=stopped, retries=dict(client.retry_causes + recoveries))


def stop_reason(exc: SalesforceError) -> str | None:
    """Why ``exc`` ends the sync cleanly (a quota guard, the org out of API requests), or None
    for an error that must be raised."""
    if isinstance(exc, QuotaReached):
        return str(exc)
    if exc.error_code == "REQUEST_LIMIT_EXCEEDED":  # rerunning at once would stop again
        return ("Salesforce answered REQUEST_LIMIT_EXCEEDED: the org has used up its API "
                "requests for the rolling 24 hours; wait for calls made over that window to "
                "free up (or ask an admin to raise the limit) before the next run")
    return None


@dataclass(frozen=True)
class Window:
    """A stretch of the read in (SystemModstamp, Id) order: from ``lower`` (None: the first
    record) up to ``upper`` (exclusive; None: the last)."""

    lower: Lower | None
    upper: datetime | None = None


class _ObjectRead:
    """One object's read: describe, starting point, REST windows or Bulk, checkpoints."""

    def __init__(self, plan: ObjectPlan, config: Config, store: Store, client: SalesforceClient,
                 options: SyncOptions, *, now: datetime, on_progress: ProgressCallback | None):
        self.plan, self.config, self.store, self.client = plan, config, store, client
        self.options, self.now, self.on_progress = options, now, on_progress
        self.history_start = options.history_start_for(now)
        self.counts = dict.fromkeys(("fetched", "upserted", "deleted", "pages"), 0)
        self.recoveries: Counter[str] = Counter()
        self.start = ReadStart(None)
        self.state: SyncState | None = None
        #: where the window being read goes on from, after the last page stored
        self.resume_at: Lower | None = None

    def run(self) -> tuple[ObjectReport, str | None]:
        """The object's report, and why the sync stopped at it (None: read completely)."""
        started, calls_before = time.monotonic(), self.client.api_calls
        stopped = None
        try:
            types = self._begin()
            self._read(types)
            self._finish()
        except SalesforceError as exc:
            stopped = stop_reason(exc)
            if stopped is None:
                raise
        report = ObjectReport(
            sobject=self.plan.sobject, **self.counts,
            api_calls=self.client.api_calls - calls_before, seconds=time.monotonic() - started,
            watermark=self.state.watermark if self.state else None, full=self.start.full,
            complete=stopped is None)
        return report, stopped

    # -- steps -------------------------------------------------------------------------------

    def _begin(self) -> dict[str, str]:
        """Describe (when needed), create the columns, and settle where the read starts."""
        plan, store = self.plan, self.store
        if self.options.full:
            store.clear(plan.sobject)
        known = store.get_state(plan.sobject)
        described = None if self.options.full else known_types(plan, store, known)
        types, formulas = described or self._describe()
        added = store.ensure_table(plan.sobject, types)
        self.start = read_start(plan, known, self.options, now=self.now,
                                history_start=self.history_start, fields_added=added)
        history = self.history_start if plan.measurable else None
        if self.start.lower is None and self.start.full:
            # A read of every row begins; saved at once, so that one killed before its first
            # page resumes as the same re-read (and records when it finished).
            last_full = known.last_full_sync if known else None
            self.state = SyncState(plan.sobject, None, None, plan.fields,
                                   last_full_sync=last_full, formula_fields=formulas,
                                   history_start=history, full_read_started=self.now)
            store.save_state(self.state)
        elif known is None:
            self.state = SyncState(plan.sobject, None, None, plan.fields,
                                   formula_fields=formulas, history_start=history)
        else:
            self.state = replace(known, fields=plan.fields, formula_fields=formulas,
                                 history_start=known.history_start or history)
        return types

    def _read(self, types: dict[str, str]) -> None:
        """Read every window in order, recovering from timeouts and expired cursors."""
        windows = [Window(self.start.lower)]
        while windows:
            window = windows[0]
            self.resume_at = window.lower
            try:
                self._read_window(window, types)
            except SalesforceError as exc:
                windows[0:1] = self._recover(exc, Window(self.resume_at, window.upper))
            else:
                windows.pop(0)

    def _read_window(self, window: Window, types: dict[str, str]) -> None:
        plan = self.plan
        condition = where(plan, self.history_start, window.lower, window.upper)
        pages = self.client.query_pages(read_query(plan, condition),
                                        include_deleted=plan.measurable, sobject=plan.sobject)
        with closing(pages):
            for index, page in enumerate(pages):
                self._store_page(page.records)
                self._progress(page.total_size)
                if index == 0 and self._wants_bulk(page):
                    break
            else:
                return
        rest = where(plan, self.history_start, self.resume_at, window.upper)
        self._read_bulk(rest, types, total=page.total_size)

    def _finish(self) -> None:
        """The read reached the end: mark it complete (the next one starts a lookback back)."""
        state = self.state
        assert state is not None
        ended_full_read = state.full_read_started is not None
        self.state = replace(state, complete=True, full_read_started=None,
                             last_full_sync=self.now if ended_full_read else state.last_full_sync)
        self.store.save_state(self.state)

    # -- recovery ----------------------------------------------------------------------------

    def _recover(self, exc: SalesforceError, rest: Window) -> list[Window]:
        """The windows that replace ``rest`` (what the failed window had left to read), or
        ``exc`` raised when it cannot be recovered from."""
        if exc.error_code == "QUERY_TIMEOUT":
            self.recoveries[SPLIT_CAUSE] += 1
            return self._split(exc, rest)
        if exc.error_code == "INVALID_QUERY_LOCATOR":
            self.recoveries[RESTART_CAUSE] += 1
            if self.recoveries[RESTART_CAUSE] > self.options.locator_restarts:
                raise SalesforceError(
                    f"Salesforce expired the query cursor for {self.plan.sobject} "
                    f"{self.recoveries[RESTART_CAUSE]} times in one run "
                    "(INVALID_QUERY_LOCATOR); another client may be opening many queries as "
                    "the sync user (Salesforce keeps only a few cursors open per user). What "
                    "was read is stored; run `kpisync sync` again to resume",
                    error_code=exc.error_code, status=exc.status,
                    sobject=self.plan.sobject) from None
            return [rest]
        raise exc

    def _split(self, exc: SalesforceError, rest: Window) -> list[Window]:
        plan = self.plan
        if rest.lower is not None:
            floor = rest.lower.stamp
        elif plan.measurable:  # SystemModstamp >= CreatedDate >= the history start
            floor = datetime.combine(self.history_start, clock(), tzinfo=UTC)
        else:
            floor = None
        ceiling = rest.upper or self.now
        if floor is None or ceiling - floor < self.options.min_window * 2:
            width = "" if floor is None else f" of {_duration(ceiling - floor)}"
            raise SalesforceError(
                f"Salesforce timed out reading {plan.sobject} (QUERY_TIMEOUT) even for a "
                f"SystemModstamp window{width}; the org may be under heavy load, so run "
                "`kpisync sync` again later (it resumes from the checkpoint), or ask Salesforce "
                "support about the query's performance",
                error_code=exc.error_code, status=exc.status, sobject=plan.sobject) from None
        middle = floor + (ceiling - floor) / 2
        middle = middle.replace(microsecond=0)  # SOQL datetimes have whole seconds
        return [Window(rest.lower, middle), Window(Lower(middle), rest.upper)]

    # -- storing -----------------------------------------------------------------------------

    def _store_page(self, records: Sequence[dict[str, Any]]) -> None:
        """Store one REST page with its checkpoint, in one transaction."""
        if records:
            last = records[-1]
            state = replace(self.state, watermark=_utc(last["SystemModstamp"]),
                            watermark_id=last["Id"], complete=False)
            self._store(records, state)
            self.resume_at = Lower(state.watermark, state.watermark_id)
        self.counts["pages"] += 1

    def _store(self, records: Sequence[dict[str, Any]], state: SyncState | None) -> None:
        live = [r for r in records if not r.get("IsDeleted")]
        gone = [r["Id"] for r in records if r.get("IsDeleted")]
        with self.store.transaction():  # the page and its checkpoint, or neither
            self.store.upsert(self.plan.sobject, live)
            removed = self.store.delete(self.plan.sobject, gone)
            if state is not None:
                self.store.save_state(state)
        if state is not None:
            self.state = state
        self.counts["fetched"] += len(records)
        self.counts["upserted"] += len(live)
        self.counts["deleted"] += removed

    def _wants_bulk(self, first: Page) -> bool:
        threshold = self.options.bulk_threshold
        return (threshold is not None and not first.done
                and first.total_size - len(first.records) > threshold)

    def _read_bulk(self, condition: str | None, types: dict[str, str], *, total: int) -> None:
        """Read the rest with a Bulk API 2.0 query job; the checkpoint moves at the end only
        (see the module docstring)."""
        plan, newest = self.plan, None
        sets = bulk_query(self.client, soql.select(plan.sobject, plan.fields, where=condition),
                          sobject=plan.sobject, field_types=types,
                          include_deleted=plan.measurable, policy=self.options.bulk_policy)
        with closing(sets):  # abort and delete the job at once if storing fails
            for result in sets:
                self._store(result.records, None)
                keys = [(_utc(r["SystemModstamp"]), r["Id"]) for r in result.records]
                newest = max([*keys, *([newest] if newest else [])], default=None)
                self.counts["pages"] += result.first_in_set
                self._progress(total)
        if newest is not None:
            self.state = replace(self.state, watermark=newest[0], watermark_id=newest[1],
                                 complete=False)
            self.store.save_state(self.state)
            self.resume_at = Lower(*newest)

    def _progress(self, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(ProgressEvent(self.plan.sobject, self.counts["fetched"],
                                           self.counts["pages"], total))

    # -- describe ----------------------------------------------------------------------------

    def _describe(self) -> tuple[dict[str, str], tuple[str, ...]]:
        """Describe the object: every field the KPIs need must exist and be visible."""
        plan = self.plan
        described = self.client.describe(plan.sobject)
        missing = [f for f in plan.fields if f not in described]
        if missing:
            raise SalesforceError(missing_fields_message(self.config, plan.sobject, missing),
                                  error_code="INVALID_FIELD", sobject=plan.sobject)
        formulas = tuple(f for f in plan.fields if described[f].calculated)
        return {f: described[f].type for f in plan.fields}, formulas


def _utc(value: str | datetime) -> datetime:
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return stamp.astimezone(UTC)


def _duration(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"

