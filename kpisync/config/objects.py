"""kpis.yaml's ``objects:``: more Salesforce objects for KPIs to read (Lead, Demo__c, ...).

Each becomes a ``kpisync.sobjects.SObject`` like kpisync's own: it is checked offline the same
way (fields and their types), synced with the same paging, retries, checkpoints and
incremental reads, and measured by the same SQL. Only the fields listed (and the system fields
every object has) are known offline; custom fields ``Foo__c`` are accepted as on any object.
"""

from __future__ import annotations

from yaml.nodes import Node

from kpisync.config import readers
from kpisync.config import yamlnodes as yn
from kpisync.config.problems import Problems, suggestion
from kpisync.config.readers import Key
from kpisync.sobjects import COMMON_FIELDS, FIELD_NAME, STORE_TABLE_PREFIX, SObject, catalogue

#: describe types a declared field may have
FIELD_TYPES = ("id", "reference", "string", "picklist", "boolean", "int", "double", "currency",
               "percent", "date", "datetime", "textarea", "email", "phone", "url")
OBJECT_KEYS = (
    Key("fields", True, "the fields KPIs read, such as {Status: picklist, ConvertedDate: date}"),
    Key("date"),
    Key("credit"),
)
OWNER = "OwnerId"


def parse_objects(node: Node, problems: Problems) -> dict[str, SObject]:
    """``objects: {Name: {fields: {Field: type}, date: Field, credit: Field}}``."""
    found: dict[str, SObject] = {}
    if not isinstance(node, yn.MappingNode):
        problems.add(node, "objects", f"expected a mapping of object names such as Lead; "
                                      f"got {yn.describe(node)}")
        return found
    for pair in yn.pairs(node, "objects", problems):
        path = yn.join("objects", pair.key)
        if not FIELD_NAME.match(pair.key):
            problems.add(pair.key_node, path, f"'{pair.key}' is not a Salesforce object API "
                                              "name such as Lead or Demo__c")
            continue
        if pair.key.startswith(STORE_TABLE_PREFIX):
            problems.add(pair.key_node, path, f"names starting with {STORE_TABLE_PREFIX} are "
                                              "plugins' store tables, not Salesforce objects")
            continue
        if pair.key in catalogue():
            problems.add(pair.key_node, path, f"kpisync knows {pair.key} already; use it as a "
                                              "KPI source without declaring it")
            continue
        sobject = _object(pair.key, pair.value, path, problems)
        if sobject is not None:
            found[sobject.name] = sobject
    return found


def _object(name: str, node: Node, path: str, problems: Problems) -> SObject | None:
    entries = readers.mapping(node, path, problems, OBJECT_KEYS)
    if entries is None or "fields" not in entries:
        return None
    fields = _fields(entries["fields"].value, yn.join(path, "fields"), problems)
    if fields is None:
        return None
    date = _default(entries, "date", "CreatedDate", ("date", "datetime"), fields, path, problems)
    credit = _default(entries, "credit", OWNER, ("reference",), fields, path, problems)
    if date is None or credit is None:
        return None
    known = {**COMMON_FIELDS, **({OWNER: "reference"} if credit == OWNER else {}), **fields}
    owner = {"Owner": (OWNER, "User")} if credit == OWNER else {}
    return SObject(name, known, default_credit=credit, default_date=date, relationships=owner)


def _fields(node: Node, path: str, problems: Problems) -> dict[str, str] | None:
    if not isinstance(node, yn.MappingNode):
        problems.add(node, path, f"expected a mapping of field names to types such as "
                                 f"{{Status: picklist}}; got {yn.describe(node)}")
        return None
    fields: dict[str, str] = {}
    for pair in yn.pairs(node, path, problems):
        field_path = yn.join(path, pair.key)
        if not FIELD_NAME.match(pair.key):
            problems.add(pair.key_node, field_path, f"'{pair.key}' is not a field API name")
            continue
        kind = readers.text(pair.value, field_path, problems, what="a field type")
        if kind is not None and kind not in FIELD_TYPES:
            problems.add(pair.value, field_path,
                         f"unknown field type '{kind}'{suggestion(kind, FIELD_TYPES)}")
        elif kind is not None:
            fields[pair.key] = kind
    return fields


def _default(entries: dict[str, yn.Pair], key: str, default: str, types: tuple[str, ...],
             fields: dict[str, str], path: str, problems: Problems) -> str | None:
    """The object's default date (or credit) field: listed in ``fields`` with one of
    ``types``, or the system default."""
    if key not in entries:
        return default
    value = entries[key].value
    name = readers.text(value, yn.join(path, key), problems, what="a field name")
    if name is None:
        return None
    kind = {**COMMON_FIELDS, OWNER: "reference", **fields}.get(name)
    if kind not in types:
        got = f"is a {kind} field" if kind else "is not in its fields"
        problems.add(value, yn.join(path, key), f"{name} {got}; {key} needs a "
                                                f"{' or '.join(types)} field")
        return None
    return name
