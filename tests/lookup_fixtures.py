"""Calls logged against accounts, for KPIs that filter, sum and credit through lookups and
date by a fallback field; small enough to work every number out by hand.

The users, roles and teams are those of ``compute_fixtures`` (Ann and Bob are SDRs, Cat is an
AE, Dan an inactive SDR), as of 2026-03-10 in New York with Feb and Mar 2026 in the window.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
from compute_fixtures import ANN, BOB, CAT, ROLES, USERS, tiny_config, utc

from kpisync.config.model import Config, Filter, Kpi, Measure

ACCOUNTS = [
    # Id, Name, Type, Industry, AnnualRevenue, OwnerId
    ("001A", "Acme", "Customer", "Banking", Decimal("1000000.00"), CAT),
    ("001B", "Blue", "Prospect", "Retail", None, ANN),
    ("001C", "Cobalt", None, "Banking", Decimal("250000.00"), None),
]
TASKS = [
    # Id, OwnerId, AccountId, TaskSubtype, ActivityDate, CreatedDate (UTC), IsDeleted
    ("00T1", ANN, "001A", "Call", date(2026, 3, 2), utc(2026, 3, 2, 15), False),
    ("00T2", ANN, "001B", "Call", date(2026, 3, 3), utc(2026, 3, 3, 15), False),
    ("00T3", ANN, None, "Call", date(2026, 3, 4), utc(2026, 3, 4, 15), False),    # no account
    ("00T4", BOB, "001C", "Call", date(2026, 3, 5), utc(2026, 3, 5, 15), False),  # no Type
    ("00T5", BOB, "001X", "Call", date(2026, 3, 5), utc(2026, 3, 5, 16), False),  # not synced
    ("00T6", CAT, "001A", "Call", date(2026, 2, 10), utc(2026, 2, 10, 15), False),
    # No due date: with the CreatedDate fallback, 03:00 UTC on 1 March is 28 Feb in New York
    ("00T7", ANN, "001A", "Call", None, utc(2026, 3, 1, 3), False),
    ("00T8", BOB, "001A", "Call", None, utc(2026, 3, 6, 15), False),
    ("00T9", ANN, "001A", "Call", date(2026, 3, 2), utc(2026, 3, 2, 15), True),   # deleted
]


COUNT = Measure("count")


def _kpi(kpi_id: str, *filters: Filter, measure: Measure = COUNT,
         dates: tuple[str, ...] = ("ActivityDate",), credit: str = "OwnerId") -> Kpi:
    unit = "currency" if measure.kind == "sum" else "count"
    return Kpi(id=kpi_id, name=kpi_id, tier="activities", type="leading", unit=unit,
               source="Task", measure=measure, filters=filters, date_field=dates[0],
               date_fallbacks=dates[1:], credit_field=credit)


def lookup_config() -> Config:
    kpis = (
        _kpi("customer_calls", Filter("Account.Type", "eq", "Customer"),
             dates=("ActivityDate", "CreatedDate")),
        _kpi("customer_calls_due", Filter("Account.Type", "eq", "Customer")),
        _kpi("other_calls", Filter("Account.Type", "ne", "Customer")),
        _kpi("sdr_banking_calls", Filter("Owner.UserRole.Name", "eq", "SDR"),
             Filter("Owner.IsActive", "eq", True), Filter("Account.Industry", "eq", "Banking")),
        _kpi("account_owner_calls", Filter("AccountId", "is_null", False),
             credit="Account.OwnerId"),
        _kpi("revenue_called", measure=Measure("sum", field="Account.AnnualRevenue")),
    )
    config = tiny_config()
    teams = tuple(dataclasses.replace(t, kpis=tuple(k.id for k in kpis)) for t in config.teams)
    return dataclasses.replace(config, kpis=kpis, teams=teams, cascade=())


def build_lookup_store(path: Path) -> duckdb.DuckDBPyConnection:
    """The raw tables as the store lays them out, Account included."""
    con = duckdb.connect(str(path))
    con.execute('CREATE TABLE sf_userrole ("Id" VARCHAR PRIMARY KEY, "Name" VARCHAR)')
    con.execute(
        'CREATE TABLE sf_user ("Id" VARCHAR PRIMARY KEY, "Username" VARCHAR, "Name" VARCHAR,'
        ' "IsActive" BOOLEAN, "UserRoleId" VARCHAR)'
    )
    con.execute(
        'CREATE TABLE sf_account ("Id" VARCHAR PRIMARY KEY, "Name" VARCHAR, "Type" VARCHAR,'
        ' "Industry" VARCHAR, "AnnualRevenue" DECIMAL(18,2), "OwnerId" VARCHAR)'
    )
    con.execute(
        'CREATE TABLE sf_task ("Id" VARCHAR PRIMARY KEY, "OwnerId" VARCHAR, "AccountId" VARCHAR,'
        ' "TaskSubtype" VARCHAR, "ActivityDate" DATE, "CreatedDate" TIMESTAMPTZ,'
        ' "IsDeleted" BOOLEAN)'
    )
    con.executemany("INSERT INTO sf_userrole VALUES (?, ?)", ROLES)
    con.executemany("INSERT INTO sf_user VALUES (?, ?, ?, ?, ?)", USERS)
    con.executemany("INSERT INTO sf_account VALUES (?, ?, ?, ?, ?, ?)", ACCOUNTS)
    con.executemany("INSERT INTO sf_task VALUES (?, ?, ?, ?, ?, ?, ?)", TASKS)
    return con
