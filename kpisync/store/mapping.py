"""Bring your own tables: read the Salesforce records where another tool replicates them.

kpis.yaml's ``mapping:`` (``kpisync.config.mapping``) names a preset and overrides; here they
become one ``MappedObject`` per object the KPIs read, with the table and the column of every
field. Compute is not told: ``map_tables`` lays a session-only view over each table, named and
shaped as the store's (``sf_task`` with ``"OwnerId"``, ...; rows whose soft-delete column is
true left out, as the store leaves deleted records out), so every KPI query runs unchanged.
The views are built with sqlglot, and ``check_mapping`` first checks on information_schema
that every table and column exists, each missing one reported at its line in kpis.yaml.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, replace

from sqlglot import exp

from kpisync.config.mapping import Place, TableMapping
from kpisync.config.model import Config
from kpisync.config.presets import PRESETS, STORE_LAYOUT
from kpisync.engines.base import Engine
from kpisync.errors import ConfigError, ConfigProblem

#: the sync's own checkpoint column: compute never reads it, so a table need not have it
_SYNC_ONLY = frozenset({"SystemModstamp"})
#: no ``mapping:``: the store's own layout, its problems reported at the top of kpis.yaml
_NO_MAPPING = TableMapping(preset=STORE_LAYOUT.name, objects={}, place=Place(1, 1, "engine"))


@dataclass(frozen=True)
class MappedObject:
    """Where one Salesforce object's records are on the engine."""

    sobject: str
    table: str
    #: Salesforce field name -> column, for every field compute reads
    columns: dict[str, str]
    #: columns that are true for a record gone from Salesforce
    deleted: tuple[str, ...]
    #: where kpis.yaml named the table (a preset's name: the preset) and each column
    table_place: Place
    column_places: dict[str, Place]


def mapped_objects(config: Config) -> list[MappedObject]:
    """Every object the KPIs read (and User, UserRole), placed by kpis.yaml's ``mapping:``;
    without one, by the store's own layout (``sf_<object>``, the field names as columns)."""
    from kpisync.config.required import plan_objects

    mapping = config.mapping or _NO_MAPPING
    preset = PRESETS[config.mapping.preset] if config.mapping else STORE_LAYOUT
    found = []
    for plan in plan_objects(config):
        override = mapping.objects.get(plan.sobject)
        places = dict(override.places) if override else {}
        table = override.table if override and override.table else preset.table(plan.sobject)
        names = {f: preset.column(f) for f in plan.fields}
        if override:
            names.update({f: c for f, c in override.fields.items() if f in names})
        columns = {f: c for f, c in names.items() if f not in _SYNC_ONLY}
        deleted = (*preset.deleted, *([columns["IsDeleted"]] if "IsDeleted" in columns else []))
        found.append(MappedObject(
            plan.sobject, table, columns, tuple(dict.fromkeys(deleted)),
            places.get("table", mapping.place),
            {f: places.get(f, mapping.place) for f in (*columns, *deleted)}))
    return found


def check_mapping(config: Config, engine: Engine) -> list[ConfigProblem]:
    """Every table and column ``mapped_objects`` needs that ``engine`` does not have, each a
    problem located in kpis.yaml naming what is there instead."""
    tables = _tables(engine)
    problems = []
    for obj in mapped_objects(config):
        columns = tables.get(obj.table)
        if columns is None:
            problems.append(_problem(config, obj.table_place, (
                f"no table '{obj.table}' for {obj.sobject} in schema {engine.schema} on "
                f"{engine.name}{_nearby(obj.table, list(tables), 'tables')}")))
            continue
        wanted = {**{c: (c, f"{obj.sobject}'s soft-delete column") for c in obj.deleted},
                  **{c: (f, f"{obj.sobject}.{f}") for f, c in obj.columns.items()}}
        for column, (name, what) in wanted.items():
            if column not in columns:
                problems.append(_problem(config, obj.column_places.get(name, obj.table_place), (
                    f"no column '{column}' ({what}) in table {obj.table}"
                    f"{_nearby(column, columns, 'columns')}")))
    if config.mapping is None and problems:  # the store's own tables: the sync makes them
        problems = [replace(p, message=f"{p.message} (`kpisync sync` creates the store's "
                                       "tables and columns)") for p in problems]
    return problems


def map_tables(config: Config, engine: Engine) -> Engine:
    """``engine`` with the store's tables laid as session views over the mapped ones (see the
    module docstring); raises ConfigError naming every table or column missing."""
    if engine.dialect != "postgres":
        raise ConfigError([_problem(config, config.mapping.place,
                                    f"mapped tables are read on PostgreSQL, not on {engine.name}")])
    problems = check_mapping(config, engine)
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: (p.line, p.column)))
    from kpisync.store.database import Store

    for obj in mapped_objects(config):
        source = exp.table_(exp.to_identifier(obj.table, quoted=True),
                            db=exp.to_identifier(engine.schema, quoted=True))
        select = exp.select(*(
            exp.alias_(exp.column(column, quoted=True), field, quoted=True)
            for field, column in obj.columns.items())).from_(source)
        for column in obj.deleted:
            select = select.where(exp.not_(exp.func("COALESCE", exp.column(column, quoted=True),
                                                    exp.false())))
        engine.execute(exp.Create(
            this=exp.to_table(Store.table_name(obj.sobject)), kind="VIEW", replace=True,
            expression=select, properties=exp.Properties(expressions=[exp.TemporaryProperty()])))
    # compute lists its tables on information_schema under engine.schema: there, the views'
    # schema (pg_temp_N) is the one to list
    temp_schema = exp.select("nspname").from_(exp.to_table("pg_catalog.pg_namespace")).where(
        exp.column("oid").eq(exp.func("pg_my_temp_schema")))
    ((schema,),) = engine.execute(temp_schema)
    mapped = copy.copy(engine)
    mapped.schema = schema
    return mapped


def _tables(engine: Engine) -> dict[str, list[str]]:
    query = (exp.select("table_name", "column_name")
             .from_(exp.to_table("information_schema.columns"))
             .where(exp.column("table_schema").eq(exp.Placeholder(this="schema")))
             .order_by("table_name", "ordinal_position"))
    tables: dict[str, list[str]] = {}
    for table, column in engine.execute(query, {"schema": engine.schema}):
        tables.setdefault(table, []).append(column)
    return tables


def _nearby(name: str, names: list[str], what: str) -> str:
    """"; did you mean 'x'?" or "; the tables there: a, b, c" to end a message with."""
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    if close:
        return "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    if not names:
        return f" (there are no {what} there)"
    shown = ", ".join(sorted(names)[:8]) + (", ..." if len(names) > 8 else "")
    return f"; the {what} there: {shown}"


def _problem(config: Config, place: Place, message: str) -> ConfigProblem:
    return ConfigProblem(str(config.path), place.line, place.column, place.path, message)
