"""The site build for a large org: 500 reps in 10 teams, 13 monthly periods.

    python bench/site.py [--reps 500] [--teams 10] [--tasks 400000] [--keep DIR]

The store is generated as bench/compute.py generates it (straight into DuckDB), with one role
per team; the sample kpis.yaml's KPIs are scored, each team tracking one of the sample's team
KPI lists in turn. Then, in this process, one after the other and each timed:

1. compute (not the figure here: bench/compute.py measures it),
2. the drill-through records (the running and the previous month, every rep),
3. ``build_site``: every page (on every core), the exports and the assets, written atomically.

Printed: the build's wall time, pages per second, the site's total size, the heaviest page,
the peak RSS of the process, how many processes render the pages (one per core) and the load
average just before the build (the figure is a wall time: measure on a quiet machine).
Goals (site issue, docs/performance.md): build under 10 s, heaviest page under 200 KB.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

GOAL_SECONDS, GOAL_PAGE_KB = 10.0, 200


def bench_config(teams: int):
    """The sample kpis.yaml with ``teams`` teams, one per role ``Team N``, and 13 months."""
    from kpisync.config import load_config
    from kpisync.config.model import MemberSelector, Team

    base = load_config(ROOT / "kpis.yaml")
    lists = [team.kpis for team in base.teams]
    made = tuple(
        Team(id=f"team-{n + 1:02d}", name=f"Team {n + 1}",
             members=MemberSelector(roles=(f"Team {n + 1}",)), kpis=lists[n % len(lists)],
             segment=("SMB", "Enterprise")[n % 2], region=("East", "West")[n // 5 % 2])
        for n in range(teams)
    )
    org = dataclasses.replace(base.org, default_period="month", window=13, views=(),
                              comparisons=())
    return dataclasses.replace(base, org=org, teams=made)


def main() -> int:
    import compute as compute_bench
    import duckdb

    from kpisync.build import site_records
    from kpisync.compute import compute
    from kpisync.site import build_site
    from kpisync.site.workers import PARALLEL_MIN_JOBS, worker_count
    from kpisync.store import Store

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--teams", type=int, default=10)
    parser.add_argument("--tasks", type=int, default=400_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--opportunities", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the store and the site here")
    args = parser.parse_args()

    config = bench_config(args.teams)
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        store_path, out = where / "site-bench.duckdb", where / "site"
        store_path.unlink(missing_ok=True)
        roles = tuple(f"Team {n + 1}" for n in range(args.teams))
        counts = compute_bench.generate(store_path, args, roles)
        print(f"generated {counts}")

        started = time.perf_counter()
        con = duckdb.connect(str(store_path), read_only=True)
        scorecard = compute(config, con, compute_bench.AS_OF)
        con.close()
        computed = time.perf_counter() - started

        started = time.perf_counter()
        with Store.open(store_path, create=False) as store:
            records = site_records(scorecard, store.connection)
        drilled = time.perf_counter() - started

        load = os.getloadavg()
        started = time.perf_counter()
        report = build_site(scorecard, out, records=records)
        built = time.perf_counter() - started

        pages = sorted(out.rglob("*.html"), key=lambda p: p.stat().st_size)
        total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        heaviest = pages[-1]
        heaviest_kb = heaviest.stat().st_size / 1024
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print(f"compute: {computed:.2f} s ({len(scorecard.results):,} results, "
          f"{len(scorecard.reps)} reps, {len(config.teams)} teams, {len(config.kpis)} KPIs, "
          f"{len(scorecard.shown_periods)} periods shown)")
    print(f"drill-through records: {drilled:.2f} s ({len(records):,} lists)")
    print(f"site build: {built:.2f} s wall, {report.pages:,} pages, "
          f"{report.pages / built:,.0f} pages/s, {total / 1e6:.1f} MB in all; "
          f"{worker_count(PARALLEL_MIN_JOBS)} rendering processes, load average before it "
          + " ".join(f"{x:.2f}" for x in load))
    print(f"heaviest page: {heaviest.relative_to(out)} {heaviest_kb:.0f} KB; "
          f"peak RSS {peak_mb:.0f} MB (a rendering process {child_mb:.0f} MB)")
    verdicts = [
        f"build {'OK' if built < GOAL_SECONDS else 'MISSED'} (< {GOAL_SECONDS:.0f} s)",
        f"heaviest page {'OK' if heaviest_kb < GOAL_PAGE_KB else 'MISSED'} "
        f"(< {GOAL_PAGE_KB} KB)",
    ]
    print("goals: " + "; ".join(verdicts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
