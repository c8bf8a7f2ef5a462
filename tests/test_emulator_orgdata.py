"""OrgData: the emulator's record store moves SystemModstamp the way an org does."""

from __future__ import annotations

import re

import pytest

from kpisync.emulator.orgdata import OrgData, now_stamp

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
OLD = "2020-01-01T00:00:00.000+0000"


def org_with_task() -> OrgData:
    return OrgData({"Task": [{"Id": "00T1", "Subject": "a", "SystemModstamp": OLD,
                              "LastModifiedDate": OLD}]})


def test_now_stamp_has_salesforce_datetime_format():
    assert STAMP.match(now_stamp())


def test_records_get_is_deleted_false_by_default():
    assert org_with_task().records("Task")[0]["IsDeleted"] is False


def test_update_changes_fields_and_bumps_modstamps():
    org = org_with_task()
    row = org.update("Task", "00T1", Subject="b")
    assert (row["Subject"], row["SystemModstamp"] > OLD,
            row["LastModifiedDate"] == row["SystemModstamp"]) == ("b", True, True)


def test_delete_is_soft_and_bumps_modstamp():
    org = org_with_task()
    org.delete("Task", "00T1")
    row = org.records("Task")[0]
    assert (row["IsDeleted"], row["SystemModstamp"] > OLD, org.count("Task")) == (True, True, 1)


def test_insert_stamps_created_and_modified():
    org = OrgData()
    row = org.insert("Event", {"Id": "00U1"})
    assert (row["CreatedDate"] == row["SystemModstamp"], row["IsDeleted"]) == (True, False)


def test_a_records_list_is_a_snapshot():
    org = org_with_task()
    before = org.records("Task")
    org.update("Task", "00T1", Subject="b")
    assert before[0]["Subject"] == "a"


def test_fields_merge_standard_and_custom():
    org = OrgData(custom_fields={"Event": {"Meeting_Held__c": "boolean"}})
    fields = org.fields("Event")
    assert (fields["Meeting_Held__c"], fields["ActivityDateTime"]) == ("boolean", "datetime")


def test_objects_lists_the_standard_catalogue_and_custom_objects():
    org = OrgData({"Visit__c": [{"Id": "a001"}]})
    assert org.objects() == ["User", "UserRole", "Task", "Event", "Opportunity",
                             "OpportunityHistory", "Account", "Visit__c"]


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="duplicate Task Id 00T1"):
        OrgData({"Task": [{"Id": "00T1"}, {"Id": "00T1"}]})


def test_updating_an_unknown_id_is_a_key_error():
    with pytest.raises(KeyError, match="no Task with Id 00T9"):
        org_with_task().update("Task", "00T9", Subject="x")


def test_users_cannot_be_soft_deleted():
    org = OrgData({"User": [{"Id": "0051"}]})
    with pytest.raises(ValueError, match="User records cannot be deleted"):
        org.delete("User", "0051")


def test_recalculate_changes_a_formula_without_moving_the_modstamp():
    org = OrgData({"Opportunity": [{"Id": "006A", "Weighted__c": 10, "SystemModstamp": OLD}]},
                  custom_fields={"Opportunity": {"Weighted__c": "currency"}},
                  formula_fields={"Opportunity": ["Weighted__c"]})
    row = org.recalculate("Opportunity", "006A", Weighted__c=20)
    assert (row["Weighted__c"], row["SystemModstamp"]) == (20, OLD)


def test_recalculate_refuses_fields_that_are_not_formulas():
    with pytest.raises(ValueError) as info:
        org_with_task().recalculate("Task", "00T1", Subject="b")
    assert str(info.value) == "not formula fields of Task: Subject"


def test_late_commit_stamps_the_change_with_when_its_transaction_began():
    from datetime import UTC, datetime

    org = org_with_task()
    row = org.late_commit("Task", "00T1", datetime(2021, 3, 4, 5, 6, 7, 890000, tzinfo=UTC),
                          Subject="late")
    assert (row["Subject"], row["SystemModstamp"], row["LastModifiedDate"]) == (
        "late", "2021-03-04T05:06:07.000+0000", "2021-03-04T05:06:07.000+0000")
