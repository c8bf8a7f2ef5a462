"""Bulk API 2.0 query jobs on the emulator, over real HTTPS: job info shaped like the bulk2_*
samples, polling to JobComplete, CSV result sets with locators, abort/delete, limits, faults,
and simple-salesforce's bulk2 query path."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import requests
import simple_salesforce

from kpisync.emulator import Emulator, OrgData
from kpisync.emulator.bulk import write_csv

SAMPLES = Path("/work/shared/data")
API = "/services/data/v60.0"
JOBS = f"{API}/jobs/query"
NOT_FOUND = [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
TASKS = "SELECT Id, Subject FROM Task"


def sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


def task(n: int, **fields) -> dict:
    return {"Id": f"00T00000000000{n:04d}", "Subject": f"Task {n}",
            "CreatedDate": f"2026-01-{n:02d}T10:00:00.000+0000",
            "SystemModstamp": f"2026-01-{n:02d}T10:00:00.000+0000", "IsArchived": False, **fields}


def make_org() -> OrgData:
    tasks = [task(n) for n in range(1, 8)]
    tasks[5]["IsDeleted"] = True  # Task 6
    tasks[6]["IsArchived"] = True  # Task 7
    return OrgData({"Task": tasks})


@pytest.fixture
def org():
    return make_org()


@pytest.fixture
def emu(org):
    with Emulator(org, bulk_page_size=3, bulk_polls_to_complete=2) as emulator:
        yield emulator


def call(emu: Emulator, method: str, path: str = JOBS, *, token: str | None = None,
         **kwargs) -> requests.Response:
    auth = {"Authorization": f"Bearer {token or emu.access_token}"} if token != "" else {}
    return requests.request(method, emu.url + path, headers=auth, verify=str(emu.ca_path),
                            timeout=10, **kwargs)


def create(emu: Emulator, query: str = TASKS, operation: str = "query", path: str = JOBS,
           **options) -> str:
    response = call(emu, "POST", path, json={"operation": operation, "query": query, **options})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def finish(emu: Emulator, job_id: str, path: str = JOBS) -> dict:
    """Poll the job until it reports JobComplete (at most 10 polls)."""
    for _ in range(10):
        info = call(emu, "GET", f"{path}/{job_id}").json()
        if info["state"] == "JobComplete":
            return info
    raise AssertionError(f"job {job_id} never completed: {info}")


def results(emu: Emulator, job_id: str, path: str = JOBS, **params) -> requests.Response:
    return call(emu, "GET", f"{path}/{job_id}/results", params=params)


def all_sets(emu: Emulator, job_id: str, **params) -> list[tuple[int, str, str]]:
    """(Sforce-NumberOfRecords, Sforce-Locator, body) of every result set, following locators."""
    out, locator = [], None
    while locator != "null":
        if len(out) == 20:
            raise AssertionError(f"no last set after 20: {out}")
        extra = {"locator": locator} if locator is not None else {}
        response = results(emu, job_id, **params, **extra)
        locator = response.headers["Sforce-Locator"]
        out.append((int(response.headers["Sforce-NumberOfRecords"]), locator, response.text))
    return out


# ------------------------------------------------------------------------------- creating

def test_create_answers_with_the_created_samples_keys_and_upload_complete(emu):
    body = call(emu, "POST", JOBS, json={"operation": "query", "query": TASKS}).json()
    expected = sample("bulk2_query_job_created.json")
    assert ({k: body[k] for k in expected if k not in ("id", "createdById", "createdDate",
                                                       "systemModstamp")},
            list(body)) == (
        {k: v for k, v in expected.items() if k not in ("id", "createdById", "createdDate",
                                                        "systemModstamp")},
        list(expected))


def test_job_ids_are_18_character_750_ids(emu):
    job_id = create(emu)
    assert (len(job_id), job_id[:3]) == (18, "750")


def test_create_query_all_answers_like_the_query_all_sample(emu):
    body = call(emu, "POST", JOBS, json={"operation": "queryAll", "query": TASKS}).json()
    expected = sample("bulk2_query_job_created_queryall.json")
    assert (list(body), body["operation"], body["state"]) == (list(expected), "queryAll",
                                                             "UploadComplete")


def test_create_reports_the_requested_delimiter_and_line_ending(emu):
    body = call(emu, "POST", JOBS, json={"operation": "query", "query": TASKS,
                                         "columnDelimiter": "CARET", "lineEnding": "CRLF"}).json()
    assert (body["columnDelimiter"], body["lineEnding"]) == ("CARET", "CRLF")


def test_create_refuses_an_unknown_field_as_rest_query_does(emu):
    soql = "SELECT Id, Invalid__x FROM Task LIMIT 1"
    bulk = call(emu, "POST", JOBS, json={"operation": "query", "query": soql})
    rest = call(emu, "GET", f"{API}/query/", params={"q": soql})
    assert (bulk.status_code, bulk.json()) == (400, rest.json())


def test_create_refuses_a_malformed_query_with_the_caret_message(emu):
    response = call(emu, "POST", JOBS, json={"operation": "query", "query": "SELECT Id FRM Task"})
    assert (response.status_code, response.json()) == (400, [{
        "message": "\nSELECT Id FRM Task\n          ^\nERROR at Row:1:Column:11\n"
                   "unexpected token: FRM", "errorCode": "MALFORMED_QUERY"}])


@pytest.mark.parametrize(("payload", "expected"), [
    ({"operation": "query"},
     ("MALFORMED_QUERY", "A query string has to be specified")),
    ({"operation": "query", "query": "  "},
     ("MALFORMED_QUERY", "A query string has to be specified")),
    ({"operation": "upsert", "query": TASKS},
     ("API_ERROR", "Invalid operation: 'upsert'; expected one of query, queryAll")),
    ({"query": TASKS},
     ("API_ERROR", "Invalid operation: None; expected one of query, queryAll")),
    ({"operation": "query", "query": TASKS, "contentType": "JSON"},
     ("API_ERROR", "Invalid contentType: 'JSON'; expected one of CSV")),
    ({"operation": "query", "query": TASKS, "columnDelimiter": "COLON"},
     ("API_ERROR", "Invalid columnDelimiter: 'COLON'; expected one of BACKQUOTE, CARET, "
                   "COMMA, PIPE, SEMICOLON, TAB")),
    ({"operation": "query", "query": TASKS, "lineEnding": "CR"},
     ("API_ERROR", "Invalid lineEnding: 'CR'; expected one of LF, CRLF")),
], ids=["no-query", "blank-query", "bad-operation", "no-operation", "bad-content-type",
        "bad-delimiter", "bad-line-ending"])
def test_create_refuses_a_bad_job_request(emu, payload, expected):
    response = call(emu, "POST", JOBS, json=payload)
    assert (response.status_code, response.json()) == (
        400, [{"message": expected[1], "errorCode": expected[0]}])


def test_create_refuses_a_body_that_is_not_a_json_object(emu):
    response = call(emu, "POST", JOBS, data=b"operation=query")
    assert (response.status_code, response.json()) == (400, [{
        "message": "The request body must be a JSON object", "errorCode": "JSON_PARSER_ERROR"}])


def test_count_query_is_refused_as_bulk_api_refuses_aggregates(emu):
    response = call(emu, "POST", JOBS, json={"operation": "query",
                                             "query": "SELECT COUNT() FROM Task"})
    assert (response.status_code, response.json()) == (400, [{
        "message": "Aggregate Relationships not supported in Bulk Query",
        "errorCode": "API_ERROR"}])


def test_jobs_count_against_daily_bulk_v2_query_jobs(emu):
    create(emu)
    create(emu)
    assert call(emu, "GET", f"{API}/limits").json()["DailyBulkV2QueryJobs"] == {
        "Max": 10000, "Remaining": 9998}


def test_refused_queries_do_not_count_as_jobs(emu):
    call(emu, "POST", JOBS, json={"operation": "query", "query": "SELECT Nope FROM Task"})
    assert call(emu, "GET", f"{API}/limits").json()["DailyBulkV2QueryJobs"]["Remaining"] == 10000


def test_jobs_past_the_daily_limit_are_refused(org):
    with Emulator(org, daily_bulk_query_jobs=1) as emu:
        create(emu)
        response = call(emu, "POST", JOBS, json={"operation": "query", "query": TASKS})
        remaining = call(emu, "GET", f"{API}/limits").json()["DailyBulkV2QueryJobs"]["Remaining"]
    assert (response.status_code, response.json(), remaining) == (400, [{
        "message": "Max bulk v2 query jobs (1) per 24 hrs has been reached (2)",
        "errorCode": "LIMIT_EXCEEDED"}], 0)


def test_query_jobs_do_not_exist_before_v47(emu):
    response = call(emu, "POST", "/services/data/v46.0/jobs/query",
                    json={"operation": "query", "query": TASKS})
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_ingest_jobs_are_not_served(emu):
    assert call(emu, "GET", f"{API}/jobs/ingest").json() == NOT_FOUND


def test_listing_all_jobs_is_not_served(emu):
    response = call(emu, "GET", JOBS)
    assert (response.status_code, response.json()) == (405, [{
        "message": "HTTP Method 'GET' not allowed. Allowed are POST",
        "errorCode": "METHOD_NOT_ALLOWED"}])


# -------------------------------------------------------------------------------- polling

def test_state_moves_to_job_complete_on_the_configured_poll(org):
    with Emulator(org, bulk_polls_to_complete=3) as emu:
        job_id = create(emu)
        states = [call(emu, "GET", f"{JOBS}/{job_id}").json()["state"] for _ in range(4)]
    assert states == ["InProgress", "InProgress", "JobComplete", "JobComplete"]


def test_complete_job_info_has_the_complete_samples_keys_and_record_count(emu):
    info = finish(emu, create(emu))
    expected = sample("bulk2_query_job_complete.json")
    assert (list(info), info["numberRecordsProcessed"], info["jobType"], info["retries"]) == (
        list(expected), 5, "V2Query", 0)


def test_job_in_progress_reports_no_records_processed(emu):
    info = call(emu, "GET", f"{JOBS}/{create(emu)}").json()
    assert (info["state"], info["numberRecordsProcessed"]) == ("InProgress", 0)


def test_zero_polls_means_results_are_ready_at_once(org):
    with Emulator(org, bulk_polls_to_complete=0) as emu:
        response = results(emu, create(emu))
    assert (response.status_code, response.headers["Sforce-NumberOfRecords"]) == (200, "5")


@pytest.mark.parametrize(("method", "suffix"), [
    ("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/results"),
], ids=["info", "abort", "delete", "results"])
def test_unknown_job_is_not_found(emu, method, suffix):
    response = call(emu, method, f"{JOBS}/7505g0000000000AAA{suffix}", json={"state": "Aborted"})
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_other_methods_on_a_job_are_not_allowed(emu):
    response = call(emu, "PUT", f"{JOBS}/{create(emu)}")
    assert (response.status_code, response.json()) == (405, [{
        "message": "HTTP Method 'PUT' not allowed. Allowed are GET,PATCH,DELETE",
        "errorCode": "METHOD_NOT_ALLOWED"}])


# -------------------------------------------------------------------------------- results

def test_results_before_completion_are_412_job_not_complete(emu):
    job_id = create(emu)
    call(emu, "GET", f"{JOBS}/{job_id}")
    response = results(emu, job_id)
    assert (response.status_code, response.json()) == (412, [{
        "message": "can only download query results of successfully completed bulk job with "
                   "status: JOB_COMPLETE. Current status: IN_PROGRESS",
        "errorCode": "JOB_NOT_COMPLETE"}])


def test_results_are_quoted_csv_with_a_header_row_and_lf_endings(emu):
    job_id = create(emu, "SELECT Id, Subject FROM Task WHERE Subject IN ('Task 1', 'Task 2')")
    finish(emu, job_id)
    response = results(emu, job_id)
    assert (response.text, response.headers["Content-Type"],
            response.headers["Sforce-NumberOfRecords"], response.headers["Sforce-Locator"]) == (
        '"Id","Subject"\n"00T000000000000001","Task 1"\n"00T000000000000002","Task 2"\n',
        "text/csv", "2", "null")


def test_results_come_in_sets_of_the_page_size_linked_by_locators(emu):
    job_id = create(emu)
    finish(emu, job_id)
    assert [(n, locator) for n, locator, _ in all_sets(emu, job_id)] == [(3, "Mw=="),
                                                                         (2, "null")]


def test_every_set_repeats_the_header_row(emu):
    job_id = create(emu)
    finish(emu, job_id)
    assert [body.splitlines()[0] for _, _, body in all_sets(emu, job_id)] == [
        '"Id","Subject"', '"Id","Subject"']


def test_max_records_makes_sets_smaller(emu):
    job_id = create(emu)
    finish(emu, job_id)
    assert [n for n, _, _ in all_sets(emu, job_id, maxRecords="2")] == [2, 2, 1]


def test_max_records_above_the_page_size_is_capped(emu):
    job_id = create(emu)
    finish(emu, job_id)
    assert results(emu, job_id, maxRecords="50000").headers["Sforce-NumberOfRecords"] == "3"


def test_a_locator_can_be_used_again(emu):
    job_id = create(emu)
    finish(emu, job_id)
    first = results(emu, job_id, locator="Mw==").text
    assert results(emu, job_id, locator="Mw==").text == first


@pytest.mark.parametrize("locator", ["nope", "MTAw", "MA==", ""],
                         ids=["not-base64", "past-the-end", "zero", "empty"])
def test_a_locator_the_job_never_gave_is_refused(emu, locator):
    job_id = create(emu)
    finish(emu, job_id)
    response = results(emu, job_id, locator=locator)
    assert (response.status_code, response.json()) == (400, [{
        "message": f"Invalid locator: {locator}", "errorCode": "INVALID_LOCATOR"}])


def test_max_records_must_be_a_positive_integer(emu):
    job_id = create(emu)
    finish(emu, job_id)
    response = results(emu, job_id, maxRecords="0")
    assert (response.status_code, response.json()) == (400, [{
        "message": "maxRecords must be a positive integer, got '0'", "errorCode": "API_ERROR"}])


def test_query_hides_deleted_and_archived_rows_and_query_all_returns_them(emu):
    query_job, all_job = create(emu, operation="query"), create(emu, operation="queryAll")
    finish(emu, query_job)
    finish(emu, all_job)
    counts = [sum(n for n, _, _ in all_sets(emu, job)) for job in (query_job, all_job)]
    assert counts == [5, 7]


def test_results_are_the_rows_that_matched_at_creation(emu, org):
    job_id = create(emu, "SELECT Id, Subject FROM Task WHERE Subject = 'Task 1'")
    org.update("Task", "00T000000000000001", Subject="Renamed")
    finish(emu, job_id)
    assert results(emu, job_id).text.splitlines()[1] == '"00T000000000000001","Task 1"'


def test_an_empty_result_is_the_header_row_alone(emu):
    job_id = create(emu, "SELECT Id FROM Task WHERE Subject = 'none'")
    finish(emu, job_id)
    response = results(emu, job_id)
    assert (response.text, response.headers["Sforce-NumberOfRecords"],
            response.headers["Sforce-Locator"]) == ('"Id"\n', "0", "null")


def test_results_use_the_jobs_delimiter_and_line_ending(emu):
    job_id = create(emu, "SELECT Id, Subject FROM Task WHERE Subject = 'Task 1'",
                    columnDelimiter="TAB", lineEnding="CRLF")
    finish(emu, job_id)
    assert results(emu, job_id).text == '"Id"\t"Subject"\r\n"00T000000000000001"\t"Task 1"\r\n'


def test_columns_are_alphabetical_for_jobs_before_v50(emu):
    path = "/services/data/v49.0/jobs/query"
    job_id = create(emu, "SELECT Subject, Id FROM Task WHERE Subject = 'Task 1'", path=path)
    finish(emu, job_id, path)
    assert results(emu, job_id, path).text.splitlines()[0] == '"Id","Subject"'


def test_results_with_another_api_version_are_a_conflict(emu):
    job_id = create(emu)
    finish(emu, job_id)
    response = results(emu, job_id, "/services/data/v59.0/jobs/query")
    assert (response.status_code, response.json()) == (409, [{
        "message": "The job was created with API version 60.0; get its results with that "
                   "version", "errorCode": "API_ERROR"}])


def test_csv_writes_nulls_empty_and_unquoted_and_booleans_as_true_false():
    rows = [{"Id": "00T1", "Subject": None, "IsClosed": True, "CallDurationInSeconds": 90},
            {"Id": "00T2", "Subject": "", "IsClosed": False, "CallDurationInSeconds": 1.5}]
    assert write_csv(["Id", "Subject", "IsClosed", "CallDurationInSeconds"], rows) == (
        '"Id","Subject","IsClosed","CallDurationInSeconds"\n'
        '"00T1",,"true","90"\n'
        '"00T2","","false","1.5"\n')


def test_csv_doubles_quotes_and_keeps_line_breaks_inside_values():
    rows = [{"Subject": 'Say "hi"\nthen, leave'}]
    assert write_csv(["Subject"], rows) == '"Subject"\n"Say ""hi""\nthen, leave"\n'


def test_csv_reads_back_with_the_standard_reader(emu):
    job_id = create(emu, "SELECT Id, Subject, CreatedDate, IsArchived FROM Task "
                         "WHERE Subject = 'Task 2'")
    finish(emu, job_id)
    assert list(csv.DictReader(io.StringIO(results(emu, job_id).text))) == [
        {"Id": "00T000000000000002", "Subject": "Task 2",
         "CreatedDate": "2026-01-02T10:00:00.000+0000", "IsArchived": "false"}]


# ---------------------------------------------------------------------- abort and delete

def test_abort_answers_with_the_job_in_state_aborted(emu):
    job_id = create(emu)
    response = call(emu, "PATCH", f"{JOBS}/{job_id}", json={"state": "Aborted"})
    assert (response.status_code, response.json()["state"], list(response.json())) == (
        200, "Aborted", list(sample("bulk2_query_job_created.json")))


def test_results_of_an_aborted_job_are_412(emu):
    job_id = create(emu)
    call(emu, "PATCH", f"{JOBS}/{job_id}", json={"state": "Aborted"})
    assert results(emu, job_id).json()[0]["message"].endswith("Current status: ABORTED")


def test_an_aborted_job_stays_aborted_when_polled(emu):
    job_id = create(emu)
    call(emu, "PATCH", f"{JOBS}/{job_id}", json={"state": "Aborted"})
    states = [call(emu, "GET", f"{JOBS}/{job_id}").json()["state"] for _ in range(3)]
    assert states == ["Aborted"] * 3


def test_a_complete_job_cannot_be_aborted(emu):
    job_id = create(emu)
    finish(emu, job_id)
    response = call(emu, "PATCH", f"{JOBS}/{job_id}", json={"state": "Aborted"})
    assert (response.status_code, response.json()) == (400, [{
        "message": "Cannot abort the job: its state is JobComplete; only UploadComplete and "
                   "InProgress jobs can be aborted", "errorCode": "API_ERROR"}])


def test_patch_to_any_other_state_is_refused(emu):
    response = call(emu, "PATCH", f"{JOBS}/{create(emu)}", json={"state": "JobComplete"})
    assert (response.status_code, response.json()) == (400, [{
        "message": 'The request body must be {"state": "Aborted"}', "errorCode": "API_ERROR"}])


def test_delete_answers_204_and_the_job_is_gone(emu):
    job_id = create(emu)
    finish(emu, job_id)
    deleted = call(emu, "DELETE", f"{JOBS}/{job_id}")
    assert (deleted.status_code, deleted.content, "Content-Length" in deleted.headers,
            call(emu, "GET", f"{JOBS}/{job_id}").status_code) == (204, b"", False, 404)


def test_a_running_job_cannot_be_deleted(emu):
    response = call(emu, "DELETE", f"{JOBS}/{create(emu)}")
    assert (response.status_code, response.json()) == (400, [{
        "message": "Error encountered when deleting the job because the job is not terminated",
        "errorCode": "API_ERROR"}])


# ------------------------------------------------------------- auth, counting and faults

def test_bulk_calls_need_a_valid_token(emu):
    response = call(emu, "POST", JOBS, token="", json={"operation": "query", "query": TASKS})
    assert (response.status_code, response.json()) == (401, [{
        "message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])


def test_bulk_calls_are_counted_and_report_api_usage(emu):
    job_id = create(emu)
    call(emu, "GET", f"{JOBS}/{job_id}")
    assert results(emu, job_id).headers["Sforce-Limit-Info"] == "api-usage=3/100000"


def test_faults_can_target_bulk_paths(emu):
    emu.faults.inject("server_unavailable", path_contains="/jobs/query")
    rest = call(emu, "GET", f"{API}/query/", params={"q": TASKS})
    bulk = call(emu, "POST", JOBS, json={"operation": "query", "query": TASKS})
    assert (rest.status_code, bulk.status_code, bulk.json()) == (200, 503, [{
        "message": "Server too busy", "errorCode": "SERVER_UNAVAILABLE"}])


def test_a_fault_can_hit_the_results_alone(emu):
    job_id = create(emu)
    finish(emu, job_id)
    emu.faults.inject("http_500", path_contains="/results")
    assert [results(emu, job_id).status_code for _ in range(2)] == [500, 200]


@pytest.mark.parametrize(("option", "value", "message"), [
    ("bulk_page_size", 0, "bulk_page_size must be at least 1, got 0"),
    ("bulk_polls_to_complete", -1, "bulk_polls_to_complete must be at least 0, got -1"),
], ids=["page-size", "polls"])
def test_bad_bulk_options_are_refused(org, option, value, message):
    with pytest.raises(ValueError) as caught:
        Emulator(org, **{option: value})
    assert str(caught.value) == message


# --------------------------------------------------------------------- simple-salesforce

@pytest.fixture
def sf(emu, monkeypatch):
    # requests lets REQUESTS_CA_BUNDLE override a session's own verify setting.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emu.ca_path))
    return simple_salesforce.Salesforce(instance_url=emu.url, session_id=emu.access_token,
                                        version="60.0", session=requests.Session())


def rows_of(chunks) -> list[dict]:
    return [row for chunk in chunks for row in csv.DictReader(io.StringIO(chunk))]


def test_simple_salesforce_bulk2_query_reads_every_set(sf):
    chunks = list(sf.bulk2.Task.query(TASKS, wait=0))
    assert ([len(list(csv.DictReader(io.StringIO(c)))) for c in chunks],
            [r["Subject"] for r in rows_of(chunks)]) == (
        [3, 2], ["Task 1", "Task 2", "Task 3", "Task 4", "Task 5"])


def test_simple_salesforce_bulk2_query_all_includes_deleted_and_archived(sf):
    rows = rows_of(sf.bulk2.Task.query_all("SELECT Id, IsDeleted, IsArchived FROM Task", wait=0))
    assert [(r["IsDeleted"], r["IsArchived"]) for r in rows[5:]] == [("true", "false"),
                                                                    ("false", "true")]


def test_simple_salesforce_bulk2_respects_max_records(sf):
    chunks = list(sf.bulk2.Task.query(TASKS, max_records=2, wait=0))
    assert len(chunks) == 3
