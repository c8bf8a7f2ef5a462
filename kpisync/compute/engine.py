"""Evaluate every KPI for every rep, team and the org, for every period of the window.

The steps read top to bottom in ``compute``: who is scored, which periods, one SQL query per
KPI with a source, ratios from their parts, then targets, attainment, the cascade, scores, weakest
links and reverse funnels. Records are only ever touched by SQL inside DuckDB; Python handles the
aggregated rows (KPIs x periods x scopes, a few thousand at most).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import duckdb
from sqlglot import exp

from kpisync.compute import membership, targets
from kpisync.compute.cascade import cascade_steps, weakest_links
from kpisync.compute.funnel import reverse_funnels
from kpisync.compute.model import ORG_SCOPE_ID, KpiResult, Period, Rep, Scorecard, TeamInfo
from kpisync.compute.periods import window
from kpisync.compute.scores import scores
from kpisync.compute.sql import (
    DIALECT,
    GROUP_ORG,
    GROUP_REP,
    GROUP_TEAM,
    MEMBERS_TABLE,
    PERIODS_TABLE,
    compile_kpi,
)
from kpisync.config.model import Config, Kpi
from kpisync.errors import ComputeError
from kpisync.plugins import registry

# (kpi_id, period_key, scope, scope_id) -> actual
Actuals = dict[tuple[str, str, str, str], Decimal | None]

_DUCKDB_TO_SF = {"DATE": "date", "TIMESTAMP WITH TIME ZONE": "datetime", "BOOLEAN": "boolean"}


def compute(config: Config, con: duckdb.DuckDBPyConnection, as_of: date) -> Scorecard:
    """The scorecard for ``as_of`` (a day in the org's timezone) from the synced store."""
    columns = table_columns(con)
    reps = scored_reps(config, con, columns)
    periods = window(config.org, as_of)
    teams = _team_infos(config, reps)

    load_members(con, reps)
    load_periods(con, periods)
    actuals: Actuals = {}
    for kpi in config.kpis:
        if kpi.measure.kind != "ratio":
            actuals.update(evaluate(kpi, con, columns, config.org.timezone))
    for kpi in config.kpis:
        if kpi.measure.kind == "ratio":
            actuals.update(ratio(kpi, actuals))

    results = tuple(
        _result(config, kpi, period, scope, actuals)
        for kpi in config.kpis
        for period in periods
        for scope in _scopes(config, teams, reps)
    )
    cascade = tuple(cascade_steps(config, periods, results))
    return Scorecard(
        config=config,
        as_of=as_of,
        periods=periods,
        teams=teams,
        reps=tuple(reps),
        results=results,
        cascade=cascade,
        scores=tuple(scores(config, periods, teams, reps, results)),
        weakest_links=tuple(weakest_links(config, reps, cascade)),
        reverse_funnels=tuple(reverse_funnels(config, periods, reps, results, cascade)),
    )


def table_columns(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Synced objects and their fields' types, read from the store's raw tables."""
    info = exp.to_table("information_schema.columns")
    query = (
        exp.select("table_name", "column_name", "data_type")
        .from_(info)
        .where(exp.column("table_schema").eq(exp.Literal.string("main")))
    )
    tables = {f"sf_{name.lower()}": name for name in registry().sources}
    columns: dict[str, dict[str, str]] = {}
    for table, column, data_type in con.execute(query.sql(dialect=DIALECT)).fetchall():
        sobject = tables.get(table)
        if sobject is not None:
            sf_type = _DUCKDB_TO_SF.get(data_type, "number" if _numeric(data_type) else "string")
            columns.setdefault(sobject, {})[column] = sf_type
    return columns


def scored_reps(
    config: Config, con: duckdb.DuckDBPyConnection, columns: Mapping[str, Mapping[str, str]]
) -> list[Rep]:
    """The synced users the teams of kpis.yaml claim (``columns`` from ``table_columns``)."""
    if "User" not in columns:
        raise ComputeError("the store has no Salesforce users yet: run `kpisync sync` first")
    user_fields = {f for t in config.teams for f, _ in t.members.where}
    return membership.assign_reps(config, membership.load_users(con, user_fields))


def _numeric(data_type: str) -> bool:
    return data_type.startswith(("DECIMAL", "BIGINT", "INTEGER", "DOUBLE", "FLOAT", "HUGEINT"))


def _team_infos(config: Config, reps: list[Rep]) -> tuple[TeamInfo, ...]:
    return tuple(
        TeamInfo(
            id=team.id,
            name=team.name,
            segment=team.segment,
            region=team.region,
            rep_ids=tuple(r.id for r in reps if r.team_id == team.id),
            kpi_ids=team.kpis,
        )
        for team in config.teams
    )


def load_members(con: duckdb.DuckDBPyConnection, reps: list[Rep]) -> None:
    """The scored reps and their teams, as the KPI queries join them (explain and targets
    suggest load their own, for one scope or for past weeks)."""
    _temp_table(
        con, MEMBERS_TABLE, (("rep_id", "VARCHAR"), ("team_id", "VARCHAR")),
        [(r.id, r.team_id) for r in reps],
    )


def load_periods(con: duckdb.DuckDBPyConnection, periods: tuple[Period, ...]) -> None:
    """The periods a KPI query puts records in; any periods, not only the window's."""
    _temp_table(
        con, PERIODS_TABLE,
        (("period_key", "VARCHAR"), ("period_start", "DATE"), ("period_end", "DATE")),
        [(p.key, p.start, p.end) for p in periods],
    )


def _temp_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    columns: tuple[tuple[str, str], ...],
    rows: list[tuple],
) -> None:
    """(Re)create a small session-only table the KPI queries join against."""
    schema = exp.Schema(
        this=exp.to_table(name),
        expressions=[
            exp.ColumnDef(this=exp.to_identifier(column), kind=exp.DataType.build(kind))
            for column, kind in columns
        ],
    )
    create = exp.Create(
        this=schema,
        kind="TABLE",
        replace=True,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
    )
    con.execute(create.sql(dialect=DIALECT))
    if rows:
        placeholders = tuple(exp.Placeholder() for _ in columns)
        con.executemany(exp.insert(exp.values([placeholders]), name).sql(dialect=DIALECT), rows)


def evaluate(
    kpi: Kpi, con: duckdb.DuckDBPyConnection, columns: Mapping[str, Mapping[str, str]], tz: str
) -> Actuals:
    """One KPI with a source over the loaded members and periods, for every scope."""
    measure = registry().measures.get(kpi.measure.kind)
    if measure is None:
        raise ComputeError(
            f"KPI '{kpi.id}' uses measure '{kpi.measure.kind}', which no plugin provides"
        )
    compiled = compile_kpi(kpi, measure=measure, columns=columns, timezone=tz)
    try:
        rows = con.execute(compiled.sql, compiled.params).fetchall()
    except duckdb.Error as exc:
        raise ComputeError(
            f"KPI '{kpi.id}' (kpis.yaml line {kpi.line}) failed in DuckDB: {exc}"
        ) from exc
    actuals: Actuals = {}
    for period_key, team_id, rep_id, grp, actual in rows:
        if grp == GROUP_REP:
            actuals[(kpi.id, period_key, "rep", rep_id)] = actual
        elif grp == GROUP_TEAM:
            actuals[(kpi.id, period_key, "team", team_id)] = actual
        elif grp == GROUP_ORG:
            actuals[(kpi.id, period_key, "org", ORG_SCOPE_ID)] = actual
    return actuals


def ratio(kpi: Kpi, actuals: Actuals) -> Actuals:
    """numerator / denominator per scope, in percent points when the unit is percent."""
    numerator, denominator = kpi.measure.numerator, kpi.measure.denominator
    scale = Decimal(100) if kpi.unit == "percent" else Decimal(1)
    ratios: Actuals = {}
    for (kpi_id, period_key, scope, scope_id), den in actuals.items():
        if kpi_id != denominator or not den:
            continue
        num = actuals.get((numerator, period_key, scope, scope_id)) or Decimal(0)
        ratios[(kpi.id, period_key, scope, scope_id)] = (num * scale / den).quantize(
            Decimal("0.0001")
        )
    return ratios


def _scopes(config: Config, teams: tuple[TeamInfo, ...], reps: list[Rep]):
    for rep in reps:
        yield "rep", rep.id, rep.name, rep, None
    for team in teams:
        members = [r for r in reps if r.team_id == team.id]
        yield "team", team.id, team.name, members, config.team(team.id)
    yield "org", ORG_SCOPE_ID, config.org.name, reps, None


def _result(config: Config, kpi: Kpi, period: Period, scope, actuals: Actuals) -> KpiResult:
    scope_kind, scope_id, scope_name, who, team = scope
    actual = actuals.get((kpi.id, period.key, scope_kind, scope_id))
    if actual is None and kpi.measure.additive:
        actual = Decimal(0)  # no records: zero calls, not an unknown number of calls
    if scope_kind == "rep":
        target = targets.rep_target(config, kpi, who, period)
    else:
        target = targets.group_target(config, kpi, who, period, team)
    return KpiResult(
        kpi_id=kpi.id,
        period_key=period.key,
        scope=scope_kind,
        scope_id=scope_id,
        scope_name=scope_name,
        actual=normalize(actual),
        target=normalize(target),
        attainment=targets.attainment(kpi, actual, target),
        on_pace=targets.on_pace(kpi, period, actual, target),
    )


def normalize(value: Decimal | None) -> Decimal | None:
    """Drop trailing zeros DuckDB's DECIMAL(38,4) adds, keeping the value exact."""
    if value is None:
        return None
    value = Decimal(value)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
