"""The sync: Salesforce records into the local store, incrementally and safe to kill.

Per object: describe it (every field the KPIs need must exist; skipped when the last sync read
exactly the same fields), make sure its table has the columns, then read the records changed
since the watermark, oldest first:

    SELECT ... FROM Task
    WHERE CreatedDate >= <history start>
      AND (SystemModstamp > :wm OR (SystemModstamp = :wm AND Id > :wid))
    ORDER BY SystemModstamp, Id

Each page is stored together with its checkpoint in one store transaction, so a sync killed
between pages resumes exactly after the last stored record: no gap, no duplicate. Ties on
SystemModstamp (bulk updates stamp many rows with the same second) are broken by Id.

The same checkpoints make a quota stop clean: when a guard of ``kpisync.sync.quota`` trips, or
Salesforce answers REQUEST_LIMIT_EXCEEDED, the sync stops between pages and returns a partial
report (``SyncReport.partial``); the next run resumes after the last stored page.

With a ``bulk_threshold``, a ``SELECT count()`` of the same WHERE comes first, and an object
with more records to read goes through a Bulk API 2.0 query job (``kpisync.sync.bulk``). Its
result sets are stored one transaction each, but the checkpoint moves only once the whole job
is stored: the bulk query has no ORDER BY, since Salesforce does not document that a job's
result sets follow one (it splits big jobs and runs the parts in parallel), so a set's last
row says nothing about the rows before it. A bulk read killed halfway re-runs the query from
the last checkpoint; the rows already stored are upserted again, which is harmless.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock

from kpisync.config.model import Config, Kpi
from kpisync.errors import QuotaReached, SalesforceError
from kpisync.sobjects import SOBJECTS, USER_FIELDS, USER_ROLE_FIELDS
from kpisync.store import Store, SyncState
from kpisync.sync import soql
from kpisync.sync.bulk import DEFAULT_BULK_POLICY, BulkPolicy, bulk_query
from kpisync.sync.client import SalesforceClient
from kpisync.sync.report import ObjectReport, ProgressEvent, SyncReport

#: Reference data first: compute needs users and roles to place every activity.
REFERENCE_OBJECTS: dict[str, tuple[str, ...]] = {"User": USER_FIELDS, "UserRole": USER_ROLE_FIELDS}
#: Default history read on a first sync: a year back plus the month before, for comparisons.
HISTORY_MONTHS = 13

ProgressCallback = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class ObjectPlan:
    """What to sync for one object."""

    sobject: str
    fields: tuple[str, ...]
    #: measurable objects have IsDeleted, are read with queryAll and bounded by history_start
    measurable: bool


def sync(
    config: Config,
    store: Store,
    client: SalesforceClient,
    *,
    full: bool = False,
    now: datetime | None = None,
    history_start: date | None = None,
    on_progress: ProgressCallback | None = None,
    bulk_threshold: int | None = None,
    bulk_policy: BulkPolicy = DEFAULT_BULK_POLICY,
) -> SyncReport:
    """Bring the store up to date with Salesforce for every object the config needs.

    ``full`` empties each table and reads it again. ``history_start`` bounds what measurable
    objects read by CreatedDate (default: 13 months before ``now``). Raises SalesforceError
    (a field missing, a refused query, ...) or StoreError; pages stored before the failure
    stay stored with their checkpoint, and the next run resumes from there. A stop at the
    client's quota guard or at REQUEST_LIMIT_EXCEEDED is not raised: the report comes back
    with ``partial`` set and the objects after the stop not synced.

    ``bulk_threshold``: objects with more records to read than this are read with a Bulk API
    2.0 query job (``kpisync.sync.bulk.DEFAULT_BULK_THRESHOLD`` is the usual choice); None
    reads everything through the REST API, without the extra count per object.
    ``bulk_policy`` sets how jobs are polled and read.
    """
    now = now or datetime.now(UTC)
    start = history_start or months_before(now.date(), HISTORY_MONTHS)
    started = time.monotonic()
    reports: dict[str, ObjectReport] = {}
    usage_before = client.api_usage()
    stopped = None
    for plan in plan_objects(config):
        reports[plan.sobject], stopped = _sync_object(
            plan, config, store, client, full=full, now=now, history_start=start,
            on_progress=on_progress, bulk=(bulk_threshold, bulk_policy))
        if usage_before is None:
            usage_before = client.api_usage()  # known once Salesforce has answered once
        if stopped is not None:
            break
    return SyncReport(objects=reports, api_usage_before=usage_before,
                      api_usage_after=client.api_usage(), seconds=time.monotonic() - started,
                      stopped_reason=stopped, retries=dict(client.retry_causes))


def stop_reason(exc: SalesforceError) -> str | None:
    """Why ``exc`` ends the sync cleanly (a quota guard, the org out of API requests), or None
    for an error that must be raised."""
    if isinstance(exc, QuotaReached):
        return str(exc)
    if exc.error_code == "REQUEST_LIMIT_EXCEEDED":
        return ("Salesforce answered REQUEST_LIMIT_EXCEEDED: the org has used up its API "
                "requests for the rolling 24 hours")
    return None


def plan_objects(config: Config) -> list[ObjectPlan]:
    """User, UserRole, then each object the KPIs read, with the fields to fetch.

    A parent field written ``Opportunity.OwnerId`` (OpportunityHistory KPIs credit the
    opportunity's owner) is fetched on the parent object; the child fetches ``OpportunityId``.
    """
    wanted = {name: list(fields) for name, fields in REFERENCE_OBJECTS.items()}
    for sobject, fields in config.required_fields.items():
        for name in fields:
            if "." in name:
                parent, parent_field = name.split(".", 1)
                wanted.setdefault(sobject, []).append(f"{parent}Id")
                wanted.setdefault(parent, []).append(parent_field)
            else:
                wanted.setdefault(sobject, []).append(name)
    plans = []
    for sobject, fields in wanted.items():
        catalogue = SOBJECTS.get(sobject)
        measurable = catalogue.measurable if catalogue else True
        system = ("Id", "SystemModstamp", "IsDeleted") if measurable else ("Id", "SystemModstamp")
        plans.append(ObjectPlan(sobject, tuple(dict.fromkeys([*system, *fields])), measurable))
    return plans


def months_before(day: date, months: int) -> date:
    """The same day of the month ``months`` earlier (clamped to that month's last day)."""
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(day.day, last_day))


def incremental_query(plan: ObjectPlan, state: SyncState | None, history_start: date) -> str:
    """The SOQL for the records after the checkpoint, in checkpoint order."""
    where = incremental_where(plan, state, history_start)
    return soql.select(plan.sobject, plan.fields, where=where, order_by=("SystemModstamp", "Id"))


def incremental_where(plan: ObjectPlan, state: SyncState | None, history_start: date) -> str | None:
    """The WHERE condition for the records after the checkpoint (None: every record)."""
    conditions = []
    if plan.measurable:
        since = datetime.combine(history_start, clock(), tzinfo=UTC)  # CreatedDate is a datetime
        conditions.append(soql.compare("CreatedDate", ">=", since))
    if state is not None and state.watermark is not None:
        conditions.append(soql.any_of(
            soql.compare("SystemModstamp", ">", state.watermark),
            soql.all_of(soql.compare("SystemModstamp", "=", state.watermark),
                        soql.compare("Id", ">", state.watermark_id or "")),
        ))
    return soql.all_of(*conditions) if conditions else None


@dataclass
class _Tally:
    """What one object's read has done so far: kept when a quota stop interrupts it."""

    state: SyncState | None = None
    #: every row is being read (no checkpoint to start from)
    read_all: bool = False
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("fetched", "upserted", "deleted", "pages"), 0))


def _sync_object(
    plan: ObjectPlan,
    config: Config,
    store: Store,
    client: SalesforceClient,
    *,
    full: bool,
    now: datetime,
    history_start: date,
    on_progress: ProgressCallback | None,
    bulk: tuple[int | None, BulkPolicy],
) -> tuple[ObjectReport, str | None]:
    """The object's report, and why the sync stopped at it (None: it was read completely)."""
    started, calls_before = time.monotonic(), client.api_calls
    tally, stopped = _Tally(), None
    try:
        _read_object(plan, config, store, client, tally, full=full,
                     history_start=history_start, on_progress=on_progress, bulk=bulk)
    except SalesforceError as exc:
        stopped = stop_reason(exc)
        if stopped is None:
            raise
    state, read_all = tally.state, tally.read_all
    if stopped is None and state is not None:
        store.save_state(SyncState(plan.sobject, state.watermark, state.watermark_id, plan.fields,
                                   last_full_sync=now if read_all else state.last_full_sync))
    report = ObjectReport(sobject=plan.sobject, **tally.counts,
                          api_calls=client.api_calls - calls_before,
                          seconds=time.monotonic() - started,
                          watermark=state.watermark if state else None, full=read_all,
                          complete=stopped is None)
    return report, stopped


def _read_object(
    plan: ObjectPlan,
    config: Config,
    store: Store,
    client: SalesforceClient,
    tally: _Tally,
    *,
    full: bool,
    history_start: date,
    on_progress: ProgressCallback | None,
    bulk: tuple[int | None, BulkPolicy],
) -> None:
    """Read the object's new records page by page into the store, keeping ``tally`` current."""
    types = None if full else _known_types(plan, store)
    if types is None:
        types = _described_types(plan, config, client)
    added = store.ensure_table(plan.sobject, types)
    state = tally.state = _starting_state(plan, store, full=full, added=added)
    tally.read_all = state.watermark is None
    counts = tally.counts
    threshold, policy = bulk
    if threshold is not None:
        where = incremental_where(plan, state, history_start)
        records = client.count(soql.count(plan.sobject, where),
                               include_deleted=plan.measurable, sobject=plan.sobject)
        if records > threshold:
            _read_bulk(plan, store, client, tally, where, types, policy, on_progress)
            return
    query = incremental_query(plan, state, history_start)
    for page in client.query_pages(query, include_deleted=plan.measurable, sobject=plan.sobject):
        if page.records:
            live = [r for r in page.records if not r.get("IsDeleted")]
            gone = [r["Id"] for r in page.records if r.get("IsDeleted")]
            last = page.records[-1]
            state = SyncState(plan.sobject, _utc(last["SystemModstamp"]), last["Id"], plan.fields,
                              last_full_sync=state.last_full_sync)
            with store.transaction():  # the page and its checkpoint, or neither
                store.upsert(plan.sobject, live)
                store.delete(plan.sobject, gone)
                store.save_state(state)
            tally.state = state
            counts["fetched"] += len(page.records)
            counts["upserted"] += len(live)
            counts["deleted"] += len(gone)
        counts["pages"] += 1
        if on_progress is not None:
            on_progress(ProgressEvent(plan.sobject, counts["fetched"], counts["pages"],
                                      page.total_size))


def _read_bulk(plan: ObjectPlan, store: Store, client: SalesforceClient, tally: _Tally,
               where: str | None, types: dict[str, str], policy: BulkPolicy,
               on_progress: ProgressCallback | None) -> None:
    """Read the object with a Bulk API 2.0 query job; the checkpoint moves at the end only
    (see the module docstring)."""
    counts, newest = tally.counts, None
    query = soql.select(plan.sobject, plan.fields, where=where)
    sets = bulk_query(client, query, sobject=plan.sobject, field_types=types,
                      include_deleted=plan.measurable, policy=policy)
    with closing(sets):  # abort and delete the job at once if storing fails
        for result in sets:
            live = [r for r in result.records if not r.get("IsDeleted")]
            gone = [r["Id"] for r in result.records if r.get("IsDeleted")]
            with store.transaction():
                store.upsert(plan.sobject, live)
                store.delete(plan.sobject, gone)
            keys = [(_utc(r["SystemModstamp"]), r["Id"]) for r in result.records]
            newest = max([*keys, *([newest] if newest else [])], default=None)
            counts["fetched"] += len(result.records)
            counts["upserted"] += len(live)
            counts["deleted"] += len(gone)
            counts["pages"] += 1
            if on_progress is not None:
                on_progress(ProgressEvent(plan.sobject, counts["fetched"], counts["pages"],
                                          result.total_size))
    if newest is not None:
        started = tally.state.last_full_sync if tally.state else None
        tally.state = SyncState(plan.sobject, newest[0], newest[1], plan.fields,
                                last_full_sync=started)
        store.save_state(tally.state)


def _described_types(
    plan: ObjectPlan, config: Config, client: SalesforceClient
) -> dict[str, str]:
    """Describe the object: every field the KPIs need must exist and be visible."""
    described = client.describe(plan.sobject)
    missing = [f for f in plan.fields if f not in described]
    if missing:
        raise SalesforceError(missing_fields_message(config, plan.sobject, missing),
                              error_code="INVALID_FIELD", sobject=plan.sobject)
    return {f: described[f].type for f in plan.fields}


def _known_types(plan: ObjectPlan, store: Store) -> dict[str, str] | None:
    """The field types from the last sync, when it read exactly these fields and left a
    checkpoint: an unchanged incremental sync then costs one call per object, not two. Any
    change (a new field, a first or full read) describes the object again."""
    state = store.get_state(plan.sobject)
    if state is None or state.watermark is None or set(state.fields) != set(plan.fields):
        return None
    columns = store.columns(plan.sobject)
    if not set(plan.fields) <= set(columns):
        return None
    return {f: _SF_TYPE_OF_COLUMN.get(columns[f].split("(")[0], "string") for f in plan.fields}


# Back from the store's column types to the describe types that type CSV values and columns.
_SF_TYPE_OF_COLUMN = {
    "BOOLEAN": "boolean", "BIGINT": "int", "DOUBLE": "double", "DECIMAL": "currency",
    "DATE": "date", "TIMESTAMP WITH TIME ZONE": "datetime", "VARCHAR": "string",
}


def _starting_state(plan: ObjectPlan, store: Store, *, full: bool, added: bool) -> SyncState:
    """The checkpoint to read from; reset (watermark None) when every row must be read again.

    The reset is saved at once, so a re-read killed halfway resumes as a re-read.
    """
    if full:
        store.clear(plan.sobject)
    state = store.get_state(plan.sobject)
    if state is None:
        return SyncState(plan.sobject, None, None, plan.fields)
    if added or not set(plan.fields) <= set(state.fields):
        # New columns are empty on the rows already stored: read them all again.
        state = SyncState(plan.sobject, None, None, plan.fields,
                          last_full_sync=state.last_full_sync)
        store.save_state(state)
    return state


def missing_fields_message(config: Config, sobject: str, missing: list[str]) -> str:
    """Which fields are missing and which KPIs (or teams) need them."""
    clauses = [f"no field '{name}' ({_users(config, sobject, name)})" for name in missing]
    which = "the field's API name and that the sync user can see it" if len(missing) == 1 else \
        "the fields' API names and that the sync user can see them"
    return f"{sobject} has {', '.join(clauses)}; check {which} (field-level security)"


def _users(config: Config, sobject: str, field_name: str) -> str:
    kpis = [k.id for k in config.kpis if (sobject, field_name) in _kpi_fields(k)]
    teams = [t.id for t in config.teams
             if sobject == "User" and any(f == field_name for f, _ in t.members.where)]
    parts = []
    if kpis:
        parts.append(f"used by KPI{'s' if len(kpis) > 1 else ''} "
                     + ", ".join(f"'{k}'" for k in kpis))
    if teams:
        parts.append(f"used by team{'s' if len(teams) > 1 else ''} "
                     + ", ".join(f"'{t}'" for t in teams))
    return "; ".join(parts) or "needed by kpisync itself"


def _kpi_fields(kpi: Kpi) -> set[tuple[str, str]]:
    if kpi.source is None:
        return set()
    m = kpi.measure
    names = [m.field, m.start_field, m.end_field, kpi.date_field, kpi.credit_field,
             *(f.field for f in kpi.filters)]
    found: set[tuple[str, str]] = set()
    for name in filter(None, names):
        if "." in name:
            parent, parent_field = name.split(".", 1)
            found |= {(parent, parent_field), (kpi.source, f"{parent}Id")}
        else:
            found.add((kpi.source, name))
    return found


def _utc(value: str | datetime) -> datetime:
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return stamp.astimezone(UTC)

