"""Per rep, per team and for the org in one pass: the grouping the cohort and stage queries share.

A KPI query (compute/sql.py) groups its facts the same way; these queries group facts of
their own (base events, stage entries, opportunities) and read the rows back into the same
scopes. Each row of ``by_scope`` says by its ``grp`` column which grouping set it belongs to.

As in a KPI query, a rep's row holds all their facts in the period (one row, whatever teams
they were on), and a team's row the facts of the days its reps were on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlglot import exp

from kpisync.compute.model import ORG_SCOPE_ID, Rep, Scope, TeamInfo
from kpisync.compute.sql import MEMBERS_TABLE, PERIODS_TABLE

# GROUPING(team_id, rep_id) of by_scope's sets, (period, rep), (period, team) and (period): a
# bit is set for each column the set leaves out (the KPI query's own sets: compute/sql.py)
GROUP_REP, GROUP_TEAM, GROUP_ORG = 0b10, 0b01, 0b11

#: the alias of the grouped facts in ``by_scope``: aggregates refer to their columns through it
FACTS = exp.to_identifier("f")


def fact(column: str) -> exp.Column:
    """A column of the grouped facts."""
    return exp.column(column, table=FACTS, quoted=True)


def by_scope(
    facts: str,
    aggregates: Sequence[exp.Expression],
    *,
    keys: Sequence[exp.Expression] = (),
    day: str = "day",
) -> exp.Select:
    """``SELECT period_key, team_id, rep_id, grp, *keys, *aggregates`` over the CTE ``facts``
    (with columns ``rep_id`` and ``day``), each fact credited to its rep's team on its day and
    put in every loaded period containing its day. Rep rows have no team_id, team rows no
    rep_id: a rep who moved team in the period is one rep row, and each team counts its days."""
    m, p = exp.to_identifier("m"), exp.to_identifier("p")
    team, rep = exp.column("team_id", table=m), exp.column("rep_id", table=m)
    period = exp.column("period_key", table=p)
    grouping = exp.Anonymous(this="GROUPING", expressions=[team.copy(), rep.copy()])

    def grouping_set(*columns: exp.Expression) -> exp.Tuple:
        return exp.Tuple(expressions=[*(k.copy() for k in keys), *(c.copy() for c in columns)])

    return (
        exp.select(period.as_("period_key"), team.as_("team_id"), rep.as_("rep_id"),
                   grouping.as_("grp"), *keys, *aggregates)
        .from_(exp.to_table(facts).as_(FACTS))
        # the rep's team on the fact's day: members hold one row per stretch on a team
        .join(exp.to_table(MEMBERS_TABLE).as_(m), on=exp.and_(
            rep.copy().eq(fact("rep_id")),
            exp.Between(this=fact(day), low=exp.column("valid_from", table=m),
                        high=exp.column("valid_until", table=m))))
        .join(
            exp.to_table(PERIODS_TABLE).as_(p),
            on=exp.Between(this=fact(day), low=exp.column("period_start", table=p),
                           high=exp.column("period_end", table=p)),
        )
        .group_by(exp.GroupingSets(expressions=[
            grouping_set(period, rep), grouping_set(period, team), grouping_set(period),
        ]))
    )


def scope_of(grp: int, team_id: str, rep_id: str) -> tuple[Scope, str]:
    """The scope a ``by_scope`` row belongs to."""
    if grp == GROUP_REP:
        return "rep", rep_id
    if grp == GROUP_TEAM:
        return "team", team_id
    assert grp == GROUP_ORG, f"unexpected grouping {grp}"
    return "org", ORG_SCOPE_ID


def scope_keys(reps: Iterable[Rep], teams: Iterable[TeamInfo]) -> Iterator[tuple[Scope, str]]:
    """Every scope a scorecard shows, reps then teams then the org, as KPI results are."""
    for rep in reps:
        yield "rep", rep.id
    for team in teams:
        yield "team", team.id
    yield "org", ORG_SCOPE_ID
