"""Meetings, opportunities and stage history on the tiny org of compute_fixtures, small enough
to work every cohort and stage figure out by hand (the expected numbers are in
tests/test_cohorts.py and tests/test_stages.py, with how each was reached).

As of 2026-03-10 in New York, the periods are Feb 2026, Mar 2026 and FY2026-YTD (Jan 1 to Mar 10).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
from compute_fixtures import ANN, BOB, CAT, MGR, build_store, tiny_config, utc

from kpisync.config.model import CohortStep, Config, DatedMember, Filter, Kpi, Measure

MEETINGS = Kpi(
    id="meetings", name="Meetings held", tier="activities", type="leading", unit="count",
    source="Event", measure=Measure("count"), filters=(Filter("Type", "eq", "Meeting"),),
    date_field="ActivityDate", credit_field="OwnerId",
)
STAGES = ("Prospecting", "Qualification", "Proposal", "Closed Won")


def cohort_config(within_days: int = 30) -> Config:
    """The tiny org with meetings and one cohort step: meetings to opportunities created, on
    the same account within ``within_days``."""
    config = tiny_config()
    step = CohortStep(from_kpi="meetings", to_kpi="opps_created", within_days=within_days,
                      match="account", from_field="AccountId", to_field="AccountId", line=40)
    return replace(config, kpis=(*config.kpis, MEETINGS), cohorts=(step,))


def stage_config() -> Config:
    return replace(tiny_config(), stages=STAGES)


def with_dated(config: Config, team_id: str, member: DatedMember) -> Config:
    """``config`` with ``member`` placed on ``team_id`` for its days (a rep who moved)."""
    teams = tuple(
        replace(t, members=replace(t.members, dated=(*t.members.dated, member)))
        if t.id == team_id else t
        for t in config.teams
    )
    return replace(config, teams=teams)


EVENTS = [
    # Id, OwnerId, Type, ActivityDate, AccountId, IsDeleted
    ("00U1", ANN, "Meeting", date(2026, 2, 2), "001A1", False),  # A1: 00U2 is nearer to 006P1
    ("00U2", ANN, "Meeting", date(2026, 2, 10), "001A1", False),  # A1: takes 006P1 and 006P7
    ("00U3", BOB, "Meeting", date(2026, 2, 3), "001A2", False),  # 006P2 comes 34 days later
    ("00U4", BOB, "Meeting", date(2026, 2, 12), "001A3", False),  # 006P3 came before it
    ("00U5", ANN, "Meeting", date(2026, 2, 15), "001A4", False),  # 006P4 is another account
    ("00U6", BOB, "Meeting", date(2026, 2, 25), "001A6", False),  # 006P5 in March: Feb converts
    ("00U7", CAT, "Meeting", date(2026, 2, 1), "001A8", False),  # 006P6 exactly 30 days later
    ("00U8", ANN, "Meeting", date(2026, 3, 2), "001A9", False),  # tie with 00U9: lower Id wins
    ("00U9", BOB, "Meeting", date(2026, 3, 2), "001A9", False),
    ("00UA", ANN, "Meeting", date(2026, 3, 4), None, False),  # no account: never converts
    ("00UB", BOB, "Other", date(2026, 2, 27), "001A6", False),  # not a meeting: not a base
    ("00UC", ANN, "Meeting", date(2026, 2, 26), "001A6", True),  # deleted: not a base
    ("00UD", MGR, "Meeting", date(2026, 1, 20), "001A7", False),  # the manager's, takes 006P9
    ("00UE", ANN, "Meeting", date(2026, 1, 15), "001A7", False),  # farther from 006P9
]
COHORT_OPPS = [
    # Id, OwnerId, Amount, IsClosed, IsWon, CreatedDate (UTC), CloseDate, IsDeleted, AccountId
    ("006P1", CAT, None, False, False, utc(2026, 2, 20, 15), date(2026, 5, 1), False, "001A1"),
    ("006P7", CAT, None, False, False, utc(2026, 2, 22, 15), date(2026, 5, 1), False, "001A1"),
    ("006P2", CAT, None, False, False, utc(2026, 3, 9, 15), date(2026, 5, 1), False, "001A2"),
    ("006P3", CAT, None, False, False, utc(2026, 2, 1, 15), date(2026, 5, 1), False, "001A3"),
    ("006P4", CAT, None, False, False, utc(2026, 2, 16, 15), date(2026, 5, 1), False, "001A5"),
    ("006P5", CAT, None, False, False, utc(2026, 3, 3, 15), date(2026, 5, 1), False, "001A6"),
    ("006P6", CAT, None, False, False, utc(2026, 3, 3, 15), date(2026, 5, 1), False, "001A8"),
    ("006P8", CAT, None, False, False, utc(2026, 3, 5, 15), date(2026, 5, 1), False, "001A9"),
    ("006P9", CAT, None, False, False, utc(2026, 1, 25, 15), date(2026, 5, 1), False, "001A7"),
]


def build_cohort_store(path: Path) -> duckdb.DuckDBPyConnection:
    """The tiny store plus Events (meetings) and opportunities on their accounts."""
    con = build_store(path)
    con.execute(
        'CREATE TABLE sf_event ("Id" VARCHAR PRIMARY KEY, "OwnerId" VARCHAR, "Type" VARCHAR,'
        ' "ActivityDate" DATE, "AccountId" VARCHAR, "IsDeleted" BOOLEAN)'
    )
    con.executemany("INSERT INTO sf_event VALUES (?, ?, ?, ?, ?, ?)", EVENTS)
    con.execute('ALTER TABLE sf_opportunity ADD COLUMN "AccountId" VARCHAR')
    con.executemany("INSERT INTO sf_opportunity VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", COHORT_OPPS)
    return con


HISTORY = [
    # Id, OpportunityId, StageName, CreatedDate (UTC), IsDeleted
    # 006A: created 2026-01-31 22:00 New York, won 2026-02-11
    ("008H01", "006A", "Prospecting", utc(2026, 2, 1, 3), False),
    ("008H02", "006A", "Qualification", utc(2026, 2, 3, 15), False),
    ("008H03", "006A", "Qualification", utc(2026, 2, 5, 15), False),  # amount change only
    ("008H04", "006A", "Proposal", utc(2026, 2, 8, 15), False),
    ("008H05", "006A", "Closed Won", utc(2026, 2, 11, 15), False),
    # 006B: skips Qualification, won 2026-03-02
    ("008H06", "006B", "Prospecting", utc(2026, 2, 10, 15), False),
    ("008H07", "006B", "Proposal", utc(2026, 2, 20, 15), False),
    ("008H08", "006B", "Closed Won", utc(2026, 3, 2, 15), False),
    # 006C: lost straight from Prospecting (Closed Lost is not a listed stage)
    ("008H09", "006C", "Prospecting", utc(2026, 2, 12, 15), False),
    ("008H10", "006C", "Closed Lost", utc(2026, 3, 4, 15), False),
    # 006D: created 2026-02-28 23:59 New York, qualified, then fell back; still open
    ("008H11", "006D", "Prospecting", utc(2026, 3, 1, 4, 59), False),
    ("008H12", "006D", "Qualification", utc(2026, 3, 5, 15), False),
    ("008H13", "006D", "Prospecting", utc(2026, 3, 6, 15), False),
    # 006E is deleted, and so is its history
    ("008H14", "006E", "Prospecting", utc(2026, 3, 1, 12), True),
    # 006F: created last December, qualified in January, its amount changed in March (a row
    # that stays in Qualification); still open
    ("008H15", "006F", "Prospecting", utc(2025, 12, 15, 15), False),
    ("008H16", "006F", "Qualification", utc(2026, 1, 20, 15), False),
    ("008H17", "006F", "Qualification", utc(2026, 3, 4, 15), False),
]


def build_stage_store(path: Path) -> duckdb.DuckDBPyConnection:
    """The tiny store (Cat's opportunities 006A-006E) plus 006F and the stage history."""
    con = build_store(path)
    con.execute("INSERT INTO sf_opportunity VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ("006F", CAT, None, False, False, utc(2025, 12, 15, 15), date(2026, 4, 30),
                 False))
    con.execute(
        'CREATE TABLE sf_opportunityhistory ("Id" VARCHAR PRIMARY KEY, "OpportunityId" VARCHAR,'
        ' "StageName" VARCHAR, "CreatedDate" TIMESTAMPTZ, "IsDeleted" BOOLEAN)'
    )
    con.executemany("INSERT INTO sf_opportunityhistory VALUES (?, ?, ?, ?, ?)", HISTORY)
    return con
