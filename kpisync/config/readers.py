"""Small typed readers for YAML nodes: each returns the value or None, recording a problem that
says what was expected and what came ("expected a number, got 'ten'")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kpisync.config import yamlnodes as yn
from kpisync.config.problems import Problems, did_you_mean, suggestion

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Key:
    """A key a mapping may hold; ``hint`` tells an admin what to write when it is missing."""

    name: str
    required: bool = False
    hint: str = ""


def mapping(
    node: Node, path: str, problems: Problems, keys: tuple[Key, ...]
) -> dict[str, yn.Pair] | None:
    """The entries of a mapping that may hold only ``keys``; unknown keys and missing required
    keys are reported (the unknown ones are dropped)."""
    names = [k.name for k in keys]
    if not isinstance(node, MappingNode) or node.tag != yn.MAP:
        problems.add(node, path,
                     f"expected a mapping with keys {', '.join(names)}; got {yn.describe(node)}")
        return None
    found: dict[str, yn.Pair] = {}
    for pair in yn.pairs(node, path, problems):
        if pair.key in names:
            found[pair.key] = pair
        else:
            problems.add(pair.key_node, path,
                         f"unknown key '{pair.key}'{suggestion(pair.key, names)}")
    for key in keys:
        if key.required and key.name not in found:
            hint = f" ({key.hint})" if key.hint else ""
            problems.add(node, path, f"missing required key '{key.name}'{hint}")
    return found


def sequence(node: Node, path: str, problems: Problems, example: str = "") -> list[Node] | None:
    if isinstance(node, SequenceNode) and node.tag == yn.SEQ:
        return list(node.value)
    hint = f", such as {example}" if example else ""
    problems.add(node, path, f"expected a list{hint}; got {yn.describe(node)}")
    return None


def text(node: Node, path: str, problems: Problems, *, what: str = "a string") -> str | None:
    """A string; YAML's other scalars (``1``, ``yes``, ``2026-01-31``) are refused with advice
    to quote them, because the admin almost always meant the text."""
    if isinstance(node, ScalarNode) and node.tag == yn.STR:
        if node.value.strip():
            return node.value
        problems.add(node, path, f"expected {what}, got an empty string")
        return None
    problems.add(node, path, not_a_string(node, what))
    return None


def not_a_string(node: Node, what: str = "a string") -> str:
    got = yn.describe(node)
    if yn.is_yaml11_boolean_word(node):
        return (f"expected {what}, got {got}, which YAML reads as true/false: "
                f"write '{node.value}' in quotes")
    if isinstance(node, ScalarNode) and node.tag in yn.SCALAR_TAGS and node.tag != yn.NULL \
            and node.value:
        return f"expected {what}, got {got}: write '{node.value}' in quotes if that is the value"
    return f"expected {what}, got {got}"


def choice(node: Node, path: str, problems: Problems, choices: tuple[str, ...]) -> str | None:
    if isinstance(node, ScalarNode) and node.tag == yn.STR and node.value in choices:
        return node.value
    close = did_you_mean(node.value, choices) if isinstance(node, ScalarNode) else None
    advice = f" — did you mean '{close}'?" if close else ""
    problems.add(node, path,
                 f"expected one of: {', '.join(choices)}; got {yn.describe(node)}{advice}")
    return None


def integer(node: Node, path: str, problems: Problems, low: int, high: int) -> int | None:
    ok, value = yn.read_scalar(node, path, problems)
    if not ok:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    problems.add(node, path, f"expected a whole number from {low} to {high}, "
                             f"got {yn.describe(node)}")
    return None


def number(node: Node, path: str, problems: Problems) -> Decimal | None:
    """A number >= 0 as an exact Decimal (``0.25`` is Decimal("0.25"))."""
    ok, value = yn.read_scalar(node, path, problems)
    if not ok:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        problems.add(node, path, f"expected a number, got {yn.describe(node)}")
        return None
    if value < 0:
        problems.add(node, path, f"expected a number >= 0, got {yn.describe(node)}")
        return None
    return Decimal(value)


def boolean(node: Node, path: str, problems: Problems) -> bool | None:
    if isinstance(node, ScalarNode) and node.tag == yn.BOOL:
        ok, value = yn.read_scalar(node, path, problems)
        return value if ok else None  # type: ignore[return-value]
    problems.add(node, path, f"expected true or false, got {yn.describe(node)}")
    return None


def identifier(node: Node, path: str, problems: Problems) -> str | None:
    """An id used in URLs and references: lowercase letters, digits and underscores."""
    if isinstance(node, ScalarNode) and node.tag == yn.STR and IDENTIFIER.match(node.value):
        return node.value
    message = ("expected an id of lowercase letters, digits and _ that starts with a letter, "
               f"got {yn.describe(node)}")
    if isinstance(node, ScalarNode):
        fixed = re.sub(r"[^a-z0-9_]+", "_", node.value.strip().lower()).strip("_")
        if IDENTIFIER.match(fixed) and fixed != node.value:
            message += f" — did you mean '{fixed}'?"
    problems.add(node, path, message)
    return None


def strings(
    node: Node, path: str, problems: Problems, *, what: str = "a string", example: str = ""
) -> list[tuple[str, Node]]:
    """A list of strings, each with its node; bad items are reported and left out."""
    items = sequence(node, path, problems, example)
    found = []
    for index, item in enumerate(items or ()):
        value = text(item, yn.join(path, index), problems, what=what)
        if value is not None:
            found.append((value, item))
    return found


def distinct_identifiers(
    items: list[Node], path: str, problems: Problems, *, duplicate: str
) -> list[tuple[str, Node, str]]:
    """The ids of a list of KPI ids, each once, with its node and path. A repeat is a problem:
    ``duplicate`` is its message, formatted with ``id`` and the ``line`` of the first."""
    first: dict[str, Node] = {}
    found: list[tuple[str, Node, str]] = []
    for index, item in enumerate(items):
        item_path = yn.join(path, index)
        item_id = identifier(item, item_path, problems)
        if item_id is None:
            continue
        if item_id in first:
            problems.add(item, item_path,
                         duplicate.format(id=item_id, line=yn.line_of(first[item_id])))
            continue
        first[item_id] = item
        found.append((item_id, item, item_path))
    return found
