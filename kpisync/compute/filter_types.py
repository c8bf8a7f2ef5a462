"""Filter values checked against the types Salesforce gave the fields, before any query runs.

Standard fields are checked offline when kpis.yaml is read (``kpisync.config.fields``); a
custom field's type (``Meeting_Held__c``) is only known once the sync has described it, and the
store's columns carry that type. A filter such as ``Meeting_Held__c: 'yes'`` on a checkbox can
never match: DuckDB would fail on it mid-build, or worse, compare text and count nothing. It is
checked here because compute runs on every build, also when the sync skipped the describe or
kpis.yaml changed since the last sync; the sync itself never filters records.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from kpisync.compute.sql import source_field
from kpisync.config.model import Config, Filter, Kpi
from kpisync.errors import ComputeError

#: store column types (``engine.table_columns``) and describe types, by what values fit them
_NUMBER = frozenset({"number", "int", "long", "double", "currency", "percent"})
_ADVICE = {
    "boolean": "write true or false",
    "number": "write a number such as 120, without quotes",
    "date": "write a date such as 2026-01-31",
    "datetime": "write a date such as 2026-01-31 or a date and time such as "
                "2026-01-31T09:00:00Z",
    "text": "write the text in quotes, such as '42'",
}


def check_filter_types(config: Config, columns: Mapping[str, Mapping[str, str]]) -> None:
    """Raise ComputeError naming every filter whose value cannot match its field's type."""
    found = [message for kpi in config.kpis if kpi.source is not None
             for condition in kpi.conditions
             if (message := _problem(config, kpi, condition, columns)) is not None]
    if found:
        raise ComputeError("\n".join(found))


def _problem(config: Config, kpi: Kpi, condition: Filter,
             columns: Mapping[str, Mapping[str, str]]) -> str | None:
    if condition.op in ("is_null", "is_not_null"):
        return None
    kind = _kind(source_field(kpi, condition.field, columns).sf_type)
    where = (f"{config.path.name}:{condition.line or kpi.line}: KPI '{kpi.id}': "
             f"{_name(kpi, condition.field)} is a {kind} field in Salesforce")
    if condition.op in ("starts_with", "contains") and kind != "text":
        return f"{where}; {condition.op} looks into text fields only"
    if condition.op in ("gt", "gte", "lt", "lte", "between") and kind == "boolean":
        return f"{where} and cannot be compared with {condition.op}: use eq or ne"
    values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
    for value in values:
        if not _fits(value, kind):
            return (f"{where}, so where {condition.field} {condition.op} {_shown(value)} can "
                    f"never match: {_ADVICE[kind]}")
    return None


def _kind(sf_type: str) -> str:
    if sf_type in _NUMBER:
        return "number"
    return sf_type if sf_type in ("boolean", "date", "datetime") else "text"


def _fits(value: object, kind: str) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "number":
        return isinstance(value, int | Decimal)
    if kind == "date":
        return isinstance(value, date) and not isinstance(value, datetime)
    if kind == "datetime":
        return isinstance(value, date)
    return isinstance(value, str)


def _name(kpi: Kpi, field: str) -> str:
    return field if "." in field else f"{kpi.source}.{field}"


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
