"""A tiny org where people move: every number in test_people.py was worked out from this.

Quarterly periods as of 2026-05-15: 2026-Q1, 2026-Q2 (running) and FY2026-YTD.

- Ann is an SDR all along (role SDR).
- Jo moved from SDR to AE on 2026-02-15, in the middle of Q1. Salesforce now gives her the AE
  role, so the AE team's role rule takes her; a dated entry keeps her on SDR until 2026-02-14.
- Meg is a manager, on no team. 005G owns a call but is not in the store; one call and one deal
  have no owner at all.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
from compute_fixtures import tiny_config

from kpisync.config.model import Config, DatedMember, MemberSelector, Org, Team

AS_OF = date(2026, 5, 15)
Q1, Q2, YTD = "2026-Q1", "2026-Q2", "FY2026-YTD"
ANN, JO, MEG, GHOST = "005A", "005J", "005M", "005G"
JO_LEAVES_SDR = DatedMember("username", "jo@tiny.example", None, date(2026, 2, 14), 7)


def people_config(*teams: Team) -> Config:
    """tiny_config's calls, revenue and deals_won, by quarter, for ``teams`` (default: SDR by
    role plus Jo until 2026-02-14; AE by role)."""
    base = tiny_config()
    org = Org(name="Tiny Co", timezone="America/New_York", default_period="quarter", window=2)
    teams = teams or (
        Team(id="sdr", name="SDR", kpis=("calls",),
             members=MemberSelector(roles=("SDR",), dated=(JO_LEAVES_SDR,))),
        Team(id="ae", name="AE", kpis=("calls", "revenue"),
             members=MemberSelector(roles=("AE",))),
    )
    kpis = tuple(base.kpi(k) for k in ("calls", "revenue", "deals_won"))
    return replace(base, org=org, teams=teams, kpis=kpis, cascade=())


USERS = [
    # Id, Username, Name, IsActive, UserRoleId
    (ANN, "ann@tiny.example", "Ann", True, "00E1"),
    (JO, "jo@tiny.example", "Jo", True, "00E2"),
    (MEG, "meg@tiny.example", "Meg", True, "00E3"),
]
ROLES = [("00E1", "SDR"), ("00E2", "AE"), ("00E3", "Manager")]
TASKS = [
    # Id, OwnerId, TaskSubtype, CallDurationInSeconds, ActivityDate, IsDeleted
    ("00T1", ANN, "Call", None, date(2026, 1, 5), False),
    ("00T2", JO, "Call", None, date(2026, 2, 10), False),    # Jo on SDR
    ("00T3", JO, "Call", None, date(2026, 3, 3), False),     # Jo on AE
    ("00T4", JO, "Call", None, date(2026, 5, 4), False),     # Jo on AE
    ("00T5", MEG, "Call", None, date(2026, 4, 10), False),   # a manager: unassigned
    ("00T6", GHOST, "Call", None, date(2026, 2, 2), False),  # not in the store: unassigned
    ("00T7", None, "Call", None, date(2026, 5, 1), False),   # no owner: unassigned
]
CREATED = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)
OPPS = [
    # Id, OwnerId, Amount, IsClosed, IsWon, CreatedDate (UTC), CloseDate, IsDeleted
    ("006A", ANN, Decimal(50), True, True, CREATED, date(2026, 3, 10), False),
    ("0061", JO, Decimal(300), True, True, CREATED, date(2026, 1, 20), False),  # on SDR
    ("0062", JO, Decimal(200), True, True, CREATED, date(2026, 2, 14), False),  # last SDR day
    ("0063", JO, Decimal(500), True, True, CREATED, date(2026, 2, 15), False),  # first AE day
    ("0064", JO, Decimal(1000), True, True, CREATED, date(2026, 4, 2), False),  # on AE
    ("006M", MEG, Decimal(700), True, True, CREATED, date(2026, 3, 20), False),
    ("006N", None, Decimal(80), True, True, CREATED, date(2026, 5, 2), False),
]


def build_people_store(
    path: Path | str = ":memory:", users=USERS, tasks=TASKS, opps=OPPS
) -> duckdb.DuckDBPyConnection:
    """The raw tables as the store lays them out, as in compute_fixtures.build_store."""
    con = duckdb.connect(str(path))
    con.execute('CREATE TABLE sf_userrole ("Id" VARCHAR PRIMARY KEY, "Name" VARCHAR)')
    con.execute(
        'CREATE TABLE sf_user ("Id" VARCHAR PRIMARY KEY, "Username" VARCHAR, "Name" VARCHAR,'
        ' "IsActive" BOOLEAN, "UserRoleId" VARCHAR)'
    )
    con.execute(
        'CREATE TABLE sf_task ("Id" VARCHAR PRIMARY KEY, "OwnerId" VARCHAR, "TaskSubtype" VARCHAR,'
        ' "CallDurationInSeconds" BIGINT, "ActivityDate" DATE, "IsDeleted" BOOLEAN)'
    )
    con.execute(
        'CREATE TABLE sf_opportunity ("Id" VARCHAR PRIMARY KEY, "OwnerId" VARCHAR,'
        ' "Amount" DECIMAL(18,2), "IsClosed" BOOLEAN, "IsWon" BOOLEAN,'
        ' "CreatedDate" TIMESTAMPTZ, "CloseDate" DATE, "IsDeleted" BOOLEAN)'
    )
    con.executemany("INSERT INTO sf_userrole VALUES (?, ?)", ROLES)
    if users:
        con.executemany("INSERT INTO sf_user VALUES (?, ?, ?, ?, ?)", users)
    if tasks:
        con.executemany("INSERT INTO sf_task VALUES (?, ?, ?, ?, ?, ?)", tasks)
    if opps:
        con.executemany("INSERT INTO sf_opportunity VALUES (?, ?, ?, ?, ?, ?, ?, ?)", opps)
    return con
