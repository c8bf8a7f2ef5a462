"""Targets proposed from history (``kpisync targets suggest``): what the team's good weeks
already reach, stated per ``org.default_period`` so that an admin can paste it into kpis.yaml.

For each team and each additive KPI (count, sum) the team tracks: every active rep's actual in
each of the last N complete weeks, zero weeks included, computed by the KPI's own query over a
periods table of those weeks; pooled per team, their Pth percentile (DuckDB ``quantile_cont``,
interpolated) is a good rep's week. For ``direction: lower`` the (100 - P)th is taken. That
week is converted to the target period (a month is 52/12 weeks, a quarter 13, a fiscal year 52)
and rounded (``round_target``). Averages and ratios are left out: a percentile of weekly
averages is no target for a month.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlglot import exp

from kpisync.compute import engine
from kpisync.compute.measures import RESULT_TYPE
from kpisync.compute.model import Period, Rep
from kpisync.compute.sql import (
    GROUP_REP,
    MEMBERS_TABLE,
    PERIODS_TABLE,
    Params,
    compile_kpi,
)
from kpisync.config.model import Config, Kpi
from kpisync.engines.base import Connection, QueryError, as_engine
from kpisync.errors import ComputeError
from kpisync.registry import registry
from kpisync.sobjects import with_config_objects

#: weeks in each target period, as (numerator, denominator): a month is 52/12 weeks
WEEKS_PER_PERIOD: dict[str, tuple[int, int]] = {
    "month": (52, 12), "quarter": (13, 1), "fiscal_quarter": (13, 1), "year": (52, 1),
}


@dataclass(frozen=True)
class TeamSuggestion:
    """One team's proposed per-rep target for one KPI, and what it was derived from."""

    team_id: str
    #: active reps whose weeks were pooled
    reps: int
    #: the percentile of their weekly actuals
    weekly: Decimal
    #: ``weekly`` converted to the target period, before rounding
    per_period: Decimal
    #: ``per_period`` rounded: the number to paste
    target: Decimal


@dataclass(frozen=True)
class KpiSuggestion:
    kpi_id: str
    direction: str
    #: the most common team target (the first team's on a tie): the KPI's ``per_rep``
    per_rep: Decimal
    #: every team that tracks the KPI and has active reps, in kpis.yaml order
    teams: tuple[TeamSuggestion, ...]
    #: the percentile taken (100 - P for ``direction: lower``)
    percentile: int

    @property
    def overrides(self) -> tuple[TeamSuggestion, ...]:
        """The teams whose target differs from ``per_rep``."""
        return tuple(t for t in self.teams if t.target != self.per_rep)


@dataclass(frozen=True)
class Suggestions:
    weeks: tuple[Period, ...]
    percentile: int
    #: ``org.default_period``, the period the targets are per
    period: str
    kpis: tuple[KpiSuggestion, ...]
    #: KPIs some team tracks that are not additive, so get no suggestion
    skipped: tuple[str, ...]


@with_config_objects
def suggest_targets(
    config: Config, con: Connection, as_of: date, *, weeks: int = 12,
    percentile: int = 80,
) -> Suggestions:
    """Targets from the ``weeks`` complete weeks before ``as_of``'s week, at ``percentile``."""
    if not 0 <= percentile <= 100:
        raise ComputeError(f"the percentile must be 0 to 100, got {percentile}")
    if weeks < 1:
        raise ComputeError(f"at least one week of history is needed, got {weeks}")
    if config.org.default_period not in WEEKS_PER_PERIOD:
        raise ComputeError(
            f"targets are per org.default_period '{config.org.default_period}', for which "
            f"no number of weeks is known; suggestions need one of {', '.join(WEEKS_PER_PERIOD)}"
        )
    columns = engine.table_columns(con)
    reps = [r for r in engine.scored_reps(config, con, columns, as_of) if r.active]
    past = complete_weeks(as_of, config.org.week_start, weeks)
    engine.load_members(con, reps)
    engine.load_periods(con, past)
    tracked = [k for k in config.kpis if any(k.id in t.kpis for t in config.teams)]
    found = []
    for kpi in tracked:
        if kpi.measure.additive:
            found.append(_suggest(config, kpi, con, columns, reps, percentile))
    return Suggestions(
        weeks=past, percentile=percentile, period=config.org.default_period,
        kpis=tuple(s for s in found if s is not None),
        skipped=tuple(k.id for k in tracked if not k.measure.additive),
    )


def complete_weeks(as_of: date, week_start: int, count: int) -> tuple[Period, ...]:
    """The ``count`` whole weeks before the week containing ``as_of``, oldest first; weeks
    start on ``week_start`` (0 = Monday). The running week is left out: it is not over."""
    running = as_of - timedelta(days=(as_of.weekday() - week_start) % 7)
    starts = [running - timedelta(weeks=n) for n in range(count, 0, -1)]
    return tuple(
        Period(key=start.isoformat(), label=f"week of {start}", kind="week", start=start,
               end=start + timedelta(days=6))
        for start in starts
    )


def round_target(value: Decimal) -> Decimal:
    """A whole number with at most three significant digits, halves rounded up: 9.53 → 10,
    270.8 → 271, 2384.6 → 2380. A target is a goal, not a measurement."""
    whole = value.quantize(Decimal(1), ROUND_HALF_UP)
    digits = len(str(abs(int(whole))))
    if digits <= 3:
        return whole
    step = Decimal(10) ** (digits - 3)
    return (value / step).quantize(Decimal(1), ROUND_HALF_UP) * step


def _suggest(config: Config, kpi: Kpi, con: Connection,
             columns: Mapping[str, Mapping[str, str]], reps: list[Rep], percentile: int
             ) -> KpiSuggestion | None:
    taken = 100 - percentile if kpi.direction == "lower" else percentile
    rows = {team_id: (count, weekly)
            for team_id, count, weekly in _percentiles(kpi, con, columns, config, taken)}
    weeks, per = WEEKS_PER_PERIOD[config.org.default_period]
    teams = []
    for team in config.teams:
        if kpi.id not in team.kpis or team.id not in rows:
            continue
        count, weekly = rows[team.id]
        per_period = Decimal(weekly) * weeks / per
        teams.append(TeamSuggestion(team.id, count, engine.normalize(Decimal(weekly)),
                                    per_period, round_target(per_period)))
    if not teams:
        return None
    tally = Counter(t.target for t in teams)
    per_rep = max(tally, key=lambda v: tally[v])  # Counter keeps first-seen order on ties
    return KpiSuggestion(kpi.id, kpi.direction, per_rep, tuple(teams), taken)


def _percentiles(kpi: Kpi, con: Connection,
                 columns: Mapping[str, Mapping[str, str]], config: Config, taken: int
                 ) -> list[tuple[str, int, Decimal]]:
    """Per team: how many reps, and the percentile of their weekly actuals (zero weeks in)."""
    measure = registry().measures.get(kpi.measure.kind)
    if measure is None:
        raise ComputeError(
            f"KPI '{kpi.id}' uses measure '{kpi.measure.kind}', which no plugin provides"
        )
    compiled = compile_kpi(kpi, measure=measure, columns=columns, timezone=config.org.timezone)
    # The KPI query exactly as the scorecard runs it, to build on; its placeholders keep their
    # names, and ours are numbered after them.
    kpi_query = compiled.query.copy()
    params = Params(values=dict(compiled.params))
    k, m, p, w = (exp.to_identifier(a) for a in ("k", "m", "p", "w"))
    weekly = (
        exp.select(
            exp.column("team_id", table=m).as_("team_id"),
            exp.column("rep_id", table=m).as_("rep_id"),
            exp.Coalesce(this=exp.column("actual", table=k),
                         expressions=[exp.Literal.number(0)]).as_("actual"),
        )
        .from_(exp.to_table(MEMBERS_TABLE).as_(m))
        # each week counts for the team the rep was on at its end (members hold dated stretches)
        .join(exp.to_table(PERIODS_TABLE).as_(p),
              on=exp.Between(this=exp.column("period_end", table=p),
                             low=exp.column("valid_from", table=m),
                             high=exp.column("valid_until", table=m)))
        .join(
            exp.to_table("kpi").as_(k),
            on=exp.and_(
                exp.column("grp", table=k).eq(exp.Literal.number(GROUP_REP)),
                exp.column("rep_id", table=k).eq(exp.column("rep_id", table=m)),
                exp.column("period_key", table=k).eq(exp.column("period_key", table=p)),
            ),
            join_type="left",
        )
    )
    fraction = params.bind(Decimal(taken) / 100)
    query = (
        exp.select(
            exp.column("team_id", table=w),
            exp.Count(this=exp.Distinct(expressions=[exp.column("rep_id", table=w)])),
            exp.cast(exp.PercentileCont(this=exp.column("actual", table=w), expression=fraction),
                     RESULT_TYPE),
        )
        .with_("kpi", as_=kpi_query)
        .with_("weekly", as_=weekly)
        .from_(exp.to_table("weekly").as_(w))
        .group_by(exp.column("team_id", table=w))
    )
    on = as_engine(con)
    try:
        return on.execute(query, params.values)
    except QueryError as exc:
        raise ComputeError(
            f"KPI '{kpi.id}' (kpis.yaml line {kpi.line}) failed in {on.name}: {exc}"
        ) from exc
