"""Who is scored, and on which team on which day: Salesforce users matched to kpis.yaml's teams.

A user's dated entries (``{username: ..., from: ..., until: ...}``) place them for those days,
whatever any rule says. On every other day the user belongs to the first team (in file order)
whose rules match: roles, plain user Ids and usernames, ``where``; or to no team. So on any one
day a user is on one team at most, and team totals add up to the org total (plus the records of
users on no team) without counting anyone twice.

Users are few (hundreds), so matching runs in Python; activity records never do: the stretches
of days go to DuckDB as the members table, which each KPI query joins on rep and day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlglot import exp

from kpisync.compute.model import Membership, Period, Rep
from kpisync.config.members import identity, span
from kpisync.config.model import Config, DatedMember, Team
from kpisync.engines.base import Connection, as_engine
from kpisync.errors import ComputeError

USER_TABLE = "sf_user"
ROLE_TABLE = "sf_userrole"
_DAY = timedelta(days=1)


def load_users(con: Connection, extra_fields: Iterable[str], *,
               created_zone: str | None = None) -> list[dict[str, Any]]:
    """Every synced user with its role name under the key ``RoleName`` and, given
    ``created_zone``, the local date of its CreatedDate there under ``StartDate`` (where a new
    hire's ramp starts; stores synced before kpisync fetched CreatedDate lack the column)."""
    fields = ["Id", "Username", "Name", "IsActive", "UserRoleId", *sorted(set(extra_fields))]
    user = exp.to_identifier("u")
    role = exp.to_identifier("r")
    query = (
        exp.select(*(exp.column(f, table=user, quoted=True) for f in dict.fromkeys(fields)))
        .select(exp.column("Name", table=role, quoted=True).as_("RoleName", quoted=True))
        .from_(exp.to_table(USER_TABLE).as_(user))
        .join(
            exp.to_table(ROLE_TABLE).as_(role),
            on=exp.column("Id", table=role, quoted=True).eq(
                exp.column("UserRoleId", table=user, quoted=True)
            ),
            join_type="left",
        )
        .order_by(exp.column("Id", table=user, quoted=True))
    )
    params: dict[str, Any] = {}
    if created_zone is not None:
        params["zone"] = created_zone
        created = exp.AtTimeZone(this=exp.column("CreatedDate", table=user, quoted=True),
                                 zone=exp.Placeholder(this="zone"))
        query = query.select(exp.cast(created, "DATE").as_("StartDate", quoted=True))
    names = [select.alias_or_name for select in query.selects]
    return [dict(zip(names, row, strict=True)) for row in as_engine(con).execute(query, params)]


def matches(team: Team, user: Mapping[str, Any]) -> bool:
    """Whether one of the team's rules (not its dated entries) takes the user."""
    rules = team.members
    if user.get("RoleName") in rules.roles:
        return True
    if _id15(user["Id"]) in {_id15(i) for i in rules.user_ids}:
        return True
    if (user.get("Username") or "").lower() in {u.lower() for u in rules.usernames}:
        return True
    return bool(rules.where) and all(user.get(field) == value for field, value in rules.where)


def assign_reps(
    config: Config, users: Iterable[Mapping[str, Any]], as_of: date | None = None
) -> list[Rep]:
    """The scored reps (users on a team on at least one day), each with its memberships and
    the team of ``as_of`` (or the last one; None: the last one), in team then name order."""
    reps: list[Rep] = []
    for user in users:
        spans = memberships(config, user)
        if not spans:
            continue
        reps.append(
            Rep(
                id=user["Id"],
                name=user.get("Name") or user.get("Username") or user["Id"],
                username=user.get("Username") or "",
                team_id=_team_of(spans, as_of),
                active=bool(user.get("IsActive")),
                role=user.get("RoleName"),
                start_date=user.get("StartDate"),
                memberships=spans,
            )
        )
    team_order = {t.id: i for i, t in enumerate(config.teams)}
    reps.sort(key=lambda r: (team_order[r.team_id], r.name.casefold(), r.id))
    return reps


def memberships(config: Config, user: Mapping[str, Any]) -> tuple[Membership, ...]:
    """The user's teams over time: dated entries on their days, the first matching rule's
    team on the days between and around them."""
    rule_team = next((t.id for t in config.teams if matches(t, user)), None)
    dated = sorted(_dated_entries(config, user), key=lambda e: e[1].start or date.min)
    spans: list[tuple[str, date, date]] = []
    cursor: date | None = date.min  # the first day not yet placed; None once past date.max
    for (team_id, member), previous in zip(dated, [None, *dated], strict=False):
        start, end = member.start or date.min, member.end or date.max
        if cursor is None or start < cursor:
            raise ComputeError(_overlap_message(user, previous, (team_id, member)))
        if rule_team is not None and start > cursor:
            spans.append((rule_team, cursor, start - _DAY))
        spans.append((team_id, start, end))
        cursor = end + _DAY if end < date.max else None
    if rule_team is not None and cursor is not None:
        spans.append((rule_team, cursor, date.max))
    return tuple(
        Membership(team_id, None if start == date.min else start, None if end == date.max else end)
        for team_id, start, end in _merged(spans)
    )


def placed_in(reps: Iterable[Rep], period: Period, as_of: date) -> list[tuple[Rep, str | None]]:
    """Each rep with the team that carries their target for ``period``: the team on the
    period's last day, or on ``as_of`` while the period runs; None when on no team that day."""
    day = min(period.end, as_of)
    return [(rep, rep.team_on(day)) for rep in reps]


def as_placed(reps: Iterable[Rep], period: Period, as_of: date
              ) -> list[tuple[Rep, Rep | None]]:
    """Each rep, and the rep as placed for ``period`` (``team_id`` the team of ``placed_in``)
    or None when on no team that day: what ``TargetBook`` takes."""
    return [(rep, None if team_id is None else rep if team_id == rep.team_id
             else replace(rep, team_id=team_id))
            for rep, team_id in placed_in(reps, period, as_of)]


def member_rows(reps: Iterable[Rep]) -> list[tuple[str, str, date, date]]:
    """The members table: (rep_id, team_id, valid_from, valid_until), open ends filled in so
    that the KPI queries join with a plain BETWEEN."""
    return [
        (rep.id, m.team_id, m.start or date.min, m.end or date.max)
        for rep in reps
        for m in rep.memberships
    ]


def _dated_entries(config: Config, user: Mapping[str, Any]) -> list[tuple[str, DatedMember]]:
    keys = {"user_id": identity("user_id", user["Id"]),
            "username": identity("username", user.get("Username") or "")}
    return [
        (team.id, member)
        for team in config.teams
        for member in team.members.dated
        if identity(member.kind, member.value) == keys[member.kind]
    ]


def _overlap_message(user: Mapping[str, Any], first, second) -> str:
    # kpis.yaml refuses overlaps within usernames or within user Ids; an Id on one team and the
    # username on another can only be found once the store says they are the same user.
    (team_a, a), (team_b, b) = first, second
    return (
        f"kpis.yaml lines {a.line} and {b.line} put {user.get('Username') or user['Id']} on team "
        f"'{team_a}' {span(a)} and on team '{team_b}' {span(b)}: one user's dated memberships "
        f"must not share a day; end one the day before the next starts"
    )


def _merged(spans: list[tuple[str, date, date]]) -> list[tuple[str, date, date]]:
    """Back-to-back stretches on one team become one (a dated entry next to the same rule)."""
    merged: list[tuple[str, date, date]] = []
    for team_id, start, end in spans:
        if merged and merged[-1][0] == team_id and merged[-1][2] + _DAY == start:
            merged[-1] = (team_id, merged[-1][1], end)
        else:
            merged.append((team_id, start, end))
    return merged


def _team_of(spans: tuple[Membership, ...], as_of: date | None) -> str:
    """The team on ``as_of``; else the last one before it; else the first one after it."""
    if as_of is None:
        return spans[-1].team_id
    current = next((m for m in spans if m.holds_on(as_of)), None)
    past = [m for m in spans if (m.end or date.max) < as_of]
    return (current or (past[-1] if past else spans[0])).team_id


def _id15(salesforce_id: str) -> str:
    """Salesforce Ids come as 15 (case-sensitive) or 18 characters; the first 15 identify."""
    return salesforce_id[:15]
