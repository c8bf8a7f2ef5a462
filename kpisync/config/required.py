"""The fields the sync must fetch, derived from the KPIs, so it never pulls a whole object."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kpisync.config.model import Config, Kpi, SiteOptions, Team
from kpisync.sobjects import (
    SYSTEM_FIELDS,
    USER_FIELDS,
    USER_ROLE_FIELDS,
    catalogue,
    resolve_path,
    with_config_objects,
)


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


#: the fields that name a record on a drill-through page, in order of preference
LABEL_FIELDS = ("Subject", "Name")


def drillable(kpi: Kpi) -> bool:
    """KPIs read straight from records: not formulas (made of other KPIs) nor ratios (whose
    numerator and denominator KPIs have record lists of their own)."""
    return bool(kpi.source) and kpi.measure.kind not in ("ratio", "formula") \
        and kpi.measure.formula is None


def label_fields(kpis: Iterable[Kpi], site: SiteOptions) -> dict[str, tuple[str, ...]]:
    """Per object a drill-through page lists records of, the field that names its records
    (``LABEL_FIELDS``), when kpis.yaml asks for them (``site.record_labels``) and the site
    has drill-through pages at all."""
    if not (site.record_labels and site.drill_through and site.rep_pages):
        return {}
    objects = catalogue()
    wanted: dict[str, tuple[str, ...]] = {}
    for kpi in kpis:
        known = objects.get(kpi.source) if kpi.source else None
        label = next((f for f in LABEL_FIELDS if known and f in known.fields), None)
        if label is not None and drillable(kpi):
            wanted[kpi.source] = (label,)  # type: ignore[index]
    return wanted


def add_fields(required: dict[str, tuple[str, ...]],
               *extra: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """``required`` with the fields of ``extra`` (cohort keys, the stage analysis) added."""
    merged = {name: set(fields) for name, fields in required.items()}
    for more in extra:
        for name, fields in more.items():
            merged.setdefault(name, set()).update(fields)
    return {name: tuple(sorted(fields)) for name, fields in merged.items()}


#: Reference data first: compute needs users and roles to place every activity.
REFERENCE_OBJECTS: dict[str, tuple[str, ...]] = {"User": USER_FIELDS, "UserRole": USER_ROLE_FIELDS}


@dataclass(frozen=True)
class ObjectPlan:
    """What to sync for one object."""

    sobject: str
    fields: tuple[str, ...]
    #: measurable objects have IsDeleted, are read with queryAll and bounded by history_start
    measurable: bool


@with_config_objects
def plan_objects(config: Config) -> list[ObjectPlan]:
    """User, UserRole, then each object the KPIs read, with the fields to fetch: those the
    KPIs use, plus Id, SystemModstamp, IsDeleted and OwnerId where the object has them.

    ``config.required_fields`` already follows lookups (``Account.Type`` puts Account in it,
    see ``kpisync.config.required``), so an object reached only through a lookup is synced
    like any other, with its own checkpoint. A parent field written ``Opportunity.OwnerId``
    directly in ``required_fields`` is still fetched on the parent object; the child fetches
    ``OpportunityId``.
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
    objects = catalogue()
    plans = []
    for sobject, fields in wanted.items():
        known = objects.get(sobject)
        if known is not None and known.store_source is not None:
            continue  # a plugin's store source writes it; not read from Salesforce
        measurable = known.measurable if known else True
        system = ["Id", "SystemModstamp"] + (["IsDeleted"] if measurable else [])
        if known is not None and "OwnerId" in known.fields:
            system.append("OwnerId")  # who a record belongs to, whichever field KPIs credit
        plans.append(ObjectPlan(sobject, tuple(dict.fromkeys([*system, *fields])), measurable))
    return plans
