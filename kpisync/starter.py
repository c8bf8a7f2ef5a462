"""``kpisync init``: a commented starter kpis.yaml, with teams from the org's roles once synced.

The starter is a working file, not a form to fill in: it validates as written (the tests run
``kpisync validate`` on it, dry run included), so an admin can sync and build before changing
anything, then edit it in a pull request. Its five KPIs read only standard fields of Task,
Event and Opportunity, so they work in any org.

Without a store, it holds one example team (a role name to replace). After a ``kpisync sync``
(a store at ``--store``), each role with active users becomes a team, named after the role,
with the starter's KPIs: UserRole and User are synced for every config, so the roles are there
whichever kpis.yaml the sync used. The store is only read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from kpisync.errors import StoreError

#: the KPIs each starter team's scorecard shows
TEAM_KPIS = "[calls, meetings, opportunities_created, closed_won_revenue]"
#: the one team of a starter written before any sync
EXAMPLE_ROLE = "Sales Rep"


@dataclass(frozen=True)
class StarterTeam:
    """A team made from a Salesforce role."""

    id: str
    name: str
    role: str
    #: active users with the role when the store was synced
    reps: int


@dataclass(frozen=True)
class Starter:
    path: Path
    #: the teams made from the store's roles; empty when there was no store
    teams: tuple[StarterTeam, ...]


def write_starter(path: Path, *, store_path: Path | None = None, force: bool = False,
                  org_name: str = "Your company", timezone: str = "UTC") -> Starter:
    """Write the starter to ``path``; FileExistsError rather than replace an existing file,
    unless ``force``. With a store at ``store_path``, the teams are the store's roles (a
    StoreError when it holds none)."""
    if path.exists() and not force:
        raise FileExistsError(f"{path} already exists; kpisync init leaves it alone (pass "
                              "--force to replace it)")
    teams = roles_as_teams(store_path) if store_path is not None and store_path.exists() else ()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(starter_yaml(teams, org_name=org_name, timezone=timezone), encoding="utf-8")
    return Starter(path, teams)


def roles_as_teams(store_path: Path) -> tuple[StarterTeam, ...]:
    """A team per role that has active users in the synced store, by role name."""
    import duckdb

    from kpisync.compute.membership import load_users
    from kpisync.engines.base import QueryError

    try:
        con = duckdb.connect(str(store_path), read_only=True)
    except duckdb.Error as exc:
        raise StoreError(f"cannot read the store {store_path}: {exc}") from exc
    try:
        users = load_users(con, [])
    except QueryError as exc:  # no sf_user or sf_userrole table: nothing synced yet
        raise StoreError(f"the store {store_path} has no synced users and roles yet: run "
                         "`kpisync sync` first, or leave out --store") from exc
    finally:
        con.close()
    reps: dict[str, int] = {}
    for user in users:
        if user["IsActive"] and user.get("RoleName"):
            reps[user["RoleName"]] = reps.get(user["RoleName"], 0) + 1
    taken: set[str] = set()
    teams = []
    for role in sorted(reps):
        team_id = _unique(_identifier(role), taken)
        teams.append(StarterTeam(team_id, role, role, reps[role]))
    return tuple(teams)


def _identifier(name: str) -> str:
    """``SDR East`` → ``sdr_east``; an id starts with a letter."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "team"
    return slug if slug[0].isalpha() else f"team_{slug}"


def _unique(candidate: str, taken: set[str]) -> str:
    found, number = candidate, 2
    while found in taken:
        found, number = f"{candidate}_{number}", number + 1
    taken.add(found)
    return found


def _scalar(text: str) -> str:
    """``text`` as a YAML flow scalar: plain when YAML reads it back as the same text, else
    double-quoted (a role named ``Sales: East`` or ``yes``)."""
    try:
        plain = yaml.safe_load(f"[{text}]") == [text]
    except yaml.YAMLError:
        plain = False
    return text if plain and text == text.strip() else yaml.safe_dump(
        text, default_style='"', width=1000).strip()


def _teams_yaml(teams: tuple[StarterTeam, ...]) -> str:
    if not teams:
        return f"""\
teams:
  # Who is scored together. Replace the role with your Salesforce role names (Setup → Roles),
  # or list people: members: {{usernames: [ann@example.com]}}. After `kpisync sync`,
  # `kpisync init --force` writes a team per role of your org instead.
  - id: sales
    name: Sales
    members:
      roles: [{EXAMPLE_ROLE}]
    kpis: {TEAM_KPIS}
"""
    lines = ["teams:",
             "  # One team per Salesforce role with active users, from the last sync. Merge or",
             "  # drop the ones that are not scored (managers, support), and give each team the",
             "  # 3-4 KPIs that matter for it."]
    for team in teams:
        people = f"{team.reps} active user{'s' if team.reps != 1 else ''}"
        lines += [f"  - id: {_scalar(team.id)}",
                  f"    name: {_scalar(team.name)}            # {people}",
                  "    members:",
                  f"      roles: [{_scalar(team.role)}]",
                  f"    kpis: {TEAM_KPIS}"]
    return "\n".join(lines) + "\n"


def starter_yaml(teams: tuple[StarterTeam, ...] = (), *, org_name: str = "Your company",
                 timezone: str = "UTC") -> str:
    """The starter file's text."""
    return _HEAD.format(org=_scalar(org_name), timezone=_scalar(timezone)) \
        + _teams_yaml(teams) + _KPIS


_HEAD = """\
# yaml-language-server: $schema=kpis.schema.json
# (write that schema with `kpisync schema -o kpis.schema.json` for completion in your editor)
#
# kpisync scorecard configuration, written by `kpisync init`.
#
# Who the teams are, which KPIs each team's scorecard shows, how each KPI is counted from
# Salesforce records, and what good looks like. Check every edit with `kpisync validate`.
# Reference: docs/config.md (explained) and docs/config-reference.md (every key).

org:
  name: {org}
  # Dates are put in periods in this timezone (an IANA name such as America/New_York).
  timezone: {timezone}
  # Targets below are per rep per month; the site shows this month and the three before it.
  default_period: month
  window: 4

"""

_KPIS = """
kpis:
  # Activities: what reps do every day (leading: they control them).
  - id: calls
    name: Calls
    description: Calls logged in Salesforce.
    tier: activities
    type: leading
    unit: count
    source: Task
    measure: count
    where:
      TaskSubtype: Call
    target:
      per_rep: 200

  - id: meetings
    name: Meetings
    description: Calendar events, counted on the day they take place.
    tier: activities
    type: leading
    unit: count
    source: Event
    measure: count
    target:
      per_rep: 12

  # Objectives: the pipeline the activities build.
  - id: opportunities_created
    name: Opportunities created
    tier: objectives
    type: leading
    unit: count
    source: Opportunity
    measure: count
    date: CreatedDate
    target:
      per_rep: 4

  # Results: what the pipeline turns into (lagging: known at the end).
  - id: deals_won
    name: Deals won
    tier: results
    type: lagging
    unit: count
    source: Opportunity
    measure: count
    where:
      IsWon: true

  - id: closed_won_revenue
    name: Closed-won revenue
    tier: results
    type: lagging
    unit: currency
    source: Opportunity
    measure: {sum: Amount}
    where:
      IsWon: true
    target:
      per_rep: 50000

# The funnel, first activity to closed deal: the site shows each step's conversion.
cascade: [calls, meetings, opportunities_created, deals_won]
"""
