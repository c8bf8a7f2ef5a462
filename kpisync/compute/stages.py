"""The opportunity stage analysis: stage-to-stage conversion, days in stage, pipeline flow.

Read from OpportunityHistory, one row per change of an opportunity (Salesforce also writes a
row when only the amount or close date changes), credited like every OpportunityHistory KPI
to the opportunity's owner, and put in periods by the row's local day:

- **conversion** X → Y (Y the stage listed after X): of the opportunities that entered X in
  the period (a history row in X whose previous row had another stage, or none), those with a
  later row (any time after) in Y or in a stage listed after Y. A deal that skips Y
  (Prospecting straight to Proposal) has passed it; a deal that falls back, or goes to a stage
  not listed (Closed Lost), has not. A row that only repeats the stage (an amount change) is
  not an entry, so a deal sitting in X is not counted again every period it is edited.
- **days in stage**: a stay starts at the row entering the stage (its stage differs from the
  row before) and ends at the next row with a different stage; its length is the number of
  local days between the two. A stay counts for the period in which it ended; stays not yet
  ended (deals still in the stage, and every closed deal's last stage) are left out, so a
  long stall shows once it ends rather than dragging a running average.
- **pipeline**: the Amount of opportunities created in the period (by CreatedDate) against
  those closed in it (by CloseDate), won and lost separately.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from itertools import pairwise

from sqlglot import exp

from kpisync.compute.cohorts import COUNT, share
from kpisync.compute.grouping import by_scope, fact, scope_keys, scope_of
from kpisync.compute.measures import RESULT_TYPE
from kpisync.compute.model import (
    Period,
    PipelineFlow,
    Rep,
    StageConversion,
    StageReport,
    StageTime,
    TeamInfo,
)
from kpisync.compute.sql import Params, facts_query
from kpisync.config.kpis import PARENT_OWNER
from kpisync.config.model import Config, Filter, Kpi, Measure
from kpisync.engines.base import Connection, QueryError, as_engine
from kpisync.errors import ComputeError

#: the fields the queries read, checked up front so a missing one says to sync
_READS = {
    "OpportunityHistory": ("Id", "IsDeleted", "OpportunityId", "StageName", "CreatedDate"),
    "Opportunity": ("Id", "IsDeleted", "OwnerId", "Amount", "CreatedDate", "CloseDate",
                    "IsClosed", "IsWon"),
}
_HISTORY_FIELDS = ("Id", "OpportunityId", "StageName", "CreatedDate")

Counts = dict[tuple, tuple]


def stage_report(
    config: Config,
    con: Connection,
    columns: Mapping[str, Mapping[str, str]],
    periods: Iterable[Period],
    reps: Iterable[Rep],
    teams: Iterable[TeamInfo],
) -> StageReport:
    """The stage analysis for every period and scope, or an empty report without ``stages``.
    The members and periods tables must be loaded (the engine does so first)."""
    if not config.stages:
        return StageReport()
    _check_store(columns)
    grid = [(p.key, scope, scope_id) for p in periods for scope, scope_id in
            scope_keys(reps, teams)]
    stages, tz = config.stages, config.org.timezone
    return StageReport(
        conversions=_conversions(stages, grid,
                                 _run(con, _conversion_query(stages, columns, tz), keys=1)),
        times=_times(stages, grid, _run(con, _time_query(stages, columns, tz), keys=1)),
        pipeline=_pipeline(grid, _run(con, _created_query(columns, tz)),
                           _run(con, _closed_query(columns, tz))),
    )


def _check_store(columns: Mapping[str, Mapping[str, str]]) -> None:
    for sobject, names in _READS.items():
        for name in names:
            if name not in columns.get(sobject, {}):
                raise ComputeError(
                    f"the stage analysis (stages in kpis.yaml) reads {sobject}.{name}, which "
                    "the store does not have: run `kpisync sync` to fetch the fields kpis.yaml "
                    "now needs"
                )


def _records(source: str, date_field: str, credit: str, *filters: Filter) -> Kpi:
    """The records a query reads, as a KPI would read them (live, credited, on a local day)."""
    return Kpi(id="stages", name="Stage analysis", tier="objectives", type="leading",
               unit="count", measure=Measure("count"), source=source, filters=filters,
               date_field=date_field, credit_field=credit)


def _facts(kpi: Kpi, extra: tuple[str, ...], columns, tz: str, params: Params) -> exp.Select:
    return facts_query(kpi, measure=COUNT, columns=columns, timezone=tz, params=params,
                       extra_fields=extra)


def _stage_ctes(stages: tuple[str, ...], columns, tz: str, params: Params
                ) -> list[tuple[str, exp.Select]]:
    """``history`` (live rows, credited, on their local day), ``funnel`` (the listed stages
    and their positions, names bound as parameters) and ``entered`` (the history rows that
    enter a stage: their stage differs from the opportunity's row before)."""
    kpi = _records("OpportunityHistory", "CreatedDate", PARENT_OWNER)
    history = _facts(kpi, _HISTORY_FIELDS, columns, tz, params)
    rows = [(params.bind(name), exp.Literal.number(i)) for i, name in enumerate(stages)]
    funnel = exp.select("*").from_(exp.values(rows, alias="funnel",
                                              columns=["stage", "position"]))
    ordered = (
        exp.select(*(_col(name, "h") for name in ("rep_id", "day", *_HISTORY_FIELDS)),
                   exp.Window(this=exp.Lag(this=_col("StageName", "h")), **_in_order("h"))
                   .as_("previous_stage"))
        .from_(exp.to_table("history").as_("h"))
    )
    entered = (
        exp.select(*(_col(name, "o") for name in ("rep_id", "day", *_HISTORY_FIELDS)))
        .from_(exp.to_table("ordered").as_("o"))
        .where(exp.NullSafeNEQ(this=_col("previous_stage", "o"),
                               expression=_col("StageName", "o")))
    )
    return [("history", history), ("funnel", funnel), ("ordered", ordered),
            ("entered", entered)]


def _in_order(table: str) -> dict:
    """An opportunity's history rows in the order they were written."""
    return {"partition_by": [_col("OpportunityId", table)],
            "order": exp.Order(expressions=[exp.Ordered(this=_col("CreatedDate", table)),
                                            exp.Ordered(this=_col("Id", table))])}


def _col(name: str, table: str) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def _with(query: exp.Select, ctes: list[tuple[str, exp.Select]]) -> exp.Select:
    for name, cte in ctes:
        query = query.with_(name, as_=cte)
    return query


def _conversion_query(stages: tuple[str, ...], columns, tz: str) -> tuple[exp.Expression, dict]:
    params = Params()
    ctes = _stage_ctes(stages, columns, tz, params)
    later = (  # a row of the same opportunity, after this one, in a stage listed further on
        exp.select(exp.Literal.number(1))
        .from_(exp.to_table("history").as_("l"))
        .join(exp.to_table("funnel").as_("ls"), on=_col("stage", "ls").eq(_col("StageName", "l")))
        .where(exp.and_(
            _col("OpportunityId", "l").eq(_col("OpportunityId", "e")),
            exp.GT(this=_col("position", "ls"), expression=_col("position", "s")),
            exp.GT(this=_col("CreatedDate", "l"), expression=_col("CreatedDate", "e")),
        ))
    )
    entries = (
        exp.select(_col("rep_id", "e"), _col("day", "e"),
                   _col("OpportunityId", "e").as_("opportunity_id"), _col("position", "s"),
                   exp.Exists(this=later).as_("advanced"))
        .from_(exp.to_table("entered").as_("e"))
        .join(exp.to_table("funnel").as_("s"), on=_col("stage", "s").eq(_col("StageName", "e")))
    )
    opportunities = exp.Count(this=exp.Distinct(expressions=[fact("opportunity_id")]))
    query = by_scope("entries", [
        opportunities.as_("reached"),
        exp.Filter(this=opportunities.copy(),
                   expression=exp.Where(this=fact("advanced"))).as_("advanced"),
    ], keys=[fact("position")])
    query = _with(query, [*ctes, ("entries", entries)])
    return query, params.values


def _time_query(stages: tuple[str, ...], columns, tz: str) -> tuple[exp.Expression, dict]:
    params = Params()
    ctes = _stage_ctes(stages, columns, tz, params)
    stays = (  # from entering a stage to entering the next
        exp.select(_col("rep_id", "e"), _col("StageName", "e"),
                   _col("day", "e").as_("entered_on"),
                   exp.Window(this=exp.Lead(this=_col("day", "e")), **_in_order("e"))
                   .as_("left_on"))
        .from_(exp.to_table("entered").as_("e"))
    )
    ended = (
        exp.select(_col("rep_id", "s"), _col("left_on", "s").as_("day"), _col("position", "fn"),
                   exp.DateDiff(this=_col("left_on", "s"), expression=_col("entered_on", "s"),
                                unit=exp.var("DAY")).as_("days"))
        .from_(exp.to_table("stays").as_("s"))
        .join(exp.to_table("funnel").as_("fn"), on=_col("stage", "fn").eq(_col("StageName", "s")))
        .where(exp.not_(exp.Is(this=_col("left_on", "s"), expression=exp.null())))
    )
    query = by_scope("ended", [
        exp.Count(this=exp.Star()).as_("exits"),
        exp.cast(exp.Avg(this=fact("days")), RESULT_TYPE).as_("average_days"),
    ], keys=[fact("position")])
    query = _with(query, [*ctes, ("stays", stays), ("ended", ended)])
    return query, params.values


def _amount(condition: exp.Expression | None = None) -> exp.Expression:
    total = exp.Sum(this=fact("Amount"))
    if condition is not None:
        total = exp.Filter(this=total, expression=exp.Where(this=condition))
    return exp.Coalesce(this=total, expressions=[exp.Literal.number(0)])


def _created_query(columns, tz: str) -> tuple[exp.Expression, dict]:
    params = Params()
    created = _facts(_records("Opportunity", "CreatedDate", "OwnerId"), ("Amount",), columns,
                     tz, params)
    query = by_scope("created", [exp.Count(this=exp.Star()).as_("n"), _amount().as_("amount")]
                     ).with_("created", as_=created)
    return query, params.values


def _closed_query(columns, tz: str) -> tuple[exp.Expression, dict]:
    params = Params()
    kpi = _records("Opportunity", "CloseDate", "OwnerId", Filter("IsClosed", "eq", True))
    closed = _facts(kpi, ("Amount", "IsWon"), columns, tz, params)
    won = exp.Coalesce(this=fact("IsWon"), expressions=[exp.false()])

    def count(condition: exp.Expression) -> exp.Expression:
        return exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=condition))

    query = by_scope("closed", [
        count(won).as_("won_n"), _amount(won.copy()).as_("won"),
        count(exp.not_(won.copy())).as_("lost_n"), _amount(exp.not_(won.copy())).as_("lost"),
    ]).with_("closed", as_=closed)
    return query, params.values


def _run(con: Connection, compiled: tuple[exp.Expression, dict], keys: int = 0) -> Counts:
    """Rows by (period_key, scope, scope_id, then ``keys`` key columns): the values after."""
    query, params = compiled
    engine = as_engine(con)
    try:
        rows = engine.execute(query, params)
    except QueryError as exc:
        raise ComputeError(f"the stage analysis (stages in kpis.yaml) failed in {engine.name}: "
                           f"{exc}") from exc
    return {(period_key, *scope_of(grp, team_id, rep_id), *rest[:keys]): tuple(rest[keys:])
            for period_key, team_id, rep_id, grp, *rest in rows}


def _conversions(stages: tuple[str, ...], grid: list[tuple], counts: Counts
                 ) -> tuple[StageConversion, ...]:
    found = []
    for position, (stage, following) in enumerate(pairwise(stages)):
        for period_key, scope, scope_id in grid:
            reached, advanced = counts.get((period_key, scope, scope_id, position), (0, 0))
            found.append(StageConversion(
                from_stage=stage, to_stage=following, period_key=period_key, scope=scope,
                scope_id=scope_id, reached=reached, advanced=advanced,
                rate=share(advanced, reached),
            ))
    return tuple(found)


def _times(stages: tuple[str, ...], grid: list[tuple], counts: Counts) -> tuple[StageTime, ...]:
    found = []
    for position, stage in enumerate(stages):
        for period_key, scope, scope_id in grid:
            exits, days = counts.get((period_key, scope, scope_id, position), (0, None))
            found.append(StageTime(stage=stage, period_key=period_key, scope=scope,
                                   scope_id=scope_id, exits=exits, average_days=days))
    return tuple(found)


def _pipeline(grid: list[tuple], created: Counts, closed: Counts) -> tuple[PipelineFlow, ...]:
    zero = Decimal(0)
    found = []
    for cell in grid:
        created_count, created_amount = created.get(cell, (0, zero))
        won_count, won_amount, lost_count, lost_amount = closed.get(cell, (0, zero, 0, zero))
        found.append(PipelineFlow(
            period_key=cell[0], scope=cell[1], scope_id=cell[2],
            created_count=created_count, created_amount=created_amount,
            won_count=won_count, won_amount=won_amount,
            lost_count=lost_count, lost_amount=lost_amount,
        ))
    return tuple(found)
