"""Why one scorecard number is what it is: the SQL, the records it counted, and how its target
and attainment were derived, for one KPI, scope and period (``kpisync explain``).

Explain runs the engine's own steps (``load_members``, ``load_periods``, ``evaluate``,
``ratio``) over the one period asked for, so the actual it shows is the scorecard's by
construction; the records come from the same facts query the KPI query aggregates, joined to
the same members and periods. The target is the engine's too: the same ``TargetBook`` call
on the reps as the engine places them for the period (each on the team they were on at its
end), and what explain prints of it are the steps that call recorded (``targets.Resolved``).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlglot import exp

from kpisync.compute import engine, membership, targets
from kpisync.compute.measures import SqlMeasure
from kpisync.compute.model import ORG_SCOPE_ID, Period, Rep, Scope
from kpisync.compute.period_keys import resolve_period
from kpisync.compute.sql import (
    PERIODS_TABLE,
    Params,
    compile_kpi,
    credited_query,
    facts_query,
)
from kpisync.config.model import Config, Kpi
from kpisync.config.problems import suggestion
from kpisync.engines.base import Connection, as_engine
from kpisync.errors import ComputeError
from kpisync.registry import registry
from kpisync.sobjects import with_config_objects


@dataclass(frozen=True)
class Record:
    """One record the KPI counted: its Salesforce Id, the local day that put it in the period,
    and the value the measure folds (1 for a count, the Amount for a sum, days for a duration)."""

    id: str
    day: date
    value: Any
    #: the credited rep's name; for a record the org counts as unassigned, the owner's Id,
    #: or "(no owner)"
    rep: str


@dataclass(frozen=True)
class Query:
    """One KPI query (a ratio has two): its SQL, what it counted and its actual for the scope."""

    kpi_id: str
    sql: str
    #: the bound values, by placeholder name (``p1`` is ``$p1`` in ``sql``)
    params: dict[str, Any]
    #: the first records by day, then Id; ``record_count`` says how many there are in all
    records: tuple[Record, ...]
    record_count: int
    actual: Decimal | None


@dataclass(frozen=True)
class Explanation:
    kpi: Kpi
    period: Period
    scope: Scope
    scope_id: str
    scope_name: str
    #: for a rep, the team that carries their target for the period: the one they were on at
    #: its end (on the as-of day while it runs); None when on no team that day
    team_id: str | None
    #: the KPI's own query, or a ratio's numerator and denominator queries
    queries: tuple[Query, ...]
    #: exactly the scorecard's numbers for this cell
    actual: Decimal | None
    target: Decimal | None
    attainment: Decimal | None
    #: how the target was derived, exactly as the scorecard's TargetBook resolved it
    derivation: targets.Resolved


@with_config_objects
def explain(
    config: Config,
    con: Connection,
    kpi_id: str,
    *,
    period_key: str | None,
    as_of: date,
    rep: str | None = None,
    team: str | None = None,
    limit: int = 50,
) -> Explanation:
    """Explain ``kpi_id`` for a rep (name, username or Id), a team (id), or the org (neither),
    in the period ``period_key`` (None: the running default period) as the scorecard of
    ``as_of`` computes it. Lookups that find nothing raise ComputeError naming the closest
    matches."""
    kpi = find_kpi(config, kpi_id)
    columns = engine.table_columns(con)
    reps = engine.scored_reps(config, con, columns, as_of)
    period = resolve_period(config.org, period_key, as_of)
    ask = _Ask(config, con, columns, period,
               *_scope(config, membership.as_placed(reps, period, as_of), rep, team),
               names={r.id: r.name for r in reps}, limit=limit, as_of=as_of)

    engine.load_members(con, reps)
    engine.load_periods(con, (ask.period,))
    parts = _parts(config, kpi)
    actuals: engine.Actuals = {}
    for part in parts:
        actuals.update(engine.evaluate(part, con, columns, config.org.timezone))
    if kpi.measure.kind == "ratio":
        actuals.update(engine.ratio(kpi, actuals, config))

    actual = _actual(ask, kpi, actuals)
    derivation = _target(ask, kpi)
    target = derivation.value
    return Explanation(
        kpi=kpi, period=ask.period, scope=ask.scope, scope_id=ask.scope_id,
        scope_name=ask.scope_name,
        team_id=ask.members[0].team_id if ask.scope == "rep" and ask.members else None,
        queries=tuple(_query(ask, part, actuals) for part in parts),
        actual=engine.normalize(actual),
        target=engine.normalize(target),
        attainment=targets.attainment(kpi, actual, target),
        derivation=derivation,
    )


@dataclass(frozen=True)
class _Ask:
    """What is being explained, and the store it is read from."""

    config: Config
    con: Connection
    columns: Mapping[str, Mapping[str, str]]
    period: Period
    scope: Scope
    scope_id: str
    scope_name: str
    #: the reps whose targets make up the scope, as placed for the period (a rep on no team at
    #: the period's end: no one)
    members: list[Rep]
    #: every scored rep's name, by Id
    names: dict[str, str]
    limit: int
    as_of: date


def find_kpi(config: Config, kpi_id: str) -> Kpi:
    try:
        return config.kpi(kpi_id)
    except KeyError:
        choices = [k.id for k in config.kpis]
        raise ComputeError(f"unknown KPI '{kpi_id}'{suggestion(kpi_id, choices)}") from None


def find_rep(reps: list[Rep], text: str) -> Rep:
    """The rep whose name, username or Id is ``text``, case aside (15-character Ids too)."""
    wanted = text.strip().casefold()
    found = [r for r in reps
             if wanted in (r.name.casefold(), r.username.casefold(), r.id.casefold(),
                           r.id[:15].casefold())]
    if len(found) == 1:
        return found[0]
    if found:
        listed = ", ".join(f"{r.name} ({r.username}, {r.id})" for r in found)
        raise ComputeError(f"'{text}' is {len(found)} reps: {listed}; give a username or Id")
    by_key = {key.casefold(): r for r in reps for key in (r.name, r.username) if key}
    close = dict.fromkeys(by_key[k] for k in difflib.get_close_matches(wanted, list(by_key),
                                                                       n=3, cutoff=0.6))
    hint = ("; close matches: " + ", ".join(f"{r.name} ({r.username})" for r in close)
            if close else "")
    raise ComputeError(f"no rep '{text}' on any team (by name, username or Id){hint}")


def _scope(config: Config, placed: list[tuple[Rep, Rep | None]], rep: str | None,
           team: str | None) -> tuple[Scope, str, str, list[Rep]]:
    """The scope asked for: its kind, id and name, and the reps that make it up, each as
    placed for the period (``membership.as_placed``), as the engine's scopes are."""
    members = [p for _, p in placed if p is not None]
    if rep is not None:
        found = find_rep([r for r, _ in placed], rep)
        as_placed = next(p for r, p in placed if r.id == found.id)
        return "rep", found.id, found.name, [as_placed] if as_placed else []
    if team is not None:
        ids = [t.id for t in config.teams]
        if team not in ids:
            raise ComputeError(f"unknown team '{team}'{suggestion(team, ids)}")
        return "team", team, config.team(team).name, [r for r in members if r.team_id == team]
    return "org", ORG_SCOPE_ID, config.org.name, members


def _parts(config: Config, kpi: Kpi) -> tuple[Kpi, ...]:
    """The KPIs with a query behind ``kpi``: itself, or a ratio's numerator and denominator."""
    formula = kpi.measure.formula
    if formula is not None:
        raise ComputeError(f"KPI '{kpi.id}' is a formula ({formula.text}): explain the KPIs it "
                           f"uses one by one: {', '.join(formula.kpi_ids)}")
    if kpi.measure.kind != "ratio":
        return (kpi,)
    measure = kpi.measure
    return (config.kpi(measure.numerator), config.kpi(measure.denominator))  # type: ignore[arg-type]


def _actual(ask: _Ask, kpi: Kpi, actuals: engine.Actuals) -> Decimal | None:
    """The actual as the scorecard states it: no records is zero calls, not unknown."""
    actual = actuals.get((kpi.id, ask.period.key, ask.scope, ask.scope_id))
    if actual is None and kpi.measure.additive:
        return Decimal(0)
    return actual


def _query(ask: _Ask, kpi: Kpi, actuals: engine.Actuals) -> Query:
    measure = registry().measures[kpi.measure.kind]  # evaluate has checked it exists
    compiled = compile_kpi(kpi, measure=measure, columns=ask.columns,
                           timezone=ask.config.org.timezone)
    rows, count = _records(ask, kpi, measure)
    return Query(
        kpi_id=kpi.id, params=compiled.params,
        # as the engine runs it: the store's DuckDB, or PostgreSQL's or Spark's dialect
        sql=compiled.query.sql(dialect=as_engine(ask.con).dialect, pretty=True),
        records=tuple(Record(id=i, day=d, value=v, rep=ask.names.get(r, r or "(no owner)"))
                      for i, d, v, r in rows),
        record_count=count,
        actual=engine.normalize(_actual(ask, kpi, actuals)),
    )


def _records(ask: _Ask, kpi: Kpi, measure: SqlMeasure) -> tuple[list[tuple], int]:
    """The scope's records in the loaded period, joined as the KPI query joins them: the first
    ``limit`` (Id, day, value, rep Id) by day then Id, and how many there are in all."""
    params = Params()
    joined = records_query(kpi, measure, ask.columns, ask.config.org.timezone, params)
    c = exp.to_identifier("c")
    if ask.scope != "org":
        column = "rep_id" if ask.scope == "rep" else "team_id"
        joined = joined.where(exp.column(column, table=c).eq(params.bind(ask.scope_id)))
    on = as_engine(ask.con)
    ((count,),) = on.execute(joined.select(exp.Count(this=exp.Star())), params.values)
    record_id = exp.column("Id", table=c, quoted=True)
    credited = exp.Coalesce(this=exp.column("rep_id", table=c),
                            expressions=[exp.column("owner_id", table=c)])
    listing = (
        joined.select(record_id, exp.column("day", table=c), exp.column("value", table=c),
                      credited)
        .order_by(exp.column("day", table=c), record_id.copy())
        .limit(params.bind(ask.limit))
    )
    return on.execute(listing, params.values), count


def records_query(kpi: Kpi, measure: SqlMeasure, columns: Mapping[str, Mapping[str, str]],
                  timezone: str, params: Params, extra_fields: tuple[str, ...] = ("Id",)
                  ) -> exp.Select:
    """The KPI's records in the loaded periods, joined as the KPI query joins them, with no
    columns selected yet: ``c`` is each record credited to its rep and team on its day (the
    org's unassigned records have no rep, their owner in ``owner_id``) with ``extra_fields``,
    ``p`` the period it falls in. Explain and the site's drill-through list records from it."""
    facts = facts_query(kpi, measure=measure, columns=columns, timezone=timezone,
                        params=params, extra_fields=extra_fields)
    c, p = (exp.to_identifier(a) for a in ("c", "p"))
    return (
        exp.select()
        .with_("facts", as_=facts)
        .with_("credited", as_=credited_query(extra_fields))
        .from_(exp.to_table("credited").as_(c))
        .join(exp.to_table(PERIODS_TABLE).as_(p),
              on=exp.Between(this=exp.column("day", table=c),
                             low=exp.column("period_start", table=p),
                             high=exp.column("period_end", table=p)))
    )


def _target(ask: _Ask, kpi: Kpi) -> targets.Resolved:
    """The scope's target and its derivation, by the very call the scorecard makes."""
    book = targets.TargetBook(ask.config)
    if ask.scope == "rep":
        if not ask.members:
            day = min(ask.period.end, ask.as_of)
            return targets.Resolved(None, missing=f"on no team on {day}")
        return book.rep(kpi, ask.members[0], ask.period)
    team = ask.config.team(ask.scope_id) if ask.scope == "team" else None
    return book.group(kpi, ask.members, ask.period, team)
