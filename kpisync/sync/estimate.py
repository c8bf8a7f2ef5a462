"""``kpisync sync --dry-run``: what the next sync would cost in API calls, from cheap calls.

One GET /limits for the org's usage, then one ``SELECT count()`` per object with the same
WHERE as the real incremental read. A sync costs, per object, one describe plus one call per
page of up to ``batch_size`` (2,000) records, and at least one page even when nothing changed:

    calls = Σ (1 + max(1, ⌈records / batch_size⌉))

Retries and a mid-sync re-login would add to it. Nothing is written to the store.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from kpisync.config.model import Config
from kpisync.store import Store
from kpisync.sync import soql
from kpisync.sync.client import SalesforceClient
from kpisync.sync.jobs import HISTORY_MONTHS, incremental_where, months_before, plan_objects
from kpisync.sync.quota import DEFAULT_QUOTA, QuotaGuard


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
            "objects": {o.sobject: {"records": o.records, "api_calls": o.calls, "full": o.full}
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
        lines = [f"  {o.sobject}: {o.records:,} records, {o.calls:,} API calls "
                 f"({'full read' if o.full else 'incremental'})" for o in self.objects.values()]
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
    *,
    quota: QuotaGuard = DEFAULT_QUOTA,
    full: bool = False,
    now: datetime | None = None,
    history_start: date | None = None,
) -> SyncEstimate:
    """Estimate the next ``sync(config, store, client, full=full)`` without running it.

    ``store`` None means no store yet (a first sync). Only reads the store; raises
    SalesforceError if a count is refused (a wrong object name, for one).
    """
    now = now or datetime.now(UTC)
    start = history_start or months_before(now.date(), HISTORY_MONTHS)
    calls_before = client.api_calls
    objects = {}
    for plan in plan_objects(config):
        state = None if full or store is None else store.get_state(plan.sobject)
        if state is not None and not set(plan.fields) <= set(state.fields):
            state = None  # fields added: the sync reads every row again
        where = incremental_where(plan, state, start)
        records = client.count(soql.count(plan.sobject, where), include_deleted=plan.measurable,
                               sobject=plan.sobject)
        pages = max(1, math.ceil(records / client.batch_size))
        objects[plan.sobject] = ObjectEstimate(plan.sobject, records, 1 + pages,
                                               full=state is None or state.watermark is None)
    used, limit = client.daily_api_requests()
    return SyncEstimate(objects=objects, api_usage=(used, limit),
                        api_calls=client.api_calls - calls_before,
                        run_budget=quota.run_budget.of(limit), org_floor=quota.org_floor.of(limit))
