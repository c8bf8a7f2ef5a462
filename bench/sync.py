"""Full then incremental sync of a large generated org through the emulator, as users run it.

    python bench/sync.py [--scale 1.4] [--events 60000] [--opportunities 20000] [--seed 7]

The emulator runs in its own process (this script with ``--serve``) and each sync is a separate
``python -m kpisync sync --json`` process, so the peak RSS shown is the sync's own, read from
``wait4`` for that process alone. Scale 1.4 gives ~200,000 Tasks; the demo generator makes far
fewer Events and Opportunities than the sync-hardening issue's 60,000 and 20,000, so the
emulator process tops them up with copies (new Ids) of generated records.

Phases: a full sync through the REST API alone (``--bulk-threshold off``), an incremental sync
with nothing changed, then a full sync with the default bulk threshold (Task and Event, over
50,000 records, read through Bulk API 2.0) into a second store.

Goals (docs/performance.md): API calls ≤ ⌈records / 2000⌉ + 1 per object on a full sync; an
incremental sync with nothing changed ≤ 1 call per object; peak memory under 300 MB.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = 2000
MEMORY_GOAL_MB = 300


def serve(args: argparse.Namespace) -> int:
    """The emulator process: generate, top up, serve; print one JSON line; stop on stdin EOF."""
    from kpisync.emulator import Emulator, OrgData
    from kpisync.emulator.demo_ids import IdMint
    from kpisync.emulator.demo_org import CUSTOM_FIELDS, demo_records

    started = time.perf_counter()
    records = demo_records(seed=args.seed, as_of=date.today(), scale=args.scale)
    # Copies keep their generated stamps: OrgData.insert would stamp them with milliseconds,
    # which the sync's second-precision SOQL watermark reads again on every run.
    mint, rng = IdMint(random.Random(f"{args.seed}:topup")), random.Random(args.seed)
    for sobject, wanted in (("Event", args.events), ("Opportunity", args.opportunities)):
        rows = records[sobject]
        live = [r for r in rows if not r.get("IsDeleted")]
        rows.extend({**rng.choice(live), "Id": mint.next(sobject)}
                    for _ in range(max(0, wanted - len(rows))))
    org = OrgData(records, CUSTOM_FIELDS)
    counts = {o: org.count(o) for o in org.objects() if org.count(o)}
    with Emulator(org) as emulator:
        print(json.dumps({"url": emulator.url, "ca": str(emulator.ca_path),
                          "token": emulator.access_token, "counts": counts,
                          "seconds": time.perf_counter() - started}), flush=True)
        sys.stdin.read()  # the parent closes our stdin when it is done
    return 0


def run_sync(emulator: dict, store: Path, *extra: str) -> tuple[dict, float, float]:
    """One `kpisync sync --json` process: (its report, wall seconds, its peak RSS in MB)."""
    env = dict(os.environ, SF_INSTANCE_URL=emulator["url"], SF_ACCESS_TOKEN=emulator["token"],
               REQUESTS_CA_BUNDLE=emulator["ca"])
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "kpisync", "sync", "-c", str(ROOT / "kpis.yaml"),
         "--store", str(store), "--api-budget", "1000000", "--api-floor", "0", "--json",
         *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage, not the emulator's
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"sync exited {process.returncode}: {output[-2000:]}")
    return json.loads(output), elapsed, usage.ru_maxrss / 1024


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def report_phase(name: str, report: dict, elapsed: float, rss_mb: float, *, full: bool) -> None:
    objects = report["objects"]
    fetched = sum(o["fetched"] for o in objects.values())
    calls = sum(o["api_calls"] for o in objects.values())
    minimum = sum(max(1, math.ceil(o["fetched"] / PAGE)) for o in objects.values())
    if full:
        goal = all(o["api_calls"] <= max(1, math.ceil(o["fetched"] / PAGE)) + 1
                   for o in objects.values())
        goal_text = f"calls ≤ minimum + 1 per object: {verdict(goal)}"
    else:
        goal = all(o["api_calls"] <= 1 for o in objects.values())
        goal_text = f"≤ 1 call per object: {verdict(goal)}"
    print(f"{name:<12} {elapsed:7.2f} s  {fetched:>9,} records  "
          f"{fetched / elapsed:9,.0f} rec/s  peak RSS {rss_mb:5.0f} MB "
          f"({verdict(rss_mb < MEMORY_GOAL_MB)} < {MEMORY_GOAL_MB})  "
          f"API calls {calls} (minimum {minimum}; {goal_text})")
    per_object = ", ".join(f"{name} {o['fetched']:,}/{o['api_calls']}"
                           for name, o in objects.items())
    print(f"{'':<12} records/calls per object: {per_object}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.4)
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--opportunities", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args)

    work = Path(tempfile.mkdtemp(prefix="kpisync-bench-sync-"))
    server = subprocess.Popen([sys.executable, __file__, "--serve", *sys.argv[1:]],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        emulator = json.loads(server.stdout.readline())
        counts = ", ".join(f"{k} {v:,}" for k, v in emulator["counts"].items())
        print(f"{'generate':<12} {emulator['seconds']:7.2f} s  (emulator process) {counts}")
        phases = (("full (REST)", True, "store.duckdb", ("--bulk-threshold", "off")),
                  ("incremental", False, "store.duckdb", ()),
                  ("full (bulk)", True, "bulk.duckdb", ()))
        for name, full, store, extra in phases:
            report, elapsed, rss_mb = run_sync(emulator, work / store, *extra)
            report_phase(name, report, elapsed, rss_mb, full=full)
    finally:
        server.stdin.close()
        server.wait(timeout=60)
    print(f"store: {work / 'store.duckdb'} ({(work / 'store.duckdb').stat().st_size / 2**20:,.0f}"
          " MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
