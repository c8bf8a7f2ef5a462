"""The emulator over real HTTPS: requests and simple-salesforce verify its throwaway CA and get
Salesforce's shapes back (paging, describe, limits, errors, faults, the admin API)."""

from __future__ import annotations

import socket
import threading

import pytest
import requests
import simple_salesforce
from simple_salesforce import exceptions as sf_exceptions

from kpisync.emulator import KINDS, Emulator, OrgData, serve_forever

API = "/services/data/v60.0"
INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
NOT_FOUND = [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]


def task(n: int, **fields) -> dict:
    return {"Id": f"00T00000000000{n:04d}", "Subject": f"Task {n}", "OwnerId": "005000000000000AAA",
            "CreatedDate": f"2026-01-{n:02d}T10:00:00.000+0000",
            "SystemModstamp": f"2026-01-{n:02d}T10:00:00.000+0000", "IsDeleted": False,
            "IsArchived": False, **fields}


def make_org() -> OrgData:
    tasks = [task(n) for n in range(1, 8)]
    tasks[5]["IsDeleted"] = True  # Task 6
    tasks[6]["IsArchived"] = True  # Task 7
    users = [{"Id": "005000000000000AAA", "Name": "Ada Rep", "IsActive": True,
              "SystemModstamp": "2025-12-01T00:00:00.000+0000"}]
    return OrgData({"Task": tasks, "User": users},
                   custom_fields={"Task": {"Meeting_Held__c": "boolean"}})


@pytest.fixture
def org():
    return make_org()


@pytest.fixture
def emu(org):
    with Emulator(org, page_size=3, daily_api_limit=1000) as emulator:
        yield emulator


@pytest.fixture
def sf(emu, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emu.ca_path))
    return simple_salesforce.Salesforce(instance_url=emu.url, session_id=emu.access_token,
                                        version="60.0", session=requests.Session())


def get(emu: Emulator, path: str, *, token: str | None = None, **headers) -> requests.Response:
    auth = {"Authorization": f"Bearer {token or emu.access_token}"} if token != "" else {}
    return requests.get(emu.url + path, headers={**auth, **headers}, verify=str(emu.ca_path),
                        timeout=10)


def query(emu: Emulator, soql: str, resource: str = "query", **headers) -> requests.Response:
    return requests.get(f"{emu.url}{API}/{resource}/", params={"q": soql},
                        headers={"Authorization": f"Bearer {emu.access_token}", **headers},
                        verify=str(emu.ca_path), timeout=10)


# ------------------------------------------------------------------------- auth and basics

def test_versions_need_no_token_and_are_not_counted(emu):
    response = get(emu, "/services/data/", token="")
    assert (response.status_code, response.json()[-1], emu.api_calls) == (
        200, {"label": "Spring '24", "url": "/services/data/v60.0", "version": "60.0"}, 0)


def test_missing_token_is_refused_like_salesforce(emu):
    response = get(emu, f"{API}/limits", token="")
    assert (response.status_code, response.headers["WWW-Authenticate"], response.json()) == (
        401, "Token", INVALID_SESSION)


def test_unknown_token_is_refused(emu):
    assert get(emu, f"{API}/limits", token="00Dxx!nope").status_code == 401


def test_expired_sessions_refuse_the_old_token(emu):
    emu.expire_sessions()
    assert (get(emu, f"{API}/limits").status_code, get(emu, f"{API}/limits",
                                                        token=emu.issue_token()).status_code) \
        == (401, 200)


def test_unknown_path_is_not_found(emu):
    response = get(emu, "/services/apexrest/nothing")
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_unsupported_api_version_is_not_found(emu):
    assert get(emu, "/services/data/v99.0/limits").json() == NOT_FOUND


def test_the_certificate_does_not_verify_without_the_ca(emu):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(emu.url + "/services/data/", verify=True, timeout=10)


def test_every_counted_answer_reports_api_usage(emu):
    get(emu, f"{API}/limits")
    assert get(emu, f"{API}/sobjects/").headers["Sforce-Limit-Info"] == "api-usage=2/1000"


def test_simple_salesforce_parses_api_usage(sf):
    sf.query("SELECT Id FROM User")
    usage = sf.api_usage["api-usage"]
    assert (usage.used, usage.total) == (1, 1000)


def test_limits_reflect_the_calls_made(emu):
    get(emu, f"{API}/sobjects/")
    body = get(emu, f"{API}/limits").json()
    assert (body["DailyApiRequests"], body["DailyBulkV2QueryJobs"]) == (
        {"Max": 1000, "Remaining": 998}, {"Max": 10000, "Remaining": 10000})


def test_calls_past_the_daily_limit_are_refused(org):
    with Emulator(org, daily_api_limit=2) as emu:
        get(emu, f"{API}/limits")
        get(emu, f"{API}/limits")
        response = get(emu, f"{API}/limits")
    assert (response.status_code, response.headers["Sforce-Limit-Info"], response.json()) == (
        403, "api-usage=3/2",
        [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])


# ---------------------------------------------------------------------------------- query

def test_query_pages_through_next_records_url(sf):
    first = sf.query("SELECT Id FROM Task ORDER BY Id")
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert (first["totalSize"], first["done"], second["done"], "nextRecordsUrl" in second,
            [r["Id"][-1] for r in first["records"] + second["records"]]) == (
        5, False, True, False, ["1", "2", "3", "4", "5"])


def test_query_hides_deleted_and_archived_rows_and_query_all_returns_them(sf):
    live = sf.query_all("SELECT Id FROM Task")
    every = sf.query_all("SELECT Id FROM Task", include_deleted=True)
    assert (live["totalSize"], every["totalSize"], len(every["records"])) == (5, 7, 7)


def test_query_all_continues_through_the_query_locator_url(sf):
    first = sf.query("SELECT Id, IsDeleted FROM Task ORDER BY Id DESC", include_deleted=True)
    assert first["nextRecordsUrl"].startswith("/services/data/v60.0/query/01g")
    rest = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert [r["IsDeleted"] for r in first["records"]][:2] == [False, True]
    assert len(first["records"]) + len(rest["records"]) == 6  # page 2 of 3


def test_records_carry_attributes_then_fields_in_select_order(emu):
    body = query(emu, "select subject, ID, meeting_held__c from task where id = "
                      "'00T000000000000001'").json()
    record = body["records"][0]
    assert (list(record), record["attributes"]) == (
        ["attributes", "Subject", "Id", "Meeting_Held__c"],
        {"type": "Task", "url": "/services/data/v60.0/sobjects/Task/00T000000000000001"})


def test_count_query_answers_in_total_size(emu):
    assert query(emu, "SELECT COUNT() FROM Task WHERE CreatedDate >= "
                      "2026-01-03T00:00:00Z").json() == {"totalSize": 3, "done": True,
                                                        "records": []}


def test_batch_size_header_makes_pages_smaller(org):
    org = OrgData({"Task": [task(1, Id=f"00T{n:015d}") for n in range(450)]})
    with Emulator(org) as emu:
        body = query(emu, "SELECT Id FROM Task", **{"Sforce-Query-Options": "batchSize=200"})
    assert (len(body.json()["records"]), body.json()["nextRecordsUrl"].endswith("-200")) == (
        200, True)


def test_batch_size_outside_200_to_2000_is_ignored(org):
    org = OrgData({"Task": [task(1, Id=f"00T{n:015d}") for n in range(450)]})
    with Emulator(org) as emu:
        body = query(emu, "SELECT Id FROM Task", **{"Sforce-Query-Options": "batchSize=50"})
    assert (len(body.json()["records"]), body.json()["done"]) == (450, True)


def test_running_cursor_does_not_see_later_changes(emu, org, sf):
    first = sf.query("SELECT Id, Subject FROM Task ORDER BY Id")
    org.insert("Task", task(9))
    org.update("Task", "00T000000000000005", Subject="changed")
    rest = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert [(r["Id"][-1], r["Subject"]) for r in rest["records"]] == [("4", "Task 4"),
                                                                      ("5", "Task 5")]


def test_a_new_query_sees_later_changes(emu, org):
    org.delete("Task", "00T000000000000001")
    assert query(emu, "SELECT COUNT() FROM Task").json()["totalSize"] == 4


def test_unknown_locator_is_an_invalid_query_locator(emu):
    response = get(emu, f"{API}/query/01gAAAAAAAAAAAAAAA-3")
    assert (response.status_code, response.json()) == (
        400, [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}])


def test_query_errors_come_back_as_400_with_salesforce_body(emu):
    response = query(emu, "SELECT Id, Invalid__x FROM Task LIMIT 1")
    assert (response.status_code, response.json()) == (400, [{
        "message": "\nSELECT Id, Invalid__x FROM Task LIMIT 1\n           ^\nERROR at Row:1:"
                   "Column:12\nNo such column 'Invalid__x' on entity 'Task'. If you are "
                   "attempting to use a custom field, be sure to append the '__c' after the "
                   "custom field name. Please reference your WSDL or the describe call for "
                   "the appropriate names.",
        "errorCode": "INVALID_FIELD"}])


def test_simple_salesforce_raises_malformed_request_for_a_bad_query(sf):
    with pytest.raises(sf_exceptions.SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FROM Nope")
    assert caught.value.content[0]["errorCode"] == "INVALID_TYPE"


def test_query_without_q_is_malformed(emu):
    assert get(emu, f"{API}/query/").json() == [
        {"message": "A query string has to be specified", "errorCode": "MALFORMED_QUERY"}]


def test_post_to_a_read_resource_is_not_allowed(emu):
    response = requests.post(f"{emu.url}{API}/limits", verify=str(emu.ca_path), timeout=10,
                             headers={"Authorization": f"Bearer {emu.access_token}"})
    assert (response.status_code, response.json()) == (405, [{
        "message": "HTTP Method 'POST' not allowed. Allowed are GET,HEAD",
        "errorCode": "METHOD_NOT_ALLOWED"}])


# ------------------------------------------------------------------------------- describe

def test_describe_lists_standard_and_custom_fields(sf):
    fields = {f["name"]: f for f in sf.Task.describe()["fields"]}
    assert (fields["Meeting_Held__c"]["type"], fields["Meeting_Held__c"]["custom"],
            fields["OwnerId"]["referenceTo"], fields["ActivityDate"]["soapType"],
            fields["Id"]["label"], fields["IsDeleted"]["nillable"]) == (
        "boolean", True, ["Group", "User"], "xsd:date", "Activity ID", False)


def test_describe_picklists_include_values_in_the_data(org, emu):
    org.insert("Task", task(9, TaskSubtype="Carrier Pigeon"))
    fields = {f["name"]: f for f in get(emu, f"{API}/sobjects/Task/describe").json()["fields"]}
    values = [v["value"] for v in fields["TaskSubtype"]["picklistValues"]]
    assert values == ["Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn",
                      "Carrier Pigeon"]


def test_account_describes_its_lookups_and_picklists(emu):
    body = get(emu, f"{API}/sobjects/Account/describe").json()
    fields = {f["name"]: f for f in body["fields"]}
    assert (body["keyPrefix"], body["labelPlural"], fields["ParentId"]["referenceTo"],
            fields["ParentId"]["relationshipName"], fields["OwnerId"]["referenceTo"],
            fields["AnnualRevenue"]["type"], fields["Type"]["picklistValues"][0]["value"]) == (
        "001", "Accounts", ["Account"], "Parent", ["User"], "currency", "Prospect")


def test_accounts_are_queried_like_any_object(org, emu):
    org.insert("Account", {"Id": "001000000000001AAA", "Name": "O'Reilly & Sons",
                           "Type": "Customer - Direct", "AnnualRevenue": 1250000.0})
    org.insert("Account", {"Id": "001000000000002AAA", "Name": "Acme", "Type": "Prospect"})
    body = query(emu, "SELECT Id, Name, AnnualRevenue FROM Account "
                      "WHERE Type = 'Customer - Direct' ORDER BY SystemModstamp, Id").json()
    assert (body["totalSize"], body["records"][0]["Name"], body["records"][0]["AnnualRevenue"],
            body["records"][0]["attributes"]["type"]) == (
        1, "O'Reilly & Sons", 1250000.0, "Account")


def test_describe_of_an_unknown_object_is_not_found(emu):
    response = get(emu, f"{API}/sobjects/Nope__c/describe")
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_describe_global_lists_every_object_with_urls(emu):
    body = get(emu, f"{API}/sobjects/").json()
    task_entry = next(o for o in body["sobjects"] if o["name"] == "Task")
    assert ([o["name"] for o in body["sobjects"]], task_entry["keyPrefix"],
            task_entry["urls"]["describe"]) == (
        ["User", "UserRole", "Task", "Event", "Opportunity", "OpportunityHistory", "Account"],
        "00T",
        "/services/data/v60.0/sobjects/Task/describe")


def test_a_record_can_be_read_by_id(emu):
    body = get(emu, f"{API}/sobjects/User/005000000000000AAA").json()
    assert (body["Name"], body["attributes"]["type"]) == ("Ada Rep", "User")


# ---------------------------------------------------------------------------------- faults

FAULT_ANSWERS = {
    "http_503_html": (503, "text/html;charset=UTF-8", None),
    "http_500": (500, "application/json;charset=UTF-8", "UNKNOWN_EXCEPTION"),
    "server_unavailable": (503, "application/json;charset=UTF-8", "SERVER_UNAVAILABLE"),
    "unable_to_lock_row": (400, "application/json;charset=UTF-8", "UNABLE_TO_LOCK_ROW"),
    "query_timeout": (400, "application/json;charset=UTF-8", "QUERY_TIMEOUT"),
    "expired_session": (401, "application/json;charset=UTF-8", "INVALID_SESSION_ID"),
    "request_limit": (403, "application/json;charset=UTF-8", "REQUEST_LIMIT_EXCEEDED"),
    "invalid_locator": (400, "application/json;charset=UTF-8", "INVALID_QUERY_LOCATOR"),
    "http_429": (429, "text/plain;charset=UTF-8", None),
}


@pytest.mark.parametrize("kind", sorted(FAULT_ANSWERS))
def test_fault_answers_like_salesforce_or_its_edge(emu, kind):
    emu.faults.inject(kind)
    response = get(emu, f"{API}/limits")
    code = response.json()[0]["errorCode"] if "json" in response.headers["Content-Type"] else None
    assert (response.status_code, response.headers["Content-Type"], code) == FAULT_ANSWERS[kind]


def test_every_fault_kind_is_tested():
    assert set(KINDS) == {*FAULT_ANSWERS, "drop_connection"}


def test_html_503_is_a_cdn_page(emu):
    emu.faults.inject("http_503_html")
    assert "<h1>Service Not Available</h1>" in get(emu, f"{API}/limits").text


def test_429_says_when_to_retry(emu):
    emu.faults.inject("http_429")
    assert get(emu, f"{API}/limits").headers["Retry-After"] == "1"


def test_server_unavailable_body_is_the_sample(emu):
    emu.faults.inject("server_unavailable")
    assert get(emu, f"{API}/limits").json() == [
        {"message": "Server too busy", "errorCode": "SERVER_UNAVAILABLE"}]


def test_drop_connection_hangs_up_without_an_answer(emu):
    emu.faults.inject("drop_connection")
    with pytest.raises(requests.exceptions.ConnectionError):
        get(emu, f"{API}/limits")


def test_fault_fires_on_the_nth_call_from_now(emu):
    emu.faults.inject("http_500", on_call=3)
    statuses = [get(emu, f"{API}/limits").status_code for _ in range(4)]
    assert statuses == [200, 200, 500, 200]


def test_fault_fires_times_in_a_row(emu):
    emu.faults.inject("server_unavailable", times=2)
    statuses = [get(emu, f"{API}/limits").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]


def test_fault_waits_for_a_matching_path(emu):
    emu.faults.inject("query_timeout", path_contains="/query")
    statuses = [get(emu, f"{API}/limits").status_code,
                query(emu, "SELECT Id FROM User").status_code,
                query(emu, "SELECT Id FROM User").status_code]
    assert statuses == [200, 400, 200]


def test_unknown_fault_kind_is_refused(emu):
    with pytest.raises(ValueError, match="unknown fault kind 'meteor'"):
        emu.faults.inject("meteor")


def test_simple_salesforce_sees_a_transient_503_then_recovers(sf, emu):
    emu.faults.inject("server_unavailable")
    with pytest.raises(sf_exceptions.SalesforceGeneralError):
        sf.query("SELECT Id FROM User")
    assert sf.query("SELECT Id FROM User")["totalSize"] == 1


# ------------------------------------------------------------------------------ admin API

def admin(emu: Emulator, method: str, path: str, token: str | None = None, **kwargs):
    return requests.request(method, f"{emu.url}/__emulator/{path}", verify=str(emu.ca_path),
                            headers={"Authorization": f"Bearer {token or emu.access_token}"},
                            timeout=10, **kwargs)


def test_admin_api_arms_a_fault(emu):
    armed = admin(emu, "POST", "faults", json={"kind": "http_500", "on_call": 2})
    statuses = [get(emu, f"{API}/limits").status_code for _ in range(2)]
    assert (armed.status_code, statuses) == (201, [200, 500])


def test_admin_api_refuses_an_unknown_fault(emu):
    response = admin(emu, "POST", "faults", json={"kind": "meteor"})
    assert (response.status_code, response.json()[0]["errorCode"]) == (400, "INVALID_FAULT")


def test_admin_stats_count_calls_but_not_themselves(emu):
    get(emu, f"{API}/limits")
    stats = admin(emu, "GET", "stats").json()
    assert (stats["api_calls"], stats["requests"]) == (1, [f"GET {API}/limits"])


def test_admin_api_expires_sessions(emu):
    expired = admin(emu, "POST", "expire-sessions").json()
    assert (expired, get(emu, f"{API}/limits").status_code) == ({"expired": 1}, 401)


def test_admin_api_needs_a_token(emu):
    response = requests.get(f"{emu.url}/__emulator/stats", verify=str(emu.ca_path), timeout=10)
    assert (response.status_code, response.json()) == (401, INVALID_SESSION)


# ------------------------------------------------------------------------------ lifecycle

def test_stop_closes_the_listening_socket(org):
    emu = Emulator(org).start()
    port = int(emu.url.rsplit(":", 1)[1])
    emu.stop()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_temporary_ca_is_removed_on_stop(org):
    with Emulator(org) as emu:
        ca_path = emu.ca_path
        assert ca_path.is_file()
    assert not ca_path.parent.exists()


def test_ca_in_state_dir_is_kept(org, tmp_path):
    with Emulator(org, state_dir=tmp_path / "state") as emu:
        ca_path = emu.ca_path
    assert (ca_path, ca_path.read_text().startswith("-----BEGIN CERTIFICATE-----")) == (
        tmp_path / "state" / "emulator-ca.pem", True)


def test_url_before_start_is_an_error(org):
    with pytest.raises(RuntimeError, match="the emulator is not running"):
        _ = Emulator(org).url


def test_serve_forever_reports_ready_and_returns_once_stopped(org):
    seen = []

    def ready(emulator):
        seen.append(get(emulator, "/services/data/", token="").status_code)
        threading.Timer(0.1, emulator.stop).start()

    serve_forever(org, 0, on_ready=ready)
    assert seen == [200]


# ---------------------------------------------------------------------- slow queries

def test_a_query_matching_too_many_rows_times_out_and_a_narrower_one_does_not(org):
    with Emulator(org, query_timeout_rows=3) as emu:
        wide = query(emu, "SELECT Id FROM Task")
        narrow = query(emu, "SELECT Id FROM Task WHERE SystemModstamp < 2026-01-04T00:00:00Z")
        count = query(emu, "SELECT count() FROM Task")
    assert (wide.status_code, wide.json()) == (400, [
        {"message": "Your query request was running for too long.",
         "errorCode": "QUERY_TIMEOUT"}])
    assert (narrow.status_code, narrow.json()["totalSize"]) == (200, 3)
    assert count.json()["totalSize"] == 5  # counts are cheap: never timed out


def test_describe_marks_formula_fields_calculated():
    org = OrgData({}, custom_fields={"Opportunity": {"Weighted__c": "currency"}},
                  formula_fields={"Opportunity": ["Weighted__c"]})
    with Emulator(org) as emu:
        fields = {f["name"]: f for f in
                  get(emu, f"{API}/sobjects/Opportunity/describe").json()["fields"]}
    assert (fields["Weighted__c"]["calculated"], fields["Amount"]["calculated"]) == (True, False)
