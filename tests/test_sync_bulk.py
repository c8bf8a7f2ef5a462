"""Bulk API 2.0 query jobs: job creation, polling, result sets, the daily limit, and a sync
through Bulk 2.0 that stores what a REST-only sync stores."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import responses
from responses import matchers

from kpisync.config import load_config
from kpisync.emulator import Emulator
from kpisync.emulator.demo_org import generate_demo_org
from kpisync.errors import QuotaReached, SalesforceError, TransientSalesforceError
from kpisync.store import Store
from kpisync.sync.auth import Credentials
from kpisync.sync.bulk import BulkPolicy, bulk_query, parse_csv
from kpisync.sync.client import SalesforceClient
from kpisync.sync.jobs import RESTART_CAUSE, sync
from kpisync.sync.plan import SyncOptions
from kpisync.sync.quota import Allowance, QuotaGuard
from tests.sf_fixtures import API, make_client, no_sleep_policy, sample
from tests.stores import table_rows

JOB_ID = "750R0000000zlh9IAA"
JOB = f"{API}/jobs/query/{JOB_ID}"
SOQL = "SELECT Id, SystemModstamp, IsDeleted, CallDurationInSeconds FROM Task"
TYPES = {"Id": "id", "SystemModstamp": "datetime", "IsDeleted": "boolean",
         "CallDurationInSeconds": "int"}
HEADER = '"Id","SystemModstamp","IsDeleted","CallDurationInSeconds"\n'
ROW_1 = '"00T1","2026-01-05T09:00:00.000+0000","false","90"\n'
ROW_2 = '"00T2","2026-01-06T09:00:00.000+0000","true",\n'
LIMITS = {"DailyApiRequests": {"Max": 100000, "Remaining": 99000},
          "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 9990}}


def job_info(state: str, **extra) -> dict:
    return {**sample("bulk2_query_job_complete.json"), "state": state, **extra}


def add_job(rsps, states: tuple[str, ...] = ("JobComplete",)) -> None:
    rsps.get(f"{API}/limits/", json=LIMITS)
    rsps.post(f"{API}/jobs/query", json=sample("bulk2_query_job_created.json"))
    for state in states:
        rsps.get(JOB, json=job_info(state))


def add_results(rsps, body: str, locator: str, *, after: str | None = None) -> None:
    params = {"maxRecords": "50000", **({"locator": after} if after else {})}
    rsps.get(f"{JOB}/results", body=body, content_type="text/csv",
             headers={"Sforce-Locator": locator, "Sforce-NumberOfRecords": "1"},
             match=[matchers.query_param_matcher(params)])


def read(client=None, slept: list[float] | None = None, **policy) -> list[list[dict]]:
    sleep = (slept if slept is not None else []).append
    sets = bulk_query(client or make_client(), SOQL, sobject="Task", field_types=TYPES,
                      policy=BulkPolicy(sleep=sleep, **policy))
    return [result.records for result in sets]


def bodies(rsps, method: str) -> list[object]:
    return [json.loads(c.request.body) if c.request.body else None
            for c in rsps.calls if c.request.method == method]


TASK_1 = {"Id": "00T1", "SystemModstamp": "2026-01-05T09:00:00.000+0000", "IsDeleted": False,
          "CallDurationInSeconds": 90}
TASK_2 = {"Id": "00T2", "SystemModstamp": "2026-01-06T09:00:00.000+0000", "IsDeleted": True,
          "CallDurationInSeconds": None}


@responses.activate
def test_creates_a_queryall_csv_job_and_deletes_it_after_reading():
    add_job(responses)
    add_results(responses, HEADER + ROW_1, "null")
    responses.delete(JOB, status=204)
    assert read() == [[TASK_1]]
    assert bodies(responses, "POST") == [{"operation": "queryAll", "query": SOQL,
                                          "contentType": "CSV", "columnDelimiter": "COMMA",
                                          "lineEnding": "LF"}]
    assert [c.request.method for c in responses.calls] == ["GET", "POST", "GET", "GET", "DELETE"]


@responses.activate
def test_polls_with_doubling_waits_until_job_complete():
    add_job(responses, ("UploadComplete", "InProgress", "InProgress", "JobComplete"))
    add_results(responses, HEADER + ROW_1, "null")
    responses.delete(JOB, status=204)
    slept: list[float] = []
    assert read(slept=slept) == [[TASK_1]]
    assert slept == [1.0, 2.0, 4.0]


@responses.activate
def test_follows_the_locator_until_the_literal_null():
    add_job(responses)
    add_results(responses, HEADER + ROW_1, "MQ==")
    add_results(responses, HEADER + ROW_2, "null", after="MQ==")
    responses.delete(JOB, status=204)
    assert read() == [[TASK_1], [TASK_2]]


@responses.activate
def test_a_result_set_is_handed_on_in_chunks_to_bound_memory():
    add_job(responses)
    add_results(responses, HEADER + ROW_1 + ROW_2, "MQ==")
    add_results(responses, HEADER, "null", after="MQ==")  # an empty last set
    responses.delete(JOB, status=204)
    sets = bulk_query(make_client(), SOQL, sobject="Task", field_types=TYPES,
                      policy=BulkPolicy(sleep=lambda _: None, chunk_records=1))
    assert [(r.records, r.first_in_set) for r in sets] == [
        ([TASK_1], True), ([TASK_2], False), ([], True)]


@pytest.mark.parametrize(("status", "body", "message"), [
    (400, [{"errorCode": "INVALID_FIELD",
            "message": "No such column 'Nope__c' on entity 'Task'."}],
     "Salesforce refused the request for Task (INVALID_FIELD: No such column 'Nope__c' on "
     "entity 'Task'., HTTP 400); check the field's API name and that the sync user can see "
     "it"),
    (400, [{"errorCode": "LIMIT_EXCEEDED",
            "message": "Max bulk v2 query jobs (10000) per 24 hrs has been reached (10001)"}],
     "Salesforce refused the request for Task (LIMIT_EXCEEDED: Max bulk v2 query jobs (10000) "
     "per 24 hrs has been reached (10001), HTTP 400)"),
    (200, {"state": "UploadComplete"},
     "Salesforce's answer to creating a Bulk API 2.0 query job for Task has no job id and "
     'state: {"state": "UploadComplete"}'),
], ids=["invalid-field", "daily-limit", "no-job-id"])
@responses.activate
def test_a_refused_job_creation_raises(status, body, message):
    responses.get(f"{API}/limits/", json=LIMITS)
    responses.post(f"{API}/jobs/query", json=body, status=status)
    with pytest.raises(SalesforceError) as caught:
        read()
    assert str(caught.value) == message


@pytest.mark.parametrize(("info", "message"), [
    (job_info("Failed", errorMessage="Query timed out after 600 seconds"),
     "the Bulk API 2.0 query job 750R0000000zlh9IAA for Task failed: Query timed out after "
     "600 seconds"),
    (job_info("Aborted"),
     "the Bulk API 2.0 query job 750R0000000zlh9IAA for Task was aborted in Salesforce (not "
     "by kpisync); run the sync again"),
], ids=["failed", "aborted"])
@responses.activate
def test_a_failed_or_aborted_job_raises_and_is_deleted(info, message):
    add_job(responses, ())
    responses.get(JOB, json=info)
    responses.delete(JOB, status=204)
    with pytest.raises(SalesforceError) as caught:
        read()
    assert str(caught.value) == message
    assert [c.request.method for c in responses.calls][-1] == "DELETE"
    assert bodies(responses, "PATCH") == []


@responses.activate
def test_a_job_that_never_finishes_is_aborted_and_deleted():
    add_job(responses, ("InProgress",) * 4)
    responses.patch(JOB, json={**sample("bulk2_query_job_created.json"), "state": "Aborted"})
    responses.delete(JOB, status=204)
    slept: list[float] = []
    with pytest.raises(TransientSalesforceError) as caught:
        read(slept=slept, first_wait=1.0, max_total=5.0)
    assert str(caught.value) == (
        "the Bulk API 2.0 query job 750R0000000zlh9IAA for Task did not finish within 5 "
        "seconds (state InProgress); kpisync aborted it. Run the sync again later: it resumes "
        "from the last checkpoint")
    assert slept == [1.0, 2.0]
    assert bodies(responses, "PATCH") == [{"state": "Aborted"}]
    assert [c.request.method for c in responses.calls][-2:] == ["PATCH", "DELETE"]


@responses.activate
def test_no_job_is_created_when_the_daily_bulk_jobs_are_used_up():
    responses.get(f"{API}/limits/", json={**LIMITS, "DailyBulkV2QueryJobs":
                                          {"Max": 10000, "Remaining": 0}})
    with pytest.raises(SalesforceError) as caught:
        read()
    assert str(caught.value) == (
        "the org has used up its daily Bulk API 2.0 query jobs (0 of 10,000 left), so Task "
        "cannot be read with one; wait for the rolling 24 hours to free jobs, or raise the "
        "bulk threshold so that it is read through the REST API")
    assert [c.request.method for c in responses.calls] == ["GET"]


@responses.activate
def test_calls_are_counted_and_refused_by_the_quota_guard():
    add_job(responses)
    client = make_client(quota=QuotaGuard(run_budget=Allowance(requests=2)))
    with pytest.raises(QuotaReached):
        read(client)
    assert client.api_calls == 2  # /limits and the job creation; the poll was refused


@pytest.mark.parametrize(("text", "sf_type", "value"), [
    ("true", "boolean", True),
    ("false", "boolean", False),
    ("90", "int", 90),
    ("1.50", "currency", Decimal("1.50")),
    ("2.5", "double", Decimal("2.5")),
    ("2026-01-05", "date", "2026-01-05"),
    ("Call, then \"email\"\nlater", "string", "Call, then \"email\"\nlater"),
    ("", "string", None),
], ids=["true", "false", "int", "currency", "double", "date", "quoted-multiline", "blank"])
def test_csv_values_are_typed_like_rest_json(text, sf_type, value):
    quoted = '"' + text.replace('"', '""') + '"' if text else ""
    rows = parse_csv(f'"Id","F"\n"00T1",{quoted}\n', {"F": sf_type}, sobject="Task")
    assert rows == [{"Id": "00T1", "F": value}]


def test_a_value_that_does_not_fit_its_type_raises():
    with pytest.raises(SalesforceError) as caught:
        parse_csv('"Id","IsDeleted"\n"00T1","yes"\n', {"IsDeleted": "boolean"}, sobject="Task")
    assert str(caught.value) == ("the Bulk API 2.0 results for Task have 'yes' in IsDeleted, "
                                 "which is not a boolean")


SAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "kpis.yaml"
NOW = datetime(2026, 6, 17, 12, 0, tzinfo=UTC)


REST_ONLY = SyncOptions(bulk_threshold=None)
QUICK_BULK = SyncOptions(bulk_threshold=1000, bulk_policy=BulkPolicy(sleep=lambda _: None))


@pytest.mark.e2e
def test_a_bulk_sync_stores_what_a_rest_sync_stores(tmp_path):
    org = generate_demo_org(seed=3, as_of=date(2026, 6, 17), scale=0.05)
    config = load_config(SAMPLE_CONFIG)
    with Emulator(org, bulk_polls_to_complete=2, bulk_page_size=500) as emu:
        def client() -> SalesforceClient:
            credentials = Credentials(emu.url, emu.access_token, ca_bundle=emu.ca_path)
            return SalesforceClient(credentials, retry=no_sleep_policy())

        with Store.open(tmp_path / "rest.duckdb") as store:
            rest = sync(config, store, client(), REST_ONLY, now=NOW)
        with Store.open(tmp_path / "bulk.duckdb") as store:
            bulk = sync(config, store, client(), QUICK_BULK, now=NOW)
            task_state = store.get_state("Task")
        bulk_requests = [r for r in emu.requests if "/jobs/query" in r]
    fetched = rest.objects["Task"].fetched
    assert fetched - 2000 > 1000 >= bulk.objects["Event"].fetched - 2000
    assert bulk.objects["Task"].fetched == fetched
    # the first REST page tells the total; the rest comes in result sets of 500
    assert bulk.objects["Task"].pages == 1 + -(-(fetched - 2000) // 500)
    assert sum("POST" in r for r in bulk_requests) == 1  # one job: Task's
    assert any("/results" in r for r in bulk_requests)
    assert task_state is not None and task_state.watermark == rest.objects["Task"].watermark
    assert task_state.complete
    assert table_rows(tmp_path / "bulk.duckdb") == table_rows(tmp_path / "rest.duckdb")


@pytest.mark.e2e
def test_an_expired_bulk_locator_restarts_the_read_from_the_checkpoint(tmp_path):
    org = generate_demo_org(seed=3, as_of=date(2026, 6, 17), scale=0.05)
    config = load_config(SAMPLE_CONFIG)
    with Emulator(org, bulk_page_size=500) as emu:
        def client() -> SalesforceClient:
            credentials = Credentials(emu.url, emu.access_token, ca_bundle=emu.ca_path)
            return SalesforceClient(credentials, retry=no_sleep_policy())

        with Store.open(tmp_path / "rest.duckdb") as store:
            sync(config, store, client(), REST_ONLY, now=NOW)
        emu.faults.inject("invalid_locator", on_call=2, path_contains="/results")
        with Store.open(tmp_path / "bulk.duckdb") as store:
            report = sync(config, store, client(), QUICK_BULK, now=NOW)
        jobs = [r.split(" ")[0] for r in emu.requests if "/jobs/query" in r]
    assert report.retries == {RESTART_CAUSE: 1}
    # job 1: created, polled, a result set, the failed one, deleted; then job 2 reads the rest
    assert jobs[:jobs.index("DELETE") + 1][-2:] == ["GET", "DELETE"]
    assert jobs.count("POST") == 2 and jobs.count("DELETE") == 2
    assert report.objects["Task"].full and report.objects["Task"].complete
    assert table_rows(tmp_path / "bulk.duckdb") == table_rows(tmp_path / "rest.duckdb")
