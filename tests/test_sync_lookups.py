"""Account is synced exactly when a KPI looks through it (Account.Type), through the emulator,
as just another object with its own checkpoint; and the synced store answers the lookup KPI
with the number the demo records give by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kpisync.compute import compute
from kpisync.config import parse_config
from kpisync.config.required import plan_objects
from kpisync.emulator import Emulator, OrgData
from kpisync.emulator.demo_org import CUSTOM_FIELDS, demo_records
from kpisync.store import Store
from kpisync.sync.auth import Credentials
from kpisync.sync.client import SalesforceClient
from kpisync.sync.jobs import sync
from kpisync.sync.plan import SyncOptions
from tests.sf_fixtures import no_sleep_policy
from tests.test_sync_reads import queries

pytestmark = pytest.mark.e2e

AS_OF = date(2026, 6, 17)
NOW = datetime(2026, 6, 18, 12, 0, tzinfo=UTC)
OPTIONS = SyncOptions(history_start=date(2025, 5, 1))
AES = ("AE SMB", "AE Enterprise")
CONFIG_TEXT = """\
org: {name: Demo, timezone: UTC}
teams:
  - id: aes
    name: AEs
    members: {roles: [AE SMB, AE Enterprise]}
    kpis: [customer_calls]
kpis:
  - id: customer_calls
    name: Customer calls
    tier: activities
    type: leading
    unit: count
    source: Task
    measure: count
    where: {TaskSubtype: Call, Account.Type: Customer - Direct,
            Owner.UserRole.Name: {in: [AE SMB, AE Enterprise]}}
    date: [ActivityDate, CreatedDate]
"""
PLAIN_TEXT = CONFIG_TEXT.replace(", Account.Type: Customer - Direct,\n"
                                 "            Owner.UserRole.Name: {in: [AE SMB, AE Enterprise]}",
                                 "")


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict]]:
    return demo_records(seed=5, as_of=AS_OF, scale=0.05)


def run_sync(records, config, store_path: Path):
    with Emulator(OrgData(records, CUSTOM_FIELDS)) as emulator:
        credentials = Credentials(emulator.url, emulator.access_token,
                                  ca_bundle=emulator.ca_path)
        client = SalesforceClient(credentials, retry=no_sleep_policy())
        with Store.open(store_path) as store:
            report = sync(config, store, client, OPTIONS, now=NOW)
        return report, queries(emulator, "Account")


@pytest.fixture(scope="module")
def synced(records, tmp_path_factory):
    path = tmp_path_factory.mktemp("lookups") / "store.duckdb"
    report, account_queries = run_sync(records, parse_config(CONFIG_TEXT), path)
    return path, report, account_queries


def test_a_kpi_on_account_type_makes_the_sync_read_account(synced, records):
    path, report, account_queries = synced
    assert account_queries == [
        "SELECT Id, SystemModstamp, OwnerId, Type FROM Account ORDER BY SystemModstamp, Id"]
    assert report.objects["Account"].upserted == len(records["Account"])
    with Store.open(path) as store:
        assert store.count("Account") == len(records["Account"])
        assert store.get_state("Account").complete


def test_account_is_reference_data_read_after_the_users(synced):
    plans = plan_objects(parse_config(CONFIG_TEXT))
    assert [(p.sobject, p.measurable) for p in plans] == [
        ("User", False), ("UserRole", False), ("Task", True), ("Account", False)]


def test_without_an_account_lookup_account_is_not_read(records, tmp_path):
    report, account_queries = run_sync(records, parse_config(PLAIN_TEXT), tmp_path / "s.duckdb")
    assert (account_queries, "Account" in report.objects) == ([], False)


def test_the_lookup_kpi_counts_what_the_records_say(synced, records):
    path, _report, _queries = synced
    with Store.open(path) as store:
        scorecard = compute(parse_config(CONFIG_TEXT), store.connection, AS_OF)
    expected = _customer_calls(records, "2026-05")
    assert expected > 0
    assert scorecard.result("customer_calls", "2026-05", "team", "aes").actual == expected


def _customer_calls(records, month: str) -> int:
    customers = {a["Id"] for a in records["Account"] if a["Type"] == "Customer - Direct"}
    roles = {r["Id"]: r["Name"] for r in records["UserRole"]}
    aes = {u["Id"] for u in records["User"] if roles[u["UserRoleId"]] in AES}
    return sum(1 for t in records["Task"]
               if not t["IsDeleted"] and t["TaskSubtype"] == "Call" and t["OwnerId"] in aes
               and t["AccountId"] in customers
               and (t["ActivityDate"] or t["CreatedDate"][:10]).startswith(month))
