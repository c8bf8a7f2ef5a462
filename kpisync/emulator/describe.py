"""describeGlobal and sObject describe bodies, built from an OrgData's field catalogue.

Real describes carry ~50 keys per field; this keeps the ones a sync reads (name, type, label,
nillable, calculated, custom, filterable, soapType, length/digits, referenceTo, picklistValues)
in the shape of /work/shared/data/describe_task_excerpt.json. Picklist values are the standard
ones Salesforce ships plus every value present in the org's data, so a demo org's own values
describe as active entries.
"""

from __future__ import annotations

import re

from kpisync.emulator.orgdata import OrgData

KEY_PREFIXES = {"Task": "00T", "Event": "00U", "Opportunity": "006",
                "OpportunityHistory": "008", "User": "005", "UserRole": "00E",
                "Account": "001"}
PLURALS = {"Opportunity": "Opportunities", "OpportunityHistory": "Opportunity History",
           "UserRole": "Roles"}

_SOAP_TYPES = {"id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean",
               "int": "xsd:int", "double": "xsd:double", "currency": "xsd:double",
               "percent": "xsd:double", "date": "xsd:date", "datetime": "xsd:dateTime"}
_LENGTHS = {"id": 18, "reference": 18, "string": 255, "picklist": 255, "textarea": 32000,
            "email": 80, "phone": 40, "url": 255}
_LABELS = {"Id": "{label} ID", "OwnerId": "Owner ID", "IsDeleted": "Deleted",
           "SystemModstamp": "System Modstamp", "CreatedById": "Created By ID",
           "LastModifiedById": "Last Modified By ID", "WhoId": "Name ID",
           "WhatId": "Related To ID", "ActivityDate": "Due Date Only",
           "CallDurationInSeconds": "Call Duration", "TaskSubtype": "Task Subtype",
           "StageName": "Stage", "IsWon": "Won", "IsClosed": "Closed",
           "UserRoleId": "Role ID", "ParentRoleId": "Parent Role ID",
           "NumberOfEmployees": "Employees", "ParentId": "Parent Account ID"}
# Fields Salesforce sets itself: never nillable, never written through the API.
_SYSTEM = {"Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate",
           "LastModifiedById", "SystemModstamp"}
_REFERENCES = {"OwnerId": ["User"], "CreatedById": ["User"], "LastModifiedById": ["User"],
               "WhoId": ["Contact", "Lead"], "WhatId": ["Account", "Opportunity", "Case"],
               "AccountId": ["Account"], "OpportunityId": ["Opportunity"],
               "UserRoleId": ["UserRole"], "ManagerId": ["User"], "ProfileId": ["Profile"],
               "ParentRoleId": ["UserRole"], "ParentId": ["Account"]}
_PICKLISTS = {
    ("Task", "TaskSubtype"): ["Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"],
    ("Task", "Status"): ["Not Started", "In Progress", "Completed", "Waiting on someone else",
                         "Deferred"],
    ("Task", "Priority"): ["High", "Normal", "Low"],
    ("Task", "Type"): ["Call", "Email", "Meeting", "Other"],
    ("Task", "CallType"): ["Internal", "Inbound", "Outbound"],
    ("Event", "Type"): ["Call", "Email", "Meeting", "Other"],
    ("Event", "EventSubtype"): ["Event"],
    ("Event", "ShowAs"): ["Busy", "OutOfOffice", "Free"],
    ("Opportunity", "StageName"): [
        "Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
        "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
        "Negotiation/Review", "Closed Won", "Closed Lost"],
    ("Opportunity", "Type"): ["Existing Customer - Upgrade", "Existing Customer - Replacement",
                              "Existing Customer - Downgrade", "New Customer"],
    ("Opportunity", "LeadSource"): ["Web", "Phone Inquiry", "Partner Referral",
                                    "Purchased List", "Other"],
    ("Opportunity", "ForecastCategoryName"): ["Omitted", "Pipeline", "Best Case", "Commit",
                                              "Closed"],
    ("User", "UserType"): ["Standard", "PowerPartner", "CsnOnly", "Guest"],
    ("Account", "Type"): ["Prospect", "Customer - Direct", "Customer - Channel",
                          "Channel Partner / Reseller", "Installation Partner",
                          "Technology Partner", "Other"],
    ("Account", "Industry"): [
        "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications",
        "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering",
        "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government",
        "Healthcare", "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media",
        "Not For Profit", "Recreation", "Retail", "Shipping", "Technology",
        "Telecommunications", "Transportation", "Utilities", "Other"],
    ("Account", "Rating"): ["Hot", "Warm", "Cold"],
    ("Account", "AccountSource"): ["Web", "Phone Inquiry", "Partner Referral",
                                   "Purchased List", "Other"],
    ("Account", "Ownership"): ["Public", "Private", "Subsidiary", "Other"],
}
_PICKLISTS[("Opportunity", "ForecastCategory")] = ["Omitted", "Pipeline", "BestCase",
                                                   "Forecast", "Closed"]
_PICKLISTS[("OpportunityHistory", "StageName")] = _PICKLISTS[("Opportunity", "StageName")]
_PICKLISTS[("OpportunityHistory", "ForecastCategory")] = \
    _PICKLISTS[("Opportunity", "ForecastCategory")]
_RESTRICTED = {("Task", "TaskSubtype"), ("Event", "EventSubtype")}


def object_label(sobject: str) -> str:
    if sobject == "UserRole":
        return "Role"
    return _words(sobject[:-3] if sobject.endswith("__c") else sobject)


def plural_label(sobject: str) -> str:
    if sobject in PLURALS:
        return PLURALS[sobject]
    label = object_label(sobject)
    return label[:-1] + "ies" if label.endswith("y") else label + "s"


def key_prefix(org: OrgData, sobject: str) -> str:
    """Salesforce's 3-character Id prefix; custom objects get a01, a02, ... in catalogue order."""
    if sobject in KEY_PREFIXES:
        return KEY_PREFIXES[sobject]
    custom = [o for o in org.objects() if o not in KEY_PREFIXES]
    return f"a{custom.index(sobject) + 1:02d}"


def describe_global(org: OrgData, version: str) -> dict:
    """The body of GET /services/data/vXX.X/sobjects/."""
    return {"encoding": "UTF-8", "maxBatchSize": 200,
            "sobjects": [_global_entry(org, name, version) for name in org.objects()]}


def _global_entry(org: OrgData, sobject: str, version: str) -> dict:
    custom = sobject.endswith("__c")
    writable = sobject != "OpportunityHistory"
    return {
        "activateable": False, "custom": custom, "customSetting": False,
        "createable": writable, "deletable": writable, "deprecatedAndHidden": False,
        "feedEnabled": sobject in ("Opportunity", "User"), "keyPrefix": key_prefix(org, sobject),
        "label": object_label(sobject), "labelPlural": plural_label(sobject),
        "layoutable": True, "mergeable": False, "mruEnabled": writable, "name": sobject,
        "queryable": True, "replicateable": True, "retrieveable": True, "searchable": writable,
        "triggerable": writable, "undeletable": writable, "updateable": writable,
        "urls": _urls(sobject, version),
    }


def _urls(sobject: str, version: str) -> dict:
    base = f"/services/data/v{version}/sobjects/{sobject}"
    return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}


def describe_sobject(org: OrgData, sobject: str, version: str) -> dict:
    """The body of GET /services/data/vXX.X/sobjects/{sobject}/describe."""
    entry = _global_entry(org, sobject, version)
    fields = [describe_field(org, sobject, name, ftype)
              for name, ftype in org.fields(sobject).items()]
    return {**{k: v for k, v in entry.items() if k != "urls"}, "fields": fields,
            "childRelationships": [], "recordTypeInfos": [],
            "urls": {**entry["urls"], "layouts": f"{entry['urls']['sobject']}/describe/layouts"}}


def describe_field(org: OrgData, sobject: str, name: str, ftype: str) -> dict:
    custom = name.endswith("__c")
    system = name in _SYSTEM
    sortable = ftype != "textarea"
    field = {
        "name": name, "label": field_label(sobject, name), "type": ftype,
        "soapType": _SOAP_TYPES.get(ftype, "xsd:string"),
        "length": _LENGTHS.get(ftype, 0), "digits": 9 if ftype == "int" else 0,
        "precision": 18 if ftype in ("double", "currency") else 3 if ftype == "percent" else 0,
        "scale": 2 if ftype in ("double", "currency") else 0,
        "nillable": not (system or ftype == "boolean" or name == "OwnerId"),
        "calculated": name in org.formula_fields(sobject), "custom": custom,
        "filterable": sortable, "groupable": sortable and ftype not in ("double", "currency",
                                                                          "percent"),
        "sortable": sortable, "createable": not system, "updateable": not system,
        "defaultedOnCreate": system or ftype == "boolean" or name == "OwnerId",
        "referenceTo": [], "relationshipName": None, "polymorphicForeignKey": False,
        "restrictedPicklist": (sobject, name) in _RESTRICTED, "picklistValues": [],
    }
    if ftype == "reference":
        targets = _REFERENCES.get(name, [])
        if name == "OwnerId" and sobject in ("Task", "Event"):
            targets = ["Group", "User"]
        field["referenceTo"] = targets or ([name[:-3]] if name.endswith("Id") else [])
        field["relationshipName"] = name[:-2] if name.endswith("Id") else None
        field["polymorphicForeignKey"] = len(field["referenceTo"]) > 1
    if ftype in ("picklist", "multipicklist"):
        field["picklistValues"] = picklist_values(org, sobject, name)
    return field


def field_label(sobject: str, name: str) -> str:
    if name == "Id":
        return "Activity ID" if sobject in ("Task", "Event") else f"{object_label(sobject)} ID"
    if name in _LABELS:
        return _LABELS[name]
    if name.endswith("__c"):
        return name[:-3].replace("_", " ")
    label = _words(name)
    return label[:-3] + " ID" if label.endswith(" Id") else label


def picklist_values(org: OrgData, sobject: str, name: str) -> list[dict]:
    values = list(_PICKLISTS.get((sobject, name), []))
    seen = set(values)
    for row in org.records(sobject):
        value = row.get(name)
        if isinstance(value, str) and value not in seen:
            seen.add(value)
            values.append(value)
    return [{"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
            for v in values]


def _words(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ")
