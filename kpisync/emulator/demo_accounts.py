"""The prospects the demo reps call: account and contact Ids for WhoId/WhatId, and names for
Subjects.

kpisync does not sync Account or Contact, so only their Ids and names exist; the Ids still
carry the real key prefixes (001, 003) so lookups look like a real org's. A few account names
carry quotes, accents, ampersands and angle brackets so Subjects exercise escaping too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from kpisync.emulator.demo_ids import IdMint

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
