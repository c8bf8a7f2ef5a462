"""Reading kpis.yaml into PyYAML nodes that remember where each key and value was written.

``yaml.safe_load`` would hand back plain dicts and lose every line number, keep the last of two
duplicate keys without a word, and turn ``Type: yes`` into ``True`` silently. Validation instead
works on the composed node graph (``yaml.compose`` with the SafeLoader), so every problem can
point at ``file:line:column`` and every scalar is interpreted with its YAML tag in view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kpisync.config.problems import Problems

TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP = (TAG + t for t in
                                          ("str", "int", "float", "bool", "null", "timestamp"))
MAP, SEQ, MERGE = TAG + "map", TAG + "seq", TAG + "merge"
SCALAR_TAGS = (STR, INT, FLOAT, BOOL, NULL, TIMESTAMP)

#: an unquoted scalar that YAML 1.1 reads as a boolean; admins mean the word more often than not
_YAML11_BOOLEAN = re.compile(r"^(yes|no|on|off|y|n)$", re.IGNORECASE)


#: builds ints, floats and timestamps exactly as yaml.safe_load would
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


class _Unreadable(Exception):
    """A scalar whose tag promises a type its text is not (``!!int abc``, ``2026-02-30``)."""


def compose(text: str, problems: Problems) -> Node | None:
    """The root node of ``text``, or None (with a problem recorded) when it is not YAML."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        parts = [p for p in (exc.context, exc.problem) if p]
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if mark is not None and text[mark.index:mark.index + 1] == "\t":
            # PyYAML's "found character '\t' that cannot start any token" hides the fix
            problems.at(line, column, "", "tabs are not allowed in YAML; use spaces")
        else:
            problems.at(line, column, "", "invalid YAML: " + ", ".join(parts))
    except yaml.reader.ReaderError as exc:
        line, column = position_of(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or " ")
        problems.at(line, column, "",
                    f"invalid YAML: the character U+{code:04X} is not allowed in a YAML file")
    except yaml.YAMLError as exc:
        problems.at(1, 1, "", f"invalid YAML: {exc}")
    except RecursionError:
        problems.at(1, 1, "", "invalid YAML: nested too deeply to read")
    return None


def position_of(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character ``index`` of ``text``."""
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def line_of(node: Node) -> int:
    return node.start_mark.line + 1


def column_of(node: Node) -> int:
    return node.start_mark.column + 1


@dataclass(frozen=True)
class Pair:
    """One ``key: value`` of a mapping; ``key`` is the key's text as written."""

    key: str
    key_node: Node
    value: Node


def pairs(node: MappingNode, path: str, problems: Problems) -> list[Pair]:
    """The mapping's entries in file order, with ``<<`` merge keys applied and duplicates
    reported (PyYAML would keep the last one silently)."""
    seen: dict[str, Node] = {}
    result: list[Pair] = []
    for key_node, value in node.value:
        if key_node.tag == MERGE:
            continue
        if not isinstance(key_node, ScalarNode):
            problems.add(key_node, path, f"expected a key name, got {describe(key_node)}")
            continue
        key = key_node.value
        if key in seen:
            problems.add(key_node, join(path, key),
                         f"duplicate key '{key}' (first at line {line_of(seen[key])}); "
                         "YAML would silently keep only the last one")
            continue
        seen[key] = key_node
        result.append(Pair(key, key_node, value))
    for inherited in _merged(node, path, problems, {id(node)}):
        if inherited.key not in seen:
            seen[inherited.key] = inherited.key_node
            result.append(inherited)
    return result


def _merged(node: MappingNode, path: str, problems: Problems, visiting: set[int]) -> list[Pair]:
    """Entries brought in by ``<<: *anchor`` (or a list of anchors, earlier ones winning)."""
    found: list[Pair] = []
    for key_node, value in node.value:
        if key_node.tag != MERGE:
            continue
        sources = value.value if isinstance(value, SequenceNode) else [value]
        for source in sources:
            if id(source) in visiting:
                problems.add(source, path, "'<<' merges the mapping it is part of")
                continue
            if not isinstance(source, MappingNode):
                problems.add(source, path, "'<<' must be followed by a mapping or a list of "
                             f"mappings, got {describe(source)}")
                continue
            inner = [Pair(k.value, k, v) for k, v in source.value
                     if isinstance(k, ScalarNode) and k.tag != MERGE]
            inner += _merged(source, path, problems, visiting | {id(source)})
            found += [p for p in inner if p.key not in {f.key for f in found}]
    return found


def scalar(node: ScalarNode) -> object:
    """The Python value of a scalar as YAML reads it: str, int, Decimal (never float), bool,
    None, date or datetime. Raises ``_Unreadable`` for text that does not fit its tag."""
    text, tag = node.value, node.tag
    try:
        if tag == STR:
            return text
        if tag == NULL:
            return None
        if tag == BOOL:
            return _CONSTRUCTOR.bool_values[text.lower()]
        if tag == INT:
            return _CONSTRUCTOR.construct_yaml_int(node)
        if tag == FLOAT:
            return _decimal(node)
        if tag == TIMESTAMP:
            return _CONSTRUCTOR.construct_yaml_timestamp(node)
    except (ValueError, KeyError, AttributeError, TypeError, OverflowError) as exc:
        raise _Unreadable(str(exc)) from None
    raise _Unreadable(f"the YAML tag {tag} is not supported here")


def _decimal(node: ScalarNode) -> Decimal:
    """A YAML float as the exact decimal written: ``0.1`` is Decimal("0.1"), not 0.1000000001."""
    text = node.value.replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(repr(_CONSTRUCTOR.construct_yaml_float(node)))  # 1:30.5, .inf
    if not value.is_finite():
        raise ValueError(f"{node.value} is not a finite number")
    return value


def read_scalar(node: Node, path: str, problems: Problems) -> tuple[bool, object]:
    """(True, value) for a readable scalar; (False, None) after recording why not."""
    if not isinstance(node, ScalarNode):
        problems.add(node, path, f"expected a single value, got {describe(node)}")
        return False, None
    try:
        return True, scalar(node)
    except _Unreadable as exc:
        problems.add(node, path, f"cannot read {describe(node)}: {exc}")
        return False, None


def is_yaml11_boolean_word(node: Node) -> bool:
    """``yes``/``no``/``on``/``off`` written unquoted: YAML reads them as true/false."""
    return (isinstance(node, ScalarNode) and node.tag == BOOL and node.style is None
            and bool(_YAML11_BOOLEAN.match(node.value)))


def describe(node: Node) -> str:
    """The value as an admin wrote it, for "got ..." in messages."""
    if isinstance(node, MappingNode):
        return "a mapping" + _tagged(node, MAP)
    if isinstance(node, SequenceNode):
        return "a list" + _tagged(node, SEQ)
    text = node.value if len(node.value) <= 60 else node.value[:57] + "..."
    if node.tag == NULL:
        return text or "nothing"
    if node.tag == STR:
        return repr(text)
    if node.tag not in SCALAR_TAGS:
        return repr(text) + _tagged(node, STR)
    return text


def _tagged(node: Node, usual: str) -> str:
    """An unusual YAML tag (``!!set``, ``!!binary``, ``!custom``) is named: kpisync reads none."""
    if node.tag == usual:
        return ""
    return f" tagged {node.tag.replace(TAG, '!!')}, which kpisync does not read"


def join(path: str, key: str | int) -> str:
    """``kpis[calls]`` + ``target`` → ``kpis[calls].target``; ``roles`` + 1 → ``roles[1]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def entry_paths(path: str, items: list[Node], valid_id) -> list[str]:
    """The path of each entry of a list of ``- id: ...`` mappings: ``kpis[calls]``, named by
    its id, because an admin finds "calls" in the file and has to count to find "the third".
    An entry whose id is missing, invalid (``valid_id`` says) or already taken by an earlier
    entry falls back to its index, ``kpis[2]``, so every path names exactly one entry."""
    taken: set[str] = set()
    paths = []
    for index, item in enumerate(items):
        written = _own_id(item)
        if written is not None and valid_id(written) and written not in taken:
            taken.add(written)
            paths.append(f"{path}[{written}]")
        else:
            paths.append(join(path, index))
    return paths


def _own_id(node: Node) -> str | None:
    """The text of a mapping's first ``id:`` written as a plain string, if it has one."""
    if not isinstance(node, MappingNode):
        return None
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.value == "id":
            return value.value if isinstance(value, ScalarNode) and value.tag == STR else None
    return None


def is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)
