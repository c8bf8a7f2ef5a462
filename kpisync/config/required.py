"""The fields the sync must fetch, derived from the KPIs, so it never pulls a whole object."""

from __future__ import annotations

from collections.abc import Iterable

from kpisync.config.kpis import PARENT_OWNER
from kpisync.config.model import Kpi, Team
from kpisync.sobjects import SOBJECTS, SYSTEM_FIELDS, USER_FIELDS, USER_ROLE_FIELDS


def required_fields(kpis: Iterable[Kpi], teams: Iterable[Team]) -> dict[str, tuple[str, ...]]:
    """Per Salesforce object, the sorted field names the sync must fetch.

    User and UserRole are always read (names, roles, membership rules). Each source object
    gets its system fields, OwnerId when it has one, and every field its KPIs filter, measure,
    date or credit by. OpportunityHistory KPIs crediting ``Opportunity.OwnerId`` also need the
    Opportunity's Id and OwnerId, joined on OpportunityHistory.OpportunityId.
    """
    wanted: dict[str, set[str]] = {
        "User": {*USER_FIELDS, *(f for t in teams for f, _ in t.members.where)},
        "UserRole": set(USER_ROLE_FIELDS),
    }
    for kpi in kpis:
        if kpi.source is None:
            continue
        names = wanted.setdefault(kpi.source, set(SYSTEM_FIELDS))
        if "OwnerId" in SOBJECTS[kpi.source].fields:
            names.add("OwnerId")
        measure = kpi.measure
        names.update(f.field for f in kpi.conditions)
        names.update(n for n in (measure.field, measure.start_field, measure.end_field,
                                 kpi.date_field) if n)
        if kpi.credit_field == PARENT_OWNER:
            parent, parent_field = PARENT_OWNER.split(".")
            names.add(f"{parent}Id")
            wanted.setdefault(parent, set(SYSTEM_FIELDS)).update({"Id", parent_field})
        elif kpi.credit_field:
            names.add(kpi.credit_field)
    return {name: tuple(sorted(fields)) for name, fields in wanted.items()}
