"""A seeded, believable sales org for ``kpisync demo``, the end-to-end tests and benchmarks.

``generate_demo_org`` builds a year of a 30-rep team's Salesforce data (roles, users, the
accounts they sell to, calls, emails, meetings, opportunities and their stage history) shaped
exactly as the REST API returns it, so the emulator can serve it and the real sync code reads
it. The steps run in cascade
order because each feeds the next: conversations book meetings, held meetings become
opportunities. docs/demo-org.md describes what is in it and why.

The same ``seed`` and ``as_of`` give the same records, byte for byte: every random choice
comes from streams seeded from ``seed`` alone, and records are built in a fixed order.
"""

from __future__ import annotations

import random
from datetime import date, datetime

from kpisync.emulator.demo_accounts import build_accounts, build_prospects
from kpisync.emulator.demo_activity import generate_activity
from kpisync.emulator.demo_ids import IdMint
from kpisync.emulator.demo_people import build_team
from kpisync.emulator.demo_pipeline import generate_pipeline
from kpisync.emulator.demo_time import Timeline, resolve_clock
from kpisync.emulator.orgdata import OrgData

#: the custom field the demo org adds, as a real org would, to tell held meetings from no-shows
CUSTOM_FIELDS = {"Event": {"Meeting_Held__c": "boolean"}}


def generate_demo_org(
    *,
    seed: int = 7,
    as_of: date | None = None,
    scale: float = 1.0,
    now: datetime | None = None,
) -> OrgData:
    """The demo org as of ``as_of`` (default: today in UTC).

    Covers the first day of the month twelve months before ``as_of`` up to ``as_of``, plus
    meetings booked for the next two weeks and open opportunities closing in the next three
    months. ``now`` (timezone-aware) bounds every CreatedDate/SystemModstamp; it defaults to
    the current time when ``as_of`` is today, else to 23:00 UTC on ``as_of``. ``scale``
    multiplies activity volumes (and so the meetings and opportunities they lead to) for
    benchmarks; the team stays the same size.
    """
    return OrgData(demo_records(seed=seed, as_of=as_of, scale=scale, now=now), CUSTOM_FIELDS)


def demo_records(
    *,
    seed: int = 7,
    as_of: date | None = None,
    scale: float = 1.0,
    now: datetime | None = None,
) -> dict[str, list[dict]]:
    """The records of ``generate_demo_org`` per object, for callers that want plain data."""
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    as_of, now = resolve_clock(as_of, now)
    timeline = Timeline(as_of, now)
    # One stream per step: tuning how Tasks are drawn must not reshuffle the users' Ids.
    mint = IdMint(random.Random(f"{seed}:ids"))
    team = build_team(random.Random(f"{seed}:team"), mint, timeline)
    prospects = build_prospects(random.Random(f"{seed}:prospects"), mint)
    activity = generate_activity(random.Random(f"{seed}:activity"), mint, timeline, team.reps,
                                 prospects, scale)
    pipeline = generate_pipeline(random.Random(f"{seed}:pipeline"), mint, timeline, team.reps,
                                 activity)
    # Drawn last, from a stream of their own, so adding accounts changed no other record.
    accounts = build_accounts(random.Random(f"{seed}:accounts"), prospects, team, timeline)
    return {
        "UserRole": team.roles,
        "User": team.users,
        "Account": accounts,
        "Task": activity.tasks,
        "Event": activity.events,
        "Opportunity": pipeline.opportunities,
        "OpportunityHistory": pipeline.history,
    }
