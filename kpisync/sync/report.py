"""What a sync did, for the CLI summary, the demo and tests: frozen, plain numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ObjectReport:
    """One object's part of a sync."""

    sobject: str
    #: records Salesforce returned (live and deleted)
    fetched: int
    upserted: int
    #: rows removed because Salesforce reported them deleted (IsDeleted = true)
    deleted: int
    pages: int
    #: HTTP requests sent for this object, retries and the describe included
    api_calls: int
    seconds: float
    #: SystemModstamp of the last record stored: the next sync starts after it
    watermark: datetime | None
    #: True if every row was read (first sync, --full, or fields added since the last sync)
    full: bool


@dataclass(frozen=True)
class SyncReport:
    """The whole sync, object by object, in the order they were synced."""

    objects: Mapping[str, ObjectReport]
    #: (used, limit) of the org's daily API requests at the start and end, when Salesforce said
    api_usage_before: tuple[int, int] | None = None
    api_usage_after: tuple[int, int] | None = None
    seconds: float = 0.0
    _totals: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        totals = {name: sum(getattr(o, name) for o in self.objects.values())
                  for name in ("fetched", "upserted", "deleted", "pages", "api_calls")}
        object.__setattr__(self, "_totals", totals)

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
