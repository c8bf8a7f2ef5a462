"""The Salesforce objects kpisync reads, and the standard fields it knows on each.

This catalogue lets ``kpisync validate`` catch a misspelt field ("CloseDte") without a network
call. Custom fields (``Foo__c``) cannot be known offline: config validation accepts any
well-formed custom name, and the sync checks it against Salesforce's describe before the first
query. Field types are Salesforce's describe types (``id``, ``reference``, ``string``,
``picklist``, ``boolean``, ``int``, ``double``, ``currency``, ``percent``, ``date``,
``datetime``, ``textarea``, ``email``, ``phone``).

A KPI may also name a field through a lookup, ``Relationship.Field`` (``Account.Type``,
``Owner.UserRole.Name``): each object lists the relationships kpisync can follow, the
reference field holding the related Id and the object it points at, so the config, the sync
and the SQL all walk a path the same way (``resolve_path``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from dataclasses import dataclass, field
from functools import wraps
from types import MappingProxyType
from typing import Any, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

# Salesforce field API names: a letter, then letters, digits and single underscores;
# custom fields end in __c.
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
CUSTOM_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*__c$")

#: the prefix of the store tables plugins' store sources write (``ext_<source>_<table>``)
STORE_TABLE_PREFIX = "ext_"

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
    #: True for objects KPIs measure; False for reference data (User, UserRole, Account)
    measurable: bool = True
    #: lookups a field path may follow: relationship name -> (reference field, target object)
    relationships: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: for a table a plugin's store source writes (``ext_<source>_<table>``): that source's
    #: name; None for a Salesforce object, which the sync reads into ``sf_<object>``
    store_source: str | None = None

    def has_field(self, name: str) -> bool:
        return name in self.fields or bool(CUSTOM_FIELD.match(name))

    def field_type(self, name: str) -> str | None:
        return self.fields.get(name)


#: the system fields every Salesforce object has (kpis.yaml's ``objects:`` get them too)
COMMON_FIELDS = _COMMON = {
    "Id": "id",
    "IsDeleted": "boolean",
    "CreatedDate": "datetime",
    "CreatedById": "reference",
    "LastModifiedDate": "datetime",
    "LastModifiedById": "reference",
    "SystemModstamp": "datetime",
}

#: Owner and Account lookups, which activities and opportunities share
_OWNER = {"Owner": ("OwnerId", "User")}
_OWNER_AND_ACCOUNT = {**_OWNER, "Account": ("AccountId", "Account")}

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
    relationships=_OWNER_AND_ACCOUNT,
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
    relationships=_OWNER_AND_ACCOUNT,
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
    relationships=_OWNER_AND_ACCOUNT,
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
    relationships={"Opportunity": ("OpportunityId", "Opportunity")},
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
    relationships={"UserRole": ("UserRoleId", "UserRole"), "Manager": ("ManagerId", "User")},
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

# Reference data for Account.* lookups: synced whole (not bounded by the history start, since
# a call today may be logged against an account created years ago), and only when a KPI uses
# an Account field. Not a KPI source: nothing in the scorecard counts accounts.
ACCOUNT = SObject(
    name="Account",
    fields={
        **_COMMON,
        "Name": "string",
        "Type": "picklist",
        "Industry": "picklist",
        "AnnualRevenue": "currency",
        "NumberOfEmployees": "int",
        "OwnerId": "reference",
        "ParentId": "reference",
        "BillingCity": "string",
        "BillingState": "string",
        "BillingCountry": "string",
        "Rating": "picklist",
        "AccountSource": "picklist",
        "Ownership": "picklist",
        "Website": "url",
        "Phone": "phone",
    },
    default_credit=None,
    default_date=None,
    measurable=False,
    relationships={**_OWNER, "Parent": ("ParentId", "Account")},
)

SOBJECTS: dict[str, SObject] = {
    o.name: o for o in (USER, USER_ROLE, TASK, EVENT, OPPORTUNITY, OPPORTUNITY_HISTORY, ACCOUNT)
}
MEASURABLE = tuple(name for name, o in SOBJECTS.items() if o.measurable)

def _core() -> Mapping[str, SObject]:
    return SOBJECTS


_catalogue: Callable[[], Mapping[str, SObject]] = _core


@dataclass(frozen=True)
class _View:
    """What one config adds to the registry's objects, and what it takes away."""

    #: kpis.yaml's ``objects:``
    declared: Mapping[str, SObject] = field(default_factory=dict)
    #: store tables of the store sources kpis.yaml turns off -> why they cannot be read
    hidden: Mapping[str, str] = field(default_factory=dict)


_NONE = _View()
#: the view of the config being read or computed: held per context, never in the process-wide
#: registry, so that two configs read in one process (tests, ``kpisync diff``) each see their
#: own objects only
_view: ContextVar[_View] = ContextVar("kpisync_config_objects", default=_NONE)


def catalogue() -> Mapping[str, SObject]:
    """Every object kpisync can read: its own (``SOBJECTS``), plugins' (Salesforce objects and
    store-source tables), and the objects the config in use declares (``declared``).
    ``kpisync.registry`` plugs its loaded sources in here (``use_catalogue``), so this module,
    at the bottom of the package, imports nothing above it."""
    known, view = _catalogue(), _view.get()
    if view is _NONE:
        return known
    return {**{name: o for name, o in known.items() if name not in view.hidden},
            **view.declared}


def unavailable(name: str) -> str | None:
    """Why the config in use cannot read the store table ``name`` (its source is off)."""
    return _view.get().hidden.get(name)


def table_of(sobject: str) -> str:
    """The store table of an object: ``sf_<object>`` for Salesforce's, the name itself for a
    store source's ``ext_<source>_<table>``."""
    return sobject if sobject.startswith(STORE_TABLE_PREFIX) else f"sf_{sobject.lower()}"


def use_catalogue(source: Callable[[], Mapping[str, SObject]]) -> None:
    global _catalogue
    _catalogue = source


def declare(objects: Mapping[str, SObject], hidden: Mapping[str, str] | None = None) -> None:
    """Make ``objects`` part of the catalogue, and ``hidden`` tables not, for the rest of the
    current ``isolated`` call: config validation declares kpis.yaml's ``objects:`` (and hides
    the tables of the store sources it turns off) before it reads the KPIs."""
    _view.set(_View(MappingProxyType(dict(objects)), MappingProxyType(dict(hidden or {}))))


@contextmanager
def declared(objects: Mapping[str, SObject]) -> Iterator[None]:
    """The catalogue includes ``objects`` inside this block, and only there."""
    token = _view.set(_View(MappingProxyType(dict(objects))))
    try:
        yield
    finally:
        _view.reset(token)


def isolated(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with no declared object, and let nothing it declares outlive it."""
    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        def inside() -> R:
            _view.set(_NONE)
            return function(*args, **kwargs)
        return copy_context().run(inside)
    return run


def with_config_objects(function: Callable[Concatenate[Any, P], R]
                        ) -> Callable[Concatenate[Any, P], R]:
    """Run ``function(config, ...)`` with ``config.objects`` declared: for the entry points
    that compile SQL or plan a sync for one config (compute, explain, drill-through, sync)."""
    @wraps(function)
    def run(config: Any, *args: P.args, **kwargs: P.kwargs) -> R:
        with declared(config.objects):
            return function(config, *args, **kwargs)
    return run


def measurable() -> tuple[str, ...]:
    """The objects a KPI may count, in catalogue order."""
    return tuple(name for name, o in catalogue().items() if o.measurable)

# The User and UserRole fields kpisync always syncs: names for the site, roles and fields for
# team membership.
USER_FIELDS = (
    "Id", "Username", "Name", "Email", "Title", "Department", "Division",
    "IsActive", "UserRoleId", "ManagerId", "SystemModstamp",
    "CreatedDate",  # where a new hire's target ramp starts
)
USER_ROLE_FIELDS = ("Id", "Name", "ParentRoleId", "SystemModstamp")


@dataclass(frozen=True)
class Hop:
    """One lookup followed by a field path: ``reference`` on ``source`` holds the Id of a
    ``target`` record; ``path`` is the relationship names up to here (``Owner.UserRole``)."""

    source: str
    reference: str
    target: str
    path: str


@dataclass(frozen=True)
class FieldPath:
    """A field name resolved: the lookups to follow, then ``field`` on object ``sobject``."""

    hops: tuple[Hop, ...]
    sobject: str
    field: str


class UnknownLookup(LookupError):
    """A field path names a relationship ``relationship`` that ``sobject`` does not have."""

    def __init__(self, sobject: SObject, relationship: str, prefix: str):
        super().__init__(f"{sobject.name} has no lookup {relationship!r}")
        self.sobject, self.relationship, self.prefix = sobject, relationship, prefix


def resolve_path(sobject: str, name: str) -> FieldPath:
    """``Owner.UserRole.Name`` on Task: Task.OwnerId -> User, User.UserRoleId -> UserRole,
    then UserRole's field Name. A name without a dot is a field of ``sobject`` itself.
    Raises UnknownLookup for a relationship the catalogue does not list."""
    *relationships, last = name.split(".")
    hops: list[Hop] = []
    known = catalogue()
    current = known[sobject]
    for index, relationship in enumerate(relationships):
        prefix = ".".join(relationships[:index])
        if relationship not in current.relationships:
            raise UnknownLookup(current, relationship, prefix)
        reference, target = current.relationships[relationship]
        hops.append(Hop(current.name, reference, target, ".".join(relationships[: index + 1])))
        current = known[target]
    return FieldPath(tuple(hops), current.name, last)
