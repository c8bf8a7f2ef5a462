"""What a sync did, for the CLI summary, the demo and tests: frozen, plain numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ObjectReport:
    """One object's part of a sync."""

    sobject: str
    #: records Salesforce returned (live and deleted)
    fetched: int
    upserted: int
    #: stored rows removed because Salesforce now reports them deleted (IsDeleted = true);
    #: deleted records the store never held (a first sync reads those too) are not counted
    deleted: int
    pages: int
    #: HTTP requests sent for this object, retries and the describe included
    api_calls: int
    seconds: float
    #: SystemModstamp of the last record stored: the next sync starts after it
    watermark: datetime | None
    #: True if every row was read (first sync, --full, or fields added since the last sync)
    full: bool
    #: False if the sync stopped at a quota guard before reading all of this object
    complete: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (the watermark as ISO 8601)."""
        return {"fetched": self.fetched, "upserted": self.upserted, "deleted": self.deleted,
                "pages": self.pages, "api_calls": self.api_calls,
                "seconds": round(self.seconds, 3),
                "watermark": self.watermark.isoformat() if self.watermark else None,
                "full": self.full, "complete": self.complete}


@dataclass(frozen=True)
class SyncReport:
    """The whole sync, object by object, in the order they were synced."""

    objects: Mapping[str, ObjectReport]
    #: (used, limit) of the org's daily API requests at the start and end, when Salesforce said
    api_usage_before: tuple[int, int] | None = None
    api_usage_after: tuple[int, int] | None = None
    seconds: float = 0.0
    #: why the sync stopped early (a quota guard, REQUEST_LIMIT_EXCEEDED); None: it finished
    stopped_reason: str | None = None
    #: retries made, by cause (Salesforce's error code, "HTTP 503", "timeout", ...), with
    #: recoveries such as "INVALID_SESSION_ID (logged in again)": each cost API calls
    retries: Mapping[str, int] = field(default_factory=dict)
    _totals: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        totals = {name: sum(getattr(o, name) for o in self.objects.values())
                  for name in ("fetched", "upserted", "deleted", "pages", "api_calls")}
        object.__setattr__(self, "_totals", totals)

    @property
    def partial(self) -> bool:
        """True if the sync stopped at a quota guard: what was fetched is stored, and the next
        run resumes after it."""
        return self.stopped_reason is not None

    @property
    def total_fetched(self) -> int:
        return self._totals["fetched"]

    @property
    def total_upserted(self) -> int:
        return self._totals["upserted"]

    @property
    def total_deleted(self) -> int:
        return self._totals["deleted"]

    @property
    def total_pages(self) -> int:
        return self._totals["pages"]

    @property
    def total_api_calls(self) -> int:
        return self._totals["api_calls"]

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready values: what ``kpisync sync --json`` prints."""
        def usage(value: tuple[int, int] | None) -> dict[str, int] | None:
            return None if value is None else {"used": value[0], "limit": value[1]}

        return {
            "partial": self.partial,
            "stopped_reason": self.stopped_reason,
            "objects": {name: o.to_dict() for name, o in self.objects.items()},
            "totals": {**self._totals, "seconds": round(self.seconds, 3)},
            "api_usage": {"before": usage(self.api_usage_before),
                          "after": usage(self.api_usage_after)},
            "retries": {"total": sum(self.retries.values()), "causes": dict(self.retries)},
        }

    def summary(self) -> str:
        """A few lines for people: one per object, then the totals and API usage."""
        lines = [
            f"  {o.sobject}: {o.fetched:,} fetched, {o.upserted:,} upserted, "
            f"{o.deleted:,} deleted ({'full read' if o.full else 'incremental'}, "
            f"{o.pages} page{'s' if o.pages != 1 else ''}, {o.seconds:.1f}s)"
            for o in self.objects.values()
        ]
        total = (f"Synced {self.total_fetched:,} records from {len(self.objects)} objects in "
                 f"{self.seconds:.1f}s with {self.total_api_calls:,} API calls")
        if self.api_usage_after is not None:
            used, limit = self.api_usage_after
            total += f" (org API usage {used:,}/{limit:,} today)"
        if self.retries:
            causes = ", ".join(f"{n} × {cause}" for cause, n in sorted(self.retries.items()))
            lines.append(f"  retries: {causes}")
        if self.stopped_reason is not None:
            lines.append(f"Stopped early: {self.stopped_reason}. What was fetched is stored; "
                         "run `kpisync sync` again to resume.")
        return "\n".join([total + ":", *lines])


@dataclass(frozen=True)
class ProgressEvent:
    """Sent after each stored page, for a progress display."""

    sobject: str
    #: records fetched so far for this object
    fetched: int
    pages: int
    #: what Salesforce says the whole query returns
    total: int

    def __str__(self) -> str:
        pages = f"{self.pages} page{'s' if self.pages != 1 else ''}"
        return f"{self.sobject}: {self.fetched:,} of {self.total:,} records ({pages})"
