"""One entry of ``kpis:``: where its records come from, how they become a number, its target.

Fields are checked against the source object in ``kpisync.sobjects``; references to other
KPIs and teams are returned as ``Ref``s and checked once the whole file has been read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from yaml.nodes import Node, ScalarNode, SequenceNode

from kpisync.config import fields, formulas, plugin_options, readers
from kpisync.config import yamlnodes as yn
from kpisync.config.model import (
    ADDITIVE_MEASURES,
    TIERS,
    UNITS,
    Filter,
    FilterGroup,
    Kpi,
    Measure,
    Target,
)
from kpisync.config.problems import Problems, did_you_mean
from kpisync.config.readers import Key
from kpisync.config.refs import Ref
from kpisync.config.targets import target
from kpisync.config.units import TIME_UNITS, check_unit
from kpisync.registry import registry
from kpisync.sobjects import SObject, catalogue, measurable, unavailable

KPI_TYPES = ("leading", "lagging")
MEASURE_EXAMPLES = {
    "count": "count",
    "sum": "{sum: Amount}",
    "average": "{average: Amount}",
    "median": "{median: Amount}",
    "min": "{min: Amount}",
    "max": "{max: Amount}",
    "distinct_count": "{distinct_count: WhatId}",
    "ratio": "{ratio: {numerator: deals_won, denominator: deals_closed}}",
    "duration": "{duration: {from: CreatedDate, to: CloseDate}}",
    "formula": '{formula: "pipeline / (target(revenue) - revenue)"}',
}
#: measures of one numeric field
NUMERIC_MEASURES = ("sum", "average", "median", "min", "max")
#: measures computed from other KPIs' results: no records of their own
COMPUTED_MEASURES = ("ratio", "formula")
#: OpportunityHistory rows have no owner: they credit the owner of their opportunity
PARENT_OWNER = "Opportunity.OwnerId"
_NOT_FOR_RATIO = ("source", "where", "date", "credit")

KPI_KEYS = (
    Key("id", True, "a lowercase id such as calls"),
    Key("name", True, "the name people read, such as Calls"),
    Key("description"),
    Key("tier", True, f"one of: {', '.join(TIERS)}"),
    Key("type", True, f"one of: {', '.join(KPI_TYPES)}"),
    Key("unit", True, f"one of: {', '.join(UNITS)}"),
    Key("source"),
    Key("measure", True, f"such as {', '.join(MEASURE_EXAMPLES.values())}"),
    Key("where"),
    Key("date"),
    Key("credit"),
    Key("target"),
)


@dataclass
class ParsedKpi:
    """A KPI as read, with what the rest of the file must be checked against."""

    kpi: Kpi
    node: Node
    path: str
    id_node: Node | None
    refs: list[Ref] = field(default_factory=list)
    #: the formula text's node, for errors about the formula as a whole (cycles)
    formula_node: Node | None = None


def parse_kpi(node: Node, path: str, problems: Problems) -> ParsedKpi | None:
    entries = readers.mapping(node, path, problems, KPI_KEYS)
    if entries is None:
        return None
    refs: list[Ref] = []

    def read(key: str, reader, *args):
        return reader(entries[key].value, yn.join(path, key), problems, *args) \
            if key in entries else None

    kpi_id = read("id", readers.identifier)
    name = read("name", readers.text)
    description = read("description", readers.text)
    tier = read("tier", readers.choice, TIERS)
    kpi_type = read("type", readers.choice, KPI_TYPES)
    unit = read("unit", readers.choice, UNITS)
    declared = declared_measure(entries["measure"].value) if "measure" in entries else None
    sobject = _source(node, entries, path, problems, declared)
    measure = None
    if "measure" in entries:
        measure = _measure(entries["measure"].value, yn.join(path, "measure"), problems,
                           sobject, kpi_id, refs)
    if declared == "duration" and unit is not None and unit not in TIME_UNITS:
        problems.add(entries["unit"].value, yn.join(path, "unit"),
                     f"a duration is measured in days or minutes, got '{unit}'")
    if measure is not None and unit is not None:
        check_unit(unit, measure, entries["unit"].value, yn.join(path, "unit"), problems,
                   sobject)
    filters: tuple[Filter | FilterGroup, ...] = ()
    date_field = credit_field = None
    date_fallbacks: tuple[str, ...] = ()
    if sobject is not None:
        if "where" in entries:
            filters = fields.filters(entries["where"].value, yn.join(path, "where"), problems,
                                     sobject)
        date_field, date_fallbacks = _date(entries, path, problems, sobject)
        credit_field = _credit(entries, path, problems, sobject)
    kpi_target: Target | None = None
    if "target" in entries:
        additive = None if declared is None else declared in ADDITIVE_MEASURES or \
            _plugin_additive(declared)
        kpi_target = target(entries["target"].value, yn.join(path, "target"), problems, refs,
                            additive)
    kpi = Kpi(
        id=kpi_id or "", name=name or "", tier=tier or "activities", type=kpi_type or "leading",
        unit=unit or "count", measure=measure or Measure("count"), description=description or "",
        source=sobject.name if sobject else None, filters=filters, date_field=date_field,
        date_fallbacks=date_fallbacks, credit_field=credit_field, target=kpi_target,
        line=yn.line_of(node),
    )
    formula_node = entries["measure"].value.value[0][1] if measure and measure.formula else None
    return ParsedKpi(kpi, node, path, entries["id"].value if kpi_id else None, refs,
                     formula_node)


def declared_measure(node: Node) -> str | None:
    """The measure a KPI says it uses (``count``, or the key of ``{sum: Amount}``), even when
    the rest of it is broken, so that rules tied to the kind still apply."""
    if isinstance(node, ScalarNode):
        return node.value
    if isinstance(node, yn.MappingNode) and len(node.value) == 1:
        key = node.value[0][0]
        return key.value if isinstance(key, ScalarNode) else None
    return None


def _source(node: Node, entries: dict[str, yn.Pair], path: str, problems: Problems,
            declared: str | None) -> SObject | None:
    if declared in COMPUTED_MEASURES:
        what = "a ratio KPI divides two other KPIs" if declared == "ratio" else \
            "a formula KPI combines other KPIs"
        for key in _NOT_FOR_RATIO:
            if key in entries:
                problems.add(entries[key].key_node, yn.join(path, key),
                             f"{what} and takes no {key}: set it on those KPIs instead")
        return None
    if "source" not in entries:
        problems.add(node, path, "missing required key 'source' (one of: "
                                 f"{', '.join(measurable())})")
        return None
    value = entries["source"].value
    off = unavailable(value.value) if isinstance(value, ScalarNode) else None
    if off:  # a store source's table, and kpis.yaml turns the source off
        problems.add(value, yn.join(path, "source"), off)
        return None
    name = readers.choice(value, yn.join(path, "source"), problems, measurable())
    return catalogue()[name] if name else None


def _plugin_additive(name: str) -> bool:
    measure = registry().measures.get(name)
    return measure is not None and name not in MEASURE_EXAMPLES and measure.additive


def _measure(node: Node, path: str, problems: Problems, sobject: SObject | None,
             kpi_id: str | None, refs: list[Ref]) -> Measure | None:
    kinds = tuple(MEASURE_EXAMPLES)
    plugin = _plugin_measure(node)
    if plugin is not None:
        name, inner = plugin
        return plugin_options.plugin_measure(registry().measures[name], inner,
                                             yn.join(path, name), problems, sobject)
    if isinstance(node, ScalarNode):
        if node.value == "count" and node.tag == yn.STR:
            return Measure("count")
        if node.value in kinds:
            problems.add(node, path, f"{node.value} needs more: write measure: "
                                     f"{MEASURE_EXAMPLES[node.value]}")
            return None
    entries = yn.pairs(node, path, problems) if isinstance(node, yn.MappingNode) else None
    if entries is None or len(entries) != 1:
        got = f"{len(entries)} entries" if entries is not None else yn.describe(node)
        close = did_you_mean(node.value, kinds) if isinstance(node, ScalarNode) else None
        advice = f" — did you mean '{close}'?" if close else ""
        problems.add(node, path, f"expected count or one mapping such as {{sum: Amount}}; "
                                 f"got {got}{advice}")
        return None
    (entry,) = entries
    inner_path = yn.join(path, entry.key)
    if entry.key not in kinds or entry.key == "count":
        if entry.key == "count":
            message = "count takes no field: write measure: count"
        else:
            advice = plugin_options.unknown_plugin_measure(entry.key, registry(), kinds)
            message = f"unknown measure '{entry.key}'{advice}"
        problems.add(entry.key_node, path, message)
        return None
    if entry.key == "ratio":
        return _ratio(entry.value, inner_path, problems, kpi_id, refs)
    if entry.key == "duration":
        return _duration(entry.value, inner_path, problems, sobject)
    if entry.key == "formula":
        formula = formulas.parse_formula(entry.value, inner_path, problems, kpi_id, refs)
        return Measure("formula", formula=formula) if formula else None
    name = readers.text(entry.value, inner_path, problems, what="a field name")
    if name is None or sobject is None:
        return None
    # min and max take numbers only: a date's earliest/latest would need its own unit.
    types = fields.NUMERIC_TYPES if entry.key in NUMERIC_MEASURES else ()
    if not fields.check_field(name, entry.value, inner_path, problems, sobject, types=types,
                              use=entry.key, lookups=True):
        return None
    return Measure(entry.key, field=name)  # type: ignore[arg-type]


def _plugin_measure(node: Node) -> tuple[str, Node] | None:
    """(name, options node) when ``node`` names a measure a plugin registered."""
    name = declared_measure(node)
    if name is None or name in MEASURE_EXAMPLES or name not in registry().measures:
        return None
    if isinstance(node, ScalarNode):
        return name, yn.MappingNode(yn.MAP, [], node.start_mark, node.end_mark)
    return name, node.value[0][1]


def _ratio(node: Node, path: str, problems: Problems, kpi_id: str | None, refs: list[Ref]
           ) -> Measure | None:
    keys = (Key("numerator", True, "a KPI id, such as deals_won"),
            Key("denominator", True, "a KPI id, such as deals_closed"))
    entries = readers.mapping(node, path, problems, keys)
    if entries is None:
        return None
    parts: dict[str, str | None] = {}
    for key in ("numerator", "denominator"):
        if key not in entries:
            parts[key] = None
            continue
        part_path, part_node = yn.join(path, key), entries[key].value
        parts[key] = readers.identifier(part_node, part_path, problems)
        if parts[key] is not None and parts[key] == kpi_id:
            problems.add(part_node, part_path, f"'{kpi_id}' is this KPI itself; a ratio "
                                               "divides two other KPIs")
            parts[key] = None
        elif parts[key] is not None:
            refs.append(Ref("measure", parts[key], part_node, part_path))  # type: ignore[arg-type]
    if parts["numerator"] is None or parts["denominator"] is None:
        return None
    return Measure("ratio", numerator=parts["numerator"], denominator=parts["denominator"])


def _duration(node: Node, path: str, problems: Problems, sobject: SObject | None
              ) -> Measure | None:
    keys = (Key("from", True, "the date the time starts, such as CreatedDate"),
            Key("to", True, "the date the time ends, such as CloseDate"))
    entries = readers.mapping(node, path, problems, keys)
    if entries is None:
        return None
    found: dict[str, str | None] = {}
    for key in ("from", "to"):
        found[key] = None
        if key not in entries:
            continue
        key_path, value = yn.join(path, key), entries[key].value
        name = readers.text(value, key_path, problems, what="a field name")
        if name is not None and sobject is not None and fields.check_field(
                name, value, key_path, problems, sobject, types=fields.DATE_TYPES,
                use="a duration", lookups=True):
            found[key] = name
    if found["from"] is None or found["to"] is None:
        return None
    return Measure("duration", start_field=found["from"], end_field=found["to"])


def _date(entries: dict[str, yn.Pair], path: str, problems: Problems, sobject: SObject
          ) -> tuple[str | None, tuple[str, ...]]:
    """The date field and its fallbacks: ``date: [ActivityDate, CreatedDate]`` takes the first
    of these that is set on a record (a task without a due date counts on its creation day)."""
    if "date" not in entries:
        return sobject.default_date, ()
    key_path, value = yn.join(path, "date"), entries["date"].value
    if not isinstance(value, SequenceNode):
        return _date_field(value, key_path, problems, sobject), ()
    items = readers.sequence(value, key_path, problems) or []
    names = [_date_field(item, yn.join(key_path, index), problems, sobject)
             for index, item in enumerate(items)]
    for index, name in enumerate(names):
        if name is not None and name in names[:index]:
            problems.add(items[index], yn.join(key_path, index),
                         f"{name} is already in the list; each date field is tried once")
            return None, ()
    if len(names) < 2:
        problems.add(value, key_path, "a list of date fields needs at least two, tried in "
                                      "order, such as [ActivityDate, CreatedDate]; for one "
                                      "field write date: ActivityDate")
        return None, ()
    if None in names:
        return None, ()
    return names[0], tuple(names[1:])  # type: ignore[arg-type]


def _date_field(node: Node, path: str, problems: Problems, sobject: SObject) -> str | None:
    name = readers.text(node, path, problems, what="a field name")
    if name is None or not fields.check_field(name, node, path, problems, sobject,
                                              types=fields.DATE_TYPES, use="date",
                                              lookups=True):
        return None
    return name


def _credit(entries: dict[str, yn.Pair], path: str, problems: Problems, sobject: SObject
            ) -> str | None:
    if "credit" not in entries:
        return sobject.default_credit
    key_path, value = yn.join(path, "credit"), entries["credit"].value
    name = readers.text(value, key_path, problems, what="a field name")
    if name is None:
        return None
    if name == PARENT_OWNER:
        if sobject.default_credit == PARENT_OWNER:
            return name
        problems.add(value, key_path, f"{PARENT_OWNER} is only for OpportunityHistory; "
                                      f"{sobject.name} records have their own OwnerId")
        return None
    if not fields.check_field(name, value, key_path, problems, sobject,
                              types=fields.REFERENCE_TYPES, use="credit", lookups=True):
        return None
    return name
