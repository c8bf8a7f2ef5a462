"""The Salesforce objects kpisync reads, and the standard fields it knows on each.

This catalogue lets ``kpisync validate`` catch a misspelt field ("CloseDte") without a network
call. Custom fields (``Foo__c``) cannot be known offline: config validation accepts any
well-formed custom name, and the sync checks it against Salesforce's describe before the first
query. Field types are Salesforce's describe types (``id``, ``reference``, ``string``,
``picklist``, ``boolean``, ``int``, ``double``, ``currency``, ``percent``, ``date``,
``datetime``, ``textarea``, ``email``, ``phone``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Salesforce field API names: a letter, then letters, digits and single underscores;
# custom fields end in __c.
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
CUSTOM_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*__c$")

# Fields every object kpisync syncs must carry: the key, the credited owner (where the object
# has one), the incremental watermark and the soft-delete flag.
SYSTEM_FIELDS = ("Id", "SystemModstamp", "IsDeleted")


@dataclass(frozen=True)
class SObject:
    """A Salesforce object kpisync can sync: its standard fields and how KPIs read it."""

    name: str
    fields: dict[str, str]
    #: the field that credits a record to a rep when a KPI does not say otherwise
    default_credit: str | None
    #: the date that puts a record in a period when a KPI does not say otherwise
    default_date: str | None
    #: True for objects KPIs measure; False for reference data (User, UserRole)
    measurable: bool = True

    def has_field(self, field: str) -> bool:
        return field in self.fields or bool(CUSTOM_FIELD.match(field))

    def field_type(self, field: str) -> str | None:
        return self.fields.get(field)


_COMMON = {
    "Id": "id",
    "IsDeleted": "boolean",
    "CreatedDate": "datetime",
    "CreatedById": "reference",
    "LastModifiedDate": "datetime",
    "LastModifiedById": "reference",
    "SystemModstamp": "datetime",
}

_ACTIVITY = {
    **_COMMON,
    "OwnerId": "reference",
    "Subject": "string",
    "ActivityDate": "date",
    "WhoId": "reference",
    "WhatId": "reference",
    "AccountId": "reference",
    "Type": "picklist",
    "Description": "textarea",
    "IsArchived": "boolean",
}

TASK = SObject(
    name="Task",
    fields={
        **_ACTIVITY,
        "TaskSubtype": "picklist",
        "Status": "picklist",
        "Priority": "picklist",
        "IsClosed": "boolean",
        "CallDurationInSeconds": "int",
        "CallType": "picklist",
        "CallDisposition": "string",
        "CallObject": "string",
        "CompletedDateTime": "datetime",
    },
    default_credit="OwnerId",
    default_date="ActivityDate",
)

EVENT = SObject(
    name="Event",
    fields={
        **_ACTIVITY,
        "EventSubtype": "picklist",
        "ActivityDateTime": "datetime",
        "StartDateTime": "datetime",
        "EndDateTime": "datetime",
        "EndDate": "date",
        "DurationInMinutes": "int",
        "IsAllDayEvent": "boolean",
        "IsChild": "boolean",
        "IsGroupEvent": "boolean",
        "IsRecurrence": "boolean",
        "ShowAs": "picklist",
        "Location": "string",
    },
    default_credit="OwnerId",
    default_date="ActivityDate",
)

OPPORTUNITY = SObject(
    name="Opportunity",
    fields={
        **_COMMON,
        "OwnerId": "reference",
        "AccountId": "reference",
        "Name": "string",
        "StageName": "picklist",
        "Amount": "currency",
        "ExpectedRevenue": "currency",
        "Probability": "percent",
        "CloseDate": "date",
        "Type": "picklist",
        "LeadSource": "picklist",
        "IsClosed": "boolean",
        "IsWon": "boolean",
        "ForecastCategory": "picklist",
        "ForecastCategoryName": "picklist",
        "FiscalYear": "int",
        "FiscalQuarter": "int",
        "LastActivityDate": "date",
    },
    default_credit="OwnerId",
    default_date="CloseDate",
)

# OpportunityHistory has no owner of its own: KPIs on it credit the Opportunity's owner.
OPPORTUNITY_HISTORY = SObject(
    name="OpportunityHistory",
    fields={
        **_COMMON,
        "OpportunityId": "reference",
        "StageName": "picklist",
        "Amount": "currency",
        "ExpectedRevenue": "currency",
        "CloseDate": "date",
        "Probability": "percent",
        "ForecastCategory": "picklist",
        "PrevAmount": "currency",
        "PrevCloseDate": "date",
    },
    default_credit="Opportunity.OwnerId",
    default_date="CreatedDate",
)

USER = SObject(
    name="User",
    fields={
        "Id": "id",
        "Username": "string",
        "Name": "string",
        "FirstName": "string",
        "LastName": "string",
        "Email": "email",
        "Alias": "string",
        "Title": "string",
        "Department": "string",
        "Division": "string",
        "IsActive": "boolean",
        "UserRoleId": "reference",
        "ManagerId": "reference",
        "ProfileId": "reference",
        "UserType": "picklist",
        "TimeZoneSidKey": "picklist",
        "CreatedDate": "datetime",
        "LastModifiedDate": "datetime",
        "SystemModstamp": "datetime",
    },
    default_credit=None,
    default_date=None,
    measurable=False,
)

USER_ROLE = SObject(
    name="UserRole",
    fields={
        "Id": "id",
        "Name": "string",
        "DeveloperName": "string",
        "ParentRoleId": "reference",
        "LastModifiedDate": "datetime",
        "SystemModstamp": "datetime",
    },
    default_credit=None,
    default_date=None,
    measurable=False,
)

SOBJECTS: dict[str, SObject] = {
    o.name: o for o in (USER, USER_ROLE, TASK, EVENT, OPPORTUNITY, OPPORTUNITY_HISTORY)
}
MEASURABLE = tuple(name for name, o in SOBJECTS.items() if o.measurable)

# The User and UserRole fields kpisync always syncs: names for the site, roles and fields for
# team membership.
USER_FIELDS = (
    "Id", "Username", "Name", "Email", "Title", "Department", "Division",
    "IsActive", "UserRoleId", "ManagerId", "SystemModstamp",
)
USER_ROLE_FIELDS = ("Id", "Name", "ParentRoleId", "SystemModstamp")
