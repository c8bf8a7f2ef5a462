"""SOQL text built from small, tested pieces, so no user value is ever pasted into a query raw.

SOQL has no bind parameters over REST: values travel inside the query text. ``soql_literal``
is therefore the only way a value enters a query, and every object or field name is checked
against the API-name pattern before it is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from kpisync.sobjects import FIELD_NAME

#: SOQL string escapes (SOQL and SOSL reference, "Quoted String Escape Sequences").
_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")

SoqlValue = str | bool | int | Decimal | date | datetime | None


def name(value: str) -> str:
    """``value`` unchanged if it is a valid object or field API name; ValueError otherwise."""
    if not isinstance(value, str) or not FIELD_NAME.match(value):
        raise ValueError(f"not a Salesforce API name: {value!r}")
    return value


def soql_literal(value: SoqlValue) -> str:
    """``value`` written as a SOQL literal.

    Datetimes must be timezone-aware; they are written in UTC to the second, the precision
    SOQL datetime literals have (a sub-second part is dropped, i.e. floored).
    """
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValueError(f"SOQL has no literal for {value}")
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"SOQL datetimes must be timezone-aware, got {value.isoformat()}")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + "".join(_ESCAPES.get(ch, ch) for ch in value) + "'"
    raise TypeError(f"SOQL has no literal for {type(value).__name__} values")


def compare(field: str, operator: str, value: SoqlValue) -> str:
    """``field <operator> <literal>``, e.g. ``SystemModstamp > 2026-01-05T14:03:00Z``."""
    if operator not in _OPERATORS:
        raise ValueError(f"unsupported SOQL operator {operator!r}; expected one of {_OPERATORS}")
    return f"{name(field)} {operator} {soql_literal(value)}"


def all_of(*conditions: str) -> str:
    """The conditions joined with AND, each in parentheses so precedence never surprises."""
    return _join("AND", conditions)


def any_of(*conditions: str) -> str:
    """The conditions joined with OR, each in parentheses so precedence never surprises."""
    return _join("OR", conditions)


def _join(keyword: str, conditions: Sequence[str]) -> str:
    if not conditions:
        raise ValueError(f"{keyword} needs at least one condition")
    if len(conditions) == 1:
        return conditions[0]
    return f" {keyword} ".join(f"({c})" for c in conditions)


def select(
    sobject: str,
    fields: Iterable[str],
    where: str | None = None,
    order_by: Iterable[str] = (),
) -> str:
    """``SELECT f1, f2 FROM Obj [WHERE ...] [ORDER BY ...]``.

    ``where`` must come from ``compare``/``all_of``/``any_of``; ``order_by`` holds field names
    (ascending).
    """
    columns = [name(f) for f in dict.fromkeys(fields)]
    if not columns:
        raise ValueError(f"a SELECT from {sobject} needs at least one field")
    parts = [f"SELECT {', '.join(columns)} FROM {name(sobject)}"]
    if where:
        parts.append(f"WHERE {where}")
    order = [name(f) for f in order_by]
    if order:
        parts.append(f"ORDER BY {', '.join(order)}")
    return " ".join(parts)


def count(sobject: str, where: str | None = None) -> str:
    """``SELECT count() FROM Obj [WHERE ...]``; Salesforce answers in ``totalSize``."""
    text = f"SELECT count() FROM {name(sobject)}"
    return f"{text} WHERE {where}" if where else text
