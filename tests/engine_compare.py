"""Two scorecards' exports compared as the engine issue asks: values to the cent, ratios
(attainment, percent units) to 1e-9, everything else exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from kpisync.compute.model import Scorecard
from kpisync.config import load_config
from kpisync.config.model import CohortStep, Config, Kpi, Measure
from kpisync.emulator.demo_org import generate_demo_org
from kpisync.site.exports import score_rows
from kpisync.store import Store

CENT, RATIO = Decimal("0.005"), Decimal("1e-9")
ROOT = Path(__file__).resolve().parent.parent
DEMO_OBJECTS = ("UserRole", "User", "Account", "Task", "Event", "Opportunity",
                "OpportunityHistory")


def _close(a, b, tolerance: Decimal) -> bool:
    if a is None or b is None or a == "" or b == "":
        return a == b
    return abs(Decimal(a) - Decimal(b)) <= tolerance


def assert_same_scores(expected: Scorecard, actual: Scorecard) -> int:
    """Raises on the first differing cell; the number of rows compared."""
    rows, others = list(score_rows(expected)), list(score_rows(actual))
    assert [_key(r) for r in rows] == [_key(r) for r in others]
    for row, other in zip(rows, others, strict=True):
        value_tolerance = CENT if row["unit"] == "currency" else RATIO
        for name in row:
            tolerance = {"actual": value_tolerance, "target": value_tolerance,
                         "attainment": RATIO}.get(name)
            same = (row[name] == other[name] if tolerance is None
                    else _close(row[name], other[name], tolerance))
            assert same, f"{_key(row)} {name}: {row[name]!r} != {other[name]!r}"
    return len(rows)


def _key(row) -> tuple:
    return (row["kpi"], row["period_key"], row["scope"], row["scope_id"])


def demo_store(path: Path, as_of: date, scale: float) -> None:
    """The demo org (``kpisync demo``'s generator, seed 7) written to a DuckDB store."""
    org = generate_demo_org(seed=7, as_of=as_of, scale=scale)
    with Store.open(path) as store:
        for sobject in DEMO_OBJECTS:
            store.ensure_table(sobject, org.fields(sobject))
            store.upsert(sobject, org.records(sobject))


def demo_config() -> Config:
    """The sample kpis.yaml with a cohort step and the stage analysis, so that every kind of
    query compute runs is compared."""
    step = CohortStep(from_kpi="meetings_held", to_kpi="opportunities_created",
                      within_days=30, match="account", from_field="AccountId",
                      to_field="AccountId")
    stages = ("Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote",
              "Negotiation/Review", "Closed Won")
    return replace(load_config(ROOT / "kpis.yaml"), cohorts=(step,), stages=stages)


def add_minute_events(con) -> Kpi:
    """Three of rep 005A's Events in the tiny store ``con`` (20 seconds across a minute mark,
    40 seconds within one, 2 h 30 min 59 s), and the duration KPI over them: DuckDB counts
    1, 0 and 150 minute marks crossed, so the rep's March mean is 50.3333 minutes."""
    con.execute('CREATE TABLE sf_event ("Id" VARCHAR, "OwnerId" VARCHAR, "IsDeleted" BOOLEAN,'
                ' "StartDateTime" TIMESTAMPTZ, "EndDateTime" TIMESTAMPTZ)')
    con.executemany("INSERT INTO sf_event VALUES (?, '005A', false, ?, ?)", [
        ("00U1", datetime(2026, 3, 2, 15, 0, 50, tzinfo=UTC),
         datetime(2026, 3, 2, 15, 1, 10, tzinfo=UTC)),
        ("00U2", datetime(2026, 3, 3, 15, 0, 10, tzinfo=UTC),
         datetime(2026, 3, 3, 15, 0, 50, tzinfo=UTC)),
        ("00U3", datetime(2026, 3, 4, 15, 0, 0, tzinfo=UTC),
         datetime(2026, 3, 4, 17, 30, 59, tzinfo=UTC)),
    ])
    return Kpi(id="meeting_minutes", name="Meeting minutes", tier="activities", type="leading",
               unit="minutes", source="Event",
               measure=Measure("duration", start_field="StartDateTime",
                               end_field="EndDateTime"),
               date_field="StartDateTime", credit_field="OwnerId")
