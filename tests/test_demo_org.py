"""The demo org generator: deterministic, Salesforce-shaped, referentially sound, believable.

Rates are computed here from the records themselves, so a change to the generator that breaks
the cascade (calls -> conversations -> meetings -> opportunities -> wins) fails a test.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from kpisync.emulator.demo_ids import KEY_PREFIXES, id18
from kpisync.emulator.demo_org import demo_records, generate_demo_org
from kpisync.emulator.demo_pipeline import STAGES
from kpisync.emulator.orgdata import OrgData
from kpisync.sobjects import SOBJECTS, USER_FIELDS

AS_OF = date(2026, 6, 17)
NOW = "2026-06-17T23:00:00.000+0000"
OBJECTS = ("UserRole", "User", "Account", "Task", "Event", "Opportunity", "OpportunityHistory")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$")
ID = re.compile(r"^[0-9A-Za-z]{18}$")
STAGE_INDEX = {name: i for i, (name, *_rest) in enumerate(STAGES)}


@pytest.fixture(scope="module")
def org() -> OrgData:
    return generate_demo_org(seed=7, as_of=AS_OF)


@pytest.fixture(scope="module")
def recs(org) -> dict[str, list[dict]]:
    return {name: org.records(name) for name in OBJECTS}


def live(recs, sobject):
    return [r for r in recs[sobject] if not r["IsDeleted"]]


def role_of(recs) -> dict[str, str]:
    roles = {r["Id"]: r["Name"] for r in recs["UserRole"]}
    return {u["Id"]: roles[u["UserRoleId"]] for u in recs["User"]}


def users_in(recs, *roles) -> set[str]:
    return {uid for uid, role in role_of(recs).items() if role in roles}


def workdays(until: date = AS_OF) -> int:
    start = date(2025, 6, 1)
    return sum(1 for i in range((until - start).days + 1)
               if (start + timedelta(days=i)).weekday() < 5)


def sdr_conversations(recs) -> list[dict]:
    sdrs = users_in(recs, "SDR East", "SDR West")
    return [t for t in live(recs, "Task") if t["OwnerId"] in sdrs and t["TaskSubtype"] == "Call"
            and (t["CallDurationInSeconds"] or 0) >= 120]


def sdr_meetings(recs) -> list[dict]:
    sdrs = users_in(recs, "SDR East", "SDR West")
    return [e for e in live(recs, "Event") if e["OwnerId"] in sdrs and e["Type"] == "Meeting"]


# --- determinism -------------------------------------------------------------------------

def test_same_seed_and_as_of_give_byte_identical_json(recs):
    first = hashlib.sha256(json.dumps(recs).encode()).hexdigest()
    again = demo_records(seed=7, as_of=AS_OF)
    assert hashlib.sha256(json.dumps(again).encode()).hexdigest() == first


def test_different_seed_gives_a_different_org():
    one = demo_records(seed=1, as_of=AS_OF, scale=0.05)
    two = demo_records(seed=2, as_of=AS_OF, scale=0.05)
    assert one["User"][0]["Id"] != two["User"][0]["Id"]
    assert [t["CreatedDate"] for t in one["Task"]] != [t["CreatedDate"] for t in two["Task"]]


def test_scale_multiplies_activity_volume():
    half = demo_records(seed=7, as_of=AS_OF, scale=0.5)
    full = demo_records(seed=7, as_of=AS_OF, scale=0.25)
    assert 1.8 < len(half["Task"]) / len(full["Task"]) < 2.2
    assert [u["Name"] for u in half["User"]] == [u["Name"] for u in full["User"]]


def test_custom_field_is_declared(org):
    assert org.custom_fields("Event") == {"Meeting_Held__c": "boolean"}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"scale": 0}, "scale must be positive, got 0"),
    ({"now": datetime(2026, 6, 17, 12)}, "now must be timezone-aware, got 2026-06-17T12:00:00"),
    ({"now": datetime(2026, 6, 16, 12, tzinfo=UTC)},
     "now (2026-06-16T12:00:00+00:00) is before as_of (2026-06-17)"),
], ids=["zero-scale", "naive-now", "now-before-as-of"])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError) as raised:
        demo_records(as_of=AS_OF, **kwargs)
    assert str(raised.value) == message


def test_as_of_defaults_to_the_day_of_now():
    records = demo_records(scale=0.02, now=datetime(2026, 3, 4, 18, 30, tzinfo=UTC))
    assert max(t["ActivityDate"] for t in records["Task"]) == "2026-03-04"


def test_as_of_today_keeps_every_stamp_before_now_midday():
    now = datetime(2026, 6, 17, 15, 30, tzinfo=UTC)
    records = demo_records(as_of=AS_OF, now=now, scale=0.1)
    limit = "2026-06-17T15:30:00.000+0000"
    assert max(stamps_of(records)) < limit
    assert any(t["ActivityDate"] == "2026-06-17" for t in records["Task"])


# --- sizes and shapes -----------------------------------------------------------------------

@pytest.mark.parametrize(("sobject", "low", "high"), [
    ("UserRole", 7, 7), ("User", 36, 36), ("Account", 420, 420), ("Task", 110_000, 150_000),
    ("Event", 8_000, 13_000),
    ("Opportunity", 900, 1_500), ("OpportunityHistory", 3_000, 6_000),
], ids=lambda v: str(v))
def test_sizes_at_scale_one(recs, sobject, low, high):
    assert low <= len(recs[sobject]) <= high


@pytest.mark.parametrize("sobject", OBJECTS)
def test_every_field_is_in_the_catalogue_or_custom(recs, sobject):
    fields = {f for r in recs[sobject] for f in r}
    unknown = {f for f in fields if f not in SOBJECTS[sobject].fields}
    assert unknown == ({"Meeting_Held__c"} if sobject == "Event" else set())


def test_users_carry_every_synced_user_field(recs):
    assert all(set(USER_FIELDS) <= set(u) for u in recs["User"])


@pytest.mark.parametrize("sobject", OBJECTS)
def test_values_have_the_json_shape_of_their_type(recs, sobject):
    types = {**SOBJECTS[sobject].fields, "Meeting_Held__c": "boolean"}
    checks = {
        "date": lambda v: isinstance(v, str) and DATE.match(v),
        "datetime": lambda v: isinstance(v, str) and DATETIME.match(v),
        "boolean": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "currency": lambda v: isinstance(v, float),
        "percent": lambda v: isinstance(v, float),
        "id": lambda v: isinstance(v, str) and ID.match(v),
        "reference": lambda v: isinstance(v, str) and ID.match(v),
    }
    bad = [(r["Id"], f, v) for r in recs[sobject] for f, v in r.items()
           if v is not None and not checks.get(types[f], lambda v: isinstance(v, str))(v)]
    assert bad == []


@pytest.mark.parametrize("sobject", OBJECTS)
def test_ids_are_unique_with_key_prefix_and_case_safe_suffix(recs, sobject):
    ids = [r["Id"] for r in recs[sobject]]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith(KEY_PREFIXES[sobject]) and id18(i[:15]) == i for i in ids)


@pytest.mark.parametrize("sobject", ("Account", "Task", "Event", "Opportunity",
                                     "OpportunityHistory"))
def test_records_carry_the_system_fields(recs, sobject):
    required = {"Id", "IsDeleted", "SystemModstamp", "CreatedDate", "LastModifiedDate"}
    assert all(required <= set(r) and r["Id"] for r in recs[sobject])


def stamps_of(records) -> list[str]:
    """Every CreatedDate/LastModifiedDate/SystemModstamp/CompletedDateTime in the org."""
    fields = ("CreatedDate", "LastModifiedDate", "SystemModstamp", "CompletedDateTime")
    return [r[f] for rows in records.values() for r in rows for f in fields if r.get(f)]


def test_no_record_timestamp_after_now(recs):
    assert max(stamps_of(recs)) < NOW


def test_modstamp_never_precedes_creation(recs):
    assert all(r["SystemModstamp"] >= r["CreatedDate"] and
               r["SystemModstamp"] == r["LastModifiedDate"]
               for name in ("Account", "Task", "Event", "Opportunity") for r in recs[name])


def test_only_future_meetings_and_open_deals_are_dated_after_as_of(recs):
    assert max(t["ActivityDate"] for t in recs["Task"]) == AS_OF.isoformat()
    future = [e for e in recs["Event"] if e["ActivityDate"] > AS_OF.isoformat()]
    assert future and all(e["Meeting_Held__c"] is None for e in future)
    late = [o for o in recs["Opportunity"] if o["CloseDate"] > AS_OF.isoformat()]
    horizon = (AS_OF + timedelta(days=90)).isoformat()
    assert late and all(not o["IsClosed"] and o["CloseDate"] <= horizon for o in late)


# --- people --------------------------------------------------------------------------------

def test_active_reps_per_team_and_three_inactive(recs):
    roles = role_of(recs)
    active = Counter(roles[u["Id"]] for u in recs["User"] if u["IsActive"])
    inactive = Counter(roles[u["Id"]] for u in recs["User"] if not u["IsActive"])
    assert active == {"SDR East": 8, "SDR West": 8, "AE SMB": 8, "AE Enterprise": 6,
                      "VP Sales": 1, "SDR Manager": 1, "AE Manager": 1}
    assert inactive == {"SDR East": 1, "AE SMB": 1, "AE Enterprise": 1}


def test_roles_and_managers_form_the_hierarchy(recs):
    roles = {r["Id"]: r for r in recs["UserRole"]}
    parent = {r["Name"]: roles[r["ParentRoleId"]]["Name"] if r["ParentRoleId"] else None
              for r in recs["UserRole"]}
    assert parent == {"VP Sales": None, "SDR Manager": "VP Sales", "AE Manager": "VP Sales",
                      "SDR East": "SDR Manager", "SDR West": "SDR Manager",
                      "AE SMB": "AE Manager", "AE Enterprise": "AE Manager"}
    role = role_of(recs)
    manager_role = {role[u["Id"]]: role.get(u["ManagerId"]) for u in recs["User"]}
    assert manager_role == {"VP Sales": None, "SDR Manager": "VP Sales", "AE Manager": "VP Sales",
                            "SDR East": "SDR Manager", "SDR West": "SDR Manager",
                            "AE SMB": "AE Manager", "AE Enterprise": "AE Manager"}


@pytest.mark.parametrize("name", [
    "Conor O'Brien", "Zoë Łukasik", "José Núñez", "Mia 🚀 Park", 'Sam <Sales> & "Co" Lee',
    "Maximiliana-Alexandrina Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh",
])
def test_hard_names_are_present(recs, name):
    assert name in {u["Name"] for u in recs["User"]}


def test_usernames_are_unique_folded_ascii_within_80_characters(recs):
    names = [u["Username"] for u in recs["User"]]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9.-]+@northwind\.example", n) and len(n) <= 80
               for n in names)
    assert {"zoe.lukasik@northwind.example", "chris.taylor2@northwind.example"} <= set(names)


def test_departments_and_divisions_follow_the_team(recs):
    role = role_of(recs)
    seen = {(role[u["Id"]], u["Department"], u["Division"]) for u in recs["User"]}
    assert {(r, d, v) for r, d, v in seen if r.startswith(("SDR ", "AE "))
            and r not in ("SDR Manager", "AE Manager")} == {
        ("SDR East", "Sales Development", "East"), ("SDR West", "Sales Development", "West"),
        ("AE SMB", "Account Executives", "SMB"),
        ("AE Enterprise", "Account Executives", "Enterprise"),
    }


def test_inactive_reps_own_records_only_before_they_left(recs):
    gone = {u["Id"]: u["LastModifiedDate"] for u in recs["User"] if not u["IsActive"]}
    created = defaultdict(list)
    for name in ("Task", "Event", "Opportunity"):
        for r in recs[name]:
            if r["CreatedById"] in gone:
                created[r["CreatedById"]].append(r["CreatedDate"])
    assert set(created) == set(gone)
    assert all(max(stamps) <= gone[uid] for uid, stamps in created.items())


# --- referential integrity ------------------------------------------------------------------

@pytest.mark.parametrize("sobject", ("Account", "Task", "Event", "Opportunity"))
def test_owners_are_users(recs, sobject):
    users = {u["Id"] for u in recs["User"]}
    assert {r["OwnerId"] for r in recs[sobject]} <= users


def test_history_rows_point_to_opportunities(recs):
    opportunities = {o["Id"] for o in recs["Opportunity"]}
    assert {h["OpportunityId"] for h in recs["OpportunityHistory"]} == opportunities


def test_lookups_carry_contact_and_account_prefixes(recs):
    tasks = recs["Task"]
    assert all(t["WhoId"].startswith("003") and t["WhatId"].startswith("001") for t in tasks)


@pytest.mark.parametrize("sobject", ("Task", "Event", "Opportunity"))
def test_every_account_id_is_an_account_record(recs, sobject):
    accounts = {a["Id"] for a in recs["Account"]}
    assert {r["AccountId"] for r in recs[sobject]} - {None} <= accounts


def test_accounts_are_named_as_activity_subjects_name_them(recs):
    names = {a["Id"]: a["Name"] for a in recs["Account"]}
    calls = [t for t in recs["Task"] if t["Subject"].startswith("Call: ")][:200]
    assert calls and all(t["Subject"] == f"Call: {names[t['AccountId']]}" for t in calls)


def test_accounts_are_owned_by_active_aes_and_set_up_before_the_window(recs):
    aes = users_in(recs, "AE SMB", "AE Enterprise")
    active = {u["Id"] for u in recs["User"] if u["IsActive"]}
    assert {a["OwnerId"] for a in recs["Account"]} <= aes & active
    assert max(a["SystemModstamp"] for a in recs["Account"]) < "2025-06-01"


def test_enterprise_aes_own_the_big_accounts(recs):
    role = role_of(recs)
    sizes = defaultdict(list)
    for account in recs["Account"]:
        sizes[role[account["OwnerId"]]].append(account["NumberOfEmployees"])
    assert min(sizes["AE Enterprise"]) >= 1_000 > max(sizes["AE SMB"])


def test_account_types_are_standard_picklist_values(recs):
    types = Counter(a["Type"] for a in recs["Account"])
    assert set(types) <= {"Prospect", "Customer - Direct", "Customer - Channel",
                          "Channel Partner / Reseller", "Technology Partner", "Other"}
    assert types.most_common(1)[0][0] == "Prospect"


# --- activity -------------------------------------------------------------------------------

def test_activity_happens_on_weekdays_in_working_hours(recs):
    for t in recs["Task"]:
        assert date.fromisoformat(t["ActivityDate"]).weekday() < 5
        assert t["CreatedDate"][:10] == t["ActivityDate"]
        assert "13:00:00" <= t["CreatedDate"][11:19] < "23:00:00"


@pytest.mark.parametrize(("roles", "subtype", "low", "high"), [
    (("SDR East", "SDR West"), "Call", 14, 16), (("SDR East", "SDR West"), "Email", 7, 9),
    (("AE SMB", "AE Enterprise"), "Call", 3.5, 4.5), (("AE SMB", "AE Enterprise"), "Email", 5, 7),
], ids=["sdr-calls", "sdr-emails", "ae-calls", "ae-emails"])
def test_activity_per_rep_workday(recs, roles, subtype, low, high):
    """Reps who worked the whole year (not the leavers or their replacements)."""
    whole_year = {u["Id"] for u in recs["User"] if u["IsActive"]
                  and u["CreatedDate"] < "2025-06-01"} & users_in(recs, *roles)
    count = sum(1 for t in live(recs, "Task")
                if t["OwnerId"] in whole_year and t["TaskSubtype"] == subtype)
    assert low <= count / len(whole_year) / workdays() <= high


def test_reps_differ_in_productivity(recs):
    sdrs = users_in(recs, "SDR East", "SDR West")
    calls = Counter(t["OwnerId"] for t in live(recs, "Task")
                    if t["OwnerId"] in sdrs and t["TaskSubtype"] == "Call")
    assert max(calls.values()) / min(calls.values()) > 1.5


def test_call_fields_and_durations(recs):
    calls = [t for t in recs["Task"] if t["Type"] == "Call"]
    assert {(t["Status"], t["IsClosed"]) for t in calls} == {("Completed", True)}
    assert {t["CallDisposition"] for t in calls} == {"Connected", "Left Voicemail", "No Answer"}
    for t in calls:
        seconds = t["CallDurationInSeconds"]
        if t["CallDisposition"] == "Connected":
            assert 120 <= seconds <= 1500
        else:
            assert seconds is None or seconds < 120
    connected = sum(1 for t in calls if t["CallDisposition"] == "Connected") / len(calls)
    assert 0.3 <= connected <= 0.4


def test_some_old_tasks_have_no_subtype(recs):
    empty = [t for t in recs["Task"] if t["TaskSubtype"] is None]
    assert 0.01 <= len(empty) / len(recs["Task"]) <= 0.03
    assert max(t["ActivityDate"] for t in empty) < "2025-09-01"


def test_open_to_dos_exist_and_are_never_archived(recs):
    todos = [t for t in recs["Task"] if t["TaskSubtype"] == "Task"]
    open_ones = [t for t in todos if t["Status"] == "Not Started"]
    assert open_ones and not any(t["IsClosed"] or t["IsArchived"] for t in open_ones)


@pytest.mark.parametrize("sobject", ("Task", "Event"))
def test_archived_exactly_when_a_year_old(recs, sobject):
    cutoff = (AS_OF - timedelta(days=365)).isoformat()
    archived = [r for r in recs[sobject] if r["IsArchived"]]
    assert archived
    assert all(r["IsArchived"] == (r["ActivityDate"] <= cutoff and r.get("IsClosed", True))
               for r in recs[sobject])


@pytest.mark.parametrize(("sobject", "low"), [("Task", 0.003), ("Event", 0.002),
                                              ("Opportunity", 0.0008)])
def test_about_half_a_percent_deleted(recs, sobject, low):
    """About 6 of ~1,200 opportunities are deleted: a seed may give as few as one."""
    deleted = sum(1 for r in recs[sobject] if r["IsDeleted"])
    assert low <= deleted / len(recs[sobject]) <= 0.01


def test_deleted_opportunities_take_their_history_along(recs):
    deleted = {o["Id"] for o in recs["Opportunity"] if o["IsDeleted"]}
    assert deleted
    assert all(h["IsDeleted"] == (h["OpportunityId"] in deleted)
               for h in recs["OpportunityHistory"])


def test_meetings_have_consistent_times(recs):
    for e in recs["Event"]:
        start = datetime.strptime(e["StartDateTime"], "%Y-%m-%dT%H:%M:%S.%f%z")
        end = datetime.strptime(e["EndDateTime"], "%Y-%m-%dT%H:%M:%S.%f%z")
        assert end - start == timedelta(minutes=e["DurationInMinutes"])
        assert e["ActivityDate"] == e["StartDateTime"][:10] and not e["IsAllDayEvent"]
        assert e["StartDateTime"] > e["CreatedDate"]


def test_meeting_held_is_set_for_past_meetings_only(recs):
    meetings = [e for e in recs["Event"] if e["Type"] == "Meeting"]
    past = [e for e in meetings if e["ActivityDate"] < AS_OF.isoformat()]
    assert all(e["Meeting_Held__c"] is None for e in meetings
               if e["ActivityDate"] >= AS_OF.isoformat())
    held = sum(1 for e in past if e["Meeting_Held__c"]) / len(past)
    assert 0.7 <= held <= 0.8
    assert {e["Meeting_Held__c"] for e in recs["Event"] if e["Type"] != "Meeting"} == {None}
    assert {e["Type"] for e in recs["Event"]} == {"Meeting", "Other", "Lunch"}


def test_sdrs_book_a_quarter_of_their_conversations(recs):
    rate = len(sdr_meetings(recs)) / len(sdr_conversations(recs))
    assert 0.2 <= rate <= 0.3


def test_aes_book_one_to_two_meetings_a_workday(recs):
    """Counted since March, when every active AE (replacements included) was on board."""
    aes = {u["Id"] for u in recs["User"] if u["IsActive"]} & users_in(recs, "AE SMB",
                                                                      "AE Enterprise")
    meetings = sum(1 for e in live(recs, "Event") if e["OwnerId"] in aes
                   and e["Type"] == "Meeting" and e["CreatedDate"] >= "2026-03-01")
    days = workdays() - workdays(date(2026, 2, 28))
    assert 1 <= meetings / len(aes) / days <= 2


# --- pipeline -------------------------------------------------------------------------------

def test_held_sdr_meetings_turn_into_outbound_opportunities(recs):
    held = sum(1 for e in sdr_meetings(recs) if e["Meeting_Held__c"])
    outbound = sum(1 for o in live(recs, "Opportunity") if o["LeadSource"] == "Outbound")
    assert 0.2 <= outbound / held <= 0.35


@pytest.mark.parametrize(("role", "low", "high"),
                         [("AE SMB", 6.5, 10.5), ("AE Enterprise", 2.2, 4.5)],
                         ids=["smb", "enterprise"])
def test_new_opportunities_per_ae_month(recs, role, low, high):
    """Counted March to May, when the leavers were gone and their replacements on board."""
    team = users_in(recs, role)
    created = sum(1 for o in live(recs, "Opportunity") if o["CreatedById"] in team
                  and "2026-03-01" <= o["CreatedDate"] < "2026-06-01")
    active = sum(1 for u in recs["User"] if u["Id"] in team and u["IsActive"])
    assert low <= created / active / 3 <= high


def test_win_rate_of_closed_deals(recs):
    closed = [o for o in live(recs, "Opportunity") if o["IsClosed"]]
    assert 0.25 <= sum(o["IsWon"] for o in closed) / len(closed) <= 0.35


def test_stage_flags_probability_and_forecast_agree(recs):
    for o in recs["Opportunity"]:
        name, probability, category, _label = STAGES[STAGE_INDEX[o["StageName"]]]
        assert (o["IsClosed"], o["IsWon"]) == (name.startswith("Closed"), name == "Closed Won")
        assert (o["Probability"], o["ForecastCategory"]) == (probability, category)
    assert not any(o["IsWon"] and not o["IsClosed"] for o in recs["Opportunity"])
    assert {o["ForecastCategoryName"] for o in recs["Opportunity"]} == {
        "Pipeline", "Best Case", "Commit", "Closed", "Omitted"}


def test_history_walks_the_stage_path_to_the_current_stage(recs):
    rows = defaultdict(list)
    for h in recs["OpportunityHistory"]:
        rows[h["OpportunityId"]].append(h)
    for o in recs["Opportunity"]:
        history = sorted(rows[o["Id"]], key=lambda h: h["CreatedDate"])
        stages = [STAGE_INDEX[h["StageName"]] for h in history]
        assert stages[0] == 0 and stages == sorted(set(stages))
        assert not any(s >= 5 for s in stages[:-1])
        last = history[-1]
        assert (last["StageName"], last["Amount"], last["CloseDate"]) == (
            o["StageName"], o["Amount"], o["CloseDate"])
        assert history[0]["CreatedDate"] == o["CreatedDate"]


@pytest.mark.parametrize(("role", "low", "high", "cycle"), [
    ("AE SMB", 5_000, 40_000, (15, 62)), ("AE Enterprise", 50_000, 400_000, (45, 152)),
], ids=["smb", "enterprise"])
def test_amounts_and_sales_cycles_by_segment(recs, role, low, high, cycle):
    team = users_in(recs, role)
    deals = [o for o in recs["Opportunity"] if o["CreatedById"] in team]
    amounts = [o["Amount"] for o in deals if o["Amount"] is not None]
    assert all(low <= a <= high and a % 100 == 0 for a in amounts)
    assert 0.01 <= 1 - len(amounts) / len(deals) <= 0.06
    won_days = [(date.fromisoformat(o["CloseDate"]) - date.fromisoformat(o["CreatedDate"][:10]))
                .days for o in deals if o["IsWon"]]
    assert cycle[0] <= min(won_days) and max(won_days) <= cycle[1]


def test_subjects_carry_quotes_accents_and_html_characters(recs):
    subjects = {t["Subject"] for t in recs["Task"]}
    assert {"Call: O'Reilly & Sons", "Call: Zürich Rückversicherung AG",
            "Call: <Script> Security Inc."} <= subjects
