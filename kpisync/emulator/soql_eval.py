"""Evaluating a parsed SOQL query: WHERE compiled once into closures, ORDER BY as stable sorts.

Compiling the predicate once (rather than walking the tree per row) keeps filtering a
300,000-row object well under a second per condition.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from kpisync.emulator.soql_tree import (
    BoolOp,
    Compare,
    InList,
    Not,
    OrderItem,
    Query,
    datetime_literal,
)

Row = dict
Predicate = Callable[[Row], bool]
_TEXT_TYPES = {"string", "picklist", "textarea", "email", "phone", "url", "multipicklist",
               "combobox"}
_LIKE_ESCAPES = {"%", "_"}


def _normalizer(ftype: str) -> Callable[[object], object] | None:
    """How a stored value of this type is made comparable; None: compare as stored.

    Text compares case-insensitively, as SOQL does; Ids exactly (so ``Id > 'x'`` agrees with
    ``ORDER BY Id``); datetimes as UTC instants.
    """
    if ftype in _TEXT_TYPES:
        return lambda v: v.casefold()
    if ftype == "datetime":
        return _datetime_key
    return None


def _datetime_key(value):
    if len(value) == 28 and value.endswith("+0000"):
        return value
    return datetime_literal(value) or value


_OPS = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
        ">": operator.gt, ">=": operator.ge}


def compile_where(node) -> Predicate:
    """A closure deciding whether a row matches the condition tree ``node``."""
    if node is None:
        return lambda row: True
    if isinstance(node, BoolOp):
        parts = [compile_where(item) for item in node.items]
        if node.op == "AND":
            return lambda row: all(p(row) for p in parts)
        return lambda row: any(p(row) for p in parts)
    if isinstance(node, Not):
        inner = compile_where(node.item)
        return lambda row: not inner(row)
    if isinstance(node, InList):
        return _compile_in(node)
    return _compile_compare(node)


def _compile_compare(node: Compare) -> Predicate:
    name, norm = node.field, _normalizer(node.ftype)
    if node.value is None:  # SOQL: "= null" and "!= null" test for a blank value
        if node.op == "=":
            return lambda row: row.get(name) is None
        if node.op == "!=":
            return lambda row: row.get(name) is not None
        return lambda row: False
    if node.op == "LIKE":
        pattern = _like_regex(node.value)
        return lambda row: (v := row.get(name)) is not None and pattern.match(v) is not None
    literal = norm(node.value) if norm else node.value
    compare = _OPS[node.op]
    if node.op == "!=":  # unlike SQL, SOQL's != also matches rows where the field is null
        if norm is None:
            return lambda row: (v := row.get(name)) is None or v != literal
        return lambda row: (v := row.get(name)) is None or norm(v) != literal
    if norm is None:
        return lambda row: (v := row.get(name)) is not None and compare(v, literal)
    return lambda row: (v := row.get(name)) is not None and compare(norm(v), literal)


def _compile_in(node: InList) -> Predicate:
    name, norm = node.field, _normalizer(node.ftype)
    with_null = None in node.values
    wanted = frozenset(norm(v) if norm else v for v in node.values if v is not None)
    key = norm or (lambda v: v)

    def matches(row: Row) -> bool:
        value = row.get(name)
        return with_null if value is None else key(value) in wanted

    if node.negated:  # NOT IN matches null fields too (unless null is listed)
        return lambda row: not matches(row)
    return matches


def _like_regex(pattern: str) -> re.Pattern:
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and pattern[i + 1] in _LIKE_ESCAPES:
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z", re.IGNORECASE | re.DOTALL)


def run(query: Query, rows: list[Row]) -> list[Row]:
    """The rows matching ``query``'s WHERE, in its ORDER BY order, cut to its LIMIT."""
    predicate = compile_where(query.where)
    matched = [row for row in rows if predicate(row)] if query.where is not None else list(rows)
    for item in reversed(query.order):  # stable sorts, last key first
        matched.sort(key=_sort_key(item), reverse=item.descending)
    return matched if query.limit is None else matched[: query.limit]


def _sort_key(item: OrderItem) -> Callable[[Row], tuple]:
    name, norm = item.field, _normalizer(item.ftype) or (lambda v: v)
    # With reverse=True the null rank is reversed too, so flip it to keep NULLS FIRST/LAST.
    null_rank = 0 if item.nulls_first != item.descending else 1
    value_rank = 1 - null_rank

    def key(row: Row) -> tuple:
        value = row.get(name)
        return (null_rank, 0) if value is None else (value_rank, norm(value))

    return key
