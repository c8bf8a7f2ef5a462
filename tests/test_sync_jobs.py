from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import requests
import responses

from kpisync.config.model import Config, Filter, Kpi, Measure, Org
from kpisync.config.required import plan_objects
from kpisync.errors import SalesforceError, TransientSalesforceError
from kpisync.store import Store
from kpisync.sync.jobs import sync
from kpisync.sync.plan import SyncOptions, months_before
from tests.sf_fixtures import (
    INSTANCE,
    add_describe,
    add_more,
    add_query,
    make_client,
    no_sleep_policy,
    record,
)

NOW = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
HISTORY = date(2025, 1, 1)
USER_TYPES = {"Id": "id", "SystemModstamp": "datetime", "Username": "string", "Name": "string",
              "Email": "email", "Title": "string", "Department": "string", "Division": "string",
              "IsActive": "boolean", "UserRoleId": "reference", "ManagerId": "reference",
              "CreatedDate": "datetime"}
ROLE_TYPES = {"Id": "id", "SystemModstamp": "datetime", "Name": "string",
              "ParentRoleId": "reference"}
TASK_TYPES = {"Id": "id", "SystemModstamp": "datetime", "IsDeleted": "boolean",
              "CreatedDate": "datetime", "OwnerId": "reference", "TaskSubtype": "picklist",
              "ActivityDate": "date"}
USER_SELECT = ("SELECT Id, SystemModstamp, Username, Name, Email, Title, Department, Division, "
               "IsActive, UserRoleId, ManagerId, CreatedDate FROM User")
ROLE_SELECT = "SELECT Id, SystemModstamp, Name, ParentRoleId FROM UserRole"
TASK_SELECT = "SELECT Id, SystemModstamp, IsDeleted, OwnerId, TaskSubtype, ActivityDate FROM Task"
ORDER = " ORDER BY SystemModstamp, Id"
SINCE = "CreatedDate >= 2025-01-01T00:00:00Z"

CALLS = Kpi(id="calls", name="Calls", tier="activities", type="leading", unit="count",
            measure=Measure(kind="count"), source="Task",
            filters=(Filter("TaskSubtype", "eq", "Call"),), date_field="ActivityDate",
            credit_field="OwnerId")
MEETINGS = Kpi(id="meetings_held", name="Meetings held", tier="activities", type="leading",
               unit="count", measure=Measure(kind="count"), source="Event",
               filters=(Filter("Meeting_Held__c", "eq", True),), date_field="ActivityDate",
               credit_field="OwnerId")
CONFIG = Config(path=Path("kpis.yaml"), org=Org(name="Acme", timezone="UTC"), teams=(),
                kpis=(CALLS,),
                required_fields={"Task": ("OwnerId", "TaskSubtype", "ActivityDate")})


def user(id_, stamp="2026-01-01T00:00:00.000+0000"):
    return record("User", Id=id_, SystemModstamp=stamp, Username=f"{id_}@acme.test",
                  Name=f"Rep {id_}", Email=None, Title=None, Department="Sales", Division=None,
                  IsActive=True, UserRoleId="00E1", ManagerId=None,
                  CreatedDate="2025-06-01T00:00:00.000+0000")


def task(id_, stamp, subtype="Call", deleted=False):
    return record("Task", Id=id_, SystemModstamp=stamp, IsDeleted=deleted, OwnerId="005A",
                  TaskSubtype=subtype, ActivityDate="2026-01-05")


def watermark(stamp, id_):
    """The condition of a read that resumes an interrupted one: exactly after its checkpoint."""
    return (f"(SystemModstamp > {stamp}) OR ((SystemModstamp = {stamp}) AND (Id > '{id_}'))")


def lookback(stamp):
    """The condition of a read after a finished one: 10 minutes before its watermark."""
    return f"SystemModstamp >= {stamp}"


def add_reference_objects(rsps, *, first=True):
    add_describe(rsps, "User", USER_TYPES)
    add_describe(rsps, "UserRole", ROLE_TYPES)
    if first:
        add_query(rsps, USER_SELECT + ORDER, [user("005A")], all_rows=False)
        add_query(rsps, ROLE_SELECT + ORDER,
                  [record("UserRole", Id="00E1", SystemModstamp="2026-01-01T00:00:00.000+0000",
                          Name="SDR", ParentRoleId=None)], all_rows=False)
    else:
        add_query(rsps, f"{USER_SELECT} WHERE {lookback('2025-12-31T23:50:00Z')}{ORDER}",
                  [], all_rows=False)
        add_query(rsps, f"{ROLE_SELECT} WHERE {lookback('2025-12-31T23:50:00Z')}{ORDER}",
                  [], all_rows=False)
    add_describe(rsps, "Task", TASK_TYPES)


def run(store, *, client=None, on_progress=None, config=CONFIG, now=NOW, **options):
    options.setdefault("history_start", HISTORY)
    return sync(config, store, client or make_client(), SyncOptions(**options), now=now,
                on_progress=on_progress)


def task_rows(store):
    return store.connection.execute(
        'SELECT "Id", "TaskSubtype" FROM sf_task ORDER BY "Id"').fetchall()


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "store.duckdb") as opened:
        yield opened


@responses.activate
def test_first_sync_stores_every_object(store):
    add_reference_objects(responses)
    add_query(responses, f"{TASK_SELECT} WHERE {SINCE}{ORDER}",
              [task("00T1", "2026-01-05T14:03:00.000+0000"),
               task("00T2", "2026-01-05T14:03:00.000+0000", subtype="Email")])
    report = run(store)
    assert task_rows(store) == [("00T1", "Call"), ("00T2", "Email")]
    assert (store.count("User"), store.count("UserRole")) == (1, 1)
    assert list(report.objects) == ["User", "UserRole", "Task"]
    task_report = report.objects["Task"]
    assert (task_report.fetched, task_report.upserted, task_report.deleted, task_report.pages,
            task_report.api_calls, task_report.full) == (2, 2, 0, 1, 2, True)
    assert task_report.watermark == datetime(2026, 1, 5, 14, 3, tzinfo=UTC)
    assert (report.total_fetched, report.total_api_calls) == (4, 6)


@responses.activate
def test_first_sync_does_not_count_deleted_records_it_never_stored(store):
    add_reference_objects(responses)
    add_query(responses, f"{TASK_SELECT} WHERE {SINCE}{ORDER}",
              [task("00T1", "2026-01-05T14:03:00.000+0000"),
               task("00T2", "2026-01-05T14:04:00.000+0000", deleted=True)])
    report = run(store)
    assert task_rows(store) == [("00T1", "Call")]
    task_report = report.objects["Task"]
    assert (task_report.fetched, task_report.upserted, task_report.deleted) == (2, 1, 0)


@responses.activate
def test_first_sync_records_the_checkpoint(store):
    add_reference_objects(responses)
    add_query(responses, f"{TASK_SELECT} WHERE {SINCE}{ORDER}",
              [task("00T1", "2026-01-05T14:03:00.000+0000")])
    run(store)
    state = store.get_state("Task")
    assert (state.watermark, state.watermark_id, state.fields, state.last_full_sync) == (
        datetime(2026, 1, 5, 14, 3, tzinfo=UTC), "00T1",
        ("Id", "SystemModstamp", "IsDeleted", "OwnerId", "TaskSubtype", "ActivityDate"), NOW)


@responses.activate
def test_second_sync_sends_the_watermark_and_applies_update_and_delete(store):
    add_reference_objects(responses)
    add_query(responses, f"{TASK_SELECT} WHERE {SINCE}{ORDER}",
              [task("00T1", "2026-01-05T14:03:00.000+0000"),
               task("00T2", "2026-01-05T14:03:00.000+0000")])
    run(store)
    responses.reset()
    add_reference_objects(responses, first=False)
    wm = lookback("2026-01-05T13:53:00Z")
    add_query(responses, f"{TASK_SELECT} WHERE ({SINCE}) AND ({wm}){ORDER}",
              [task("00T1", "2026-01-06T09:00:00.000+0000", subtype="Email"),
               task("00T2", "2026-01-06T10:00:00.000+0000", deleted=True)])
    report = run(store)
    assert task_rows(store) == [("00T1", "Email")]
    assert (report.objects["Task"].upserted, report.objects["Task"].deleted,
            report.objects["Task"].full) == (1, 1, False)
    assert store.get_state("Task").watermark_id == "00T2"


@responses.activate
def test_unchanged_incremental_sync_skips_describe_one_call_per_object(store):
    add_reference_objects(responses)
    add_query(responses, f"{TASK_SELECT} WHERE {SINCE}{ORDER}",
              [task("00T1", "2026-01-05T14:03:00.000+0000")])
    run(store)
    responses.reset()
    add_reference_objects(responses, first=False)
    wm = lookback("2026-01-05T13:53:00Z")
    add_query(responses, f"{TASK_SELECT} WHERE ({SINCE}) AND ({wm}){ORDER}", [])
    report = run(store)
    assert [c.request.url for c in responses.calls if "/describe" in c.request.url] == []
    assert {name: o.api_calls for name, o in report.objects.items()} == {
        "User": 1, "UserRole": 1, "Task": 1,
    }


@responses.activate
def test_missing_field_names_the_kpi(store):
    config = Config(path=Path("kpis.yaml"), org=CONFIG.org, teams=(), kpis=(CALLS, MEETINGS),
                    required_fields={"Event": ("OwnerId", "ActivityDate", "Meeting_Held__c")})
    add_reference_objects(responses)
    add_describe(responses, "Event", {"Id": "id", "SystemModstamp": "datetime",
                                      "IsDeleted": "boolean", "OwnerId": "reference",
                                      "ActivityDate": "date"})
    with pytest.raises(SalesforceError) as info:
        run(store, config=config)
    assert str(info.value) == (
        "Event has no field 'Meeting_Held__c' (used by KPI 'meetings_held'); check the field's "
        "API name and that the sync user can see it (field-level security)"
    )
    assert (info.value.sobject, info.value.error_code) == ("Event", "INVALID_FIELD")


@responses.activate
def test_killed_sync_resumes_from_the_last_stored_page(store):
    next_url = "/services/data/v60.0/query/01gRO0000016PIAYA2-2"
    add_reference_objects(responses)
    add_query(responses, f"{TASK_SELECT} WHERE {SINCE}{ORDER}",
              [task("00T1", "2026-01-05T14:03:00.000+0000"),
               task("00T2", "2026-01-05T14:03:00.000+0000")], next_url=next_url, total=4)
    responses.get(f"{INSTANCE}{next_url}", body=requests.ConnectionError("reset by peer"))
    with pytest.raises(TransientSalesforceError):
        run(store, client=make_client(retry=no_sleep_policy(max_attempts=1)))
    assert task_rows(store) == [("00T1", "Call"), ("00T2", "Call")]
    assert store.get_state("Task").watermark_id == "00T2"

    responses.reset()
    add_reference_objects(responses, first=False)  # User and UserRole had finished
    wm = watermark("2026-01-05T14:03:00Z", "00T2")
    add_query(responses, f"{TASK_SELECT} WHERE ({SINCE}) AND ({wm}){ORDER}",
              [task("00T3", "2026-01-05T14:03:00.000+0000"),
               task("00T4", "2026-01-05T14:04:00.000+0000")])
    report = run(store)
    assert task_rows(store) == [(f"00T{i}", "Call") for i in range(1, 5)]
    assert report.objects["Task"].fetched == 2
    assert store.get_state("Task").watermark_id == "00T4"


@responses.activate
def test_new_field_triggers_a_full_read(store):
    add_reference_objects(responses)
    add_query(responses, f"{TASK_SELECT} WHERE {SINCE}{ORDER}",
              [task("00T1", "2026-01-05T14:03:00.000+0000")])
    run(store)
    responses.reset()
    add_reference_objects(responses, first=False)
    wider = Config(path=CONFIG.path, org=CONFIG.org, teams=(), kpis=(CALLS,),
                   required_fields={"Task": ("OwnerId", "TaskSubtype", "ActivityDate",
                                             "CreatedDate")})
    add_query(responses, f"{TASK_SELECT.replace(' FROM', ', CreatedDate FROM')} WHERE {SINCE}"
              f"{ORDER}", [{**task("00T1", "2026-01-05T14:03:00.000+0000"),
                            "CreatedDate": "2026-01-05T14:00:00.000+0000"}])
    report = run(store, config=wider)
    assert report.objects["Task"].full is True
    assert store.count("Task") == 1


@responses.activate
def test_full_sync_empties_the_table_first(store):
    add_reference_objects(responses)
    add_query(responses, f"{TASK_SELECT} WHERE {SINCE}{ORDER}",
              [task("00T1", "2026-01-05T14:03:00.000+0000")])
    run(store)
    responses.reset()
    add_reference_objects(responses)  # --full reads everything again
    add_query(responses, f"{TASK_SELECT} WHERE {SINCE}{ORDER}",
              [task("00T2", "2026-01-05T14:03:00.000+0000")])
    run(store, full=True)
    assert task_rows(store) == [("00T2", "Call")]


@responses.activate
def test_progress_is_reported_per_page(store):
    events = []
    add_reference_objects(responses)
    next_url = "/services/data/v60.0/query/01gRO0000016PIAYA2-1"
    add_query(responses, f"{TASK_SELECT} WHERE {SINCE}{ORDER}",
              [task("00T1", "2026-01-05T14:03:00.000+0000")], next_url=next_url, total=2)
    add_more(responses, next_url, [task("00T2", "2026-01-05T14:04:00.000+0000")], total=2)
    run(store, on_progress=events.append)
    assert [str(e) for e in events if e.sobject == "Task"] == [
        "Task: 1 of 2 records (1 page)", "Task: 2 of 2 records (2 pages)"]


@responses.activate
def test_default_history_is_thirteen_months(store):
    add_reference_objects(responses)
    add_query(responses, f"{TASK_SELECT} WHERE CreatedDate >= 2025-01-10T00:00:00Z{ORDER}", [])
    report = sync(CONFIG, store, make_client(), now=NOW)
    assert report.objects["Task"].fetched == 0


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [(date(2026, 2, 10), 13, date(2025, 1, 10)), (date(2026, 3, 31), 1, date(2026, 2, 28)),
     (date(2026, 1, 15), 1, date(2025, 12, 15))],
    ids=["thirteen-months", "clamped-to-month-end", "across-year"],
)
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


def test_parent_fields_are_fetched_on_the_parent():
    config = Config(path=CONFIG.path, org=CONFIG.org, teams=(), kpis=(),
                    required_fields={"OpportunityHistory": ("StageName", "Opportunity.OwnerId")})
    plans = {p.sobject: p.fields for p in plan_objects(config)}
    assert plans["OpportunityHistory"] == ("Id", "SystemModstamp", "IsDeleted", "StageName",
                                           "OpportunityId")
    assert plans["Opportunity"] == ("Id", "SystemModstamp", "IsDeleted", "OwnerId")


def test_owner_id_is_always_fetched_where_the_object_has_one():
    config = Config(path=CONFIG.path, org=CONFIG.org, teams=(), kpis=(),
                    required_fields={"Event": ("ActivityDate", "CreatedById"),
                                     "OpportunityHistory": ("StageName",)})
    plans = {p.sobject: p.fields for p in plan_objects(config)}
    assert plans["Event"] == ("Id", "SystemModstamp", "IsDeleted", "OwnerId", "ActivityDate",
                              "CreatedById")
    assert plans["OpportunityHistory"] == ("Id", "SystemModstamp", "IsDeleted", "StageName")
    assert "OwnerId" not in plans["User"]
