"""The pieces ``kpisync.config.schema`` builds the JSON Schema of kpis.yaml from: value
schemas (an id, a field name, a date), and ``mapping``, which turns a parser's ``Key`` tuple
into an object schema and refuses one it has no description for (``SchemaDrift``)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kpisync.config.readers import IDENTIFIER, Key

_NONE = object()


class SchemaDrift(Exception):
    """A parser's keys and this module's descriptions disagree: a bug in kpisync."""


@dataclass(frozen=True)
class Doc:
    """What the schema says about one key: its value's schema, a sentence, a default and an
    example (YAML as an admin writes it)."""

    schema: dict[str, Any]
    description: str = ""
    default: Any = _NONE
    example: str = ""


ID = {"type": "string", "pattern": IDENTIFIER.pattern}
TEXT = {"type": "string", "minLength": 1}
FIELD = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$"}
NUMBER = {"type": "number", "minimum": 0}
#: YAML dates; editors (YAML 1.2) and ``yaml_data`` read them as text
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "format": "date"}
BOOLEAN = {"type": "boolean"}
SCALAR = {"type": ["string", "number", "boolean"]}


def enum(choices: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "string", "enum": list(choices)}


def integer(low: int, high: int | None = None) -> dict[str, Any]:
    bounds = {"minimum": low} | ({"maximum": high} if high is not None else {})
    return {"type": "integer", **bounds}


def array(items: dict[str, Any], **constraints: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **constraints}


def table(values: dict[str, Any], **constraints: Any) -> dict[str, Any]:
    """A mapping of free keys (team ids, field names) to ``values``."""
    return {"type": "object", "additionalProperties": values, **constraints}


def one_key(name: str, value: dict[str, Any], description: str = "", example: str = ""
            ) -> dict[str, Any]:
    """``{name: value}`` and nothing else: ``{sum: Amount}``, ``{previous: 3}``."""
    value = value | ({"description": description} if description else {}) \
        | ({"examples": [example]} if example else {})
    return {"type": "object", "properties": {name: value}, "required": [name],
            "additionalProperties": False}


def mapping(keys: tuple[Key, ...], docs: Mapping[str, Doc], description: str = ""
            ) -> dict[str, Any]:
    """The schema of a mapping that takes exactly ``keys`` (a parser's), each as ``docs``
    says; SchemaDrift when the two name different keys."""
    names = [k.name for k in keys]
    if set(names) != set(docs):
        raise SchemaDrift(f"keys {sorted(set(names) ^ set(docs))} are in the parser or the "
                          "schema but not both (kpisync/config/schema.py)")
    properties = {}
    for key in keys:
        doc = docs[key.name]
        prop = dict(doc.schema)
        if doc.description or key.hint:
            prop["description"] = doc.description or key.hint
        if doc.default is not _NONE:
            prop["default"] = doc.default
        example = doc.example or _hinted(key.hint)
        if example:
            prop["examples"] = [example]
        properties[key.name] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "additionalProperties": False}
    required = [k.name for k in keys if k.required]
    if required:
        schema["required"] = required
    if description:
        schema["description"] = description
    return schema


def _hinted(hint: str) -> str:
    """The example at the end of a parser's hint ("a lowercase id such as calls")."""
    found = re.search(r"such as (.+)$", hint)
    return found.group(1) if found else ""


def default(model: type, name: str) -> Any:
    """The model dataclass's default for ``name``, as kpis.yaml would write it."""
    value = next(f.default for f in dataclasses.fields(model) if f.name == name)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return list(value) if isinstance(value, tuple) else value
