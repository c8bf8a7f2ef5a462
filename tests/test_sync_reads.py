"""How reads start and recover, end to end through the emulator: a QUERY_TIMEOUT splits the
window, an expired cursor restarts from the checkpoint, the lookback catches late commits,
--since and an earlier history start read again, formula fields are refreshed periodically.
Each ends with the store compared to a clean sync of the same org."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from kpisync.cli import main
from kpisync.config import load_config
from kpisync.emulator import Emulator, OrgData
from kpisync.emulator.demo_org import CUSTOM_FIELDS, demo_records
from kpisync.errors import SalesforceError
from kpisync.store import Store
from kpisync.sync.auth import Credentials
from kpisync.sync.client import SalesforceClient
from kpisync.sync.jobs import RESTART_CAUSE, SPLIT_CAUSE, sync
from kpisync.sync.plan import SyncOptions
from tests.sf_fixtures import no_sleep_policy
from tests.stores import table_rows

pytestmark = pytest.mark.e2e

SAMPLE = Path(__file__).resolve().parent.parent / "kpis.yaml"
CONFIG = load_config(SAMPLE)
AS_OF = date(2026, 6, 17)
#: the day after the generated org's last change
NOW = datetime(2026, 6, 18, 12, 0, tzinfo=UTC)
OPTIONS = SyncOptions(history_start=date(2025, 5, 1))
#: Task's queryMore pages (its first page comes from /queryAll/?q=)
TASK_MORE_PAGE = "/query/01g"


def make_org() -> OrgData:
    """A small demo org in which Opportunity.Amount is a formula (as where it rolls up from
    products), so the periodic formula refresh has something to do."""
    records = demo_records(seed=3, as_of=AS_OF, scale=0.05)
    return OrgData(records, CUSTOM_FIELDS, formula_fields={"Opportunity": ["Amount"]})


def run(emulator: Emulator, store_path: Path, options: SyncOptions = OPTIONS, *,
        now: datetime = NOW):
    credentials = Credentials(emulator.url, emulator.access_token, ca_bundle=emulator.ca_path)
    client = SalesforceClient(credentials, retry=no_sleep_policy())
    with Store.open(store_path) as store:
        return sync(CONFIG, store, client, options, now=now)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The store a plain sync of the unchanged org writes."""
    path = tmp_path_factory.mktemp("clean") / "store.duckdb"
    with Emulator(make_org()) as emulator:
        run(emulator, path)
    return table_rows(path)


def queries(emulator: Emulator, sobject: str) -> list[str]:
    """The SOQL of every REST query the emulator received for ``sobject``, decoded."""
    from urllib.parse import unquote_plus

    found = []
    for request in emulator.requests:
        match = re.search(r"/query(?:All)?/\?q=([^ ]+)", request)
        if match and f" FROM {sobject} " in unquote_plus(match.group(1)) + " ":
            found.append(unquote_plus(match.group(1)))
    return found


def stored(path: Path, sobject: str, record_id: str, column: str):
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(f'SELECT "{column}" FROM sf_{sobject.lower()} WHERE "Id" = ?',
                          [record_id]).fetchone()
    return None if row is None else row[0]


def test_a_query_that_times_out_is_split_into_windows_and_the_store_is_complete(clean,
                                                                                 tmp_path):
    with Emulator(make_org(), query_timeout_rows=1500) as emulator:
        report = run(emulator, tmp_path / "s.duckdb")
        task_queries = queries(emulator, "Task")
    # each split window that timed out was tried twice (one retry) before being split
    assert report.retries[SPLIT_CAUSE] >= 3
    assert report.retries["QUERY_TIMEOUT"] == report.retries[SPLIT_CAUSE]
    assert any("SystemModstamp <" in q for q in task_queries)
    assert report.objects["Task"].complete and report.objects["Task"].full
    assert table_rows(tmp_path / "s.duckdb") == clean


def test_a_timeout_below_the_smallest_window_fails_with_what_to_do(tmp_path):
    options = SyncOptions(history_start=date(2025, 5, 1), min_window=timedelta(days=400))
    with Emulator(make_org(), query_timeout_rows=1500) as emulator, \
            pytest.raises(SalesforceError) as info:
        run(emulator, tmp_path / "s.duckdb", options)
    assert str(info.value) == (
        "Salesforce timed out reading Task (QUERY_TIMEOUT) even for a SystemModstamp window "
        "of 413.5 days; the org may be under heavy load, so run `kpisync sync` again later (it "
        "resumes from the checkpoint), or ask Salesforce support about the query's performance")
    assert (info.value.sobject, info.value.error_code) == ("Task", "QUERY_TIMEOUT")


def test_an_expired_cursor_restarts_from_the_checkpoint_within_the_run(clean, tmp_path):
    with Emulator(make_org()) as emulator:
        emulator.faults.inject("invalid_locator", on_call=2, path_contains=TASK_MORE_PAGE)
        report = run(emulator, tmp_path / "s.duckdb")
    assert report.retries == {RESTART_CAUSE: 1}
    assert report.objects["Task"].complete
    assert table_rows(tmp_path / "s.duckdb") == clean


def test_a_cursor_that_keeps_expiring_fails_after_the_restart_limit_then_the_rerun_completes(
        clean, tmp_path):
    store = tmp_path / "s.duckdb"
    with Emulator(make_org(), page_size=500) as emulator:
        emulator.faults.inject("invalid_locator", times=4, path_contains=TASK_MORE_PAGE)
        with pytest.raises(SalesforceError) as info:
            run(emulator, store, SyncOptions(history_start=date(2025, 5, 1),
                                             locator_restarts=3))
        assert str(info.value).startswith(
            "Salesforce expired the query cursor for Task 4 times in one run "
            "(INVALID_QUERY_LOCATOR)")
        rerun = run(emulator, store)
    assert rerun.objects["Task"].full  # the first read, resumed
    assert table_rows(store) == clean


def commit_one_late(org: OrgData) -> str:
    """Change a live Task as a transaction that began 5 minutes before the newest stamp the
    last sync saw and commits only now; its Id."""
    newest = max(org.records("Task"), key=lambda r: r["SystemModstamp"])
    began = datetime.fromisoformat(newest["SystemModstamp"]) - timedelta(minutes=5)
    late = next(r for r in org.records("Task")
                if not r["IsDeleted"] and r["SystemModstamp"] < newest["SystemModstamp"])
    org.late_commit("Task", late["Id"], began, CallDurationInSeconds=4321)
    return late["Id"]


def test_the_lookback_catches_a_record_that_committed_late(tmp_path):
    store = tmp_path / "s.duckdb"
    org = make_org()
    with Emulator(org) as emulator:
        run(emulator, store)
        late = commit_one_late(org)
        report = run(emulator, store, now=NOW + timedelta(hours=3))
    assert stored(store, "Task", late, "CallDurationInSeconds") == 4321
    assert not report.objects["Task"].full
    # the re-read window is short: one page, a handful of records
    assert report.objects["Task"].api_calls == 1


def test_without_a_lookback_a_late_commit_is_missed(tmp_path):
    store = tmp_path / "s.duckdb"
    org = make_org()
    no_lookback = SyncOptions(history_start=date(2025, 5, 1), lookback=timedelta(0))
    with Emulator(org) as emulator:
        run(emulator, store, no_lookback)
        late = commit_one_late(org)
        run(emulator, store, no_lookback, now=NOW + timedelta(hours=3))
    assert stored(store, "Task", late, "CallDurationInSeconds") != 4321


def test_since_rereads_the_records_modified_since_that_day(tmp_path):
    store = tmp_path / "s.duckdb"
    org = make_org()
    with Emulator(org) as emulator:
        run(emulator, store)
        report = run(emulator, store, SyncOptions(history_start=date(2025, 5, 1),
                                                  since=date(2026, 6, 1)))
    expected = sum(1 for r in org.records("Task") if r["SystemModstamp"] >= "2026-06-01")
    assert report.objects["Task"].fetched == expected > 0
    assert not report.objects["Task"].full


def test_an_earlier_history_start_reads_the_older_records(clean, tmp_path):
    store = tmp_path / "s.duckdb"
    with Emulator(make_org()) as emulator:
        first = run(emulator, store, SyncOptions(history_start=date(2026, 3, 1)))
        report = run(emulator, store)
        again = run(emulator, store, SyncOptions(history_start=date(2026, 3, 1)))
    assert first.objects["Task"].fetched < report.objects["Task"].fetched
    assert report.objects["Task"].full
    assert not again.objects["Task"].full  # a later start than what is stored: nothing to do
    assert table_rows(store) == clean


def test_formula_fields_are_refreshed_once_the_last_full_read_is_a_week_old(tmp_path):
    store = tmp_path / "s.duckdb"
    org = make_org()
    with Emulator(org) as emulator:
        run(emulator, store)
        with Store.open(store) as opened:
            assert opened.get_state("Opportunity").formula_fields == ("Amount",)
        opportunity = next(r for r in org.records("Opportunity") if not r["IsDeleted"])
        org.recalculate("Opportunity", opportunity["Id"], Amount=98765)
        day_later = run(emulator, store, now=NOW + timedelta(days=1))
        value_day_later = stored(store, "Opportunity", opportunity["Id"], "Amount")
        week_later = run(emulator, store, now=NOW + timedelta(days=7))
    assert value_day_later != Decimal(98765)  # SystemModstamp did not move: not seen
    assert not day_later.objects["Opportunity"].full
    assert week_later.objects["Opportunity"].full
    assert not week_later.objects["Task"].full  # no formula among Task's synced fields
    assert stored(store, "Opportunity", opportunity["Id"], "Amount") == Decimal(98765)
    with Store.open(store) as opened:
        assert opened.get_state("Opportunity").last_full_sync == NOW + timedelta(days=7)


def cli_sync(emulator: Emulator, store: Path, *args: str):
    env = {"SF_INSTANCE_URL": emulator.url, "SF_ACCESS_TOKEN": emulator.access_token,
           "REQUESTS_CA_BUNDLE": str(emulator.ca_path)}
    return CliRunner().invoke(main, ["sync", "-c", str(SAMPLE), "--store", str(store),
                                     "--history-start", "2025-05-01", "--json", *args],
                              env=env, catch_exceptions=False)


def test_cli_sync_through_query_timeouts_splits_and_reports_it(clean, tmp_path):
    with Emulator(make_org(), query_timeout_rows=3000) as emulator:
        result = cli_sync(emulator, tmp_path / "s.duckdb")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    causes = report["retries"]["causes"]
    assert causes["QUERY_TIMEOUT"] == causes[SPLIT_CAUSE] >= 1
    assert table_rows(tmp_path / "s.duckdb") == clean


def test_cli_sync_rest_only_reads_pages(clean, tmp_path):
    with Emulator(make_org()) as emulator:
        result = cli_sync(emulator, tmp_path / "s.duckdb", "--bulk-threshold", "off")
        jobs = [r for r in emulator.requests if "/jobs/query" in r]
    assert result.exit_code == 0, result.output
    assert jobs == []
    assert table_rows(tmp_path / "s.duckdb") == clean


def test_cli_sync_low_bulk_threshold_reads_through_bulk(clean, tmp_path):
    with Emulator(make_org(), bulk_polls_to_complete=0) as emulator:
        result = cli_sync(emulator, tmp_path / "s.duckdb", "--bulk-threshold", "1000")
        jobs = [r for r in emulator.requests if "POST" in r and "/jobs/query" in r]
    assert result.exit_code == 0, result.output
    assert len(jobs) == 1  # Task: the only object with more than 1,000 left after a page
    assert table_rows(tmp_path / "s.duckdb") == clean


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--lookback", "ten"], "Invalid value for '--lookback': expected a duration such as "
                             "600s, 10m, 12h or 7d, got 'ten'"),
     (["--formula-refresh", "weekly"], "Invalid value for '--formula-refresh': expected a "
                                       "duration such as 600s, 10m, 12h or 7d, got 'weekly' "
                                       "or off"),
     (["--bulk-threshold", "lots"], "Invalid value for '--bulk-threshold': expected a number "
                                    "of records or off, got 'lots'"),
     (["--since", "2999-01-01"], "Invalid value for --since: 2999-01-01 is in the future"),
     (["--history-start", "yesterday"], "Invalid value for '--history-start': 'yesterday' "
                                        "does not match the format '%Y-%m-%d'.")],
    ids=["lookback", "formula-refresh", "bulk-threshold", "since-in-the-future",
         "history-start-format"],
)
def test_cli_sync_option_errors_are_usage_errors(tmp_path, args, message):
    result = CliRunner().invoke(main, ["sync", "-c", str(SAMPLE), "--store",
                                       str(tmp_path / "s.duckdb"), *args])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == f"Error: {message}"
    assert not (tmp_path / "s.duckdb").exists()


def test_inserts_updates_and_deletes_between_two_syncs_reach_the_store(tmp_path):
    store = tmp_path / "s.duckdb"
    org = make_org()
    with Emulator(org) as emulator:
        first = cli_sync(emulator, store)
        assert first.exit_code == 0, first.output
        live = [r for r in org.records("Task") if not r["IsDeleted"]]
        template = live[0]
        added = org.insert("Task", {**template, "Id": "00T5e00000NEW01AAA",
                                    "CallDurationInSeconds": 77})
        org.update("Task", live[1]["Id"], TaskSubtype="Email")
        org.delete("Task", live[2]["Id"])
        org.update("Opportunity", org.records("Opportunity")[0]["Id"], Amount=12345)
        second = cli_sync(emulator, store)
        # what a fresh sync of the changed org stores: the incremental one must equal it
        fresh = tmp_path / "fresh.duckdb"
        assert cli_sync(emulator, fresh).exit_code == 0
    assert second.exit_code == 0, second.output
    task = json.loads(second.stdout)["objects"]["Task"]
    assert (task["full"], task["deleted"]) == (False, 1)
    assert task["upserted"] >= 2  # the insert and the update (plus the lookback window)
    assert stored(store, "Task", added["Id"], "CallDurationInSeconds") == 77
    assert stored(store, "Task", live[1]["Id"], "TaskSubtype") == "Email"
    assert stored(store, "Task", live[2]["Id"], "Id") is None
    assert table_rows(store) == table_rows(fresh)
