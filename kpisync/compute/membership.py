"""Who is scored: Salesforce users matched to the teams of kpis.yaml.

A user belongs to the first team (in file order) with a matching rule, so team totals add up to
the org total without counting anyone twice. Users are few (hundreds), so matching runs in
Python; activity records never do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import duckdb
from sqlglot import exp

from kpisync.compute.model import Rep
from kpisync.config.model import Config, Team

USER_TABLE = "sf_user"
ROLE_TABLE = "sf_userrole"


def load_users(con: duckdb.DuckDBPyConnection, extra_fields: Iterable[str], *,
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
    cursor = con.execute(query.sql(dialect="duckdb"), params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def matches(team: Team, user: Mapping[str, Any]) -> bool:
    rules = team.members
    if user.get("RoleName") in rules.roles:
        return True
    if _id15(user["Id"]) in {_id15(i) for i in rules.user_ids}:
        return True
    if (user.get("Username") or "").lower() in {u.lower() for u in rules.usernames}:
        return True
    return bool(rules.where) and all(user.get(field) == value for field, value in rules.where)


def assign_reps(config: Config, users: Iterable[Mapping[str, Any]]) -> list[Rep]:
    """The scored reps, each on the first team that claims it, in team then name order."""
    reps: list[Rep] = []
    for user in users:
        team = next((t for t in config.teams if matches(t, user)), None)
        if team is None:
            continue
        reps.append(
            Rep(
                id=user["Id"],
                name=user.get("Name") or user.get("Username") or user["Id"],
                username=user.get("Username") or "",
                team_id=team.id,
                active=bool(user.get("IsActive")),
                role=user.get("RoleName"),
                start_date=user.get("StartDate"),
            )
        )
    team_order = {t.id: i for i, t in enumerate(config.teams)}
    reps.sort(key=lambda r: (team_order[r.team_id], r.name.casefold(), r.id))
    return reps


def _id15(salesforce_id: str) -> str:
    """Salesforce Ids come as 15 (case-sensitive) or 18 characters; the first 15 identify."""
    return salesforce_id[:15]
