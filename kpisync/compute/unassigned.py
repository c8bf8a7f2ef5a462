"""The owners of records that no team is credited with, for admins to fix team membership.

Records credited to a user who is on no team on the record's day (a manager, an admin, someone
who left every team), to a user the store does not have, or to nobody (an empty OwnerId) count
for the org, so the org's count is the whole org's; but they count for no team and no rep. The
scorecard lists them by owner so that such records are not lost silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from kpisync.compute.model import Period, UnassignedCount, UnassignedOwner
from kpisync.config.model import Config

# (kpi_id, period_key, owner_id or None) -> (records, actual)
OwnerActuals = dict[tuple[str, str, str | None], tuple[int, Decimal | None]]


def report(
    config: Config,
    periods: Iterable[Period],
    users: Iterable[Mapping[str, Any]],
    owners: OwnerActuals,
) -> tuple[UnassignedOwner, ...]:
    """One entry per owner with unassigned records in the window, named where the store knows
    them; KPIs in kpis.yaml order, then periods in window order. Named owners come first (by
    name), then Ids the store lacks, then records with no owner."""
    names = {u["Id"]: u.get("Name") or u.get("Username") or u["Id"] for u in users}
    kpi_order = {k.id: i for i, k in enumerate(config.kpis)}
    period_order = {p.key: i for i, p in enumerate(periods)}
    counts: dict[str | None, list[UnassignedCount]] = {}
    for (kpi_id, period_key, owner_id), (records, actual) in owners.items():
        counts.setdefault(owner_id, []).append(
            UnassignedCount(kpi_id, period_key, records, actual)
        )
    found = [
        UnassignedOwner(
            owner_id=owner_id,
            name=names.get(owner_id) if owner_id is not None else None,
            counts=tuple(sorted(rows, key=lambda c: (kpi_order[c.kpi_id],
                                                      period_order[c.period_key]))),
        )
        for owner_id, rows in counts.items()
    ]
    return tuple(sorted(found, key=lambda o: (o.owner_id is None, o.name is None,
                                              (o.name or "").casefold(), o.owner_id or "")))
