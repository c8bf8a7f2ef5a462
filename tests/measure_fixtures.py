"""A tiny org for the measures, filters and formulas, every expected number worked out by hand.

The people, teams and calendar of ``compute_fixtures`` (as of 2026-03-10, monthly, window 2:
Feb 2026, Mar 2026 and FY2026 YTD): SDR with Ann, Bob and inactive Dan; AE with Cat; Meg in no
team. Won amounts in March: Cat 100, 200, 900; Ann 300 and one without Amount; Bob 50, 60; Dan
one without Amount. Cat also won 400 in February, lost 700 in March and has 400 open in March.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
from compute_fixtures import ANN, BOB, CAT, DAN, MGR, ROLES, USERS, tiny_config

from kpisync.config.formulas import Arithmetic, Formula, Number, TargetOf, Value
from kpisync.config.model import Config, Filter, FilterGroup, Kpi, Measure, Target

D = Decimal
WON = (Filter("IsWon", "eq", True),)
CALL = Filter("TaskSubtype", "eq", "Call")


def _opp(kpi_id: str, measure: Measure, filters=WON, **extra) -> Kpi:
    return Kpi(id=kpi_id, name=kpi_id.replace("_", " ").capitalize(), tier="results",
               type="lagging", unit=extra.pop("unit", "currency"), source="Opportunity",
               measure=measure, filters=filters, date_field="CloseDate", credit_field="OwnerId",
               **extra)


def _task(kpi_id: str, *filters: Filter | FilterGroup) -> Kpi:
    return Kpi(id=kpi_id, name=kpi_id, tier="activities", type="leading", unit="count",
               source="Task", measure=Measure("count"), filters=filters,
               date_field="ActivityDate", credit_field="OwnerId")


def _formula(kpi_id: str, text: str, root, unit="count", target=None) -> Kpi:
    return Kpi(id=kpi_id, name=kpi_id, tier="objectives", type="lagging", unit=unit,
               measure=Measure("formula", formula=Formula(text, root)), target=target)


def _div(a, b):
    return Arithmetic("/", a, b)


COVERAGE = _div(Value("open_pipeline"),
                Arithmetic("-", TargetOf("won_amount"), Value("won_amount")))

KPIS = (
    _opp("won_amount", Measure("sum", field="Amount"), target=Target(D(2000))),
    _opp("median_deal", Measure("median", field="Amount")),
    _opp("smallest_deal", Measure("min", field="Amount")),
    _opp("largest_deal", Measure("max", field="Amount")),
    _opp("open_pipeline", Measure("sum", field="Amount"),
         filters=(Filter("IsClosed", "eq", False),)),
    _opp("deals_won", Measure("count"), unit="count"),
    _opp("deals_closed", Measure("count"), filters=(Filter("IsClosed", "eq", True),),
         unit="count"),
    Kpi(id="win_rate", name="Win rate", tier="objectives", type="lagging", unit="percent",
        measure=Measure("ratio", numerator="deals_won", denominator="deals_closed")),
    # a ratio over a median: no median (Dan's wins lack Amount) is no ratio, not 0
    Kpi(id="median_per_win", name="Median per win", tier="objectives", type="lagging",
        unit="currency",
        measure=Measure("ratio", numerator="median_deal", denominator="deals_won")),
    # a formula over a formula defined after it: evaluated in dependency order
    _formula("coverage_pct", "coverage * 100", Arithmetic("*", Value("coverage"), Number(D(100))),
             unit="percent"),
    _formula("coverage", "open_pipeline / (target(won_amount) - won_amount)", COVERAGE,
             target=Target(D(3))),
    _formula("won_per_open", "won_amount / open_pipeline",
             _div(Value("won_amount"), Value("open_pipeline"))),
    _formula("loss_rate", "100 - win_rate", Arithmetic("-", Number(D(100)), Value("win_rate")),
             unit="percent"),
    # calls that reached someone: long enough, or a disposition starting "Connected"
    _task("reached", CALL, FilterGroup("any", (
        Filter("CallDurationInSeconds", "gte", 120),
        Filter("CallDisposition", "starts_with", "Connected")))),
    _task("mid_calls", Filter("CallDurationInSeconds", "between", (60, 200))),
    _task("demo_mentions", Filter("Subject", "contains", "demo")),
    _task("half_price", Filter("Subject", "contains", "50%")),
    _task("follow_ups", Filter("Subject", "starts_with", "Follow_")),
    _task("with_disposition", Filter("CallDisposition", "is_not_null", True)),
    _task("without_disposition", Filter("CallDisposition", "is_not_null", False)),
    _task("short_or_unlogged", CALL, FilterGroup("any", (
        Filter("CallDisposition", "is_null", True),
        FilterGroup("all", (Filter("CallDisposition", "ne", "No answer"),
                            Filter("CallDurationInSeconds", "lt", 100)))))),
)


def measure_config() -> Config:
    base = tiny_config()
    sdr, ae = base.teams
    teams = (replace(sdr, kpis=("reached", "median_deal")),
             replace(ae, kpis=("won_amount", "coverage", "median_deal")))
    return replace(base, kpis=KPIS, teams=teams, cascade=())


OPPS = [
    # Id, OwnerId, Amount, IsClosed, IsWon, CloseDate, IsDeleted
    ("006M1", CAT, D("100.00"), True, True, date(2026, 3, 2), False),
    ("006M2", CAT, D("200.00"), True, True, date(2026, 3, 3), False),
    ("006M3", CAT, D("900.00"), True, True, date(2026, 3, 4), False),
    ("006M4", CAT, D("700.00"), True, False, date(2026, 3, 5), False),
    ("006M5", CAT, D("400.00"), False, False, date(2026, 3, 20), False),
    ("006M6", CAT, D("400.00"), True, True, date(2026, 2, 11), False),
    ("006M7", ANN, D("300.00"), True, True, date(2026, 3, 6), False),
    ("006M8", ANN, None, True, True, date(2026, 3, 7), False),
    ("006M9", BOB, D("50.00"), True, True, date(2026, 3, 2), False),
    ("006MA", BOB, D("60.00"), True, True, date(2026, 3, 9), False),
    ("006MB", DAN, None, True, True, date(2026, 3, 3), False),
    ("006MC", CAT, D("99999.00"), True, True, date(2026, 3, 5), True),  # deleted
    ("006MD", MGR, D("5.00"), True, True, date(2026, 3, 5), False),     # in no team
]
TASKS = [
    # Id, OwnerId, TaskSubtype, CallDurationInSeconds, CallDisposition, Subject, ActivityDate
    ("00TM1", ANN, "Call", 30, "Connected - interested", "Demo call", date(2026, 3, 2)),
    ("00TM2", ANN, "Call", 200, "No answer", "intro", date(2026, 3, 2)),
    ("00TM3", ANN, "Call", 60, "connected", "Price 50% off", date(2026, 3, 3)),
    ("00TM4", ANN, "Call", None, None, "Follow_up", date(2026, 3, 3)),
    ("00TM5", ANN, "Call", 300, "Left voicemail", "DEMO booked", date(2026, 3, 4)),
    ("00TM6", ANN, "Email", None, None, "demo", date(2026, 3, 4)),
    ("00TM7", ANN, "Email", None, None, "500 units", date(2026, 3, 5)),  # no "50%" in it
    ("00TM8", ANN, "Email", None, None, "FollowXup", date(2026, 3, 5)),  # no "Follow_"
]


def build_measure_store(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute('CREATE TABLE sf_userrole ("Id" VARCHAR PRIMARY KEY, "Name" VARCHAR)')
    con.execute(
        'CREATE TABLE sf_user ("Id" VARCHAR PRIMARY KEY, "Username" VARCHAR, "Name" VARCHAR,'
        ' "IsActive" BOOLEAN, "UserRoleId" VARCHAR)'
    )
    con.execute(
        'CREATE TABLE sf_task ("Id" VARCHAR PRIMARY KEY, "OwnerId" VARCHAR, "TaskSubtype" VARCHAR,'
        ' "CallDurationInSeconds" BIGINT, "CallDisposition" VARCHAR, "Subject" VARCHAR,'
        ' "ActivityDate" DATE, "IsDeleted" BOOLEAN DEFAULT false,'
        ' "Left_Voicemail__c" BOOLEAN, "Score__c" DOUBLE)'
    )
    con.execute(
        'CREATE TABLE sf_opportunity ("Id" VARCHAR PRIMARY KEY, "OwnerId" VARCHAR,'
        ' "Amount" DECIMAL(18,2), "IsClosed" BOOLEAN, "IsWon" BOOLEAN, "CloseDate" DATE,'
        ' "IsDeleted" BOOLEAN)'
    )
    con.executemany("INSERT INTO sf_userrole VALUES (?, ?)", ROLES)
    con.executemany("INSERT INTO sf_user VALUES (?, ?, ?, ?, ?)", USERS)
    con.executemany(
        'INSERT INTO sf_task ("Id", "OwnerId", "TaskSubtype", "CallDurationInSeconds",'
        ' "CallDisposition", "Subject", "ActivityDate") VALUES (?, ?, ?, ?, ?, ?, ?)', TASKS)
    con.executemany("INSERT INTO sf_opportunity VALUES (?, ?, ?, ?, ?, ?, ?)", OPPS)
    return con
