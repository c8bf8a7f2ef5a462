"""``kpisync sync --dry-run``: what the next sync would cost in API calls, from cheap calls.

One GET /limits for the org's usage, then one ``SELECT count()`` per object with the same
WHERE as the real read (``kpisync.sync.plan.read_start``). A sync costs, per object, a
describe (skipped when the last sync read the same fields) plus one call per page of up to
``batch_size`` (2,000) records, at least one page even when nothing changed:

    calls = describe + max(1, ⌈records / batch_size⌉)

An object with more than the bulk threshold left after its first page is read through a Bulk
API 2.0 query job instead: the first page, then /limits, the job's creation, its polls (how
many depends on how long Salesforce takes; ``BULK_POLLS`` is assumed), one call per result
set of up to ``max_records`` and the job's deletion:

    calls = describe + 1 + 1 + 1 + BULK_POLLS + ⌈(records - batch_size) / max_records⌉ + 1

Retries, a mid-sync re-login, a timed-out query split in two and an expired cursor would add
to it. Each object's estimate carries the SOQL the sync would read it with, so an admin sees
exactly which fields and which window a sync asks for. Nothing is written to the store.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kpisync.config.model import Config
from kpisync.config.required import plan_objects
from kpisync.store import Store
from kpisync.sync import soql
from kpisync.sync.client import SalesforceClient
from kpisync.sync.plan import (
    DEFAULT_OPTIONS,
    SyncOptions,
    known_types,
    read_query,
    read_start,
    where,
)
from kpisync.sync.quota import DEFAULT_QUOTA, QuotaGuard

#: polls of a Bulk API 2.0 query job assumed until it completes
BULK_POLLS = 3


@dataclass(frozen=True)
class ObjectEstimate:
    """One object's share of the next sync."""

    sobject: str
    #: records the next sync would read (changed since the checkpoint, deleted ones included)
    records: int
    #: the describe plus the query pages
    calls: int
    #: True if the next sync reads every row (no checkpoint, --full, or fields added)
    full: bool
    #: True if the records after the first page would be read with a Bulk API 2.0 query job
    bulk: bool = False
    #: the query the sync would read the object with (its REST read; a Bulk API 2.0 job runs
    #: the same query without the ORDER BY)
    soql: str = ""


@dataclass(frozen=True)
class SyncEstimate:
    """The next sync's cost, against the org's usage and the quota guards."""

    objects: Mapping[str, ObjectEstimate]
    #: (used, limit) of the org's daily API requests, from /limits, after the dry run's calls
    api_usage: tuple[int, int]
    #: calls the dry run itself made
    api_calls: int
    #: the guards' numbers for this org: most calls one run may make, requests left to others
    run_budget: int
    org_floor: int

    @property
    def estimated_calls(self) -> int:
        return sum(o.calls for o in self.objects.values())

    @property
    def within_quota(self) -> bool:
        """True if the sync should finish without stopping at a guard (retries aside)."""
        used, limit = self.api_usage
        return (self.estimated_calls <= self.run_budget
                and limit - used - self.estimated_calls >= self.org_floor)

    def to_dict(self) -> dict[str, Any]:
        used, limit = self.api_usage
        return {
            "dry_run": True,
            "objects": {o.sobject: {"records": o.records, "api_calls": o.calls, "full": o.full,
                                    "bulk": o.bulk, "soql": o.soql}
                        for o in self.objects.values()},
            "estimated_api_calls": self.estimated_calls,
            "dry_run_api_calls": self.api_calls,
            "api_usage": {"used": used, "limit": limit},
            "run_budget": self.run_budget,
            "org_floor": self.org_floor,
            "within_quota": self.within_quota,
        }

    def summary(self) -> str:
        used, limit = self.api_usage
        lines = []
        for o in self.objects.values():
            lines.append(f"  {o.sobject}: {o.records:,} records, {o.calls:,} API calls "
                         f"({'full read' if o.full else 'incremental'}"
                         f"{', Bulk API 2.0' if o.bulk else ''})")
            lines.append(f"    {o.soql}")
        verdict = ("fits the quota" if self.within_quota else
                   "would stop at a quota guard; later runs resume")
        head = (f"Dry run: the next sync needs about {self.estimated_calls:,} API calls "
                f"(run budget {self.run_budget:,}; org usage {used:,}/{limit:,} today, floor "
                f"{self.org_floor:,} left to others): {verdict}. The dry run made "
                f"{self.api_calls} calls.")
        return "\n".join([head, *lines])


def estimate(
    config: Config,
    store: Store | None,
    client: SalesforceClient,
    options: SyncOptions = DEFAULT_OPTIONS,
    *,
    quota: QuotaGuard = DEFAULT_QUOTA,
    now: datetime | None = None,
) -> SyncEstimate:
    """Estimate the next ``sync(config, store, client, options)`` without running it.

    ``store`` None means no store yet (a first sync). Only reads the store; raises
    SalesforceError if a count is refused (a wrong object name, for one).
    """
    now = now or datetime.now(UTC)
    history_start = options.history_start_for(now)
    calls_before = client.api_calls
    objects = {}
    for plan in plan_objects(config):
        state = None if options.full or store is None else store.get_state(plan.sobject)
        columns = store.columns(plan.sobject) if store is not None else {}
        added = not set(plan.fields) <= set(columns)
        start = read_start(plan, state, options, now=now, history_start=history_start,
                           fields_added=added)
        condition = where(plan, history_start, start.lower)
        records = client.count(soql.count(plan.sobject, condition),
                               include_deleted=plan.measurable, sobject=plan.sobject)
        skips_describe = store is not None and not options.full and \
            known_types(plan, store, state) is not None
        describe = 0 if skips_describe else 1
        calls, bulk = _read_calls(records, client.batch_size, options)
        objects[plan.sobject] = ObjectEstimate(plan.sobject, records, describe + calls,
                                               full=start.full, bulk=bulk,
                                               soql=read_query(plan, condition))
    used, limit = client.daily_api_requests()
    return SyncEstimate(objects=objects, api_usage=(used, limit),
                        api_calls=client.api_calls - calls_before,
                        run_budget=quota.run_budget.of(limit), org_floor=quota.org_floor.of(limit))


def _read_calls(records: int, batch_size: int, options: SyncOptions) -> tuple[int, bool]:
    """The calls that read ``records`` (describe aside), and whether through Bulk API 2.0."""
    threshold = options.bulk_threshold
    if threshold is not None and records > batch_size and records - batch_size > threshold:
        result_sets = math.ceil((records - batch_size) / options.bulk_policy.max_records)
        return 1 + 1 + 1 + BULK_POLLS + result_sets + 1, True
    return max(1, math.ceil(records / batch_size)), False
