"""kpis.yaml's ``mapping:`` section: bring your own tables (docs/engines.md).

Instead of syncing, kpisync reads the Salesforce tables another tool already replicates into
the engine. A *preset* names them the way that tool does (``fivetran``, ``airbyte``, or
``salesforce`` for the API names as they are); ``objects:`` overrides the table of an object
and the column of any field the preset names differently::

    mapping:
      preset: fivetran
      objects:
        Event:
          table: calendar_event
          fields:
            Meeting_Held__c: meeting_was_held

Every name keeps where kpis.yaml wrote it, so that ``kpisync validate --online`` can point at
the line of a table or column the engine does not have.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from yaml.nodes import MappingNode, Node, ScalarNode

from kpisync.config import readers
from kpisync.config import yamlnodes as yn
from kpisync.config.engine import EngineSettings, engine_kind
from kpisync.config.presets import PRESETS
from kpisync.config.problems import Problems, suggestion
from kpisync.config.readers import Key
from kpisync.sobjects import catalogue

PRESET_NAMES = tuple(PRESETS)
MAPPING_KEYS = (
    Key("preset", False, f"one of {', '.join(PRESET_NAMES)}"),
    Key("objects"),
)
OBJECT_KEYS = (Key("table"), Key("fields"))


@dataclass(frozen=True)
class Place:
    """Where kpis.yaml says something: 1-based line and column, and the key path."""

    line: int
    column: int
    path: str

    @classmethod
    def of(cls, node: Node, path: str) -> Place:
        return cls(node.start_mark.line + 1, node.start_mark.column + 1, path)


@dataclass(frozen=True)
class ObjectMapping:
    """One object's overrides of the preset."""

    #: the table holding the object's records; None: the preset's name for it
    table: str | None = None
    #: Salesforce field name -> column, for the fields the preset names differently
    fields: dict[str, str] = field(default_factory=dict)
    #: where each name was written: "table" and every field name
    places: dict[str, Place] = field(default_factory=dict)


@dataclass(frozen=True)
class TableMapping:
    """Where the Salesforce records are on the engine, when another tool replicates them."""

    preset: str
    objects: dict[str, ObjectMapping]
    #: the ``mapping:`` key (or its ``preset:``): where preset-made names are reported
    place: Place


def parse_mapping(key: Node, node: Node, problems: Problems, *,
                  engine: EngineSettings | None, engine_written: bool) -> TableMapping | None:
    """The mapping, or None after recording the problems. ``key`` is the ``mapping`` key;
    ``engine`` the ``engine:`` section read (``engine_written``: whether there is one)."""
    entries = readers.mapping(node, "mapping", problems, MAPPING_KEYS)
    if entries is None:
        return None
    place = Place.of(key, "mapping")
    if not engine_written or (engine is not None and engine_kind(engine.url) == "duckdb"):
        problems.add(key, "mapping", "the mapped tables are read on a database server: add an "
                     "engine: section with its url (and the schema the tables are in); the "
                     "local DuckDB store is kpisync's own, written by `kpisync sync`")
    preset = "salesforce"
    if "preset" in entries:
        value = entries["preset"].value
        preset = readers.choice(value, "mapping.preset", problems, PRESET_NAMES)
        place = Place.of(value, "mapping.preset")
    objects = (_objects(entries["objects"].value, problems) if "objects" in entries else {})
    if preset is None or objects is None:
        return None
    return TableMapping(preset=preset, objects=objects, place=place)


def _objects(node: Node, problems: Problems) -> dict[str, ObjectMapping] | None:
    if not isinstance(node, MappingNode):
        problems.add(node, "mapping.objects", "expected a mapping of Salesforce object names "
                     f"to their table and fields; got {yn.describe(node)}")
        return None
    known = list(catalogue())
    objects: dict[str, ObjectMapping] = {}
    for pair in yn.pairs(node, "mapping.objects", problems):
        path = f"mapping.objects.{pair.key}"
        if pair.key not in known:
            problems.add(pair.key_node, "mapping.objects",
                         f"unknown object '{pair.key}'{suggestion(pair.key, known)} (declare "
                         "a custom object under objects: first)")
            continue
        parsed = _object(pair.value, path, problems)
        if parsed is not None:
            objects[pair.key] = parsed
    return objects


def _object(node: Node, path: str, problems: Problems) -> ObjectMapping | None:
    if isinstance(node, ScalarNode):  # the short form: `Task: activities` names the table only
        table = readers.text(node, path, problems, what="a table name")
        return None if table is None else ObjectMapping(table, {}, {"table": Place.of(node,
                                                                                      path)})
    entries = readers.mapping(node, path, problems, OBJECT_KEYS)
    if entries is None:
        return None
    places: dict[str, Place] = {}
    table = None
    if "table" in entries:
        value = entries["table"].value
        table = readers.text(value, f"{path}.table", problems, what="a table name")
        places["table"] = Place.of(value, f"{path}.table")
    fields: dict[str, str] = {}
    if "fields" in entries:
        value = entries["fields"].value
        if not isinstance(value, MappingNode):
            problems.add(value, f"{path}.fields", "expected a mapping of Salesforce field "
                         f"names to column names; got {yn.describe(value)}")
            return None
        for pair in yn.pairs(value, f"{path}.fields", problems):
            column = readers.text(pair.value, f"{path}.fields.{pair.key}", problems,
                                  what="a column name")
            if column is not None:
                fields[pair.key] = column
                places[pair.key] = Place.of(pair.value, f"{path}.fields.{pair.key}")
    return ObjectMapping(table, fields, places)
