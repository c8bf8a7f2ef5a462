import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import responses
from responses import matchers

from kpisync.errors import AuthenticationError, SalesforceError, TransientSalesforceError
from kpisync.sync.auth import Credentials, credentials_from_env, make_session
from kpisync.sync.client import DescribedField, RetryPolicy
from tests.sf_fixtures import (
    API,
    INSTANCE,
    TOKEN,
    add_describe,
    add_more,
    add_query,
    make_client,
    no_sleep_policy,
    record,
    sample,
)

SOQL = "SELECT Id FROM Task"


# -- auth ------------------------------------------------------------------------------------

def test_credentials_from_env():
    creds = credentials_from_env({"SF_INSTANCE_URL": f"{INSTANCE}/", "SF_ACCESS_TOKEN": TOKEN})
    assert (creds.instance_url, creds.access_token, creds.ca_bundle) == (INSTANCE, TOKEN, None)


def test_missing_credentials_name_the_variables():
    with pytest.raises(AuthenticationError) as info:
        credentials_from_env({})
    assert str(info.value) == ("Salesforce credentials are missing: set SF_INSTANCE_URL and "
                               "SF_ACCESS_TOKEN (in the environment or an --env-file)")


def test_instance_url_must_be_https():
    with pytest.raises(AuthenticationError) as info:
        credentials_from_env({"SF_INSTANCE_URL": "acme.my.salesforce.com",
                              "SF_ACCESS_TOKEN": TOKEN})
    assert str(info.value) == ("SF_INSTANCE_URL must be an https:// URL such as "
                               "https://yourdomain.my.salesforce.com, got 'acme.my.salesforce.com'")


def test_credentials_repr_hides_the_token():
    text = repr(Credentials(INSTANCE, TOKEN))
    assert TOKEN not in text
    assert text == (f"Credentials(instance_url='{INSTANCE}', access_token='***', ca_bundle=None)")


def test_ca_bundle_wins_over_requests_ca_bundle(tmp_path, monkeypatch):
    ours, theirs = tmp_path / "ours.pem", tmp_path / "theirs.pem"
    ours.write_text("pem", encoding="utf-8")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(theirs))
    settings = make_session(ours).merge_environment_settings(INSTANCE, {}, None, None, None)
    assert settings["verify"] == str(ours)


def test_without_ca_bundle_requests_ca_bundle_applies(tmp_path, monkeypatch):
    theirs = tmp_path / "theirs.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(theirs))
    settings = make_session(None).merge_environment_settings(INSTANCE, {}, None, None, None)
    assert settings["verify"] == str(theirs)


def test_missing_ca_bundle_file_is_an_error(tmp_path):
    with pytest.raises(AuthenticationError) as info:
        make_session(tmp_path / "nope.pem")
    missing = tmp_path / "nope.pem"
    assert str(info.value) == f"the CA bundle {missing} does not exist or is not a file"


# -- paging ------------------------------------------------------------------------------------

@responses.activate
def test_query_pages_follow_next_records_url():
    next_url = "/services/data/v60.0/query/01gRO0000016PIAYA2-2000"
    add_query(responses, SOQL, [record("Task", Id="00T1")], next_url=next_url, total=2)
    add_more(responses, next_url, [record("Task", Id="00T2")], total=2)
    pages = list(make_client().query_pages(SOQL))
    assert [[r["Id"] for r in p.records] for p in pages] == [["00T1"], ["00T2"]]
    assert [(p.done, p.total_size, p.next_url) for p in pages] == [
        (False, 2, next_url), (True, 2, None)]


@responses.activate
def test_batch_size_header_and_token_are_sent():
    responses.get(f"{API}/queryAll/", json={"totalSize": 0, "done": True, "records": []},
                  match=[matchers.header_matcher({"Sforce-Query-Options": "batchSize=500",
                                                  "Authorization": f"Bearer {TOKEN}"})])
    assert len(list(make_client(batch_size=500).query_pages(SOQL))) == 1


@responses.activate
def test_query_without_deleted_rows_uses_query_resource():
    add_query(responses, SOQL, [], all_rows=False)
    pages = list(make_client().query_pages(SOQL, include_deleted=False))
    assert [p.records for p in pages] == [[]]


@responses.activate
def test_numbers_are_parsed_as_decimal():
    responses.get(f"{API}/queryAll/", body='{"totalSize": 1, "done": true, "records": '
                  '[{"Id": "006A", "Amount": 1250.10}]}', content_type="application/json")
    page = next(make_client().query_pages(SOQL))
    assert repr(page.records[0]["Amount"]) == "Decimal('1250.10')"


@responses.activate
def test_describe_returns_field_types():
    add_describe(responses, "Task", {"Id": "id", "Outcome__c": "picklist"})
    assert make_client().describe("Task") == {
        "Id": DescribedField("Id", "id", calculated=False, custom=False),
        "Outcome__c": DescribedField("Outcome__c", "picklist", calculated=False, custom=True),
    }


@responses.activate
def test_count_reads_total_size():
    responses.get(f"{API}/query/", json=sample("count_query.json"))
    assert make_client().count("SELECT count() FROM Task") == 48


@responses.activate
def test_api_usage_comes_from_the_limit_header():
    client = make_client()
    assert client.api_usage() is None
    add_query(responses, SOQL, [], headers={"Sforce-Limit-Info": "api-usage=18/5000"})
    list(client.query_pages(SOQL))
    assert (client.api_usage(), client.api_calls) == ((18, 5000), 1)


# -- retries and errors ----------------------------------------------------------------------

@responses.activate
def test_503_then_success_is_retried_without_sleeping_for_real():
    slept: list[float] = []
    responses.get(f"{API}/queryAll/", json=sample("error_server_unavailable.json"), status=503)
    add_query(responses, SOQL, [record("Task", Id="00T1")])
    client = make_client(retry=no_sleep_policy(slept=slept))
    pages = list(client.query_pages(SOQL))
    assert ([r["Id"] for r in pages[0].records], client.api_calls, len(slept)) == (["00T1"], 2, 1)
    assert 0 <= slept[0] <= 1.0


def busy(status: int, retry_after: str) -> None:
    """A 429 or 503 as an edge proxy sends it, then the page."""
    responses.get(f"{API}/queryAll/", body="Too Many Requests", status=status,
                  headers={"Retry-After": retry_after})
    add_query(responses, SOQL, [record("Task", Id="00T1")])


@pytest.mark.parametrize("status", [429, 503])
@responses.activate
def test_retry_after_seconds_is_waited_out(status):
    slept: list[float] = []
    busy(status, "7")
    client = make_client(retry=no_sleep_policy(slept=slept))
    assert [r["Id"] for r in next(client.query_pages(SOQL)).records] == ["00T1"]
    assert (len(slept), client.retry_causes) == (1, {f"HTTP {status}": 1})
    assert 7 <= slept[0] <= RetryPolicy().max_wait


@responses.activate
def test_retry_after_http_date_is_waited_out():
    slept: list[float] = []
    busy(429, format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True))
    list(make_client(retry=no_sleep_policy(slept=slept)).query_pages(SOQL))
    assert len(slept) == 1
    assert 15 <= slept[0] <= 20


@responses.activate
def test_huge_retry_after_is_capped_at_max_wait():
    slept: list[float] = []
    busy(429, "86400")
    list(make_client(retry=RetryPolicy(max_wait=30, sleep=slept.append)).query_pages(SOQL))
    assert slept == [30]


@responses.activate
def test_retry_after_past_max_total_gives_up_at_once_and_says_how_long():
    slept: list[float] = []
    busy(429, "600")
    client = make_client(retry=RetryPolicy(max_wait=900, max_total=300, sleep=slept.append))
    with pytest.raises(TransientSalesforceError) as info:
        list(client.query_pages(SOQL, sobject="Task"))
    assert str(info.value) == (
        "Salesforce is unavailable or busy for Task (Too Many Requests, HTTP 429, Retry-After "
        "600 s) (gave up after 1 attempt)")
    assert (slept, client.api_calls) == ([], 1)


@responses.activate
def test_unreadable_retry_after_falls_back_to_the_backoff():
    slept: list[float] = []
    busy(503, "soon")
    list(make_client(retry=no_sleep_policy(slept=slept)).query_pages(SOQL))
    assert len(slept) == 1
    assert 0 <= slept[0] <= 1.0


@responses.activate
def test_503_with_html_body_maps_cleanly():
    html = ("<!DOCTYPE html><html><head><style>body{color:red}</style><title>Maintenance"
            "</title></head><body><h1>Service Not Available</h1></body></html>")
    responses.get(f"{API}/queryAll/", body=html, status=503, content_type="text/html")
    with pytest.raises(TransientSalesforceError) as info:
        list(make_client(retry=no_sleep_policy(max_attempts=2)).query_pages(SOQL, sobject="Task"))
    assert str(info.value) == (
        "Salesforce is unavailable or busy for Task (non-JSON answer (HTML page): Maintenance "
        "Service Not Available, HTTP 503) (gave up after 2 attempts)"
    )
    assert (info.value.status, info.value.error_code) == (503, None)


@responses.activate
def test_invalid_field_is_not_retried_and_keeps_the_message():
    body = sample("error_invalid_field.json")
    responses.get(f"{API}/queryAll/", json=body, status=400)
    client = make_client()
    with pytest.raises(SalesforceError) as info:
        list(client.query_pages(SOQL, sobject="Task"))
    assert type(info.value) is SalesforceError
    assert str(info.value) == (
        f"Salesforce refused the request for Task (INVALID_FIELD: {body[0]['message'].strip()}, "
        "HTTP 400); check the field's API name and that the sync user can see it"
    )
    assert (client.api_calls, info.value.error_code, info.value.sobject) == (1, "INVALID_FIELD",
                                                                           "Task")


@responses.activate
def test_expired_session_is_an_authentication_error():
    responses.get(f"{API}/queryAll/", json=sample("error_invalid_session.json"), status=401)
    client = make_client()
    with pytest.raises(AuthenticationError) as info:
        list(client.query_pages(SOQL, sobject="Task"))
    assert str(info.value) == (
        "Salesforce rejected the access token for Task: the session expired or is invalid; get "
        "a new token and set SF_ACCESS_TOKEN again (INVALID_SESSION_ID: Session expired or "
        "invalid, HTTP 401)"
    )
    assert client.api_calls == 1


@responses.activate
def test_logging_in_again_counts_as_a_retry():
    responses.get(f"{API}/queryAll/", json=sample("error_invalid_session.json"), status=401)
    add_query(responses, SOQL, [record("Task", Id="00T1")])
    client = make_client(renew=lambda: Credentials(INSTANCE, "renewed-token"))
    assert [r["Id"] for r in next(client.query_pages(SOQL)).records] == ["00T1"]
    assert (client.retry_causes, client.reauthentications, client.api_calls) == (
        {"INVALID_SESSION_ID (logged in again)": 1}, 1, 2)


@responses.activate
def test_request_limit_says_what_to_do():
    responses.get(f"{API}/queryAll/", json=sample("error_request_limit.json"), status=403)
    with pytest.raises(SalesforceError) as info:
        list(make_client().query_pages(SOQL))
    assert str(info.value) == (
        "Salesforce refused the request (REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded., "
        "HTTP 403); the org has used up its API requests for the rolling 24 hours; wait for "
        "calls to free up (or ask an admin to raise the limit), then run `kpisync sync` again: "
        "it resumes where it stopped"
    )


@pytest.mark.parametrize(
    ("status", "sample_name"),
    [(400, "error_query_timeout.json"), (500, "error_unable_to_lock_row.json"),
     (429, "error_server_unavailable.json")],
    ids=["query-timeout", "unable-to-lock-row", "http-429"],
)
@responses.activate
def test_transient_codes_are_retried(status, sample_name):
    responses.get(f"{API}/queryAll/", json=sample(sample_name), status=status)
    add_query(responses, SOQL, [])
    client = make_client()
    list(client.query_pages(SOQL))
    assert client.api_calls == 2


@responses.activate
def test_connection_error_is_retried_then_gives_up():
    responses.get(f"{API}/queryAll/", body=requests.ConnectionError("connection refused"))
    client = make_client(retry=no_sleep_policy(max_attempts=3))
    with pytest.raises(TransientSalesforceError) as info:
        list(client.query_pages(SOQL, sobject="Event"))
    assert str(info.value) == (
        "could not reach Salesforce for Event: the connection failed or was dropped "
        "(ConnectionError) (gave up after 3 attempts)"
    )
    assert client.api_calls == 3


@responses.activate
def test_timeout_is_transient():
    responses.get(f"{API}/queryAll/", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(TransientSalesforceError) as info:
        list(make_client(retry=no_sleep_policy(max_attempts=1)).query_pages(SOQL))
    assert str(info.value) == ("Salesforce did not answer in time (ReadTimeout) "
                               "(gave up after 1 attempt)")


@responses.activate
def test_token_never_appears_in_errors_or_repr():
    echo = [{"message": f"bad token {TOKEN}", "errorCode": "INVALID_AUTH_HEADER"}]
    responses.get(f"{API}/queryAll/", json=echo, status=400)
    client = make_client()
    with pytest.raises(SalesforceError) as info:
        list(client.query_pages(SOQL))
    assert TOKEN not in str(info.value)
    assert str(info.value) == (
        "Salesforce refused the request (INVALID_AUTH_HEADER: bad token ***, HTTP 400)")
    assert TOKEN not in repr(client)
    assert TOKEN not in json.dumps(repr(vars(client.retry)))


def test_batch_size_outside_salesforce_limits_is_refused():
    with pytest.raises(ValueError) as info:
        make_client(batch_size=5000)
    assert str(info.value) == "batch_size must be between 200 and 2000, got 5000"
