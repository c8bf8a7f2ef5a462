"""kpis.yaml's ``objects:``: a Lead declared there is checked offline like kpisync's own
objects, synced through the emulator with its own checkpoint, and counted by the same SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kpisync.compute import compute
from kpisync.config import parse_config
from kpisync.config.required import plan_objects
from kpisync.emulator import Emulator, OrgData
from kpisync.errors import ConfigError
from kpisync.sobjects import catalogue, declared
from kpisync.store import Store
from kpisync.sync.auth import Credentials
from kpisync.sync.client import SalesforceClient
from kpisync.sync.jobs import sync
from kpisync.sync.plan import SyncOptions
from tests.sf_fixtures import no_sleep_policy

ANN = "005000000000001AAA"
CONFIG = """\
org: {name: Tiny Co, timezone: UTC}
objects:
  Lead:
    fields: {Status: picklist, ConvertedDate: date}
teams:
  - id: sdr
    name: SDR
    members: {usernames: [ann@tiny.example]}
    kpis: [leads_converted]
kpis:
  - id: leads_converted
    name: Leads converted
    tier: objectives
    type: leading
    unit: count
    source: Lead
    measure: count
    where: {Status: Converted}
    date: ConvertedDate
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    return [str(p) for p in info.value.problems]


def test_declared_object_is_a_kpi_source_with_system_fields():
    config = parse_config(CONFIG)
    lead = config.objects["Lead"]
    with declared(config.objects):
        assert catalogue()["Lead"] is lead
    assert (lead.default_date, lead.default_credit, lead.measurable) == \
        ("CreatedDate", "OwnerId", True)
    assert lead.fields["ConvertedDate"] == "date" and lead.fields["OwnerId"] == "reference"
    assert [(p.sobject, p.fields) for p in plan_objects(config)][2] == (
        "Lead", ("Id", "SystemModstamp", "IsDeleted", "OwnerId", "ConvertedDate", "Status"))


def test_next_config_without_the_object_forgets_it():
    parse_config(CONFIG)
    assert problems(CONFIG.replace("objects:\n  Lead:\n    fields: {Status: picklist, "
                                   "ConvertedDate: date}\n", ""))[0] == (
        "kpis.yaml:13:13: kpis[leads_converted].source: expected one of: Task, Event, Opportunity, "
        "OpportunityHistory; got 'Lead'")


def test_declared_fields_are_type_checked_like_the_core_ones():
    text = CONFIG.replace("ConvertedDate: date}", "ConvertedDate: dat}").replace(
        "date: ConvertedDate", "date: Status")
    assert problems(text) == [
        "kpis.yaml:4:47: objects.Lead.fields.ConvertedDate: unknown field type 'dat' — did "
        "you mean 'date'?",
        "kpis.yaml:19:11: kpis[leads_converted].date: Lead.Status is a picklist field; date "
        "needs a date or datetime field",
    ]


def test_a_core_object_cannot_be_declared_again():
    assert problems(CONFIG.replace("  Lead:", "  Task:").replace("source: Lead",
                                                                 "source: Task"))[0] == (
        "kpis.yaml:3:3: objects.Task: kpisync knows Task already; use it as a KPI source "
        "without declaring it")


def test_reading_a_config_declares_nothing_process_wide():
    parse_config(CONFIG)
    assert "Lead" not in catalogue()


def lead_store(path):
    """The store a sync of RECORDS leaves (sf_userrole, sf_user, sf_lead), without a sync."""
    with Store.open(path) as store:
        for sobject, fields in (("UserRole", {"Id": "id", "Name": "string",
                                              "ParentRoleId": "reference"}),
                                ("User", {"Id": "id", "Username": "string", "Name": "string",
                                          "IsActive": "boolean", "UserRoleId": "reference",
                                          "CreatedDate": "datetime"}),
                                ("Lead", LEAD_FIELDS)):
            store.ensure_table(sobject, fields)
            store.upsert(sobject, RECORDS[sobject])
    return path


def test_two_configs_in_one_process_keep_their_own_objects(tmp_path):
    """What ``kpisync diff`` and the tests do: read two kpis.yaml, then compute each. The second
    (no objects) neither sees the first's Lead nor takes it away from it."""
    with_lead = parse_config(CONFIG.replace("where: {Status: Converted}",
                                            "where: {Status: Converted, Owner.Name: Ann}"))
    without = problems(CONFIG.replace("objects:\n  Lead:\n    fields: {Status: picklist, "
                                      "ConvertedDate: date}\n", ""))
    assert without[0].endswith("OpportunityHistory; got 'Lead'")
    with Store.open(lead_store(tmp_path / "s.duckdb")) as store:
        card = compute(with_lead, store.connection, date(2026, 3, 10))
    assert card.result("leads_converted", "2026-03", "rep", ANN).actual == 2
    assert "Lead" not in catalogue()


def test_an_object_may_not_take_a_store_table_name():
    assert problems(CONFIG.replace("  Lead:", "  ext_gong_calls:"))[0] == (
        "kpis.yaml:3:3: objects.ext_gong_calls: names starting with ext_ are plugins' store "
        "tables, not Salesforce objects")


def stamp(day: str) -> str:
    return f"{day}T09:00:00.000+0000"


LEAD_FIELDS = {"Id": "id", "IsDeleted": "boolean", "CreatedDate": "datetime",
               "SystemModstamp": "datetime", "OwnerId": "reference", "Status": "picklist",
               "ConvertedDate": "date"}
RECORDS = {
    "UserRole": [{"Id": "00E1", "Name": "SDR", "ParentRoleId": None,
                  "SystemModstamp": stamp("2025-01-01")}],
    "User": [{"Id": ANN, "Username": "ann@tiny.example", "Name": "Ann", "IsActive": True,
              "UserRoleId": "00E1", "CreatedDate": stamp("2025-01-01"),
              "SystemModstamp": stamp("2025-01-01")}],
    "Lead": [
        {"Id": "00Q1", "OwnerId": ANN, "Status": "Converted", "ConvertedDate": "2026-03-02",
         "CreatedDate": stamp("2026-02-20"), "SystemModstamp": stamp("2026-03-02")},
        {"Id": "00Q2", "OwnerId": ANN, "Status": "Converted", "ConvertedDate": "2026-03-09",
         "CreatedDate": stamp("2026-03-01"), "SystemModstamp": stamp("2026-03-09")},
        {"Id": "00Q3", "OwnerId": ANN, "Status": "Open", "ConvertedDate": None,
         "CreatedDate": stamp("2026-03-03"), "SystemModstamp": stamp("2026-03-03")},
        {"Id": "00Q4", "OwnerId": ANN, "Status": "Converted", "ConvertedDate": "2026-02-27",
         "CreatedDate": stamp("2026-02-01"), "SystemModstamp": stamp("2026-02-27")},
    ],
}


@pytest.mark.e2e
def test_declared_object_is_synced_incrementally_and_counted(tmp_path):
    config = parse_config(CONFIG)
    options = SyncOptions(history_start=date(2026, 1, 1))
    org = OrgData(RECORDS, {"Lead": LEAD_FIELDS})
    with Emulator(org) as emulator, Store.open(tmp_path / "s.duckdb") as store:
        client = SalesforceClient(Credentials(emulator.url, emulator.access_token,
                                              ca_bundle=emulator.ca_path),
                                  retry=no_sleep_policy())
        first = sync(config, store, client, options, now=datetime(2026, 3, 10, tzinfo=UTC))
        again = sync(config, store, client, options, now=datetime(2026, 3, 10, 1, tzinfo=UTC))
        card = compute(config, store.connection, date(2026, 3, 10))
    assert (first.objects["Lead"].upserted, first.objects["Lead"].full) == (4, True)
    assert again.objects["Lead"].full is False  # from its checkpoint, like the core objects
    # March: 00Q1 and 00Q2 converted; 00Q4 converted in February; 00Q3 is open
    assert card.result("leads_converted", "2026-03", "rep", ANN).actual == 2
    assert card.result("leads_converted", "2026-02", "rep", ANN).actual == 1
