"""Evaluate every KPI for every rep, team and the org, for every period of the window.

The steps read top to bottom in ``_compute``: who is scored, which periods, one SQL query per
KPI with a source, ratios from their parts, then targets and attainment (``compute.cells``),
formulas over those results (they need the targets), the cascade, scores, weakest links,
reverse funnels, cohorts and stages. Records are only ever touched by SQL inside the engine;
Python handles the aggregated rows, one per KPI x period x scope (125,000 for 500 reps over
19 periods, which is why ``compute.cells`` makes them a KPI and period at a time).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from sqlglot import exp

from kpisync.compute import history, membership, targets, unassigned
from kpisync.compute.cascade import cascade_steps, weakest_links
from kpisync.compute.cells import Actuals, Cells, normalize
from kpisync.compute.cohorts import cohort_results
from kpisync.compute.filter_types import check_filter_types
from kpisync.compute.funnel import reverse_funnels
from kpisync.compute.model import ORG_SCOPE_ID, Period, Rep, Scorecard, TeamInfo
from kpisync.compute.scores import scores
from kpisync.compute.sql import (
    GROUP_ORG,
    GROUP_OWNER,
    GROUP_REP,
    GROUP_TEAM,
    MEMBERS_TABLE,
    PERIODS_TABLE,
    compile_batch,
    compile_kpi,
)
from kpisync.compute.stages import stage_report
from kpisync.compute.windows import scorecard_periods
from kpisync.config.model import Config, Kpi
from kpisync.engines.base import Connection, Engine, QueryError, as_engine
from kpisync.errors import ComputeError
from kpisync.registry import registry
from kpisync.sobjects import catalogue, table_of, with_config_objects

_DUCKDB_TO_SF = {"DATE": "date", "TIMESTAMP WITH TIME ZONE": "datetime", "BOOLEAN": "boolean"}


@with_config_objects
def compute(config: Config, con: Connection, as_of: date) -> Scorecard:
    """The scorecard for ``as_of`` (a day in the org's timezone) from the synced store: a
    DuckDB connection or any engine (``kpisync.engines``)."""
    with _collector_paused():
        return _compute(config, as_engine(con), as_of)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the block, back as it was after. A compute makes some
    300,000 objects that refcounting frees (results, cascade steps, scores and the dicts that
    build them) and the collector walks them again and again as they pile up: a third of the
    Python time of a large compute. The few cycles made meanwhile (sqlglot's trees) are
    collected after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _compute(config: Config, con: Engine, as_of: date) -> Scorecard:
    columns = table_columns(con)
    users = synced_users(config, con, columns)
    reps = membership.assign_reps(config, users, as_of)
    periods = scorecard_periods(config, as_of)  # shown ones, then comparison-only ones
    teams = _team_infos(config, reps)

    check_filter_types(config, columns)
    load_members(con, reps)
    load_periods(con, periods)
    measured = [kpi for kpi in config.kpis if kpi.measure.kind not in ("ratio", "formula")]
    actuals, owners = evaluate_all(measured, con, columns, config.org.timezone)
    starts = history.history_starts(con)
    gaps = history.gaps(config, periods, starts)
    if gaps:  # most stores: every period within the synced history, nothing to drop
        actuals = {key: value for key, value in actuals.items() if key[:2] not in gaps}
        owners = {key: value for key, value in owners.items() if key[:2] not in gaps}
    for kpi in config.kpis:
        if kpi.measure.kind == "ratio":
            actuals.update(ratio(kpi, actuals, config))

    book = targets.TargetBook(config)
    # per period: a rep's team (and so their target) is the one at the period's end
    scopes = {p.key: list(_scopes(config, teams, reps, p, as_of)) for p in periods}
    cells = Cells(config, periods, scopes, actuals, as_of, book, reps, gaps)
    results = [r for kpi in config.kpis if kpi.measure.kind != "formula" for r in cells.of(kpi)]
    results += cells.formula_results(results)
    shown = [p for p in periods if p.shown]
    cascade = tuple(cascade_steps(config, shown, results))
    return Scorecard(
        config=config,
        as_of=as_of,
        periods=periods,
        teams=teams,
        reps=tuple(reps),
        results=results,
        cascade=cascade,
        cohorts=cohort_results(config, con, columns, shown, reps, teams),
        stages=stage_report(config, con, columns, shown, reps, teams),
        scores=tuple(scores(config, shown, teams, reps, results)),
        weakest_links=tuple(weakest_links(config, reps, cascade)),
        reverse_funnels=tuple(reverse_funnels(config, shown, reps, results, cascade)),
        unassigned=unassigned.report(config, periods, users, owners),
        history_starts=tuple(history.earliest(starts, config).items()),
    )


def table_columns(con: Connection) -> dict[str, dict[str, str]]:
    """Synced objects and their fields' types, read from the store's raw tables."""
    con = as_engine(con)
    info = exp.to_table("information_schema.columns")
    query = (
        exp.select("table_name", "column_name", "data_type")
        .from_(info)
        .where(exp.column("table_schema").eq(exp.Literal.string(con.schema)))
    )
    tables = {table_of(name): name for name in catalogue()}
    columns: dict[str, dict[str, str]] = {}
    for table, column, type_name in con.execute(query):
        sobject, data_type = tables.get(table), type_name.upper()
        if sobject is not None:
            sf_type = _DUCKDB_TO_SF.get(data_type, "number" if _numeric(data_type) else "string")
            columns.setdefault(sobject, {})[column] = sf_type
    return columns


def scored_reps(
    config: Config,
    con: Connection,
    columns: Mapping[str, Mapping[str, str]],
    as_of: date | None = None,
) -> list[Rep]:
    """The synced users the teams of kpis.yaml claim (``columns`` from ``table_columns``), each
    filed under their team of ``as_of`` (None: the last team they are on)."""
    return membership.assign_reps(config, synced_users(config, con, columns), as_of)


def synced_users(
    config: Config, con: Connection, columns: Mapping[str, Mapping[str, str]]
) -> list[dict]:
    """Every synced user, with the User fields the teams' rules read."""
    if "User" not in columns:
        raise ComputeError("the store has no Salesforce users yet: run `kpisync sync` first")
    user_fields = {f for t in config.teams for f, _ in t.members.where}
    created_zone = config.org.timezone if "CreatedDate" in columns["User"] else None
    return membership.load_users(con, user_fields, created_zone=created_zone)


def _numeric(data_type: str) -> bool:
    return data_type.startswith(("DECIMAL", "BIGINT", "INTEGER", "DOUBLE", "FLOAT", "HUGEINT",
                                 "NUMERIC", "SMALLINT", "REAL"))


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


def load_members(con: Connection, reps: list[Rep]) -> None:
    """The scored reps and their teams over time, as the KPI queries join them: one row per
    membership, a record joining the row whose days contain its own (explain and targets
    suggest load their own, for one scope or for past weeks)."""
    _temp_table(
        con, MEMBERS_TABLE,
        (("rep_id", "VARCHAR"), ("team_id", "VARCHAR"), ("valid_from", "DATE"),
         ("valid_until", "DATE")),
        membership.member_rows(reps),
    )


def load_periods(con: Connection, periods: tuple[Period, ...]) -> None:
    """The periods a KPI query puts records in; any periods, not only the window's."""
    _temp_table(
        con, PERIODS_TABLE,
        (("period_key", "VARCHAR"), ("period_start", "DATE"), ("period_end", "DATE")),
        [(p.key, p.start, p.end) for p in periods],
    )


def _temp_table(
    con: Connection,
    name: str,
    columns: tuple[tuple[str, str], ...],
    rows: list[tuple],
) -> None:
    """(Re)create a small session-only table the KPI queries join against."""
    as_engine(con).create_temp_table(name, columns, rows)


def evaluate(
    kpi: Kpi, con: Connection, columns: Mapping[str, Mapping[str, str]], tz: str
) -> Actuals:
    """One KPI with a source over the loaded members and periods, for every scope."""
    return evaluate_with_owners(kpi, con, columns, tz)[0]


def evaluate_with_owners(
    kpi: Kpi, con: Connection, columns: Mapping[str, Mapping[str, str]], tz: str
) -> tuple[Actuals, unassigned.OwnerActuals]:
    """``evaluate``, and the records credited to no team, by owner (see compute/unassigned)."""
    compiled = compile_kpi(kpi, measure=_measure(kpi), columns=columns, timezone=tz)
    con = as_engine(con)
    try:
        rows = con.execute(compiled.query, compiled.params)
    except QueryError as exc:
        raise ComputeError(
            f"KPI '{kpi.id}' (kpis.yaml line {kpi.line}) failed in {con.name}: {exc}"
        ) from exc
    return _collect((kpi.id, *row) for row in rows)


def evaluate_all(
    kpis: list[Kpi], con: Connection, columns: Mapping[str, Mapping[str, str]],
    tz: str,
) -> tuple[Actuals, unassigned.OwnerActuals]:
    """``evaluate_with_owners`` for many KPIs in one statement (``sql.compile_batch``). When
    the statement fails, each KPI runs on its own so that the error names the one at fault."""
    if not kpis:
        return {}, {}
    compiled = compile_batch([(kpi, _measure(kpi)) for kpi in kpis], columns=columns,
                             timezone=tz)
    try:
        rows = as_engine(con).execute(compiled.query, compiled.params)
    except QueryError:
        for kpi in kpis:
            evaluate_with_owners(kpi, con, columns, tz)  # raises, naming the KPI
        raise
    return _collect(rows)


def _measure(kpi: Kpi):
    measure = registry().measures.get(kpi.measure.kind)
    if measure is None:
        raise ComputeError(
            f"KPI '{kpi.id}' uses measure '{kpi.measure.kind}', which no plugin provides"
        )
    return measure


def _collect(rows) -> tuple[Actuals, unassigned.OwnerActuals]:
    """Result rows (kpi_id, period_key, team_id, rep_id, owner_id, grp, actual, records) by
    scope. rep_id and team_id are NULL for records credited to nobody on a team: the org and
    the per-owner rows count those, the rep and team rows must not."""
    actuals: Actuals = {}
    owners: unassigned.OwnerActuals = {}
    for kpi_id, period_key, team_id, rep_id, owner_id, grp, actual, records in rows:
        if grp == GROUP_REP and rep_id is not None:
            actuals[(kpi_id, period_key, "rep", rep_id)] = actual
        elif grp == GROUP_TEAM and team_id is not None:
            actuals[(kpi_id, period_key, "team", team_id)] = actual
        elif grp == GROUP_OWNER:
            owners[(kpi_id, period_key, owner_id)] = (records, normalize(actual))
        elif grp == GROUP_ORG:
            actuals[(kpi_id, period_key, "org", ORG_SCOPE_ID)] = actual
    return actuals, owners


def ratio(kpi: Kpi, actuals: Actuals, config: Config) -> Actuals:
    """numerator / denominator per scope, in percent points when the unit is percent. A
    numerator without rows is 0 when it counts or sums, and no value (so no ratio) when it is
    an average, median, min or max of nothing."""
    numerator, denominator = kpi.measure.numerator, kpi.measure.denominator
    scale = Decimal(100) if kpi.unit == "percent" else Decimal(1)
    zero = Decimal(0) if config.kpi(numerator).measure.additive else None  # type: ignore[arg-type]
    ratios: Actuals = {}
    for (kpi_id, period_key, scope, scope_id), den in actuals.items():
        if kpi_id != denominator or not den:
            continue
        num = actuals.get((numerator, period_key, scope, scope_id))
        if num is None:
            num = zero
        if num is None:
            continue
        ratios[(kpi.id, period_key, scope, scope_id)] = (num * scale / den).quantize(
            Decimal("0.0001")
        )
    return ratios


def _scopes(
    config: Config, teams: tuple[TeamInfo, ...], reps: list[Rep], period: Period, as_of: date
):
    """Who each result is for. A rep's target comes from the team they are on at the period's
    end (``membership.as_placed``): the rep, as placed, stands for them; None when on no team
    that day."""
    placed = membership.as_placed(reps, period, as_of)
    for rep, as_placed in placed:
        yield "rep", rep.id, rep.name, as_placed, None
    members = [p for _, p in placed if p is not None]
    for team in teams:
        yield "team", team.id, team.name, [r for r in members if r.team_id == team.id], \
            config.team(team.id)
    yield "org", ORG_SCOPE_ID, config.org.name, members, None
