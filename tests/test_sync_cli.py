"""`kpisync sync` quota options on the emulator: --dry-run, --json, exit code 3 then resume."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from kpisync.cli import main
from kpisync.emulator import Emulator
from kpisync.emulator.demo_org import generate_demo_org

SAMPLE = Path(__file__).resolve().parent.parent / "kpis.yaml"
ORG = generate_demo_org(seed=3, as_of=date(2026, 6, 17), scale=0.05)
OBJECTS = ["User", "UserRole", "Task", "Event", "Opportunity"]


def sync(emulator, store, *args):
    env = {"SF_INSTANCE_URL": emulator.url, "SF_ACCESS_TOKEN": emulator.access_token,
           "REQUESTS_CA_BUNDLE": str(emulator.ca_path)}
    return CliRunner().invoke(main, ["sync", "-c", str(SAMPLE), "--store", str(store), *args],
                              env=env, catch_exceptions=False)


def task_ids(store):
    with duckdb.connect(str(store), read_only=True) as con:
        return [row[0] for row in con.execute('SELECT "Id" FROM sf_task').fetchall()]


@pytest.mark.e2e
def test_dry_run_estimates_and_writes_nothing(tmp_path):
    store = tmp_path / "s.duckdb"
    with Emulator(ORG) as emulator:
        result = sync(emulator, store, "--dry-run", "--json", "--history-start", "2025-05-01")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert list(report["objects"]) == OBJECTS
    tasks = len(ORG.records("Task"))  # the whole org: it starts after the history start
    assert report["objects"]["Task"] == {
        "records": tasks, "api_calls": 1 + -(-tasks // 2000), "full": True, "bulk": False,
        "soql": "SELECT Id, SystemModstamp, IsDeleted, OwnerId, ActivityDate, "
                "CallDurationInSeconds, Subject, TaskSubtype FROM Task WHERE CreatedDate >= "
                "2025-05-01T00:00:00Z ORDER BY SystemModstamp, Id"}
    calls = sum(o["api_calls"] for o in report["objects"].values())
    assert (report["estimated_api_calls"], report["dry_run_api_calls"]) == (calls, 6)
    assert report["api_usage"] == {"used": 6, "limit": 100_000}
    assert not store.exists()


@pytest.mark.e2e
def test_dry_run_prints_the_soql_and_leaves_an_existing_store_as_it_was(tmp_path):
    store = tmp_path / "s.duckdb"
    with Emulator(ORG) as emulator:
        assert sync(emulator, store).exit_code == 0
        before = store.read_bytes(), store.stat().st_mtime_ns
        result = sync(emulator, store, "--dry-run")
    assert result.exit_code == 0, result.output
    assert (store.read_bytes(), store.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.duckdb"]  # no WAL left either
    lines = result.stdout.splitlines()
    task = lines.index(next(line for line in lines if line.startswith("  Task: ")))
    # incremental: from the checkpoint the sync just left, a lookback before it
    assert lines[task + 1].startswith("    SELECT Id, SystemModstamp, IsDeleted, ")
    assert " FROM Task WHERE (CreatedDate >= " in lines[task + 1]
    assert "SystemModstamp >= " in lines[task + 1]
    assert lines[task + 1].endswith(" ORDER BY SystemModstamp, Id")


@pytest.mark.e2e
def test_quota_stop_exits_3_then_the_rerun_resumes(tmp_path):
    store = tmp_path / "s.duckdb"
    with Emulator(ORG, daily_api_limit=1_000, page_size=500) as emulator:
        first = sync(emulator, store, "--json", "--api-budget", "12")
        assert first.exit_code == 3, first.output
        stopped = json.loads(first.stdout)
        assert stopped["partial"] is True
        assert stopped["stopped_reason"] == (
            "run budget reached: 12 API calls made of 12 allowed (12 requests; the org's daily "
            "limit is 1,000)")
        assert stopped["totals"]["api_calls"] == 12
        assert stopped["objects"]["Task"]["complete"] is False
        kept = task_ids(store)
        assert len(kept) == stopped["objects"]["Task"]["upserted"] > 0

        second = sync(emulator, store, "--json")
        assert second.exit_code == 0, second.output
        resumed = json.loads(second.stdout)
    assert resumed["partial"] is False
    assert list(resumed["objects"]) == OBJECTS
    assert set(resumed["objects"]["Task"]) == {"fetched", "upserted", "deleted", "pages",
                                               "api_calls", "seconds", "watermark", "full",
                                               "complete"}
    assert set(resumed) == {"partial", "stopped_reason", "objects", "totals", "api_usage",
                            "retries"}
    assert resumed["api_usage"]["after"] == {"used": 12 + resumed["totals"]["api_calls"],
                                             "limit": 1_000}
    assert resumed["retries"] == {"total": 0, "causes": {}}
    ids = task_ids(store)
    assert len(ids) == len(set(ids))
    assert len(ids) == stopped["objects"]["Task"]["upserted"] + \
        resumed["objects"]["Task"]["upserted"]


@pytest.mark.e2e
def test_org_floor_from_the_emulator_stops_with_exit_3(tmp_path):
    with Emulator(ORG, daily_api_limit=20, page_size=500) as emulator:  # a sync needs 18
        result = sync(emulator, tmp_path / "s.duckdb", "--api-budget", "100%")
    assert result.exit_code == 3, result.output
    assert "Stopped early: org API floor reached: 4 of 20 daily API requests remain, and " \
           "kpisync leaves at least 4 (20% of the daily limit) to other users. What was " \
           "fetched is stored; run `kpisync sync` again to resume." in result.stdout


@pytest.mark.e2e
def test_run_stopped_at_a_guard_skips_the_build_and_exits_3(tmp_path):
    with Emulator(ORG) as emulator:
        env = {"SF_INSTANCE_URL": emulator.url, "SF_ACCESS_TOKEN": emulator.access_token,
               "REQUESTS_CA_BUNDLE": str(emulator.ca_path)}
        result = CliRunner().invoke(
            main, ["run", "-c", str(SAMPLE), "--store", str(tmp_path / "s.duckdb"), "-o",
                   str(tmp_path / "out"), "--api-budget", "5"], env=env, catch_exceptions=False)
    assert result.exit_code == 3, result.output
    assert "Skipped the build: the sync is partial.\n" in result.stderr
    assert not (tmp_path / "out").exists()


def test_malformed_api_budget_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["sync", "--store", str(tmp_path / "s.duckdb"),
                                       "--api-budget", "lots"])
    assert result.exit_code == 2
    assert ("Invalid value for '--api-budget': expected a percentage (10%), a fraction (0.1) or "
            "a number of requests (500), got 'lots'") in result.stderr
    assert not (tmp_path / "s.duckdb").exists()
