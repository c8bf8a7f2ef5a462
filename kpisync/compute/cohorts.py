"""Cohort conversion: of the base KPI's records in a period, the share followed by a conversion.

A period ratio (this month's opportunities over this month's meetings) mixes populations: the
opportunities may come from last month's meetings. A cohort step follows the records instead,
in the spirit of dbt MetricFlow's conversion metrics:

- the **base events** are the base KPI's records, each on its local day and credited to its rep;
- a **conversion** is a record of the conversion KPI for the same entity (the account, the
  contact or lead, or a named field pair) on the same day as a base event or up to
  ``within_days`` days after it;
- each conversion goes to its **nearest earlier** base event (the latest day; on a tie, the
  lowest Id), so it is counted once, for that base event's rep and period, even when the
  conversion itself falls in a later period;
- ``converted`` is the number of base events in the period that received at least one
  conversion, and ``rate = converted / base``: a share of base events, 0..1.

Conversions match across all synced base events, not only those in the window or of scored
reps: a manager's meeting that came nearer to the deal takes it. Records without an entity key
are base events that can never convert, and conversions that match nothing.

    WITH base, conversions            -- facts_query of each KPI, with Id and the entity key
      nearest AS (each conversion x its in-window base events, ranked by nearness)
      converted AS (base Ids ranked first by some conversion)
      flagged AS (base events with a converted flag)
    SELECT period, team, rep, COUNT(*), COUNT(*) FILTER (WHERE converted) ... GROUPING SETS
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from sqlglot import exp

from kpisync.compute.grouping import by_scope, fact, scope_keys, scope_of
from kpisync.compute.measures import BUILTIN_MEASURES
from kpisync.compute.model import CohortResult, Period, Rep, TeamInfo
from kpisync.compute.sql import CompiledKpi, Params, facts_query
from kpisync.config.model import CohortStep, Config
from kpisync.engines.base import Connection, QueryError, as_engine
from kpisync.errors import ComputeError

COUNT = next(m for m in BUILTIN_MEASURES if m.name == "count")


def cohort_results(
    config: Config,
    con: Connection,
    columns: Mapping[str, Mapping[str, str]],
    periods: Iterable[Period],
    reps: Iterable[Rep],
    teams: Iterable[TeamInfo],
) -> tuple[CohortResult, ...]:
    """Every cohort step for every period and scope (reps, teams, org), zeros included. The
    members and periods tables must be loaded (the engine does so first)."""
    periods, scopes = list(periods), list(scope_keys(reps, teams))
    results: list[CohortResult] = []
    for step in config.cohorts:
        counts = _counts(step, config, con, columns)
        for period in periods:
            for scope, scope_id in scopes:
                base, converted = counts.get((period.key, scope, scope_id), (0, 0))
                results.append(CohortResult(
                    from_kpi=step.from_kpi, to_kpi=step.to_kpi, period_key=period.key,
                    scope=scope, scope_id=scope_id, base=base, converted=converted,
                    rate=share(converted, base),
                ))
    return tuple(results)


def share(part: int, whole: int) -> Decimal | None:
    """part / whole to four places; None for an empty whole (no rate, never 0 %)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


def compile_cohort(step: CohortStep, config: Config,
                   columns: Mapping[str, Mapping[str, str]]) -> CompiledKpi:
    """The one query for ``step``: base and converted counts per period and scope."""
    params = Params()
    tz = config.org.timezone

    def events(kpi_id: str, key: str) -> exp.Select:
        return facts_query(config.kpi(kpi_id), measure=COUNT, columns=columns, timezone=tz,
                           params=params, extra_fields=tuple(dict.fromkeys(("Id", key))))

    base = events(step.from_kpi, step.from_field)
    conversions = events(step.to_kpi, step.to_field)
    query = (
        by_scope("flagged", [
            exp.Count(this=exp.Star()).as_("base"),
            exp.Filter(this=exp.Count(this=exp.Star()),
                       expression=exp.Where(this=fact("converted"))).as_("converted"),
        ])
        .with_("base", as_=base)
        .with_("conversions", as_=conversions)
        .with_("nearest", as_=_nearest(step, params))
        .with_("converted", as_=_converted())
        .with_("flagged", as_=_flagged())
    )
    return CompiledKpi(f"{step.from_kpi}>{step.to_kpi}", query, params.values)


def _nearest(step: CohortStep, params: Params) -> exp.Select:
    """Each conversion with every base event of its entity in the window before it, ranked 1
    for the nearest (latest day, then lowest Id)."""
    b, c = exp.to_identifier("b"), exp.to_identifier("c")
    base_day, conversion_day = exp.column("day", table=b), exp.column("day", table=c)
    base_id = exp.column("Id", table=b, quoted=True)
    nearness = exp.Window(
        this=exp.RowNumber(),
        partition_by=[exp.column("Id", table=c, quoted=True)],
        order=exp.Order(expressions=[exp.Ordered(this=base_day.copy(), desc=True),
                                     exp.Ordered(this=base_id.copy())]),
    )
    days_after = exp.DateDiff(this=conversion_day.copy(), expression=base_day.copy(),
                              unit=exp.var("DAY"))
    same_entity = exp.column(step.from_field, table=b, quoted=True).eq(
        exp.column(step.to_field, table=c, quoted=True))
    return (
        exp.select(base_id.as_("base_id"), nearness.as_("nearness"))
        .from_(exp.to_table("conversions").as_(c))
        .join(
            exp.to_table("base").as_(b),
            on=exp.and_(same_entity, exp.LTE(this=base_day, expression=conversion_day),
                        exp.LTE(this=days_after, expression=params.bind(step.within_days))),
        )
    )


def _converted() -> exp.Select:
    n = exp.to_identifier("n")
    return (
        exp.select(exp.column("base_id", table=n)).distinct()
        .from_(exp.to_table("nearest").as_(n))
        .where(exp.column("nearness", table=n).eq(exp.Literal.number(1)))
    )


def _flagged() -> exp.Select:
    b, v = exp.to_identifier("b"), exp.to_identifier("v")
    converted = exp.not_(exp.Is(this=exp.column("base_id", table=v), expression=exp.null()))
    return (
        exp.select(exp.column("rep_id", table=b), exp.column("day", table=b),
                   converted.as_("converted"))
        .from_(exp.to_table("base").as_(b))
        .join(exp.to_table("converted").as_(v),
              on=exp.column("base_id", table=v).eq(exp.column("Id", table=b, quoted=True)),
              join_type="left")
    )


def _counts(step: CohortStep, config: Config, con: Connection,
            columns: Mapping[str, Mapping[str, str]]) -> dict[tuple[str, ...], tuple[int, int]]:
    compiled = compile_cohort(step, config, columns)
    try:
        rows = as_engine(con).execute(compiled.query, compiled.params)
    except QueryError as exc:
        raise ComputeError(
            f"cohort step {step.from_kpi} to {step.to_kpi} (kpis.yaml line {step.line}) failed "
            f"in {as_engine(con).name}: {exc}"
        ) from exc
    return {(period_key, *scope_of(grp, team_id, rep_id)): (base, converted)
            for period_key, team_id, rep_id, grp, base, converted in rows}
