"""The prospects the demo reps call: account and contact Ids for WhoId/WhatId, names for
Subjects, and the Account records themselves.

kpisync syncs Account when a KPI filters through an ``Account.*`` lookup, so every account a
Task, Event or Opportunity points at exists as a record (``build_accounts``); Contacts do not
(only their Ids, with the real 003 key prefix). A few account names carry quotes, accents,
ampersands and angle brackets so Subjects and Account names exercise escaping too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from kpisync.emulator.demo_ids import IdMint
from kpisync.emulator.demo_people import Team
from kpisync.emulator.demo_time import DAY, HOUR, Timeline

HARD_NAMES = (
    "O'Reilly & Sons",
    'Café "Le Petit" Bistro',
    "Zürich Rückversicherung AG",
    "Crème Brûlée Bakeries",
    "Ångström Labs",
    "<Script> Security Inc.",
    "Smith & Wesson Logistics",
    "東京 Trading KK",
    "Łódź Software Sp. z o.o.",
    "São Paulo Alimentos Ltda.",
)
_FIRST_WORDS = (
    "Acme", "Blue", "Summit", "Granite", "Harbor", "Pioneer", "Cobalt", "Evergreen", "Falcon",
    "Horizon", "Iron", "Juniper", "Keystone", "Lumen", "Maple", "Northstar", "Orchid", "Polar",
    "Quantum", "Redwood", "Silver", "Tidal", "Union", "Vertex", "Willow", "Zenith",
)
_SECOND_WORDS = (
    "Analytics", "Logistics", "Health", "Foods", "Robotics", "Energy", "Capital", "Media",
    "Systems", "Outfitters", "Dental", "Freight", "Insurance", "Manufacturing", "Labs",
)
_SUFFIXES = ("Corp", "Inc.", "LLC", "Group", "Co.", "Ltd")
_CONTACT_NAMES = (
    "Alex", "Bea", "Carlos", "Dmitri", "Eve", "Fatima", "Gus", "Hiro", "Ines", "Jonas", "Kara",
    "Luis", "Maya", "Nils", "Oona", "Pavel", "Quinn", "Rosa", "Sven", "Tara", "Ugo", "Vera",
)
CONTACTS_PER_ACCOUNT = 3
ACCOUNTS = 420


@dataclass(frozen=True)
class Prospect:
    """A contact at an account: what a call or meeting is logged against."""

    account_id: str
    account_name: str
    contact_id: str
    contact_first_name: str


def build_prospects(rng: random.Random, mint: IdMint) -> list[Prospect]:
    """ACCOUNTS accounts with CONTACTS_PER_ACCOUNT contacts each, in a seeded order."""
    names = list(HARD_NAMES)
    combos = [f"{a} {b} {c}" for a in _FIRST_WORDS for b in _SECOND_WORDS for c in _SUFFIXES]
    names.extend(rng.sample(combos, ACCOUNTS - len(names)))
    account_ids = [mint.next("Account") for _ in names]
    prospects = []
    for account_id, name in zip(account_ids, names, strict=True):
        for _ in range(CONTACTS_PER_ACCOUNT):
            prospects.append(
                Prospect(account_id, name, mint.next("Contact"), rng.choice(_CONTACT_NAMES))
            )
    rng.shuffle(prospects)
    return prospects


#: Salesforce's standard Account.Type values, weighted as a young sales team's book looks
ACCOUNT_TYPES = (("Prospect", 55), ("Customer - Direct", 25), ("Customer - Channel", 8),
                 ("Channel Partner / Reseller", 5), ("Technology Partner", 4), ("Other", 3))
INDUSTRIES = ("Banking", "Biotechnology", "Communications", "Consulting", "Education",
              "Energy", "Finance", "Food & Beverage", "Healthcare", "Insurance", "Manufacturing",
              "Media", "Retail", "Technology", "Transportation")
RATINGS = ("Hot", "Warm", "Cold")
SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
_PLACES = (("United States", "NY", "New York"), ("United States", "CA", "San Francisco"),
           ("United States", "TX", "Austin"), ("United States", "IL", "Chicago"),
           ("United States", "MA", "Boston"), ("United States", "WA", "Seattle"),
           ("Canada", "ON", "Toronto"), ("United Kingdom", None, "London"))
# The hard names say where they are; an AG in Texas would look wrong.
_HARD_PLACES = {
    "Zürich Rückversicherung AG": ("Switzerland", "ZH", "Zürich"),
    "Café \"Le Petit\" Bistro": ("France", None, "Paris"),
    "Ångström Labs": ("Sweden", None, "Uppsala"),
    "東京 Trading KK": ("Japan", None, "東京"),
    "Łódź Software Sp. z o.o.": ("Poland", None, "Łódź"),
    "São Paulo Alimentos Ltda.": ("Brazil", "SP", "São Paulo"),
}
#: share of accounts big enough for the Enterprise AEs
ENTERPRISE_SHARE = 0.3


def build_accounts(rng: random.Random, prospects: list[Prospect], team: Team,
                   timeline: Timeline) -> list[dict]:
    """One Account record per account the prospects name, in Id order.

    Owned by an active AE: Enterprise AEs own the big accounts, SMB AEs the rest. Accounts
    were set up before the demo window and last edited before it, so they never move an
    incremental sync's watermark during the year of activity.
    """
    owners = {segment: [r.id for r in team.reps if r.role == f"AE {segment}"
                        and r.last_day == timeline.as_of_ordinal]
              for segment in ("SMB", "Enterprise")}
    names = dict.fromkeys(sorted((p.account_id, p.account_name) for p in prospects))
    start = timeline.start.toordinal() * DAY
    types, weights = zip(*ACCOUNT_TYPES, strict=True)
    accounts = []
    for account_id, name in names:
        enterprise = rng.random() < ENTERPRISE_SHARE
        employees = rng.randrange(1_000, 50_000) if enterprise else rng.randrange(10, 500)
        created = start - rng.randrange(30, 1_500) * DAY + 14 * HOUR + rng.randrange(0, 4 * HOUR)
        modified = min(created + rng.randrange(0, 400) * DAY, start - DAY)  # >= created
        country, state, city = _HARD_PLACES.get(name) or rng.choice(_PLACES)
        owner = rng.choice(owners["Enterprise" if enterprise else "SMB"])
        accounts.append({
            "Id": account_id, "IsDeleted": False, "Name": name,
            "Type": rng.choices(types, weights)[0], "Industry": rng.choice(INDUSTRIES),
            "AnnualRevenue": float(employees * rng.randrange(80, 250) * 1_000),
            "NumberOfEmployees": employees, "OwnerId": owner, "ParentId": None,
            "BillingCity": city, "BillingState": state, "BillingCountry": country,
            "Rating": rng.choice(RATINGS), "AccountSource": rng.choice(SOURCES),
            "CreatedDate": timeline.stamp(created), "CreatedById": owner,
            "LastModifiedDate": timeline.stamp(modified), "LastModifiedById": owner,
            "SystemModstamp": timeline.stamp(modified),
        })
    return accounts
