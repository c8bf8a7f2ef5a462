"""Checking Salesforce field names and filter values against ``kpisync.sobjects``, offline.

A misspelt field would otherwise only surface when Salesforce refuses the sync's query, in CI,
hours later. Custom fields (``Foo__c``) cannot be known offline: they are accepted with any
value here; the sync checks that they exist (describe), and compute checks the filter values
against the types the sync stored, before its first query (``kpisync.compute.filter_types``).
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime
from decimal import Decimal

from yaml.nodes import MappingNode, Node, ScalarNode

from kpisync.config import readers
from kpisync.config import yamlnodes as yn
from kpisync.config.model import FILTER_OPS, Filter, FilterGroup
from kpisync.config.problems import Problems, did_you_mean, semantic, suggestion
from kpisync.sobjects import FIELD_NAME, SObject, UnknownLookup, catalogue, resolve_path

NUMERIC_TYPES = ("int", "double", "currency", "percent")
DATE_TYPES = ("date", "datetime")
REFERENCE_TYPES = ("reference",)
#: comparing with gt/gte/lt/lte means nothing for these
_UNORDERED_TYPES = ("boolean",)
_KINDS = {
    NUMERIC_TYPES: "number (int, double, currency or percent)",
    DATE_TYPES: "date or datetime",
    REFERENCE_TYPES: "user lookup (reference)",
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@semantic
def check_field(
    name: str,
    node: Node,
    path: str,
    problems: Problems,
    sobject: SObject,
    *,
    types: tuple[str, ...] = (),
    use: str = "",
    lookups: bool = False,
) -> bool:
    """Whether ``name`` is a field of ``sobject`` (of one of ``types``, when given). With
    ``lookups``, ``name`` may follow relationships first (``Account.Type``, see
    ``kpisync.sobjects.resolve_path``); the type checked is the final field's."""
    label = f"{sobject.name}.{name}"
    if lookups and "." in name and all(FIELD_NAME.match(part) for part in name.split(".")):
        target = _follow(name, node, path, problems, sobject)
        if target is None:
            return False
        sobject, name = target
    elif not FIELD_NAME.match(name):
        close = did_you_mean(name.replace(" ", ""), sobject.fields)
        advice = f" — did you mean '{close}'?" if close else ""
        problems.add(node, path, f"'{name}' is not a field API name (letters, digits and _, "
                                 f"such as CloseDate or Region__c){advice}")
        return False
    elif not sobject.has_field(name):
        close = did_you_mean(name, sobject.fields)
        advice = f" — did you mean '{close}'?" if close else " (custom fields end in __c)"
        problems.add(node, path, f"{sobject.name} has no field '{name}'{advice}")
        return False
    field_type = sobject.field_type(name)
    if types and field_type is not None and field_type not in types:
        problems.add(node, path, f"{label} is a {field_type} field; {use} needs "
                                 f"a {_KINDS.get(types, ' or '.join(types))} field")
        return False
    return True


def _follow(name: str, node: Node, path: str, problems: Problems, sobject: SObject
            ) -> tuple[SObject, str] | None:
    """The object and field at the end of a lookup path, or None once a problem is added."""
    try:
        found = resolve_path(sobject.name, name)
    except UnknownLookup as unknown:
        source = unknown.sobject
        allowed = sorted(source.relationships)
        close = did_you_mean(unknown.relationship, allowed)
        advice = f" — did you mean '{close}'?" if close else ""
        listed = (f"lookups from {source.name}: {', '.join(allowed)}" if allowed
                  else f"kpisync follows no lookup from {source.name}")
        problems.add(node, path, f"{_named(unknown.prefix, source.name)} has no lookup "
                                 f"'{unknown.relationship}'{advice} ({listed})")
        return None
    target = catalogue()[found.sobject]
    if not target.has_field(found.field):
        close = did_you_mean(found.field, target.fields)
        advice = f" — did you mean '{close}'?" if close else ""
        problems.add(node, path, f"{_named(found.hops[-1].path, target.name)} has no field "
                                 f"'{found.field}'{advice} ({target.name} fields: "
                                 f"{', '.join(sorted(target.fields))}, or a custom field "
                                 "ending in __c)")
        return None
    return target, found.field


def _named(lookup: str, sobject: str) -> str:
    """``Owner (User)``; just ``Account`` when the lookup is named after its object."""
    return sobject if lookup in ("", sobject) else f"{lookup} ({sobject})"


def path_type(sobject: SObject, name: str) -> str | None:
    """The Salesforce type of a field, or of the field at the end of a lookup path; None for
    a custom field (or a path ``check_field`` has not accepted)."""
    try:
        found = resolve_path(sobject.name, name)
    except UnknownLookup:
        return None
    return catalogue()[found.sobject].field_type(found.field)


def field_value(node: Node, path: str, problems: Problems, field_type: str | None
                ) -> tuple[bool, object]:
    """A filter value checked against the field's type (None: a custom field, any value)."""
    if isinstance(node, ScalarNode) and node.tag == yn.NULL:
        problems.add(node, path, f"expected a value, got {yn.describe(node)} — to keep records "
                                 "where the field is empty write {is_null: true}")
        return False, None
    if field_type == "boolean":
        return _checked(readers.boolean(node, path, problems))
    if field_type in ("string", "picklist", "reference", "id", "textarea", "email", "phone",
                      "url"):
        return _checked(readers.text(node, path, problems))
    ok, value = yn.read_scalar(node, path, problems)
    if not ok:
        return False, None
    if field_type in NUMERIC_TYPES:
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return True, value
        problems.add(node, path, f"expected a number, got {yn.describe(node)}")
        return False, None
    if field_type == "date":
        return _date(node, path, problems, value)
    if field_type == "datetime":
        return _datetime(node, path, problems, value)
    return True, value


def _checked(value: object) -> tuple[bool, object]:
    return value is not None, value


def _date(node: Node, path: str, problems: Problems, value: object) -> tuple[bool, object]:
    if yn.is_date(value):
        return True, value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return True, date.fromisoformat(value)
        except ValueError:
            pass
    problems.add(node, path, f"expected a date such as 2026-01-31, got {yn.describe(node)}")
    return False, None


def _datetime(node: Node, path: str, problems: Problems, value: object) -> tuple[bool, object]:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = (date.fromisoformat(value) if _ISO_DATE.match(value)
                     else datetime.fromisoformat(value))
    if yn.is_date(value):
        return True, value  # a date on a datetime field means that local day
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return True, value
        problems.add(node, path, f"a date and time needs a timezone, such as "
                                 f"2026-01-31T09:00:00Z; got {yn.describe(node)}")
        return False, None
    problems.add(node, path, "expected a date such as 2026-01-31 or a date and time such as "
                             f"2026-01-31T09:00:00Z, got {yn.describe(node)}")
    return False, None


GROUPS = ("all", "any")
#: what starts_with and contains can look into
TEXT_TYPES = ("string", "picklist", "textarea", "email", "phone", "url", "combobox")
_ORDERED_OPS = ("gt", "gte", "lt", "lte", "between")
_TEXT_OPS = ("starts_with", "contains")
_FLAG_OPS = ("is_null", "is_not_null")


def filters(node: Node, path: str, problems: Problems, sobject: SObject
            ) -> tuple[Filter | FilterGroup, ...]:
    """``where:``: each field equal to a value, or a mapping of operators, all ANDed; the keys
    ``all:`` and ``any:`` hold lists of such mappings, combined with AND or OR (and nest)."""
    if not isinstance(node, MappingNode) or node.tag != yn.MAP:
        problems.add(node, path, "expected a mapping of field: value, such as "
                                 f"{{TaskSubtype: Call}}; got {yn.describe(node)}")
        return ()
    found: list[Filter | FilterGroup] = []
    for pair in yn.pairs(node, path, problems):
        field_path = yn.join(path, pair.key)
        if pair.key in GROUPS:
            group = _group(pair, field_path, problems, sobject)
            if group is not None:
                found.append(group)
            continue
        if not check_field(pair.key, pair.key_node, field_path, problems, sobject,
                           lookups=True):
            continue
        field_type = path_type(sobject, pair.key)
        if isinstance(pair.value, MappingNode):
            found += _operators(pair, field_path, problems, field_type)
        else:
            ok, value = field_value(pair.value, field_path, problems, field_type)
            if ok:
                found.append(Filter(pair.key, "eq", value, yn.line_of(pair.value)))  # type: ignore[arg-type]
    return tuple(found)


def _group(pair: yn.Pair, path: str, problems: Problems, sobject: SObject
           ) -> FilterGroup | None:
    """``any: [...]`` / ``all: [...]``: each list item is a ``where`` mapping of its own."""
    example = "[{CallDurationInSeconds: {gte: 120}}, {CallDisposition: Connected}]"
    items = readers.sequence(pair.value, path, problems, example=example)
    if items is None:
        return None
    if not items:
        problems.add(pair.value, path, f"expected at least one condition in the list, such as "
                                       f"{example}")
        return None
    parts: list[Filter | FilterGroup] = []
    for index, item in enumerate(items):
        inner = filters(item, yn.join(path, index), problems, sobject)
        if len(inner) == 1:
            parts.append(inner[0])
        elif inner:
            parts.append(FilterGroup("all", inner))
    if len(parts) != len(items):
        return None  # an item was broken: it has been reported, and its group cannot stand
    return FilterGroup(pair.key, tuple(parts))  # type: ignore[arg-type]


def _operators(
    pair: yn.Pair, path: str, problems: Problems, field_type: str | None
) -> list[Filter]:
    found: list[Filter] = []
    entries = yn.pairs(pair.value, path, problems)  # type: ignore[arg-type]
    if not entries:
        problems.add(pair.value, path, f"expected at least one of: {', '.join(FILTER_OPS)}")
    for entry in entries:
        op_path = yn.join(path, entry.key)
        if entry.key not in FILTER_OPS:
            problems.add(entry.key_node, path,
                         f"unknown operator '{entry.key}'{suggestion(entry.key, FILTER_OPS)}")
            continue
        value = _operand(pair.key, entry, op_path, problems, field_type)
        if value is not _MISSING:
            found.append(Filter(pair.key, entry.key, value, yn.line_of(entry.key_node)))  # type: ignore[arg-type]
    return found


_MISSING = object()


def _operand(name: str, entry: yn.Pair, path: str, problems: Problems, field_type: str | None
             ) -> object:
    """The value one operator compares with, or _MISSING (reported)."""
    op = entry.key
    if op in _FLAG_OPS:
        flag = readers.boolean(entry.value, path, problems)
        return _MISSING if flag is None else flag
    if op in _ORDERED_OPS and field_type in _UNORDERED_TYPES:
        problems.add(entry.key_node, path, f"{name} is a {field_type} field and cannot be "
                                           f"compared with {op}: use eq or ne")
        return _MISSING
    if op in _TEXT_OPS:
        return _text_operand(name, entry, path, problems, field_type)
    if op in ("in", "not_in"):
        values = _members(entry.value, path, problems, field_type)
        return _MISSING if values is None else values
    if op == "between":
        return _bounds(entry.value, path, problems, field_type)
    ok, value = field_value(entry.value, path, problems, field_type)
    return value if ok else _MISSING


def _text_operand(name: str, entry: yn.Pair, path: str, problems: Problems,
                  field_type: str | None) -> object:
    if field_type is not None and field_type not in TEXT_TYPES:
        article = "an" if field_type[0] in "aeiou" else "a"
        problems.add(entry.key_node, path, f"{name} is {article} {field_type} field; {entry.key} "
                                           "looks into text fields (string, picklist, textarea, "
                                           "...)")
        return _MISSING
    text = readers.text(entry.value, path, problems, what="the text to look for")
    return _MISSING if text is None else text


def _bounds(node: Node, path: str, problems: Problems, field_type: str | None) -> object:
    """``between: [low, high]``, both included, low not above high."""
    items = readers.sequence(node, path, problems, example="[60, 300]")
    if items is None:
        return _MISSING
    if len(items) != 2:
        problems.add(node, path, f"expected two values [low, high], such as [60, 300]; got "
                                 f"{len(items)}")
        return _MISSING
    read = [field_value(item, yn.join(path, index), problems, field_type)
            for index, item in enumerate(items)]
    if not all(ok for ok, _ in read):
        return _MISSING
    low, high = (value for _, value in read)
    with contextlib.suppress(TypeError):  # a custom field's values may not compare (1, 'a')
        if low > high:  # type: ignore[operator]
            problems.add(node, path, f"the low end {yn.describe(items[0])} is above the high "
                                     f"end {yn.describe(items[1])}: write [low, high]")
            return _MISSING
        return (low, high)
    problems.add(node, path, f"{yn.describe(items[0])} and {yn.describe(items[1])} cannot be "
                             "compared: give two numbers, two dates or two texts")
    return _MISSING


def _members(node: Node, path: str, problems: Problems, field_type: str | None
             ) -> tuple[object, ...] | None:
    items = readers.sequence(node, path, problems, example="[Call, Email]")
    if items is None:
        return None
    if not items:
        problems.add(node, path, "expected at least one value in the list")
        return None
    read = [field_value(item, yn.join(path, index), problems, field_type)
            for index, item in enumerate(items)]
    if not all(ok for ok, _ in read):
        return None
    return tuple(value for _, value in read)
