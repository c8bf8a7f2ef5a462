"""Why one scorecard number is what it is: the SQL, the records it counted, and how its target
and attainment were derived, for one KPI, scope and period (``kpisync explain``).

Explain runs the engine's own steps (``load_members``, ``load_periods``, ``evaluate``,
``ratio``) over the one period asked for, so the actual it shows is the scorecard's by
construction; the records come from the same facts query the KPI query aggregates, joined to
the same members and periods. Targets are derived with ``compute.targets``, term by term.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
from sqlglot import exp

from kpisync.compute import engine, targets
from kpisync.compute.measures import SqlMeasure
from kpisync.compute.model import ORG_SCOPE_ID, Period, Rep, Scope
from kpisync.compute.period_keys import resolve_period
from kpisync.compute.sql import (
    DIALECT,
    PERIODS_TABLE,
    Params,
    compile_kpi,
    credited_query,
    facts_query,
)
from kpisync.config.model import Config, Kpi, Team
from kpisync.config.problems import suggestion
from kpisync.errors import ComputeError
from kpisync.registry import registry


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
class TargetTerm:
    """One term of a target: a rep's per-period target (or, for averages and ratios, the
    scope's), the line of ``target:`` it came from, and the periods it is multiplied by."""

    who: str
    per_period: Decimal | None
    #: ``target.per_rep``, ``override team ae``, ``inactive``, ``team sdr does not track revenue``
    source: str
    multiplier: int
    target: Decimal | None


@dataclass(frozen=True)
class Explanation:
    kpi: Kpi
    period: Period
    scope: Scope
    scope_id: str
    scope_name: str
    #: the rep's team, for a rep
    team_id: str | None
    #: the KPI's own query, or a ratio's numerator and denominator queries
    queries: tuple[Query, ...]
    #: exactly the scorecard's numbers for this cell
    actual: Decimal | None
    target: Decimal | None
    attainment: Decimal | None
    #: the terms of the target; several when a team's or the org's target is a sum over reps
    target_terms: tuple[TargetTerm, ...]
    target_is_sum: bool
    #: the period kind targets are stated per (``org.default_period``)
    target_period: str


def explain(
    config: Config,
    con: duckdb.DuckDBPyConnection,
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
    ask = _Ask(config, con, columns, resolve_period(config.org, period_key, as_of),
               *_scope(config, reps, rep, team), names={r.id: r.name for r in reps},
               limit=limit)

    engine.load_members(con, reps)
    engine.load_periods(con, (ask.period,))
    parts = _parts(config, kpi)
    actuals: engine.Actuals = {}
    for part in parts:
        actuals.update(engine.evaluate(part, con, columns, config.org.timezone))
    if kpi.measure.kind == "ratio":
        actuals.update(engine.ratio(kpi, actuals, config))

    actual = _actual(ask, kpi, actuals)
    target = _target(ask, kpi)
    terms, is_sum = _target_terms(ask, kpi)
    return Explanation(
        kpi=kpi, period=ask.period, scope=ask.scope, scope_id=ask.scope_id,
        scope_name=ask.scope_name,
        team_id=ask.members[0].team_id if ask.scope == "rep" else None,
        queries=tuple(_query(ask, part, actuals) for part in parts),
        actual=engine.normalize(actual),
        target=engine.normalize(target),
        attainment=targets.attainment(kpi, actual, target),
        target_terms=terms,
        target_is_sum=is_sum,
        target_period=config.org.default_period,
    )


@dataclass(frozen=True)
class _Ask:
    """What is being explained, and the store it is read from."""

    config: Config
    con: duckdb.DuckDBPyConnection
    columns: Mapping[str, Mapping[str, str]]
    period: Period
    scope: Scope
    scope_id: str
    scope_name: str
    #: the reps whose records and targets make up the scope
    members: list[Rep]
    #: every scored rep's name, by Id
    names: dict[str, str]
    limit: int


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


def _scope(config: Config, reps: list[Rep], rep: str | None, team: str | None
           ) -> tuple[Scope, str, str, list[Rep]]:
    """The scope asked for: its kind, id and name, and the reps that make it up."""
    if rep is not None:
        found = find_rep(reps, rep)
        return "rep", found.id, found.name, [found]
    if team is not None:
        ids = [t.id for t in config.teams]
        if team not in ids:
            raise ComputeError(f"unknown team '{team}'{suggestion(team, ids)}")
        return "team", team, config.team(team).name, [r for r in reps if r.team_id == team]
    return "org", ORG_SCOPE_ID, config.org.name, reps


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
        kpi_id=kpi.id, sql=compiled.sql, params=compiled.params,
        records=tuple(Record(id=i, day=d, value=v, rep=ask.names.get(r, r or "(no owner)"))
                      for i, d, v, r in rows),
        record_count=count,
        actual=engine.normalize(_actual(ask, kpi, actuals)),
    )


def _records(ask: _Ask, kpi: Kpi, measure: SqlMeasure) -> tuple[list[tuple], int]:
    """The scope's records in the loaded period, joined as the KPI query joins them: the first
    ``limit`` (Id, day, value, rep Id) by day then Id, and how many there are in all."""
    params = Params()
    facts = facts_query(kpi, measure=measure, columns=ask.columns,
                        timezone=ask.config.org.timezone, params=params, extra_fields=("Id",))
    # credited: each record with its rep and team on its day; the org's unassigned records
    # (no rep) show their owner's Id instead
    c, p = (exp.to_identifier(a) for a in ("c", "p"))
    joined = (
        exp.select()
        .with_("facts", as_=facts)
        .with_("credited", as_=credited_query(("Id",)))
        .from_(exp.to_table("credited").as_(c))
        .join(exp.to_table(PERIODS_TABLE).as_(p),
              on=exp.Between(this=exp.column("day", table=c),
                             low=exp.column("period_start", table=p),
                             high=exp.column("period_end", table=p)))
    )
    if ask.scope != "org":
        column = "rep_id" if ask.scope == "rep" else "team_id"
        joined = joined.where(exp.column(column, table=c).eq(params.bind(ask.scope_id)))
    count_sql = joined.select(exp.Count(this=exp.Star())).sql(dialect=DIALECT)
    (count,) = ask.con.execute(count_sql, params.values).fetchone()  # type: ignore[misc]
    record_id = exp.column("Id", table=c, quoted=True)
    credited = exp.Coalesce(this=exp.column("rep_id", table=c),
                            expressions=[exp.column("owner_id", table=c)])
    listing = (
        joined.select(record_id, exp.column("day", table=c), exp.column("value", table=c),
                      credited)
        .order_by(exp.column("day", table=c), record_id.copy())
        .limit(params.bind(ask.limit))
    )
    return ask.con.execute(listing.sql(dialect=DIALECT), params.values).fetchall(), count


def _target(ask: _Ask, kpi: Kpi) -> Decimal | None:
    """The scope's target, by the very calls the scorecard makes."""
    if ask.scope == "rep":
        return targets.rep_target(ask.config, kpi, ask.members[0], ask.period)
    team = ask.config.team(ask.scope_id) if ask.scope == "team" else None
    return targets.group_target(ask.config, kpi, ask.members, ask.period, team)


def _target_terms(ask: _Ask, kpi: Kpi) -> tuple[tuple[TargetTerm, ...], bool]:
    """The terms the target is made of, and whether it is their sum (counts and sums of a team
    or the org) rather than one number."""
    config = ask.config
    if kpi.target is None:
        return (), False
    multiplier = targets.period_multiplier(config, kpi, ask.period)
    if ask.scope == "rep" or kpi.measure.additive:
        terms = tuple(_rep_term(config, kpi, rep, multiplier) for rep in ask.members)
        return terms, ask.scope != "rep"
    if ask.scope == "org":
        per_rep = kpi.target.per_rep
        return (TargetTerm(config.org.name, per_rep, "target.per_rep", 1, per_rep),), False
    team = config.team(ask.scope_id)
    if kpi.id not in team.kpis:
        return (TargetTerm(team.name, None, f"team {team.id} does not track {kpi.id}", 1,
                           None),), False
    per_period = targets.per_rep_target(kpi, team, None)
    return (TargetTerm(team.name, per_period, target_source(kpi, team, None), 1, per_period),
            ), False


def _rep_term(config: Config, kpi: Kpi, rep: Rep, multiplier: int) -> TargetTerm:
    team = config.team(rep.team_id)
    if kpi.id not in team.kpis:
        return TargetTerm(rep.name, None, f"team {team.id} does not track {kpi.id}", multiplier,
                          None)
    if not rep.active:
        return TargetTerm(rep.name, None, "inactive", multiplier, None)
    per_period = targets.per_rep_target(kpi, team, rep)
    total = None if per_period is None else per_period * multiplier
    return TargetTerm(rep.name, engine.normalize(per_period), target_source(kpi, team, rep),
                      multiplier, engine.normalize(total))


def target_source(kpi: Kpi, team: Team, rep: Rep | None) -> str:
    """Which line of ``target:`` gives ``rep`` (a typical rep of ``team`` when None) its
    per-period target: ``target.per_rep`` or ``override <scope> <match>``.

    Asks ``targets.per_rep_target`` itself, one override at a time, so the matching rules stay
    in one place; two matching overrides with the same number give the same target, so naming
    either is true."""
    assert kpi.target is not None
    value = targets.per_rep_target(kpi, team, rep)
    for override in kpi.target.overrides:
        alone = replace(kpi, target=replace(kpi.target, per_rep=None, overrides=(override,)))
        if override.per_rep == value and targets.per_rep_target(alone, team, rep) is not None:
            return f"override {override.scope} {override.match}"
    return "target.per_rep"
