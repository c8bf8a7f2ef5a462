"""The fields the sync must fetch, derived from the KPIs, so it never pulls a whole object."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kpisync.config.model import Kpi, Team
from kpisync.sobjects import SYSTEM_FIELDS, USER_FIELDS, USER_ROLE_FIELDS, catalogue, resolve_path


def required_fields(kpis: Iterable[Kpi], teams: Iterable[Team]) -> dict[str, tuple[str, ...]]:
    """Per Salesforce object, the sorted field names the sync must fetch.

    User and UserRole are always read (names, roles, membership rules). Each source object
    gets its system fields, OwnerId when it has one, and every field its KPIs filter, measure,
    date or credit by. A field through a lookup (``Account.Type``, ``Opportunity.OwnerId``,
    ``Owner.UserRole.Name``) needs the reference field on each object along the path and the
    final field on the object at its end: that is how Account comes to be synced, and only
    when a KPI uses it.
    """
    wanted: dict[str, set[str]] = {
        "User": {*USER_FIELDS, *(f for t in teams for f, _ in t.members.where)},
        "UserRole": set(USER_ROLE_FIELDS),
    }
    for kpi in kpis:
        if kpi.source is None:
            continue
        _need(wanted, kpi.source)
        if "OwnerId" in catalogue()[kpi.source].fields:
            wanted[kpi.source].add("OwnerId")
        for name in kpi_fields(kpi):
            path = resolve_path(kpi.source, name)
            for hop in path.hops:
                _need(wanted, hop.source).add(hop.reference)
                _need(wanted, hop.target).add("Id")
            _need(wanted, path.sobject).add(path.field)
    return {name: tuple(sorted(fields)) for name, fields in wanted.items()}


def kpi_fields(kpi: Kpi) -> tuple[str, ...]:
    """Every field name (a lookup path included) a KPI with a source reads, in a fixed order."""
    measure = kpi.measure
    names = (measure.field, measure.start_field, measure.end_field, *kpi.date_fields,
             kpi.credit_field, *(f.field for f in kpi.conditions))
    return tuple(dict.fromkeys(n for n in names if n))


def _need(wanted: dict[str, set[str]], sobject: str) -> set[str]:
    """The fields wanted on ``sobject``, starting from its system fields the first time."""
    if sobject not in wanted:
        measurable = catalogue()[sobject].measurable
        wanted[sobject] = set(SYSTEM_FIELDS) if measurable else {"Id", "SystemModstamp"}
    return wanted[sobject]


def add_fields(required: dict[str, tuple[str, ...]],
               *extra: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """``required`` with the fields of ``extra`` (cohort keys, the stage analysis) added."""
    merged = {name: set(fields) for name, fields in required.items()}
    for more in extra:
        for name, fields in more.items():
            merged.setdefault(name, set()).update(fields)
    return {name: tuple(sorted(fields)) for name, fields in merged.items()}
