"""The dry-run stage: every KPI's generated SQL executed on an empty store.

A valid kpis.yaml can still compile to SQL that DuckDB refuses (a text custom field summed, a
filter value that cannot match its column's type, a plugin measure's bad SQL). Run at pull
request time on an in-memory DuckDB holding the tables a sync would create, with no rows, such
a KPI fails here rather than in the next scheduled build.

The store's columns need Salesforce types. Standard fields take the catalogue's; a custom
field's type is only known from describe, so the online stage's types are used when it ran,
and otherwise it is inferred from how the KPIs use the field (summed: a number; a date: a
datetime; compared with true: a checkbox).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlglot import exp

from kpisync.config.kpis import NUMERIC_MEASURES
from kpisync.config.model import Config, Kpi
from kpisync.errors import ComputeError, KpisyncError
from kpisync.sobjects import STORE_TABLE_PREFIX, catalogue, with_config_objects
from kpisync.validation.report import Finding

_NAMED_KPI = re.compile(r"KPI '(?P<id>[a-z][a-z0-9_]*)'")

#: Salesforce field types by object, as describe gives them: {"Event": {"Foo__c": "boolean"}}
FieldTypes = Mapping[str, Mapping[str, str]]


@with_config_objects
def dry_run(config: Config, *, described: FieldTypes | None = None,
            as_of: date | None = None) -> list[Finding]:
    """The problems of running every KPI of ``config`` on an empty store; [] when all ran.
    ``described`` (from the online stage) replaces the types inferred for custom fields."""
    from kpisync.compute.engine import (
        compute,
        evaluate,
        load_members,
        load_periods,
        table_columns,
    )
    from kpisync.compute.filter_types import check_filter_types
    from kpisync.compute.windows import scorecard_periods
    from kpisync.store import Store

    as_of = as_of or date.today()
    with Store.open(Path(":memory:")) as store:
        _create_tables(store, store_fields(config, described or {}))
        con = store.connection
        columns = table_columns(con)
        try:
            check_filter_types(config, columns)
        except ComputeError as exc:
            return [_finding(config, line) for line in str(exc).splitlines()]
        load_members(con, [])
        load_periods(con, scorecard_periods(config, as_of))
        findings = []
        for kpi in config.kpis:
            if kpi.source is None:
                continue  # ratios and formulas are computed from other KPIs, in Python
            try:
                evaluate(kpi, con, columns, config.org.timezone)
            except KpisyncError as exc:
                findings.append(_at_kpi(config, kpi, f"the generated SQL fails on an empty "
                                                     f"store: {exc}"))
        if findings:
            return findings
        try:  # the rest: ratios, formulas, cascade, cohorts and stages
            compute(config, con, as_of)
        except KpisyncError as exc:
            return [_finding(config, f"the generated SQL fails on an empty store: {exc}")]
    return []


def _create_tables(store, tables: Mapping[str, Mapping[str, str]]) -> None:
    """Each table as the store lays it out. The store names a table ``sf_<object>``; a plugin
    store source's table (``ext_<source>_<table>``) is created that way and renamed, so that
    its columns get the store's own types."""
    for sobject, fields in tables.items():
        store.ensure_table(sobject, fields)
        if sobject.startswith(STORE_TABLE_PREFIX):
            rename = exp.AlterRename(this=exp.to_table(sobject))
            store.connection.execute(exp.Alter(this=exp.to_table(store.table_name(sobject)),
                                               kind="TABLE", actions=[rename]).sql("duckdb"))


def store_fields(config: Config, described: FieldTypes) -> dict[str, dict[str, str]]:
    """The tables a sync of ``config`` creates (plugins' store tables too): each object's
    fields and their types."""
    from kpisync.config.required import plan_objects

    used = _used_types(config)
    objects = catalogue()
    tables = {}
    for plan in plan_objects(config):
        known = objects.get(plan.sobject)
        tables[plan.sobject] = {
            name: described.get(plan.sobject, {}).get(name)
            or (known.field_type(name) if known else None)
            or used.get((plan.sobject, name), "string")
            for name in plan.fields
        }
    for kpi in config.kpis:  # a store source writes its tables whole, as it declares them
        if kpi.source and kpi.source.startswith(STORE_TABLE_PREFIX):
            tables[kpi.source] = dict(objects[kpi.source].fields)
    return tables


def _used_types(config: Config) -> dict[tuple[str, str], str]:
    """A type for each field a KPI reads, from how it reads it."""
    found: dict[tuple[str, str], str] = {}
    for kpi in config.kpis:
        if kpi.source is None:
            continue
        for condition in kpi.conditions:
            values = condition.value if isinstance(condition.value, tuple) \
                else (condition.value,)
            kind = next((_value_type(v) for v in values if v is not None), None)
            if kind is not None:
                found[(kpi.source, condition.field)] = kind
        measure = kpi.measure
        if measure.kind in NUMERIC_MEASURES and measure.field:
            found[(kpi.source, measure.field)] = "double"
        for name in (*kpi.date_fields, measure.start_field, measure.end_field):
            if name:
                found[(kpi.source, name)] = "datetime"
    return found


def _value_type(value: object) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | Decimal):
        return "double"
    if isinstance(value, date):
        return "date"
    return "string" if isinstance(value, str) else None


def _finding(config: Config, text: str) -> Finding:
    """A dry-run error; located at the line the message names, else at its KPI's line."""
    # "kpis.yaml:133: KPI 'x': ...", as ``check_filter_types`` writes each of its problems
    located = re.match(rf"^{re.escape(config.path.name)}:(?P<line>\d+): (?P<message>.*)$", text)
    line, message = (int(located["line"]), located["message"]) if located else (0, text)
    named = _NAMED_KPI.search(message)
    if not line and named:
        line = next((k.line for k in config.kpis if k.id == named["id"]), 0)
    return Finding("error", "dry_run", str(config.path), line or 1, 1, "", message)


def _at_kpi(config: Config, kpi: Kpi, message: str) -> Finding:
    return Finding("error", "dry_run", str(config.path), kpi.line or 1, 1, f"kpis[{kpi.id}]",
                   message)
