"""The full compute on one large generated store, on DuckDB and on Apache Spark local mode.

    python bench/engines.py [--tasks 10000000] [--events 2000000] [--opportunities 300000]
                            [--reps 2000] [--engines duckdb,spark] [--master local[*]]
                            [--driver-memory 12g] [--seed 7] [--keep DIR]

The store is generated straight into DuckDB by ``bench/compute.py``'s generator (tables
created by ``kpisync.store``, rows from ``generate_series``; not measured). Then one child
process per engine runs the same ``compute()`` as ``bench/compute.py`` (the sample kpis.yaml,
every rep, team and the org, 13 months, 5 quarters, fiscal year to date):

* ``duckdb``: on the store file, read only;
* ``spark``: a PySpark session on ``--master``; the store's tables are written to Parquet and
  registered as views (``kpisync.store.load.load_into_spark``, timed apart as "load"), then
  the compute.

Peak memory: each process's own high-water mark of resident memory, ``VmHWM`` in
``/proc/<pid>/status``, read by the child when its compute is done. Not ``wait4``'s
``ru_maxrss``: Linux carries a process's peak across ``exec``, so a child forked from this
parent after it generated the store reports the parent's size then (1.1 GB at full size, for
both engines). PySpark's JVM is a separate process (the gateway PySpark launches and never
waits for): the Spark child reads the JVM's ``VmHWM`` the same way, just before it stops the
session. The figure reported for Spark is Python's peak plus the JVM's: an upper bound on the
tree's peak, as the two need not peak at the same moment.

Each child also writes its results; the run ends by comparing the two engines' results as the
engines test does on the demo org (currency to the cent, every other value to 1e-9).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location("bench_compute", ROOT / "bench" / "compute.py")
bench_compute = importlib.util.module_from_spec(_SPEC)  # type: ignore[arg-type]
_SPEC.loader.exec_module(bench_compute)  # type: ignore[union-attr]

ENGINES = ("duckdb", "spark")
CENT, RATIO = Decimal("0.005"), Decimal("1e-9")


def bench_config():
    """The sample kpis.yaml over bench/compute.py's periods (no comparison periods)."""
    from kpisync.config import load_config
    from kpisync.config.model import PeriodView

    base = load_config(ROOT / "kpis.yaml")
    org = dataclasses.replace(base.org, default_period="month", window=bench_compute.MONTHS,
                              views=(PeriodView("quarter", bench_compute.QUARTERS),),
                              comparisons=())
    return dataclasses.replace(base, org=org)


def run_duckdb(args: argparse.Namespace) -> dict:
    import duckdb

    from kpisync.compute import compute

    config = bench_config()
    started = time.perf_counter()
    con = duckdb.connect(str(args.store), read_only=True)
    scorecard = compute(config, con, bench_compute.AS_OF)
    seconds = time.perf_counter() - started
    _write_results(scorecard, args.work / "duckdb.json")
    return {"seconds": seconds, "results": len(scorecard.results), "own_mb": peak_mb("self")}


def run_spark(args: argparse.Namespace) -> dict:
    import duckdb

    from kpisync.compute import compute
    from kpisync.engines.spark import SparkEngine
    from kpisync.store.load import load_into_spark

    config = bench_config()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    started = time.perf_counter()
    engine = SparkEngine.connect(args.master, app_name="kpisync-bench", config={
        "spark.driver.memory": args.driver_memory,
        "spark.driver.host": "127.0.0.1",
        "spark.local.dir": str(args.work),
    })
    engine.session.sparkContext.setLogLevel("ERROR")
    session_seconds = time.perf_counter() - started
    started = time.perf_counter()
    con = duckdb.connect(str(args.store), read_only=True)
    parquet = args.work / "parquet"
    parquet.mkdir(exist_ok=True)
    loaded = load_into_spark(con, engine, parquet)
    con.close()
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    scorecard = compute(config, engine, bench_compute.AS_OF)
    seconds = time.perf_counter() - started
    jvm_mb = _jvm_peak_mb(engine)
    own_mb = peak_mb("self")
    engine.close()
    _write_results(scorecard, args.work / "spark.json")
    return {"seconds": seconds, "results": len(scorecard.results), "jvm_mb": jvm_mb,
            "own_mb": own_mb,
            "session_seconds": session_seconds, "load_seconds": load_seconds,
            "rows_loaded": sum(loaded.values()), "master": args.master,
            "driver_memory": args.driver_memory}


def _jvm_peak_mb(engine) -> float:
    """The JVM's peak resident memory: PySpark's gateway process (``spark-submit`` execs
    ``java`` in place, so the process PySpark started is the JVM)."""
    pid = engine.session.sparkContext._gateway.proc.pid
    comm = Path(f"/proc/{pid}/comm").read_text().strip()
    if comm != "java":
        raise SystemExit(f"expected PySpark's gateway {pid} to be java, found {comm}")
    return peak_mb(str(pid))


def peak_mb(pid: str) -> float:
    """The high-water mark of a process's resident memory since its ``exec`` (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmHWM in /proc/{pid}/status")


def _write_results(scorecard, path: Path) -> None:
    units = {kpi.id: kpi.unit for kpi in scorecard.config.kpis}
    rows = {"|".join((r.kpi_id, r.period_key, r.scope, r.scope_id)):
            [units[r.kpi_id], None if r.actual is None else str(r.actual)]
            for r in scorecard.results}
    path.write_text(json.dumps(rows))


def compare(work: Path) -> str:
    """How the two engines' results agree, by the engines test's rule: currency to the cent,
    every other value to 1e-9; the largest difference and where."""
    duck = json.loads((work / "duckdb.json").read_text())
    spark = json.loads((work / "spark.json").read_text())
    if duck.keys() != spark.keys():
        return f"DIFFERENT cells: {len(duck.keys() ^ spark.keys())} found on one engine only"
    worst, where, same = Decimal(0), "", True
    for key, (unit, value) in duck.items():
        other = spark[key][1]
        if (value is None) != (other is None):
            return f"DIFFERENT: {key} is {value} on DuckDB, {other} on Spark"
        if value is None:
            continue
        difference = abs(Decimal(value) - Decimal(other))
        same = same and difference <= (CENT if unit == "currency" else RATIO)
        if difference > worst:
            worst, where = difference, f" ({key}: {value} / {other})"
    return (f"{'same' if same else 'DIFFERENT'} (currency to the cent, the rest to 1e-9): "
            f"{len(duck):,} cells, largest difference {worst}{where}")


def child(engine: str, args: argparse.Namespace, work: Path) -> dict:
    """One engine's compute in its own process: what it reports."""
    command = [sys.executable, __file__, "--child", engine, "--store", str(args.store),
               "--work", str(work), "--master", args.master,
               "--driver-memory", args.driver_memory]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = proc.stdout.read()  # type: ignore[union-attr]
    if proc.wait() != 0:
        raise SystemExit(f"{engine} child failed with status {proc.returncode}")
    return json.loads(out.decode().strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--opportunities", type=int, default=300_000)
    parser.add_argument("--reps", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help="comma-separated, of: " + ", ".join(ENGINES))
    parser.add_argument("--master", default="local[*]", help="Spark master URL")
    parser.add_argument("--driver-memory", default="12g",
                        help="Spark driver heap (local mode: the executors run in it)")
    parser.add_argument("--keep", type=Path, help="write the store here and keep it")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = run_duckdb(args) if args.child == "duckdb" else run_spark(args)
        print(json.dumps(result))
        return 0
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")

    with tempfile.TemporaryDirectory(prefix="kpisync-bench-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        args.store = work / "bench.duckdb"
        args.store.unlink(missing_ok=True)
        started = time.perf_counter()
        counts = bench_compute.generate(args.store, args)
        print(f"generated {counts} in {time.perf_counter() - started:.1f} s", flush=True)
        for engine in engines:
            result = child(engine, args, work)
            own_mb = result["own_mb"]
            if engine == "duckdb":
                print(f"duckdb: compute {result['seconds']:.1f} s, peak RSS {own_mb:.0f} MB, "
                      f"{result['results']:,} results", flush=True)
            else:
                print(f"spark ({result['master']}, driver memory {result['driver_memory']}): "
                      f"session start {result['session_seconds']:.1f} s, load "
                      f"{result['rows_loaded']:,} rows {result['load_seconds']:.1f} s, "
                      f"compute {result['seconds']:.1f} s; peak RSS python {own_mb:.0f} MB + "
                      f"JVM {result['jvm_mb']:.0f} MB = {own_mb + result['jvm_mb']:.0f} MB, "
                      f"{result['results']:,} results", flush=True)
        if set(ENGINES) <= set(engines):
            print("results: " + compare(work))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
