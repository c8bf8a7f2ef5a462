"""The full compute on a large generated store, against one hand-written DuckDB query.

    python bench/compute.py [--tasks 1000000] [--events 250000] [--opportunities 50000]
                            [--reps 500] [--seed 7] [--keep DIR]

The store is generated straight into DuckDB (the raw tables created by ``kpisync.store`` exactly
as a sync would, then filled with ``generate_series``), so generation takes seconds and is not
measured. Then two child processes run one after the other on the same store file:

1. ``compute``: the sample kpis.yaml's KPIs (every KPI with a source compiles to SQL; win rate
   divides two of them) for every rep, team and the org over 13 monthly and 5 quarterly
   periods and fiscal year to date, in one ``compute()`` call as ``kpisync build`` makes it;
2. ``hand``: one hand-written DuckDB query producing the same aggregates (every KPI x period x
   rep/team/org) in a single statement: the floor a generic engine is measured against.

Each child reports its wall time; the peak RSS is the child's own (``wait4``). Goals (KPI-engine
issue, docs/performance.md): compute under 5 s, within 3x of the hand-written query, peak memory
under 1 GB.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 18)
MONTHS, QUARTERS = 13, 5
ROLES = ("SDR East", "SDR West", "AE SMB", "AE Enterprise")
GOAL_SECONDS, GOAL_FACTOR, GOAL_MB = 5.0, 3.0, 1024


def generate(path: Path, args: argparse.Namespace, roles: tuple[str, ...] = ROLES
             ) -> dict[str, int]:
    """Raw tables shaped by the store, rows spread over 14 months before AS_OF; the reps
    spread evenly over ``roles`` (the sample kpis.yaml's teams select by role)."""
    import duckdb

    from kpisync.config import load_config
    from kpisync.config.required import required_fields
    from kpisync.sobjects import SOBJECTS, USER_FIELDS, USER_ROLE_FIELDS
    from kpisync.store import Store

    config = load_config(ROOT / "kpis.yaml")
    needed = dict(required_fields(config.kpis, config.teams))
    needed["User"] = USER_FIELDS
    needed["UserRole"] = USER_ROLE_FIELDS
    with Store.open(path) as store:
        for sobject, names in needed.items():
            fields = {"Id": "id", "IsDeleted": "boolean", "SystemModstamp": "datetime",
                      "CreatedDate": "datetime"}
            known = SOBJECTS[sobject].fields
            # Meeting_Held__c is the demo org's custom checkbox: not in the catalogue
            fields |= {n: known.get(n, "boolean") for n in names}
            store.ensure_table(sobject, fields)
    con = duckdb.connect(str(path))
    days = 425  # 14 months of history before AS_OF
    start = f"DATE '{AS_OF.isoformat()}' - INTERVAL {days} DAY"
    con.execute(f"SELECT setseed({args.seed / 1000})")
    con.execute(
        "INSERT INTO sf_userrole (\"Id\", \"Name\") "
        "SELECT '00E' || (i + 1), r[i + 1] FROM (SELECT ? AS r), range(?) t(i)",
        [list(roles), len(roles)],
    )
    con.execute(
        'INSERT INTO sf_user ("Id", "Username", "Name", "IsActive", "UserRoleId") '
        "SELECT '005' || lpad(i::VARCHAR, 12, '0'), 'rep' || i || '@bench.example', "
        f"'Rep ' || i, i % 50 <> 0, '00E' || (i % {len(roles)} + 1) "
        f"FROM range({args.reps}) t(i)"
    )
    owner = f"'005' || lpad((random() * {args.reps - 1})::INTEGER::VARCHAR, 12, '0')"
    con.execute(
        'INSERT INTO sf_task ("Id", "OwnerId", "TaskSubtype", "CallDurationInSeconds", '
        '"ActivityDate", "CreatedDate", "IsDeleted") '
        f"SELECT '00T' || i, {owner}, CASE WHEN random() < 0.6 THEN 'Call' ELSE 'Email' END, "
        "(random() * 400)::INTEGER, "
        f"({start} + to_days((random() * {days})::INTEGER))::DATE, "
        f"{start} + to_seconds((random() * {days * 86400})::BIGINT), random() < 0.01 "
        f"FROM range({args.tasks}) t(i)"
    )
    con.execute(
        'INSERT INTO sf_event ("Id", "OwnerId", "Type", "Meeting_Held__c", "ActivityDate", '
        '"CreatedDate", "IsDeleted") '
        f"SELECT '00U' || i, {owner}, CASE WHEN random() < 0.8 THEN 'Meeting' ELSE 'Other' END,"
        f" random() < 0.7, ({start} + to_days((random() * {days})::INTEGER))::DATE, "
        f"{start} + to_seconds((random() * {days * 86400})::BIGINT), random() < 0.01 "
        f"FROM range({args.events}) t(i)"
    )
    con.execute(
        'INSERT INTO sf_opportunity ("Id", "OwnerId", "Amount", "IsClosed", "IsWon", '
        '"CreatedDate", "CloseDate", "IsDeleted") '
        f"SELECT '006' || i, {owner}, "
        "CASE WHEN random() < 0.05 THEN NULL ELSE (random() * 200000)::DECIMAL(18, 2) END, "
        "closed, closed AND random() < 0.3, created, "
        "(created + to_days((random() * 120)::INTEGER))::DATE, random() < 0.01 "
        f"FROM (SELECT i, random() < 0.7 AS closed, {start} + "
        f"to_seconds((random() * {days * 86400})::BIGINT) AS created "
        f"FROM range({args.opportunities}) t(i))"
    )
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("sf_user", "sf_task", "sf_event", "sf_opportunity")}
    con.close()
    return counts


def run_compute(path: Path) -> dict:
    """The child: the engine's full compute, as ``kpisync build`` calls it."""
    import duckdb

    from kpisync.compute import compute
    from kpisync.config import load_config
    from kpisync.config.model import PeriodView

    base = load_config(ROOT / "kpis.yaml")
    # 13 months and a quarter view of 5, plus fiscal year to date; no comparison periods
    # (previous / year ago), which the figure does not count
    org = dataclasses.replace(base.org, default_period="month", window=MONTHS,
                              views=(PeriodView("quarter", QUARTERS),), comparisons=())
    config = dataclasses.replace(base, org=org)
    started = time.perf_counter()
    con = duckdb.connect(str(path), read_only=True)
    scorecard = compute(config, con, AS_OF)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "results": len(scorecard.results), "kpis": len(base.kpis),
            "reps": len(scorecard.reps), "periods": len(scorecard.periods)}


HAND_QUERY = """
WITH members AS (
  SELECT u."Id" AS rep_id, r."Name" AS team_id
  FROM sf_user u JOIN sf_userrole r ON r."Id" = u."UserRoleId"
), facts AS (
  SELECT 'calls' AS kpi, "OwnerId" AS rep_id, "ActivityDate" AS day, 1 AS value FROM sf_task
    WHERE NOT coalesce("IsDeleted", false) AND "TaskSubtype" = 'Call'
  UNION ALL SELECT 'emails', "OwnerId", "ActivityDate", 1 FROM sf_task
    WHERE NOT coalesce("IsDeleted", false) AND "TaskSubtype" = 'Email'
  UNION ALL SELECT 'conversations', "OwnerId", "ActivityDate", 1 FROM sf_task
    WHERE NOT coalesce("IsDeleted", false) AND "TaskSubtype" = 'Call'
      AND "CallDurationInSeconds" >= 120
  UNION ALL SELECT 'meetings_booked', "OwnerId",
      CAST("CreatedDate" AT TIME ZONE 'America/New_York' AS DATE), 1 FROM sf_event
    WHERE NOT coalesce("IsDeleted", false) AND "Type" = 'Meeting'
  UNION ALL SELECT 'meetings_held', "OwnerId", "ActivityDate", 1 FROM sf_event
    WHERE NOT coalesce("IsDeleted", false) AND "Type" = 'Meeting' AND "Meeting_Held__c"
  UNION ALL SELECT 'opportunities_created', "OwnerId",
      CAST("CreatedDate" AT TIME ZONE 'America/New_York' AS DATE), 1 FROM sf_opportunity
    WHERE NOT coalesce("IsDeleted", false)
  UNION ALL SELECT 'pipeline_created', "OwnerId",
      CAST("CreatedDate" AT TIME ZONE 'America/New_York' AS DATE), "Amount" FROM sf_opportunity
    WHERE NOT coalesce("IsDeleted", false)
  UNION ALL SELECT 'average_deal_size', "OwnerId", "CloseDate", "Amount" FROM sf_opportunity
    WHERE NOT coalesce("IsDeleted", false) AND "IsWon"
  UNION ALL SELECT 'sales_cycle_length', "OwnerId", "CloseDate",
      date_diff('day', CAST("CreatedDate" AT TIME ZONE 'America/New_York' AS DATE), "CloseDate")
    FROM sf_opportunity WHERE NOT coalesce("IsDeleted", false) AND "IsWon"
  UNION ALL SELECT 'deals_won', "OwnerId", "CloseDate", 1 FROM sf_opportunity
    WHERE NOT coalesce("IsDeleted", false) AND "IsWon"
  UNION ALL SELECT 'deals_closed', "OwnerId", "CloseDate", 1 FROM sf_opportunity
    WHERE NOT coalesce("IsDeleted", false) AND "IsClosed"
  UNION ALL SELECT 'closed_won_revenue', "OwnerId", "CloseDate", "Amount" FROM sf_opportunity
    WHERE NOT coalesce("IsDeleted", false) AND "IsWon"
)
SELECT f.kpi, p.period_key, m.team_id, m.rep_id, GROUPING(m.team_id, m.rep_id) AS grp,
       count(f.value) AS n, sum(f.value) AS total, avg(f.value) AS mean
FROM facts f
JOIN members m ON m.rep_id = f.rep_id
JOIN periods p ON f.day BETWEEN p.period_start AND p.period_end
GROUP BY f.kpi, GROUPING SETS ((p.period_key, m.team_id, m.rep_id), (p.period_key, m.team_id),
                               (p.period_key))
"""


def run_hand(path: Path) -> dict:
    """The child: the same aggregates in one hand-written statement."""
    import duckdb

    from kpisync.compute.periods import period_containing

    con = duckdb.connect(str(path), read_only=True)
    periods = []
    for kind, count in (("month", MONTHS), ("quarter", QUARTERS)):
        day = AS_OF
        for _ in range(count):
            start, end = period_containing(day, kind, 2)
            periods.append((f"{kind}-{start}", start, end))
            day = start - timedelta(days=1)
    periods.append(("ytd", period_containing(AS_OF, "fiscal_year", 2)[0], AS_OF))
    started = time.perf_counter()
    con.execute("CREATE TEMP TABLE periods (period_key VARCHAR, period_start DATE, "
                "period_end DATE)")
    con.executemany("INSERT INTO periods VALUES (?, ?, ?)", periods)
    rows = con.execute(HAND_QUERY).fetchall()
    return {"seconds": time.perf_counter() - started, "rows": len(rows)}


def child(mode: str, path: Path) -> tuple[dict, float]:
    """Run one measured phase in its own process; its result and its peak RSS in MB."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", mode, "--store", str(path)],
                            stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = proc.stdout.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{mode} child failed with status {status}")
    return json.loads(out), usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=250_000)
    parser.add_argument("--opportunities", type=int, default=50_000)
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the store here and keep it")
    parser.add_argument("--child", choices=("compute", "hand"), help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = run_compute(args.store) if args.child == "compute" else run_hand(args.store)
        print(json.dumps(result))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        path = (args.keep or Path(tmp)) / "bench.duckdb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        started = time.perf_counter()
        counts = generate(path, args)
        print(f"generated {counts} in {time.perf_counter() - started:.1f} s")
        engine, engine_mb = child("compute", path)
        hand, hand_mb = child("hand", path)
    factor = engine["seconds"] / hand["seconds"]
    print(f"compute: {engine['seconds']:.2f} s wall, peak RSS {engine_mb:.0f} MB, "
          f"{engine['results']:,} results ({engine['kpis']} KPIs, {engine['reps']} reps, "
          f"{MONTHS} months + {QUARTERS} quarters)")
    print(f"hand-written query: {hand['seconds']:.2f} s wall, peak RSS {hand_mb:.0f} MB, "
          f"{hand['rows']:,} rows")
    print(f"compute / hand-written: {factor:.2f}x")
    verdicts = [
        f"time {'OK' if engine['seconds'] < GOAL_SECONDS else 'MISSED'} (< {GOAL_SECONDS:.0f} s)",
        f"factor {'OK' if factor <= GOAL_FACTOR else 'MISSED'} (<= {GOAL_FACTOR:.0f}x)",
        f"memory {'OK' if engine_mb < GOAL_MB else 'MISSED'} (< {GOAL_MB} MB)",
    ]
    print("goals: " + "; ".join(verdicts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
