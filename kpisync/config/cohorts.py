"""``cascade.cohorts``: windowed conversion steps, each naming the entity both KPIs share.

A cohort step reads the records of two KPIs, so its ``match`` is checked against both KPIs'
source objects here, offline: an activity has an AccountId and a WhoId, an opportunity only an
AccountId. The KPI ids themselves are returned as ``Ref``s and resolved with the rest of the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from yaml.nodes import MappingNode, Node, ScalarNode

from kpisync.config import fields, readers
from kpisync.config import yamlnodes as yn
from kpisync.config.model import CohortStep, Kpi
from kpisync.config.problems import Problems, did_you_mean
from kpisync.config.readers import Key
from kpisync.config.refs import Ref
from kpisync.sobjects import SYSTEM_FIELDS, catalogue, resolve_path

#: a year: a longer window would credit this year's deals to last year's meetings
MAX_WITHIN_DAYS = 366
MATCH_WORDS = ("account", "who")
#: where each object keeps the account a record is about (an activity's AccountId is filled by
#: Salesforce from its WhatId or WhoId); OpportunityHistory reads its opportunity's
ACCOUNT_FIELDS = {
    "Task": "AccountId",
    "Event": "AccountId",
    "Opportunity": "AccountId",
    "OpportunityHistory": "Opportunity.AccountId",
}
#: the contact or lead an activity is with
WHO_FIELDS = {"Task": "WhoId", "Event": "WhoId"}
KEY_TYPES = ("reference", "id")

COHORT_KEYS = (
    Key("from", True, "the base KPI whose records start a cohort, such as meetings_held"),
    Key("to", True, "the conversion KPI, such as opportunities_created"),
    Key("within_days", True, "how many days after a base record a conversion still counts, "
                             "such as 30"),
    Key("match"),
)
MATCH_KEYS = (
    Key("from", True, "a field of the base KPI's records, such as WhatId"),
    Key("to", True, "a field of the conversion KPI's records, such as AccountId"),
)


def parse_cohorts(node: Node, path: str, problems: Problems, refs: list[Ref],
                  kpis: Mapping[str, Kpi]) -> tuple[CohortStep, ...]:
    """The cohort steps; ``kpis`` are the KPIs read so far, by id, to check ``match`` with."""
    items = readers.sequence(node, path, problems,
                             example="a '- from: meetings_held' entry per cohort step")
    if items is None:
        return ()
    found: list[CohortStep] = []
    first: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        item_path = yn.join(path, index)
        step = _cohort(item, item_path, problems, refs, kpis)
        if step is None:
            continue
        pair = (step.from_kpi, step.to_kpi)
        if pair in first:
            problems.add(item, item_path, f"{step.from_kpi} to {step.to_kpi} is already a "
                                          f"cohort step (at line {first[pair]})")
            continue
        first[pair] = step.line
        found.append(step)
    return tuple(found)


def _cohort(node: Node, path: str, problems: Problems, refs: list[Ref],
            kpis: Mapping[str, Kpi]) -> CohortStep | None:
    entries = readers.mapping(node, path, problems, COHORT_KEYS)
    if entries is None:
        return None
    ids: dict[str, str | None] = {}
    for key in ("from", "to"):
        ids[key] = None
        if key in entries:
            key_path, value = yn.join(path, key), entries[key].value
            ids[key] = readers.identifier(value, key_path, problems)
            if ids[key] is not None:
                refs.append(Ref("measure", ids[key], value, key_path))  # type: ignore[arg-type]
    if ids["from"] is not None and ids["from"] == ids["to"]:
        problems.add(entries["to"].value, yn.join(path, "to"),
                     f"'{ids['to']}' is also the base KPI; a cohort step converts one KPI "
                     "into another")
        return None
    within = None
    if "within_days" in entries:
        within = readers.integer(entries["within_days"].value, yn.join(path, "within_days"),
                                 problems, 1, MAX_WITHIN_DAYS)
    if ids["from"] is None or ids["to"] is None:
        return None
    base, conversion = kpis.get(ids["from"]), kpis.get(ids["to"])
    if base is None or conversion is None or base.source is None or conversion.source is None:
        return None  # an unknown KPI or a ratio: the reference check reports it
    match = _match(entries.get("match"), yn.join(path, "match"), problems, base, conversion)
    if match is None or within is None:
        return None
    kind, from_field, to_field = match
    return CohortStep(from_kpi=base.id, to_kpi=conversion.id, within_days=within, match=kind,
                      from_field=from_field, to_field=to_field, line=yn.line_of(node))


def _match(pair: yn.Pair | None, path: str, problems: Problems, base: Kpi, conversion: Kpi
           ) -> tuple[str, str, str] | None:
    """(kind, base field, conversion field) for ``match``; account when it is left out."""
    if pair is None:  # every object a KPI can read is about an account
        return ("account", ACCOUNT_FIELDS[base.source],  # type: ignore[index]
                ACCOUNT_FIELDS[conversion.source])  # type: ignore[index]
    node = pair.value
    if isinstance(node, MappingNode):
        return _field_pair(node, path, problems, base, conversion)
    if isinstance(node, ScalarNode) and node.tag == yn.STR and node.value in MATCH_WORDS:
        return _named(node.value, node, path, problems, base, conversion)
    close = did_you_mean(node.value, MATCH_WORDS) if isinstance(node, ScalarNode) else None
    advice = f" — did you mean '{close}'?" if close else ""
    problems.add(node, path, "expected account, who or a pair of fields such as "
                             f"{{from: WhatId, to: AccountId}}; got {yn.describe(node)}{advice}")
    return None


def _named(word: str, node: Node, path: str, problems: Problems, base: Kpi, conversion: Kpi
           ) -> tuple[str, str, str] | None:
    table = ACCOUNT_FIELDS if word == "account" else WHO_FIELDS
    keys = [table.get(kpi.source) for kpi in (base, conversion)]  # type: ignore[arg-type]
    if keys[0] is not None and keys[1] is not None:
        return word, keys[0], keys[1]
    kpi = base if keys[0] is None else conversion
    problems.add(node, path, f"{word} needs records with a WhoId (Task or Event); "
                             f"'{kpi.id}' reads {kpi.source} — match on account, or on a pair "
                             "of fields such as {from: WhatId, to: AccountId}")
    return None


def _field_pair(node: MappingNode, path: str, problems: Problems, base: Kpi, conversion: Kpi
                ) -> tuple[str, str, str] | None:
    entries = readers.mapping(node, path, problems, MATCH_KEYS)
    if entries is None:
        return None
    found: dict[str, str | None] = {"from": None, "to": None}
    for key, kpi in (("from", base), ("to", conversion)):
        if key not in entries:
            continue
        key_path, value = yn.join(path, key), entries[key].value
        name = readers.text(value, key_path, problems, what="a field name")
        if name is not None and fields.check_field(
                name, value, key_path, problems, catalogue()[kpi.source],  # type: ignore[index]
                types=KEY_TYPES, use="match", lookups=True):
            found[key] = name
    if found["from"] is None or found["to"] is None:
        return None
    return "fields", found["from"], found["to"]


def cohort_fields(cohorts: Iterable[CohortStep], kpis: Mapping[str, Kpi]
                  ) -> dict[str, set[str]]:
    """The fields the sync must fetch so each step can match its records: the entity key on
    each side, and for a key through a lookup (``Opportunity.AccountId``) the reference on
    each object along the path, as for any KPI field."""
    wanted: dict[str, set[str]] = {}
    for step in cohorts:
        for kpi_id, name in ((step.from_kpi, step.from_field), (step.to_kpi, step.to_field)):
            path = resolve_path(kpis[kpi_id].source, name)  # type: ignore[arg-type]
            for hop in path.hops:
                _need(wanted, hop.source).add(hop.reference)
                _need(wanted, hop.target).add("Id")
            _need(wanted, path.sobject).add(path.field)
    return wanted


def _need(wanted: dict[str, set[str]], sobject: str) -> set[str]:
    if sobject not in wanted:
        measurable = catalogue()[sobject].measurable
        wanted[sobject] = set(SYSTEM_FIELDS) if measurable else {"Id", "SystemModstamp"}
    return wanted[sobject]
