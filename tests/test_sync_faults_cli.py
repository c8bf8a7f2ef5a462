"""Every emulator fault kind, end to end through `kpisync sync`: what ops would see.

Each test runs the real CLI (in-process, through click's CliRunner) against a fresh emulator
with one fault armed, then checks the exit code, the one-line error on stderr or the success,
the ``--json`` report's retry causes, and that the store ends up equal, table by table and row
by row, to a clean sync of the same org: nothing lost, nothing double-counted.

The org is small: User, UserRole, Event and Opportunity fit one page each, Task takes three
pages of 2,000 (the first from ``queryAll/?q=``, the next two from ``query/<locator>-<offset>``),
so the N-th call whose path holds ``/query/01g`` is Task's page N + 1.

Retries really sleep (RetryPolicy: 1 s initial window, full jitter) and neither the CLI nor the
environment can shorten that, so faults fire once or twice, except where the retry limit is the
point (5 attempts, up to 1 + 2 + 4 + 8 s of backoff).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner, Result

from kpisync.cli import main
from kpisync.emulator import Emulator
from kpisync.emulator.demo_org import generate_demo_org
from tests.stores import snapshot

pytestmark = pytest.mark.e2e

SAMPLE = Path(__file__).resolve().parent.parent / "kpis.yaml"
ORG = generate_demo_org(seed=3, as_of=date(2026, 6, 17), scale=0.05)
OBJECTS = ["User", "UserRole", "Task", "Event", "Opportunity"]

#: Task's queryMore pages (User and UserRole are read with /query/?q=, which does not match)
TASK_MORE_PAGE = "/query/01g"
#: the first page of each measurable object: Task's is the first such call
QUERY_ALL = "/queryAll/"
TASK_DESCRIBE = "/sobjects/Task/describe"
TOKEN_REQUEST = "POST /services/oauth2/token"

#: variables from the machine that would reroute or re-verify calls to 127.0.0.1, or pick
#: another login flow
_UNSET = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
          "CURL_CA_BUNDLE")


def base_env(emulator: Emulator) -> dict[str, str | None]:
    env: dict[str, str | None] = {var: None for var in os.environ if var.startswith("SF_")}
    env.update(dict.fromkeys(_UNSET))
    env.update(REQUESTS_CA_BUNDLE=str(emulator.ca_path), NO_PROXY="127.0.0.1,localhost")
    return env


def token_env(emulator: Emulator) -> dict[str, str | None]:
    """The access-token flow: a session obtained elsewhere, which cannot be renewed."""
    return {**base_env(emulator), "SF_INSTANCE_URL": emulator.url,
            "SF_ACCESS_TOKEN": emulator.access_token}


def client_credentials_env(emulator: Emulator) -> dict[str, str | None]:
    """The OAuth client-credentials flow, which can log in again when the session expires."""
    return {**base_env(emulator), "SF_LOGIN_URL": emulator.url,
            "SF_CLIENT_ID": emulator.credentials.client_id,
            "SF_CLIENT_SECRET": emulator.credentials.client_secret}


def sync(emulator: Emulator, store: Path, *args: str,
         env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, ["sync", "-c", str(SAMPLE), "--store", str(store), *args],
                              env=env if env is not None else token_env(emulator),
                              catch_exceptions=False)


def error_line(result: Result) -> str:
    """The one ``Error:`` line on stderr (the other stderr lines are progress)."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def assert_no_error(result: Result) -> None:
    assert result.exit_code == 0, result.output
    assert "Error:" not in result.stderr, result.stderr


def duplicate_ids(store: Path) -> dict[str, int]:
    """Per raw table, how many rows share an Id with another (all zero in a sound store)."""
    with duckdb.connect(str(store), read_only=True) as db:
        tables = [name for (name,) in db.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()
            if name.startswith("sf_")]
        return {table: db.execute(
            f'SELECT count(*) - count(DISTINCT "Id") FROM "{table}"').fetchone()[0]
            for table in tables}


def stored_rows(store: Path, table: str) -> int:
    with duckdb.connect(str(store), read_only=True) as db:
        return db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


@dataclass(frozen=True)
class Clean:
    """A sync nothing disturbed: what every faulted or resumed store must equal."""

    snapshot: dict[str, object]
    report: dict


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Clean:
    store = tmp_path_factory.mktemp("clean") / "store.duckdb"
    with Emulator(ORG) as emulator:
        result = sync(emulator, store, "--json")
    assert_no_error(result)
    report = json.loads(result.stdout)
    assert list(report["objects"]) == OBJECTS
    assert report["objects"]["Task"]["pages"] == 3  # what the fault targets above rely on
    assert report["retries"] == {"total": 0, "causes": {}}
    assert not any(duplicate_ids(store).values())
    return Clean(snapshot(store), report)


def assert_store_is_clean(store: Path, clean: Clean) -> None:
    assert duplicate_ids(store) == dict.fromkeys(duplicate_ids(store), 0)
    assert snapshot(store) == clean.snapshot


def assert_counts_match_clean(report: dict, clean: Clean) -> None:
    """The report counts every record once, as the clean sync did."""
    for name in ("fetched", "upserted", "deleted", "pages"):
        assert report["totals"][name] == clean.report["totals"][name], name


# (kind, where it is aimed, which matching call, how many times in a row, retry cause)
RETRIED = [
    pytest.param("http_503_html", TASK_MORE_PAGE, 1, 1, "HTTP 503",
                 id="http_503_html-cdn-page-on-task-page-2"),
    pytest.param("http_500", TASK_DESCRIBE, 1, 1, "UNKNOWN_EXCEPTION",
                 id="http_500-on-task-describe"),
    pytest.param("server_unavailable", QUERY_ALL, 1, 2, "SERVER_UNAVAILABLE",
                 id="server_unavailable-twice-on-task-page-1"),
    pytest.param("unable_to_lock_row", TASK_MORE_PAGE, 2, 1, "UNABLE_TO_LOCK_ROW",
                 id="unable_to_lock_row-400-on-task-page-3"),
    pytest.param("http_429", TASK_MORE_PAGE, 1, 1, "HTTP 429",
                 id="http_429-on-task-page-2"),
    pytest.param("drop_connection", TASK_MORE_PAGE, 1, 2, "connection error",
                 id="drop_connection-twice-on-task-page-2"),
    pytest.param("query_timeout", QUERY_ALL, 1, 1, "QUERY_TIMEOUT",
                 id="query_timeout-once-on-task-page-1"),
]


@pytest.mark.parametrize(("kind", "target", "on_call", "times", "cause"), RETRIED)
def test_transient_fault_is_retried_and_the_store_is_complete(
        clean, tmp_path, kind, target, on_call, times, cause):
    store = tmp_path / "store.duckdb"
    with Emulator(ORG) as emulator:
        emulator.faults.inject(kind, on_call=on_call, times=times, path_contains=target)
        result = sync(emulator, store, "--json")
        fired, pending, calls = emulator.faults.fired, emulator.faults.pending(), \
            emulator.api_calls

    assert_no_error(result)
    assert [k for k, _ in fired] == [kind] * times and pending == 0
    assert all(target in path for _, path in fired)
    report = json.loads(result.stdout)
    assert report["partial"] is False
    assert all(o["complete"] for o in report["objects"].values())
    assert report["retries"] == {"total": times, "causes": {cause: times}}
    assert_counts_match_clean(report, clean)
    # every attempt is a request the org counts, and is counted once in the report
    assert report["totals"]["api_calls"] == clean.report["totals"]["api_calls"] + times == calls
    assert report["api_usage"]["after"]["used"] == calls
    assert_store_is_clean(store, clean)


def test_server_unavailable_past_the_retry_limit_fails_after_5_attempts_then_the_rerun_completes(
        clean, tmp_path):
    store = tmp_path / "store.duckdb"
    with Emulator(ORG) as emulator:
        emulator.faults.inject("server_unavailable", times=5, path_contains=TASK_MORE_PAGE)
        failed = sync(emulator, store, "--json")
        assert (len(emulator.faults.fired), emulator.faults.pending()) == (5, 0)
        kept = stored_rows(store, "sf_task")
        resumed = sync(emulator, store, "--json")

    assert failed.exit_code == 1, failed.output
    assert error_line(failed) == (
        "Error: Salesforce is unavailable or busy for Task (SERVER_UNAVAILABLE: Server too "
        "busy, HTTP 503) (gave up after 5 attempts)")
    assert failed.stdout == ""  # no report: the run failed
    assert 0 < kept < len(clean.snapshot["sf_task"][1])  # Task's first page, checkpointed

    assert_no_error(resumed)
    report = json.loads(resumed.stdout)
    assert report["retries"] == {"total": 0, "causes": {}}
    # resumed after the checkpoint: Task's first page is not read again
    assert kept + report["objects"]["Task"]["upserted"] == len(clean.snapshot["sf_task"][1])
    assert_store_is_clean(store, clean)


def test_expired_session_with_a_given_access_token_fails_with_what_to_do(clean, tmp_path):
    store = tmp_path / "store.duckdb"
    with Emulator(ORG) as emulator:
        emulator.faults.inject("expired_session", path_contains=TASK_MORE_PAGE)
        failed = sync(emulator, store, "--json")
        token = emulator.access_token
        token_requests = sum(r.startswith(TOKEN_REQUEST) for r in emulator.requests)
        kept = stored_rows(store, "sf_task")
        # the fault leaves the token valid: a rerun stands for one with a new SF_ACCESS_TOKEN
        resumed = sync(emulator, store, "--json")

    assert failed.exit_code == 1, failed.output
    assert error_line(failed) == (
        "Error: Salesforce rejected the access token for Task: the session expired or is "
        "invalid; get a new token and set SF_ACCESS_TOKEN again (INVALID_SESSION_ID: Session "
        "expired or invalid, HTTP 401)")
    assert token not in failed.output
    assert token_requests == 0  # a given token: nothing to log in again with

    assert 0 < kept < len(clean.snapshot["sf_task"][1])

    assert_no_error(resumed)
    resumed_task = json.loads(resumed.stdout)["objects"]["Task"]
    assert kept + resumed_task["upserted"] == len(clean.snapshot["sf_task"][1])
    assert_store_is_clean(store, clean)


def test_expired_session_with_client_credentials_logs_in_again_once_and_the_store_is_complete(
        clean, tmp_path):
    store = tmp_path / "store.duckdb"
    with Emulator(ORG) as emulator:
        emulator.faults.inject("expired_session", path_contains=TASK_MORE_PAGE)
        result = sync(emulator, store, "--json", env=client_credentials_env(emulator))
        fired, calls = emulator.faults.fired, emulator.api_calls
        token_requests = sum(r.startswith(TOKEN_REQUEST) for r in emulator.requests)

    assert_no_error(result)
    assert [k for k, _ in fired] == ["expired_session"]
    assert token_requests == 2  # the first login, and one more after the 401
    report = json.loads(result.stdout)
    assert report["partial"] is False
    assert report["retries"] == {"total": 1, "causes": {"INVALID_SESSION_ID (logged in again)": 1}}
    assert_counts_match_clean(report, clean)
    # the refused call and its repeat are both counted
    assert report["totals"]["api_calls"] == clean.report["totals"]["api_calls"] + 1 == calls
    assert_store_is_clean(store, clean)


def test_request_limit_exceeded_stops_with_exit_3_then_the_rerun_resumes(clean, tmp_path):
    store = tmp_path / "store.duckdb"
    with Emulator(ORG) as emulator:
        emulator.faults.inject("request_limit", path_contains=TASK_MORE_PAGE)
        stopped = sync(emulator, store)
        assert [k for k, _ in emulator.faults.fired] == ["request_limit"]
        kept = stored_rows(store, "sf_task")
        with duckdb.connect(str(store), read_only=True) as db:
            states = {s for (s,) in db.execute("SELECT sobject FROM sync_state").fetchall()}
        resumed = sync(emulator, store, "--json")

    assert stopped.exit_code == 3, stopped.output
    assert "Error:" not in stopped.stderr
    assert stopped.stdout.splitlines()[-1] == (
        "Stopped early: Salesforce answered REQUEST_LIMIT_EXCEEDED: the org has used up its API "
        "requests for the rolling 24 hours; wait for calls made over that window to free up "
        "(or ask an admin to raise the limit) before the next run. What was fetched is stored; "
        "run `kpisync sync` again to resume.")
    assert "Event:" not in stopped.stdout  # the objects after the stop were not started
    assert 0 < kept < len(clean.snapshot["sf_task"][1])
    assert states == {"User", "UserRole", "Task"}

    assert_no_error(resumed)
    report = json.loads(resumed.stdout)
    assert report["partial"] is False
    assert report["retries"] == {"total": 0, "causes": {}}
    assert kept + report["objects"]["Task"]["upserted"] == len(clean.snapshot["sf_task"][1])
    assert_store_is_clean(store, clean)


def test_invalid_query_locator_restarts_the_object_from_its_checkpoint_and_the_store_is_complete(
        clean, tmp_path):
    store = tmp_path / "store.duckdb"
    with Emulator(ORG) as emulator:
        emulator.faults.inject("invalid_locator", path_contains=TASK_MORE_PAGE)
        result = sync(emulator, store, "--json")
        fired = emulator.faults.fired

    assert [k for k, _ in fired] == ["invalid_locator"]
    assert_no_error(result)
    report = json.loads(result.stdout)
    assert report["partial"] is False
    assert report["retries"] == {
        "total": 1, "causes": {"INVALID_QUERY_LOCATOR (restarted from the checkpoint)": 1}}
    assert all(o["complete"] for o in report["objects"].values())
    assert_store_is_clean(store, clean)
