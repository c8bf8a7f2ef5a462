"""API quota guards: the policy, the client checking it before each call, and the sync
stopping cleanly (partial report, checkpoint kept, resumable) when a guard trips."""

from __future__ import annotations

import pytest
import responses

from kpisync.errors import QuotaReached, SalesforceError
from kpisync.store import Store
from kpisync.sync.quota import Allowance, QuotaGuard
from tests.sf_fixtures import API, add_describe, add_more, add_query, make_client, sample
from tests.test_sync_jobs import (
    ORDER,
    SINCE,
    TASK_SELECT,
    add_reference_objects,
    run,
    task,
    task_rows,
    watermark,
)

NEXT = "/services/data/v60.0/query/01gRO0000016PIAYA2-2"
LAST = "/services/data/v60.0/query/01gRO0000016PIAYA2-4"
FIRST_TASK_QUERY = f"{TASK_SELECT} WHERE {SINCE}{ORDER}"


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "store.duckdb") as opened:
        yield opened


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10%", Allowance(fraction=0.10)), ("0.25", Allowance(fraction=0.25)),
     ("500", Allowance(requests=500)), (" 12.5 % ", Allowance(fraction=0.125))],
    ids=["percent", "fraction", "requests", "decimal-percent-with-spaces"],
)
def test_allowance_parse(text, expected):
    assert Allowance.parse(text) == expected


@pytest.mark.parametrize("text", ["ten", "150%", "1.5", "-3"],
                         ids=["word", "over-100-percent", "fraction-over-1", "negative"])
def test_allowance_parse_rejects(text):
    with pytest.raises(ValueError) as info:
        Allowance.parse(text)
    assert str(info.value) == ("expected a percentage (10%), a fraction (0.1) or a number of "
                               f"requests (500), got {text!r}")


@pytest.mark.parametrize(
    ("calls", "usage", "expected"),
    [(0, None, None),
     (99, (5_000, 10_000), None),
     (100, (5_000, 10_000), "run budget reached: 100 API calls made of 100 allowed (1% of the "
                            "daily limit; the org's daily limit is 10,000)"),
     (10, (7_999, 10_000), None),
     (10, (8_000, 10_000), "org API floor reached: 2,000 of 10,000 daily API requests remain, "
                           "and kpisync leaves at least 2,000 (20% of the daily limit) to other "
                           "users"),
     (10, (10_050, 10_000), "org API floor reached: 0 of 10,000 daily API requests remain, and "
                            "kpisync leaves at least 2,000 (20% of the daily limit) to other "
                            "users")],
    ids=["no-usage-yet", "under-budget", "budget-reached", "above-floor", "at-floor",
         "over-the-limit"],
)
def test_guard_check(calls, usage, expected):
    guard = QuotaGuard(run_budget=Allowance(fraction=0.01))
    assert guard.check(calls, usage) == expected


def test_absolute_budget_applies_before_the_first_answer():
    guard = QuotaGuard(run_budget=Allowance(requests=3))
    assert guard.check(3, None) == "run budget reached: 3 API calls made of 3 requests"


def _first_sync_in_pages(rsps, *, headers=None):
    """User, UserRole, then Task in three pages of two: 8 calls in all."""
    add_reference_objects(rsps)
    add_query(rsps, FIRST_TASK_QUERY, [task("00T1", "2026-01-05T14:03:00.000+0000"),
                                       task("00T2", "2026-01-05T14:03:00.000+0000")],
              next_url=NEXT, total=6, headers=headers or {})
    add_more(rsps, NEXT, [task("00T3", "2026-01-05T14:04:00.000+0000"),
                          task("00T4", "2026-01-05T14:05:00.000+0000")], total=6,
             following=LAST)
    add_more(rsps, LAST, [task("00T5", "2026-01-05T14:06:00.000+0000"),
                          task("00T6", "2026-01-05T14:07:00.000+0000")], total=6)


@responses.activate
def test_budget_reached_mid_object_stops_cleanly_and_keeps_the_checkpoint(store):
    _first_sync_in_pages(responses)
    client = make_client(quota=QuotaGuard(run_budget=Allowance(requests=7)))
    report = run(store, client=client)
    assert report.partial is True
    assert report.stopped_reason == "run budget reached: 7 API calls made of 7 requests"
    assert list(report.objects) == ["User", "UserRole", "Task"]
    partial = report.objects["Task"]
    assert (partial.fetched, partial.pages, partial.api_calls, partial.complete,
            partial.full) == (4, 2, 3, False, True)
    assert client.api_calls == 7
    assert task_rows(store) == [(f"00T{i}", "Call") for i in range(1, 5)]
    state = store.get_state("Task")
    assert (state.watermark_id, state.last_full_sync) == ("00T4", None)


@responses.activate
def test_rerun_after_a_budget_stop_resumes_without_duplicates(store):
    _first_sync_in_pages(responses)
    run(store, client=make_client(quota=QuotaGuard(run_budget=Allowance(requests=7))))
    responses.reset()
    add_reference_objects(responses, first=False)
    wm = watermark("2026-01-05T14:05:00Z", "00T4")
    add_query(responses, f"{TASK_SELECT} WHERE ({SINCE}) AND ({wm}){ORDER}",
              [task("00T5", "2026-01-05T14:06:00.000+0000"),
               task("00T6", "2026-01-05T14:07:00.000+0000")])
    report = run(store, client=make_client(quota=QuotaGuard(run_budget=Allowance(requests=7))))
    assert report.partial is False
    assert report.objects["Task"].fetched == 2
    assert task_rows(store) == [(f"00T{i}", "Call") for i in range(1, 7)]


@responses.activate
def test_org_floor_from_sforce_limit_info_stops_before_the_next_page(store):
    _first_sync_in_pages(responses, headers={"Sforce-Limit-Info": "api-usage=800/1000"})
    report = run(store, client=make_client(quota=QuotaGuard()))
    assert report.stopped_reason == (
        "org API floor reached: 200 of 1,000 daily API requests remain, and kpisync leaves at "
        "least 200 (20% of the daily limit) to other users")
    assert report.api_usage_after == (800, 1000)
    assert task_rows(store) == [("00T1", "Call"), ("00T2", "Call")]


@responses.activate
def test_request_limit_exceeded_is_a_partial_stop(store):
    add_reference_objects(responses)
    responses.get(f"{API}/queryAll/", json=sample("error_request_limit.json"), status=403)
    report = run(store)
    assert report.partial is True
    assert report.stopped_reason == (
        "Salesforce answered REQUEST_LIMIT_EXCEEDED: the org has used up its API requests for "
        "the rolling 24 hours; wait for calls made over that window to free up (or ask an "
        "admin to raise the limit) before the next run")
    assert (report.objects["Task"].fetched, report.objects["Task"].complete) == (0, False)
    assert store.count("User") == 1


@responses.activate
def test_other_salesforce_errors_still_raise(store):
    add_reference_objects(responses)
    responses.get(f"{API}/queryAll/", json=sample("error_invalid_field.json"), status=400)
    with pytest.raises(SalesforceError) as info:
        run(store)
    assert info.value.error_code == "INVALID_FIELD"


@responses.activate
def test_client_raises_quota_reached_without_sending_the_request():
    add_describe(responses, "Task", {"Id": "id"})
    client = make_client(quota=QuotaGuard(run_budget=Allowance(requests=0)))
    with pytest.raises(QuotaReached) as info:
        client.describe("Task")
    assert str(info.value) == "run budget reached: 0 API calls made of 0 requests"
    assert (client.api_calls, len(responses.calls)) == (0, 0)


@responses.activate
def test_retries_are_counted_by_cause(store):
    add_reference_objects(responses)
    responses.get(f"{API}/queryAll/", body="<html><body>Down for maintenance</body></html>",
                  status=503)
    responses.get(f"{API}/queryAll/", json=sample("error_unable_to_lock_row.json"), status=400)
    add_query(responses, FIRST_TASK_QUERY, [task("00T1", "2026-01-05T14:03:00.000+0000")])
    report = run(store)
    assert report.retries == {"HTTP 503": 1, "UNABLE_TO_LOCK_ROW": 1}
    assert report.to_dict()["retries"] == {"total": 2, "causes": {"HTTP 503": 1,
                                                                  "UNABLE_TO_LOCK_ROW": 1}}
