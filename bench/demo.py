"""Time each stage of the demo pipeline: generate, sync through the emulator, compute, render.

    python bench/demo.py [--scale 1.0] [--seed 7] [--as-of 2026-06-17]

Prints one line per stage with wall time, records and peak RSS; the goal for `kpisync demo` is
under 60 s on a 2-core machine (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from kpisync.compute import compute
from kpisync.config import load_config
from kpisync.emulator import Emulator
from kpisync.emulator.demo_org import generate_demo_org
from kpisync.site.build import build_site
from kpisync.store import Store
from kpisync.sync.auth import Credentials
from kpisync.sync.client import SalesforceClient
from kpisync.sync.jobs import sync
from kpisync.sync.plan import SyncOptions, months_before

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date.today())
    args = parser.parse_args()

    config = load_config(ROOT / "kpis.yaml")
    work = Path(tempfile.mkdtemp(prefix="kpisync-bench-"))
    started = time.perf_counter()

    t = time.perf_counter()
    org = generate_demo_org(seed=args.seed, as_of=args.as_of, scale=args.scale)
    records = sum(org.count(o) for o in org.objects())
    print(f"generate  {time.perf_counter() - t:7.2f} s  {records:>9,} records  "
          f"peak RSS {peak_rss_mb():6.0f} MB")

    t = time.perf_counter()
    with Emulator(org) as emulator:
        credentials = Credentials(emulator.url, emulator.access_token, emulator.ca_path)
        with Store.open(work / "store.duckdb") as store:
            options = SyncOptions(history_start=months_before(args.as_of, 13))
            report = sync(config, store, SalesforceClient(credentials), options)
    elapsed = time.perf_counter() - t
    print(f"sync      {elapsed:7.2f} s  {report.total_fetched:>9,} records  "
          f"{report.total_fetched / elapsed:9,.0f} rec/s  {report.total_api_calls} API calls  "
          f"peak RSS {peak_rss_mb():6.0f} MB")

    t = time.perf_counter()
    with Store.open(work / "store.duckdb") as store:
        scorecard = compute(config, store.connection, args.as_of)
    print(f"compute   {time.perf_counter() - t:7.2f} s  {len(scorecard.results):>9,} results  "
          f"peak RSS {peak_rss_mb():6.0f} MB")

    t = time.perf_counter()
    site = build_site(scorecard, work / "output")
    print(f"site      {time.perf_counter() - t:7.2f} s  {site.pages:>9,} pages  "
          f"peak RSS {peak_rss_mb():6.0f} MB")
    print(f"total     {time.perf_counter() - started:7.2f} s  (work dir {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
