"""What a sync reads: the objects and fields, the options ops set, and where each read starts.

Kept apart from the job (``kpisync.sync.jobs``) because the dry run (``kpisync.sync.estimate``)
must start every read exactly where the real sync would, without touching the store.

Where a read of one object starts, given its checkpoint ``(watermark, watermark_id)``:

* no checkpoint (first sync, ``--full``, fields added, a formula refresh due, an earlier
  history start): every record created since the history start;
* the last read was interrupted (killed, failed, stopped at a quota guard): exactly after the
  checkpoint record, ``(SystemModstamp, Id) > (watermark, watermark_id)``;
* the last read finished: ``SystemModstamp >= watermark - lookback``. Salesforce stamps a
  record when its transaction starts writing, so one that commits late carries a stamp older
  than records another reader already saw; re-reading a short window catches it, and upserts
  by Id make the re-read harmless. An interrupted read resumes without the lookback, so that
  a run with a small API budget always moves forward.

``--since DATE`` moves the start back to that day (never forward: that would skip records).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

from kpisync.config.model import Config, Kpi
from kpisync.config.required import (  # what a config reads; re-exported
    ObjectPlan,
    kpi_fields,
)
from kpisync.sobjects import (
    resolve_path,
    with_config_objects,
)
from kpisync.store import Store, SyncState
from kpisync.sync import soql
from kpisync.sync.bulk import DEFAULT_BULK_POLICY, DEFAULT_BULK_THRESHOLD, BulkPolicy

#: Default history read on a first sync: a year back plus the month before, for comparisons.
HISTORY_MONTHS = 13
#: Default lookback. Apex, flows and big imports can hold a transaction open for minutes
#: (synchronous Apex may run 10 minutes of wall time); 10 minutes covers them.
DEFAULT_LOOKBACK = timedelta(minutes=10)
#: Default interval between full re-reads of objects whose synced fields are formulas.
DEFAULT_FORMULA_REFRESH = timedelta(days=7)


@dataclass(frozen=True)
class SyncOptions:
    """How a sync reads; the CLI's ``sync`` options set these."""

    #: empty each table and read it again
    full: bool = False
    #: measurable objects read records created since this day; None: 13 months before today
    history_start: date | None = None
    #: also re-read records modified since this day (``--since``)
    since: date | None = None
    #: how far before the watermark a read starts when the last one finished
    lookback: timedelta = DEFAULT_LOOKBACK
    #: re-read objects with formula fields whole once their last full read is this old;
    #: None: never
    formula_refresh: timedelta | None = DEFAULT_FORMULA_REFRESH
    #: objects with more records to read than this go through Bulk API 2.0; None: REST only
    bulk_threshold: int | None = DEFAULT_BULK_THRESHOLD
    bulk_policy: BulkPolicy = DEFAULT_BULK_POLICY
    #: a query that times out is split in halves by SystemModstamp, down to this width
    min_window: timedelta = timedelta(hours=1)
    #: times one object's read restarts from its checkpoint after INVALID_QUERY_LOCATOR
    locator_restarts: int = 3

    def __post_init__(self) -> None:
        if self.lookback < timedelta(0):
            raise ValueError(f"lookback must not be negative, got {self.lookback}")
        if self.formula_refresh is not None and self.formula_refresh <= timedelta(0):
            raise ValueError(f"formula_refresh must be positive, got {self.formula_refresh}")
        if self.bulk_threshold is not None and self.bulk_threshold < 0:
            raise ValueError(f"bulk_threshold must be 0 or more, got {self.bulk_threshold}")

    def history_start_for(self, now: datetime) -> date:
        return self.history_start or months_before(now.date(), HISTORY_MONTHS)


#: The options of a plain ``kpisync sync``.
DEFAULT_OPTIONS = SyncOptions()

_DURATION = re.compile(r"(\d+)\s*(s|m|h|d)?")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """``"600s"``, ``"10m"``, ``"12h"``, ``"7d"`` (a bare number is seconds) as a timedelta.

    Raises ValueError with a message for people.
    """
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(f"expected a duration such as 600s, 10m, 12h or 7d, got {text!r}")
    return timedelta(**{_UNITS[match.group(2) or "s"]: int(match.group(1))})


@dataclass(frozen=True)
class Lower:
    """Where a read starts: at ``stamp`` (inclusive), or just after the record
    ``(stamp, after_id)`` in (SystemModstamp, Id) order."""

    stamp: datetime
    after_id: str | None = None

    def condition(self) -> str:
        if self.after_id is None:
            return soql.compare("SystemModstamp", ">=", self.stamp)
        return soql.any_of(
            soql.compare("SystemModstamp", ">", self.stamp),
            soql.all_of(soql.compare("SystemModstamp", "=", self.stamp),
                        soql.compare("Id", ">", self.after_id)),
        )


@dataclass(frozen=True)
class ReadStart:
    """Where the next read of one object starts, and why."""

    #: None: every record (within the history window)
    lower: Lower | None
    #: why every record is read ("first sync", "--full", "fields added", "formula refresh",
    #: "earlier history start", "re-read", "resumed re-read"); None for an incremental read
    full_reason: str | None = None

    @property
    def full(self) -> bool:
        return self.full_reason is not None


def months_before(day: date, months: int) -> date:
    """The same day of the month ``months`` earlier (clamped to that month's last day)."""
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(day.day, last_day))


def read_start(plan: ObjectPlan, state: SyncState | None, options: SyncOptions, *,
               now: datetime, history_start: date, fields_added: bool = False) -> ReadStart:
    """Where the next read of ``plan``'s object starts (see the module docstring).

    ``state`` is the stored checkpoint; ``fields_added``: the store's table just gained
    columns, whose values the stored rows lack.
    """
    reason = _full_read_reason(plan, state, options, now=now, history_start=history_start,
                               fields_added=fields_added)
    if reason is not None:
        return ReadStart(None, reason)
    if state is None:
        return ReadStart(None, "first sync")
    if state.watermark is None:  # reset for a re-read, or read completely with no record
        return ReadStart(None, None if state.complete else "re-read")
    if state.complete and options.lookback > timedelta(0):
        lower = Lower(state.watermark - options.lookback)
    else:
        lower = Lower(state.watermark, state.watermark_id or "")
    if options.since is not None:
        since = datetime.combine(options.since, clock(), tzinfo=UTC)
        if since < lower.stamp or (since == lower.stamp and lower.after_id is not None):
            lower = Lower(since)
    resumed = state.full_read_started is not None and not state.complete
    return ReadStart(lower, "resumed re-read" if resumed else None)


def _full_read_reason(plan: ObjectPlan, state: SyncState | None, options: SyncOptions, *,
                      now: datetime, history_start: date, fields_added: bool) -> str | None:
    """Why a new read of every row must begin now, or None."""
    if options.full:
        return "--full"
    if state is None or state.watermark is None:
        return None
    if fields_added or not set(plan.fields) <= set(state.fields):
        return "fields added"
    if plan.measurable and state.history_start is not None and \
            history_start < state.history_start:
        return "earlier history start"
    if state.complete and options.formula_refresh is not None and state.formula_fields:
        last = state.last_full_sync
        if last is None or now - last >= options.formula_refresh:
            return "formula refresh"
    return None


def where(plan: ObjectPlan, history_start: date, lower: Lower | None,
          upper: datetime | None = None) -> str | None:
    """The WHERE condition of a read from ``lower`` up to ``upper`` (exclusive; None: no end)."""
    conditions = []
    if plan.measurable:
        since = datetime.combine(history_start, clock(), tzinfo=UTC)  # CreatedDate: a datetime
        conditions.append(soql.compare("CreatedDate", ">=", since))
    if lower is not None:
        conditions.append(lower.condition())
    if upper is not None:
        conditions.append(soql.compare("SystemModstamp", "<", upper))
    return soql.all_of(*conditions) if conditions else None


def read_query(plan: ObjectPlan, condition: str | None) -> str:
    """The SOQL of a REST read, in checkpoint order."""
    return soql.select(plan.sobject, plan.fields, where=condition,
                       order_by=("SystemModstamp", "Id"))


def known_types(plan: ObjectPlan, store: Store, state: SyncState | None
                 ) -> tuple[dict[str, str], tuple[str, ...]] | None:
    """The field types (and formula fields) from the last sync, when it read exactly these
    fields and finished or left a checkpoint: an unchanged incremental sync then costs one
    call per object, not two. Any change (a new field, a first or full read) describes the
    object again."""
    if state is None or set(state.fields) != set(plan.fields):
        return None
    if state.watermark is None and not state.complete:
        return None
    columns = store.columns(plan.sobject)
    if not set(plan.fields) <= set(columns):
        return None
    types = {f: _SF_TYPE_OF_COLUMN.get(columns[f].split("(")[0], "string") for f in plan.fields}
    return types, state.formula_fields


# Back from the store's column types to the describe types that type CSV values and columns.
_SF_TYPE_OF_COLUMN = {
    "BOOLEAN": "boolean", "BIGINT": "int", "DOUBLE": "double", "DECIMAL": "currency",
    "DATE": "date", "TIMESTAMP WITH TIME ZONE": "datetime", "VARCHAR": "string",
}


@with_config_objects
def missing_fields_message(config: Config, sobject: str, missing: list[str]) -> str:
    """Which fields are missing and which KPIs (or teams) need them."""
    clauses = [f"no field '{name}' ({_users(config, sobject, name)})" for name in missing]
    which = "the field's API name and that the sync user can see it" if len(missing) == 1 else \
        "the fields' API names and that the sync user can see them"
    return f"{sobject} has {', '.join(clauses)}; check {which} (field-level security)"


def _users(config: Config, sobject: str, field_name: str) -> str:
    kpis = [k.id for k in config.kpis if (sobject, field_name) in kpi_field_pairs(k)]
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


def kpi_field_pairs(kpi: Kpi) -> set[tuple[str, str]]:
    """(object, field) pairs a KPI reads, along its lookup paths too."""
    if kpi.source is None:
        return set()
    found: set[tuple[str, str]] = set()
    for name in kpi_fields(kpi):
        path = resolve_path(kpi.source, name)
        found |= {(hop.source, hop.reference) for hop in path.hops}
        found.add((path.sobject, path.field))
    return found
