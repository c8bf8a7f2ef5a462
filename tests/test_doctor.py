"""kpisync doctor: against the bundled emulator end to end, and with `responses` for the exact
failures (an expired token, a field the sync user cannot read, a low quota)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import responses
from click.testing import CliRunner

from kpisync.cli import main
from kpisync.doctor import diagnose
from kpisync.emulator import Emulator
from kpisync.emulator.demo_org import generate_demo_org
from kpisync.errors import StoreError
from kpisync.store import Store
from kpisync.store.state import SyncState
from kpisync.sync.quota import Allowance
from tests.sf_fixtures import API, INSTANCE, TOKEN, add_describe, no_sleep_policy, sample
from tests.test_sync_jobs import CONFIG, ROLE_TYPES, TASK_TYPES, USER_TYPES

SAMPLE = Path(__file__).resolve().parent.parent / "kpis.yaml"
ORG = generate_demo_org(seed=3, as_of=date(2026, 6, 17), scale=0.05)
ENV = {"SF_INSTANCE_URL": INSTANCE, "SF_ACCESS_TOKEN": TOKEN}
NOW = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def statuses(diagnosis) -> dict[str, str]:
    return {c.name: c.status for c in diagnosis.checks}


def check(diagnosis, name: str):
    return next(c for c in diagnosis.checks if c.name == name)


# -- the emulator ------------------------------------------------------------------------------

def invoke(emulator, store: Path, *args: str, command: str = "doctor"):
    env = {"SF_INSTANCE_URL": emulator.url, "SF_ACCESS_TOKEN": emulator.access_token,
           "REQUESTS_CA_BUNDLE": str(emulator.ca_path)}
    return CliRunner().invoke(main, [command, "-c", str(SAMPLE), "--store", str(store), *args],
                              env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def synced(tmp_path_factory) -> Path:
    """A store the sample kpis.yaml synced from the emulator's demo org just now."""
    store = tmp_path_factory.mktemp("doctor") / "s.duckdb"
    with Emulator(ORG) as emulator:
        result = invoke(emulator, store, command="sync")
    assert result.exit_code == 0, result.output
    return store


@pytest.mark.e2e
def test_everything_in_place_is_all_ok(synced):
    with Emulator(ORG) as emulator:
        result = invoke(emulator, synced)
        calls = emulator.api_calls
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines if not line.startswith(" ")][:6] == [
        ["OK", "credentials"], ["OK", "API"], ["OK", "field"], ["OK", "API"], ["OK", "store"],
        ["OK", "last"]]
    assert lines[0].startswith("OK    credentials   access token flow (SF_INSTANCE_URL, "
                               "SF_ACCESS_TOKEN): logged in to https://127.0.0.1:")
    assert "OK    API version   v60.0 (the org serves up to v60.0)" in lines
    assert "                    Task: 8 of 8 fields readable" in lines  # Subject: record_labels
    assert lines[-1] == f"no check failed; the checks made {calls} API calls."
    assert calls == 1 + 5  # the versions listing counts against no limit


@pytest.mark.e2e
def test_json_lists_every_check(synced):
    with Emulator(ORG) as emulator:
        result = invoke(emulator, synced, "--json")
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert [c["name"] for c in data["checks"]] == [
        "credentials", "API version", "field access", "API quota", "store", "last sync"]
    store = data["checks"][4]
    assert store["details"][:2] == ["User: 36 rows", "UserRole: 7 rows"]
    assert store["fix"] is None


@pytest.mark.e2e
def test_an_old_api_version_fails_and_exits_1(synced):
    with Emulator(ORG, api_version="59.0") as emulator:
        result = invoke(emulator, synced)
    assert result.exit_code == 1
    assert "FAIL  API version   the org does not serve API v60.0 (it serves v31.0 to v59.0)" \
        in result.stdout
    assert "SKIP  field access  needs the org's API version" in result.stdout
    assert "fix: upgrade kpisync, or check that the instance URL is a Salesforce org" \
        in result.stdout


@pytest.mark.e2e
def test_an_expired_session_fails_credentials_and_skips_what_needs_them(synced):
    with Emulator(ORG) as emulator:
        emulator.faults.inject("expired_session")
        result = invoke(emulator, synced, "--json")
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["credentials"]["status"] == "fail"
    assert checks["credentials"]["fix"].startswith("the access token expired or was revoked: "
                                                   "set a new SF_ACCESS_TOKEN")
    assert [checks[n]["status"] for n in ("API version", "field access", "API quota")] == \
        ["ok", "skip", "skip"]
    assert (checks["store"]["status"], checks["last sync"]["status"]) == ("ok", "ok")


@pytest.mark.e2e
def test_without_a_store_yet_warns_and_creates_none(tmp_path):
    store = tmp_path / "none.duckdb"
    with Emulator(ORG) as emulator:
        result = invoke(emulator, store)
    assert result.exit_code == 0, result.output
    assert f"WARN  store         no store at {store} yet" in result.stdout
    assert "SKIP  last sync     needs a store" in result.stdout
    assert not store.exists()


# -- exact failures with responses ------------------------------------------------------------

def add_org(rsps, *, remaining: int = 4937, task_types=TASK_TYPES):
    limits = sample("limits_excerpt.json")
    limits["DailyApiRequests"] = {"Max": 5000, "Remaining": remaining}
    rsps.get(f"{API}/limits/", json=limits)
    rsps.get(f"{INSTANCE}/services/data/", json=[
        {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"},
        {"label": "Spring '24", "url": "/services/data/v60.0", "version": "60.0"}])
    for sobject, types in (("User", USER_TYPES), ("UserRole", ROLE_TYPES),
                           ("Task", task_types)):
        add_describe(rsps, sobject, types)


def run(tmp_path: Path, env=ENV, **options):
    return diagnose(CONFIG, tmp_path / "s.duckdb", env, now=NOW, retry=no_sleep_policy(1),
                    **options)


@responses.activate
def test_a_refused_token_fails_with_what_to_do(tmp_path):
    add_org(responses)
    responses.replace(responses.GET, f"{API}/limits/", json=INVALID_SESSION, status=401)
    login = check(run(tmp_path), "credentials")
    assert login.status == "fail"
    assert login.summary.startswith("access token flow (SF_INSTANCE_URL, SF_ACCESS_TOKEN): ")
    assert "INVALID_SESSION_ID" in login.summary and TOKEN not in login.summary


def test_missing_variables_fail_and_list_each_flow(tmp_path):
    diagnosis = run(tmp_path, env={"SF_CLIENT_ID": "abc"})
    login = check(diagnosis, "credentials")
    assert (login.status, login.summary) == ("fail", "Salesforce credentials are missing: set "
                                             "the variables of one way to log in (in the "
                                             "environment or an --env-file):")
    assert login.details[0] == "access token: missing SF_INSTANCE_URL, SF_ACCESS_TOKEN"
    assert login.fix == "set the variables of one way to log in (docs/sync.md#authentication)"
    assert diagnosis.api_calls == 0 and diagnosis.failed


@responses.activate
def test_a_field_the_sync_user_cannot_read_fails_naming_it_and_its_kpi(tmp_path):
    hidden = {k: v for k, v in TASK_TYPES.items() if k != "TaskSubtype"}
    add_org(responses, task_types=hidden)
    access = check(run(tmp_path), "field access")
    assert access.status == "fail"
    assert access.details == ("Task has no field 'TaskSubtype' (used by KPI 'calls'); check the "
                              "field's API name and that the sync user can see it (field-level "
                              "security)",)
    assert access.fix.startswith("give the sync user Read on these objects and field-level Read")


@responses.activate
def test_an_object_the_sync_user_cannot_see_fails(tmp_path):
    add_org(responses)
    responses.replace(responses.GET, f"{API}/sobjects/Task/describe", status=404, json=[
        {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
    access = check(run(tmp_path), "field access")
    assert access.status == "fail"
    assert access.details[0].startswith("Task: ") and "NOT_FOUND" in access.details[0]


@pytest.mark.parametrize(("remaining", "status", "ending"), [
    (4937, "ok", "(20% of the daily limit) to others"),
    (1500, "warn", ": a long sync may stop at the floor (exit 3)"),
    (1000, "fail", ": a sync would stop at once (exit 3)"),
], ids=["plenty", "low", "at-the-floor"])
@responses.activate
def test_quota_against_the_floor(tmp_path, remaining, status, ending):
    add_org(responses, remaining=remaining)
    quota = check(run(tmp_path), "API quota")
    assert (quota.status, quota.summary) == (
        status, f"{remaining:,} of 5,000 daily API requests remain; the sync leaves 1,000 "
                f"(20% of the daily limit) to others" + ("" if status == "ok" else ending))


@responses.activate
def test_api_floor_as_a_number(tmp_path):
    add_org(responses, remaining=300)
    quota = check(run(tmp_path, api_floor=Allowance(requests=100)), "API quota")
    assert quota.status == "ok"


def stored(path: Path, *, updated: datetime, unfinished: tuple[str, ...] = ()) -> None:
    with Store.open(path) as store:
        store.ensure_table("User", USER_TYPES)
        store.upsert("User", [{"Id": "005A", "SystemModstamp": updated}])
        for sobject in ("User", "UserRole", "Task"):
            store.save_state(SyncState(sobject, None, None, (),
                                       complete=sobject not in unfinished))
    with duckdb.connect(str(path)) as con:  # save_state stamps now: set the time under test
        con.execute("UPDATE sync_state SET updated_at = ?", [updated])


@pytest.mark.parametrize(("age", "status"), [(timedelta(hours=3), "ok"),
                                              (timedelta(hours=37), "fail")],
                         ids=["fresh", "stale"])
def test_last_sync_against_stale_after(tmp_path, age, status):
    stored(tmp_path / "s.duckdb", updated=NOW - age)
    last = check(run(tmp_path, env={}), "last sync")
    spoken = "3 hours" if status == "ok" else "1 day 13 hours"
    assert (last.status, last.summary) == (status, (
        f"finished {spoken} ago ({NOW - age:%Y-%m-%d %H:%M} UTC); site.stale_after is "
        "1 day 12 hours" + (": the site shows a stale-data banner" if status == "fail" else "")))


def test_an_unfinished_read_warns(tmp_path):
    stored(tmp_path / "s.duckdb", updated=NOW - timedelta(hours=1), unfinished=("Task",))
    last = check(run(tmp_path, env={}), "last sync")
    assert (last.status, last.summary, last.fix) == (
        "warn", "finished 1 hour ago (2026-02-10 11:00 UTC); site.stale_after is 1 day 12 "
                "hours; the last read of Task did not finish", "run `kpisync sync`: it resumes")


def test_no_finished_sync_warns(tmp_path):
    stored(tmp_path / "s.duckdb", updated=NOW, unfinished=("User", "UserRole", "Task"))
    last = check(run(tmp_path, env={}), "last sync")
    assert (last.status, last.summary, last.fix) == ("warn", "no sync has finished yet",
                                                     "run `kpisync sync`")


def test_store_rows_and_tables_not_synced_yet(tmp_path):
    stored(tmp_path / "s.duckdb", updated=NOW)
    store = check(run(tmp_path, env={}), "store")
    assert store.status == "warn"
    assert store.summary == f"{tmp_path / 's.duckdb'}: schema version 2, 1 rows in 3 tables"
    assert store.details == ("User: 1 rows", "UserRole: no table (never synced)",
                             "Task: no table (never synced)")
    assert store.fix == ("`kpisync sync` reads UserRole, Task, which kpis.yaml uses but the "
                         "store does not hold yet")


def test_a_store_from_a_newer_kpisync_fails_and_is_left_alone(tmp_path):
    path = tmp_path / "s.duckdb"
    stored(path, updated=NOW)
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    before = path.read_bytes()
    store = check(run(tmp_path, env={}), "store")
    assert (store.status, store.summary) == ("fail", (
        f"the store {path} was written by a newer kpisync (store schema version 99, this "
        "kpisync reads up to 2); upgrade kpisync"))
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_store_fails(tmp_path):
    path = tmp_path / "s.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(StoreError, match="is not a kpisync store"):
        Store.open_read_only(path)
    assert check(run(tmp_path, env={}), "store").status == "fail"
