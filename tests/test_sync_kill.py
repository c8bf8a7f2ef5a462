"""A sync killed at any moment resumes where it stopped, with no duplicate and no gap.

The sync runs as `python -m kpisync sync` in its own process against an in-process emulator
(200-record pages, so Task takes ~37 pages); it is SIGKILLed mid-Task or cut off from the
network, run again to completion, and the store is compared, table by table and row by row,
with a clean full sync of the same org.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from kpisync.emulator import Emulator
from kpisync.emulator.demo_org import generate_demo_org
from kpisync.sync.plan import HISTORY_MONTHS, months_before
from tests.stores import snapshot

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "kpis.yaml"
#: the CLI reads history from 13 months before *today*, so the org must end today
TODAY = date.today()
#: Task's queryAll pages come from /query/<locator>-<offset>; User..Event share that path
LOCATOR_PAGE = "/query/01g"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def emulator():
    org = generate_demo_org(seed=5, as_of=TODAY, scale=0.05)
    with Emulator(org, page_size=200) as running:
        yield running


@pytest.fixture(scope="module")
def clean_store(emulator, tmp_path_factory):
    """A full sync that nothing interrupted: what every resumed store must equal."""
    store = tmp_path_factory.mktemp("clean") / "store.duckdb"
    result = run_sync(emulator, store)
    assert result.returncode == 0, result.stderr
    return store


def sync_command(store: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "kpisync", "sync", "-c", str(CONFIG), "--store", str(store),
            "--api-budget", "100000", *extra]


def sync_env(emulator: Emulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SF_")}
    env.update(SF_INSTANCE_URL=emulator.url, SF_ACCESS_TOKEN=emulator.access_token,
               REQUESTS_CA_BUNDLE=str(emulator.ca_path), NO_PROXY="127.0.0.1")
    return env


def run_sync(emulator: Emulator, store: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(sync_command(store, *extra), env=sync_env(emulator),
                          capture_output=True, text=True, timeout=120)


def run_until_killed(emulator: Emulator, store: Path, kill_when: Callable[[], bool],
                     *extra: str) -> None:
    """Run the sync and SIGKILL it as soon as ``kill_when()`` is true; fails if the sync ended
    before it could be killed."""
    process = subprocess.Popen(sync_command(store, *extra), env=sync_env(emulator),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if kill_when():
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
    finally:
        if process.poll() is None and time.monotonic() >= deadline:
            process.kill()
        process.wait(timeout=30)
        reader.join(timeout=10)
    assert process.returncode == -signal.SIGKILL, "".join(lines)


def task_checkpoint(store: Path) -> tuple[datetime, str, int]:
    """(watermark, watermark Id, rows stored) of Task in a store a killed sync left."""
    with duckdb.connect(str(store)) as db:
        states = dict(db.execute(
            "SELECT sobject, epoch_us(watermark) FROM sync_state").fetchall())
        assert "Task" in states and states["Task"] is not None, states
        assert "Opportunity" not in states, "the kill came after Task was done"
        micros, watermark_id = db.execute(
            "SELECT epoch_us(watermark), watermark_id FROM sync_state WHERE sobject = 'Task'"
        ).fetchone()
        stored = db.execute("SELECT count(*) FROM sf_task").fetchone()[0]
    return EPOCH + timedelta(microseconds=micros), watermark_id, stored


def task_order(emulator: Emulator) -> list[tuple[datetime, str]]:
    """(SystemModstamp, Id) of the Task records the sync reads (deleted ones included: queryAll
    returns them), in the order it reads them."""
    start = months_before(TODAY, HISTORY_MONTHS).isoformat()
    return sorted((salesforce_time(r["SystemModstamp"]), r["Id"])
                  for r in emulator.org.records("Task") if r["CreatedDate"][:10] >= start)


def task_records_after(emulator: Emulator, watermark: datetime, watermark_id: str) -> int:
    """How many Task records the resumed read must get: those after the checkpoint."""
    return sum(1 for key in task_order(emulator) if key > (watermark, watermark_id))


def salesforce_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)


def api_calls_reached(emulator: Emulator, calls: int, delay: float) -> Callable[[], bool]:
    """True ``delay`` seconds after the emulator received this sync's ``calls``-th call."""
    base = emulator.api_calls
    reached: list[float] = []

    def due() -> bool:
        if not reached and emulator.api_calls - base >= calls:
            reached.append(time.monotonic())
        return bool(reached) and time.monotonic() - reached[0] >= delay

    return due


# User and UserRole take a describe and a query each, Task a describe then its pages: call n
# (n > 5) is Task's page n - 5. A page takes ~75 ms to fetch, parse and store here, so the
# delays after a page's request land the kill in different steps of reading it.
@pytest.mark.parametrize(("calls", "delay"), [(10, 0.0), (15, 0.025), (20, 0.05)],
                         ids=["as-page-5-is-requested", "while-page-10-is-read",
                              "while-page-15-is-stored"])
def test_sigkill_mid_task_resumes_without_duplicate_or_gap(emulator, clean_store, tmp_path,
                                                           calls, delay):
    store = tmp_path / "store.duckdb"
    run_until_killed(emulator, store, api_calls_reached(emulator, calls, delay))
    watermark, watermark_id, stored = task_checkpoint(store)
    clean_tasks = snapshot(clean_store)["sf_task"][1]
    assert 0 < stored < len(clean_tasks)

    resumed = run_sync(emulator, store, "--json")

    assert resumed.returncode == 0, resumed.stderr
    task = json.loads(resumed.stdout)["objects"]["Task"]
    # the first read goes on where it stopped: still a full read, of the records left
    assert (task["full"], task["fetched"]) == (
        True, task_records_after(emulator, watermark, watermark_id))
    assert snapshot(store) == snapshot(clean_store)


def test_network_cut_mid_task_fails_then_rerun_completes(emulator, clean_store, tmp_path):
    store = tmp_path / "store.duckdb"
    # Task's first page comes from /queryAll/?q=, the next from /query/<locator>-<offset>: the
    # 10th locator page is Task's 11th page. Every attempt at it (5) is hung up on.
    fired_before = len(emulator.faults.fired)
    emulator.faults.inject("drop_connection", on_call=10, times=50, path_contains=LOCATOR_PAGE)
    try:
        cut = run_sync(emulator, store)
    finally:
        emulator.faults.clear()
    assert cut.returncode == 1, cut.stderr
    assert ("Error: could not reach Salesforce for Task: the connection failed or was dropped "
            "(ConnectionError) (gave up after 5 attempts)") in cut.stderr.splitlines()
    assert len(emulator.faults.fired) - fired_before == 5
    watermark, watermark_id, _ = task_checkpoint(store)
    assert (watermark, watermark_id) == task_order(emulator)[10 * 200 - 1]

    resumed = run_sync(emulator, store, "--json")

    assert resumed.returncode == 0, resumed.stderr
    task = json.loads(resumed.stdout)["objects"]["Task"]
    # the first read goes on where it stopped: still a full read, of the records left
    assert (task["full"], task["fetched"]) == (
        True, task_records_after(emulator, watermark, watermark_id))
    assert snapshot(store) == snapshot(clean_store)


def test_sigkill_mid_bulk_read_resumes_without_duplicate_or_gap(emulator, clean_store,
                                                                tmp_path):
    """Task read through Bulk API 2.0 (500-record result sets), killed after its third result
    set was requested: the checkpoint is the first REST page's, and the rerun reads the rest
    again through a new job."""
    store = tmp_path / "store.duckdb"
    # the same org (its recent stamps follow the clock), served with small result sets
    with Emulator(emulator.org, page_size=200, bulk_page_size=500,
                  bulk_polls_to_complete=0) as bulk_emu:
        def third_result_set() -> bool:
            return sum("/results" in r for r in bulk_emu.requests) >= 3

        run_until_killed(bulk_emu, store, third_result_set, "--bulk-threshold", "1000")
        watermark, watermark_id, stored = task_checkpoint(store)
        assert (watermark, watermark_id) == task_order(bulk_emu)[199]  # the first REST page
        assert stored > 200  # result sets were stored before the kill

        resumed = run_sync(bulk_emu, store, "--json", "--bulk-threshold", "1000")
        jobs = sum("POST" in r and "/jobs/query" in r for r in bulk_emu.requests)

    assert resumed.returncode == 0, resumed.stderr
    assert jobs == 2
    assert snapshot(store) == snapshot(clean_store)
