"""The dry run: counts with the incremental WHERE, /limits, and nothing written."""

from __future__ import annotations

import pytest
import responses

from kpisync.store import Store
from kpisync.sync.estimate import BULK_POLLS, estimate
from kpisync.sync.plan import SyncOptions
from kpisync.sync.quota import Allowance, QuotaGuard
from tests.sf_fixtures import API, add_query, make_client, sample
from tests.test_sync_jobs import (
    CONFIG,
    HISTORY,
    NOW,
    ORDER,
    ROLE_SELECT,
    SINCE,
    TASK_SELECT,
    USER_SELECT,
    add_reference_objects,
    lookback,
    run,
    task,
)

OPTIONS = SyncOptions(history_start=HISTORY)


def add_counts(rsps, task_where, *, users=36, roles=7, tasks=4_484, checkpoint=False):
    user_where = f" WHERE {lookback('2025-12-31T23:50:00Z')}" if checkpoint else ""
    role_where = user_where
    add_query(rsps, f"SELECT count() FROM User{user_where}", [], all_rows=False, total=users)
    add_query(rsps, f"SELECT count() FROM UserRole{role_where}", [], all_rows=False, total=roles)
    add_query(rsps, f"SELECT count() FROM Task WHERE {task_where}", [], total=tasks)
    rsps.get(f"{API}/limits/", json=sample("limits_excerpt.json"))


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "store.duckdb") as opened:
        yield opened


@responses.activate
def test_first_sync_estimate_counts_pages_and_describes():
    add_counts(responses, SINCE)
    result = estimate(CONFIG, None, make_client(), OPTIONS, now=NOW,
                      quota=QuotaGuard(run_budget=Allowance(requests=10)))
    assert {name: (o.records, o.calls, o.full) for name, o in result.objects.items()} == {
        "User": (36, 2, True), "UserRole": (7, 2, True), "Task": (4_484, 4, True)}
    assert (result.estimated_calls, result.api_calls, result.api_usage) == (8, 4, (63, 5000))
    assert (result.run_budget, result.org_floor, result.within_quota) == (10, 1000, True)


@responses.activate
def test_estimate_json_and_budget_verdict():
    add_counts(responses, SINCE, tasks=40_000)
    result = estimate(CONFIG, None, make_client(), OPTIONS, now=NOW)
    assert (result.estimated_calls, result.run_budget, result.within_quota) == (25, 500, True)
    assert result.to_dict() == {
        "dry_run": True,
        "objects": {"User": {"records": 36, "api_calls": 2, "full": True, "bulk": False,
                             "soql": USER_SELECT + ORDER},
                    "UserRole": {"records": 7, "api_calls": 2, "full": True, "bulk": False,
                                 "soql": ROLE_SELECT + ORDER},
                    "Task": {"records": 40_000, "api_calls": 21, "full": True, "bulk": False,
                             "soql": f"{TASK_SELECT} WHERE {SINCE}{ORDER}"}},
        "estimated_api_calls": 25, "dry_run_api_calls": 4,
        "api_usage": {"used": 63, "limit": 5000},
        "run_budget": 500, "org_floor": 1000, "within_quota": True,
    }
    tight = estimate(CONFIG, None, make_client(), OPTIONS, now=NOW,
                     quota=QuotaGuard(run_budget=Allowance(requests=24)))
    assert tight.within_quota is False


@responses.activate
def test_estimate_uses_the_checkpoint_and_writes_nothing(store):
    add_reference_objects(responses)
    add_query(responses, f"{TASK_SELECT} WHERE {SINCE}{ORDER}",
              [task("00T1", "2026-01-05T14:03:00.000+0000")])
    run(store)
    before = (store.get_state("Task"), store.count("Task"))
    responses.reset()
    wm = lookback("2026-01-05T13:53:00Z")
    add_counts(responses, f"({SINCE}) AND ({wm})", users=0, roles=0, tasks=0, checkpoint=True)
    result = estimate(CONFIG, store, make_client(), OPTIONS, now=NOW)
    # the sync would skip the describe (same fields as last time): one call per object
    assert {name: o.calls for name, o in result.objects.items()} == {
        "User": 1, "UserRole": 1, "Task": 1}
    assert result.objects["Task"].full is False
    # the SOQL the sync would read with: from the checkpoint, a lookback before it
    assert result.objects["Task"].soql == f"{TASK_SELECT} WHERE ({SINCE}) AND ({wm}){ORDER}"
    assert (store.get_state("Task"), store.count("Task")) == before


@responses.activate
def test_estimate_counts_a_bulk_job_for_an_object_above_the_threshold():
    add_counts(responses, SINCE, tasks=180_000)
    result = estimate(CONFIG, None, make_client(), OPTIONS, now=NOW)
    task_estimate = result.objects["Task"]
    # describe, the first REST page, /limits, create, polls, 4 result sets of 50,000, delete
    assert (task_estimate.bulk, task_estimate.calls) == (True, 1 + 1 + 2 + BULK_POLLS + 4 + 1)
    assert "Task: 180,000 records, 12 API calls (full read, Bulk API 2.0)" in result.summary()


@responses.activate
def test_estimate_without_bulk_counts_rest_pages():
    add_counts(responses, SINCE, tasks=180_000)
    rest_only = SyncOptions(history_start=HISTORY, bulk_threshold=None)
    result = estimate(CONFIG, None, make_client(), rest_only, now=NOW)
    assert (result.objects["Task"].bulk, result.objects["Task"].calls) == (False, 1 + 90)


@responses.activate
def test_summary_lists_each_objects_soql():
    add_counts(responses, SINCE)
    lines = estimate(CONFIG, None, make_client(), OPTIONS, now=NOW).summary().splitlines()
    assert lines[1:] == [
        "  User: 36 records, 2 API calls (full read)", f"    {USER_SELECT}{ORDER}",
        "  UserRole: 7 records, 2 API calls (full read)", f"    {ROLE_SELECT}{ORDER}",
        "  Task: 4,484 records, 4 API calls (full read)",
        f"    {TASK_SELECT} WHERE {SINCE}{ORDER}",
    ]
