"""A tiny org, small enough to compute every expected number by hand.

Two teams (SDR with Ann and Bob, AE with Cat), one manager outside any team, one inactive SDR.
As of 2026-03-10 with monthly periods and a window of 2: Feb 2026, Mar 2026, and FY2026 YTD
(fiscal year starting in January).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from kpisync.config.model import (
    Config,
    Filter,
    Kpi,
    Measure,
    MemberSelector,
    Org,
    Target,
    TargetOverride,
    Team,
)

AS_OF = date(2026, 3, 10)
ANN, BOB, CAT, DAN, MGR = "005A", "005B", "005C", "005D", "005M"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def tiny_config(**org_changes) -> Config:
    org = Org(name="Tiny Co", timezone="America/New_York", default_period="month", window=2)
    org = Org(**{**org.__dict__, **org_changes})
    kpis = (
        Kpi(
            id="calls", name="Calls", tier="activities", type="leading", unit="count",
            source="Task", measure=Measure("count"),
            filters=(Filter("TaskSubtype", "eq", "Call"),), date_field="ActivityDate",
            credit_field="OwnerId",
            target=Target(Decimal(10), overrides=(TargetOverride("team", "ae", Decimal(4)),)),
        ),
        Kpi(
            id="conversations", name="Conversations", tier="activities", type="leading",
            unit="count", source="Task", measure=Measure("count"),
            filters=(Filter("TaskSubtype", "eq", "Call"),
                     Filter("CallDurationInSeconds", "gte", 120)),
            date_field="ActivityDate", credit_field="OwnerId",
            target=Target(
                Decimal(3), overrides=(TargetOverride("rep", "bob@tiny.example", Decimal(5)),)
            ),
        ),
        Kpi(
            id="opps_created", name="Opportunities created", tier="objectives", type="leading",
            unit="count", source="Opportunity", measure=Measure("count"),
            date_field="CreatedDate", credit_field="OwnerId", target=Target(Decimal(2)),
        ),
        Kpi(
            id="revenue", name="Revenue", tier="results", type="lagging", unit="currency",
            source="Opportunity", measure=Measure("sum", field="Amount"),
            filters=(Filter("IsWon", "eq", True),), date_field="CloseDate",
            credit_field="OwnerId", target=Target(Decimal(1000)),
        ),
        Kpi(
            id="deals_won", name="Deals won", tier="results", type="lagging", unit="count",
            source="Opportunity", measure=Measure("count"),
            filters=(Filter("IsWon", "eq", True),), date_field="CloseDate", credit_field="OwnerId",
        ),
        Kpi(
            id="deals_closed", name="Deals closed", tier="results", type="lagging", unit="count",
            source="Opportunity", measure=Measure("count"),
            filters=(Filter("IsClosed", "eq", True),), date_field="CloseDate",
            credit_field="OwnerId",
        ),
        Kpi(
            id="win_rate", name="Win rate", tier="objectives", type="lagging", unit="percent",
            measure=Measure("ratio", numerator="deals_won", denominator="deals_closed"),
            target=Target(Decimal(50)),
        ),
        Kpi(
            id="avg_deal", name="Average deal size", tier="objectives", type="lagging",
            unit="currency", source="Opportunity", measure=Measure("average", field="Amount"),
            filters=(Filter("IsWon", "eq", True),), date_field="CloseDate", credit_field="OwnerId",
            target=Target(Decimal(500)),
        ),
        Kpi(
            id="cycle", name="Sales cycle", tier="objectives", type="lagging", unit="days",
            source="Opportunity",
            measure=Measure("duration", start_field="CreatedDate", end_field="CloseDate"),
            filters=(Filter("IsWon", "eq", True),), date_field="CloseDate", credit_field="OwnerId",
            target=Target(Decimal(20), direction="lower"),
        ),
    )
    teams = (
        Team(id="sdr", name="SDR", members=MemberSelector(roles=("SDR",)),
             kpis=("calls", "conversations"), region="East"),
        Team(id="ae", name="AE", members=MemberSelector(usernames=("cat@tiny.example",)),
             kpis=("calls", "opps_created", "revenue", "win_rate", "avg_deal", "cycle"),
             segment="SMB"),
    )
    return Config(
        path=Path("kpis.yaml"), org=org, teams=teams, kpis=kpis,
        cascade=("calls", "conversations", "opps_created", "deals_won"),
    )


USERS = [
    # Id, Username, Name, IsActive, UserRoleId
    (ANN, "ann@tiny.example", "Ann", True, "00E1"),
    (BOB, "bob@tiny.example", "Bob", True, "00E1"),
    (CAT, "cat@tiny.example", "Cat", True, "00E2"),
    (DAN, "dan@tiny.example", "Dan", False, "00E1"),
    (MGR, "mgr@tiny.example", "Meg", True, "00E3"),
]
ROLES = [("00E1", "SDR"), ("00E2", "AE"), ("00E3", "Manager")]
TASKS = [
    # Id, OwnerId, TaskSubtype, CallDurationInSeconds, ActivityDate, IsDeleted
    ("00T1", ANN, "Call", 30, date(2026, 2, 3), False),
    ("00T2", ANN, "Call", 200, date(2026, 2, 4), False),
    ("00T3", ANN, "Call", 120, date(2026, 3, 2), False),
    ("00T4", ANN, "Email", None, date(2026, 3, 2), False),
    ("00T5", ANN, "Call", 500, date(2026, 3, 3), True),   # deleted: never counts
    ("00T6", BOB, "Call", None, date(2026, 3, 5), False),
    ("00T7", BOB, "Call", 119, date(2026, 3, 6), False),
    ("00T8", DAN, "Call", 300, date(2026, 2, 20), False),  # inactive rep: counts, no target
    ("00T9", MGR, "Call", 300, date(2026, 3, 1), False),   # not on a team: not scored
    ("00TA", CAT, "Call", 150, date(2026, 1, 15), False),  # January: YTD only
    ("00TB", ANN, "Call", 10, date(2025, 12, 31), False),  # last fiscal year: nowhere
]
OPPS = [
    # Id, OwnerId, Amount, IsClosed, IsWon, CreatedDate (UTC), CloseDate, IsDeleted
    ("006A", CAT, Decimal("1000.00"), True, True, utc(2026, 2, 1, 3, 0), date(2026, 2, 11), False),
    ("006B", CAT, Decimal("250.50"), True, True, utc(2026, 2, 10, 15, 0), date(2026, 3, 2), False),
    ("006C", CAT, Decimal("700.00"), True, False, utc(2026, 2, 12, 15, 0), date(2026, 3, 4), False),
    ("006D", CAT, None, False, False, utc(2026, 3, 1, 4, 59), date(2026, 4, 30), False),
    ("006E", CAT, Decimal("9999.00"), True, True, utc(2026, 3, 1, 12, 0), date(2026, 3, 5), True),
]


def build_store(path: Path) -> duckdb.DuckDBPyConnection:
    """The raw tables as the store lays them out (sf_<object>, Salesforce field names)."""
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
    con.executemany("INSERT INTO sf_user VALUES (?, ?, ?, ?, ?)", USERS)
    con.executemany("INSERT INTO sf_task VALUES (?, ?, ?, ?, ?, ?)", TASKS)
    con.executemany("INSERT INTO sf_opportunity VALUES (?, ?, ?, ?, ?, ?, ?, ?)", OPPS)
    return con
