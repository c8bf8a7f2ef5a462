"""Calls, emails and to-dos (Task), and meetings (Event), day by day for every rep.

The cascade is generated, not painted on: an SDR's connected call (>= 120 s) books a meeting
at the rep's booking rate, the meeting is held or a no-show, and held meetings are what the
pipeline generator turns into opportunities. So the conversion rates a scorecard shows come out
of the records themselves.

Records are built as dicts directly and times kept as integers (see demo_time): the benchmark
generates hundreds of thousands of Tasks and must stay linear.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from kpisync.emulator.demo_accounts import Prospect
from kpisync.emulator.demo_ids import IdMint
from kpisync.emulator.demo_people import Rep
from kpisync.emulator.demo_time import DAY, HOUR, WORK_END, WORK_START, Timeline

#: per workday at productivity 1: (calls, emails, to-dos, own meetings). With the average
#: productivity (0.95), days off and quiet months, an SDR logs ~15 calls and ~8 emails a
#: workday, an AE ~4 calls, ~6 emails and ~1.3 meetings.
SDR_RATES = (16.8, 9.0, 0.6, 0.0)
AE_RATES = (4.5, 6.7, 1.0, 1.5)
#: busier early in the week, quieter on Fridays; averages 1.0
WEEKDAY_FACTOR = (1.02, 1.08, 1.04, 1.0, 0.86)
MONTH_FACTOR = {8: 0.9, 12: 0.8}
DAY_OFF = 0.04
SHOW_RATE = 0.75
DELETED = 0.005
EDITED = 0.08
#: tasks older than this many days sometimes predate TaskSubtype (null on old records)
OLD_TASK_DAYS = 300
OLD_TASK_NO_SUBTYPE = 0.09
ARCHIVE_DAYS = 365

_EMAIL_TOPICS = ("Quick question", "Following up", "Intro from Northwind", "Meeting recap",
                 "Pricing you asked for", "Re: next steps", "Can we find 15 minutes?")
_TODOS = ("Send pricing to {contact}", "Update notes for {account}", "Prep demo for {account}",
          "Research {account} before call")
_LOCATIONS = ("Zoom", "Google Meet", "Phone", None)
_OTHER_EVENTS = ("Pipeline review", "1:1 with manager", "Team training")


@dataclass(frozen=True)
class HeldMeeting:
    """A live, held meeting: where opportunities come from."""

    owner: Rep
    end_s: int
    prospect: Prospect


@dataclass(frozen=True)
class Activity:
    tasks: list[dict]
    events: list[dict]
    #: SDR-booked meetings that were held, in the order they happened
    sdr_held: list[HeldMeeting]
    #: AE meetings that were held, in the order they happened
    ae_held: list[HeldMeeting]


class _Builder:
    """Shared state of one activity run: the random stream, the clock and the Id mint."""

    def __init__(self, rng: random.Random, mint: IdMint, timeline: Timeline,
                 prospects: list[Prospect]):
        self.rng = rng
        self.mint = mint
        self.tl = timeline
        self.prospects = prospects
        self.archive_before = timeline.as_of_ordinal - ARCHIVE_DAYS
        self.old_before = timeline.as_of_ordinal - OLD_TASK_DAYS
        self.as_of = timeline.as_of_ordinal
        self.seq = 0
        self._count = len(prospects)

    def pick_prospect(self) -> Prospect:
        return self.prospects[int(self.rng.random() * self._count)]

    def stamps(self, created: int) -> tuple[bool, int]:
        """Whether a record is deleted, and its last modification time."""
        rand = self.rng.random
        roll = rand()
        if roll < DELETED:
            return True, self.tl.before_now(created, HOUR + int(rand() * 20 * DAY))
        if roll < DELETED + EDITED:
            edited = self.tl.later(created, DAY + int(rand() * 6 * HOUR))
            return False, created if edited is None else edited
        return False, created


def generate_activity(rng: random.Random, mint: IdMint, timeline: Timeline, reps: list[Rep],
                      prospects: list[Prospect], scale: float) -> Activity:
    """Tasks and Events for every workday of the window, each list in CreatedDate order."""
    b = _Builder(rng, mint, timeline, prospects)
    tasks: list[dict] = []
    events: list[tuple[int, int, dict]] = []
    bookings: list[tuple[Rep, int, Prospect]] = []
    for day in timeline.days():
        weekday = day.weekday()
        if weekday >= 5:
            continue
        ordinal = day.toordinal()
        start = ordinal * DAY + WORK_START
        end = min(ordinal * DAY + WORK_END, timeline.now_s)
        if end <= start:
            continue
        span = end - start
        factor = WEEKDAY_FACTOR[weekday] * MONTH_FACTOR.get(day.month, 1.0) * scale
        todays: list[tuple[int, int, dict]] = []
        rand = rng.random  # rng.randrange costs several times more; this loop runs per record
        for rep in reps:
            if not rep.works(ordinal) or rng.random() < DAY_OFF:
                continue
            volume = rep.productivity * factor * rng.uniform(0.75, 1.25)
            calls, emails, todos, meetings = SDR_RATES if rep.is_sdr else AE_RATES
            for _ in range(int(calls * volume + rand())):
                _call(b, rep, ordinal, start + int(rand() * span), todays, bookings)
            for _ in range(int(emails * volume + rand())):
                _email(b, rep, ordinal, start + int(rand() * span), todays)
            for _ in range(int(todos * volume + rand())):
                _todo(b, rep, ordinal, start + int(rand() * span), todays)
            for _ in range(int(meetings * volume + rand())):
                _meeting(b, rep, start + int(rand() * span), "Demo", events)
            if rand() < 0.1 * scale:
                _internal(b, rep, start + int(rand() * span), events)
        todays.sort(key=_by_time)
        for _, _, task in todays:
            task["Id"] = mint.next("Task")
            tasks.append(task)
    for rep, booked, prospect in bookings:
        _meeting(b, rep, booked, "Intro meeting", events, prospect)
    events.sort(key=_by_time)
    sdr_held, ae_held = [], []
    for _, _, event in events:
        event["Id"] = mint.next("Event")
        held = event.pop("_held", None)
        if held is not None:
            (sdr_held if held.owner.is_sdr else ae_held).append(held)
    sdr_held.sort(key=lambda h: h.end_s)
    ae_held.sort(key=lambda h: h.end_s)
    return Activity(tasks, [e for _, _, e in events], sdr_held, ae_held)


def _by_time(item: tuple[int, int, dict]) -> tuple[int, int]:
    return item[0], item[1]


def _header(b: _Builder, rep: Rep, created: int, modified: int, deleted: bool, subject: str,
            activity_date: str) -> dict:
    """The fields a Task and an Event share, in Salesforce's order: owner, stamps, subject."""
    created_text = b.tl.stamp(created)
    modified_text = created_text if modified == created else b.tl.stamp(modified)
    return {
        "Id": None,
        "IsDeleted": deleted,
        "OwnerId": rep.id,
        "CreatedById": rep.id,
        "CreatedDate": created_text,
        "LastModifiedById": rep.id,
        "LastModifiedDate": modified_text,
        "SystemModstamp": modified_text,
        "Subject": subject,
        "ActivityDate": activity_date,
    }


def _task(b: _Builder, rep: Rep, ordinal: int, created: int, prospect: Prospect, subject: str,
          kind: str, status: str, duration: int | None, disposition: str | None) -> dict:
    deleted, modified = b.stamps(created)
    closed = status == "Completed"
    subtype = kind
    if ordinal < b.old_before and b.rng.random() < OLD_TASK_NO_SUBTYPE:
        subtype = None
    return {
        **_header(b, rep, created, modified, deleted, subject, b.tl.day_iso(ordinal)),
        "WhoId": prospect.contact_id,
        "WhatId": prospect.account_id,
        "AccountId": prospect.account_id,
        "Type": "Other" if kind == "Task" else kind,
        "TaskSubtype": subtype,
        "Status": status,
        "Priority": "Normal",
        "IsClosed": closed,
        "CallDurationInSeconds": duration,
        "CallType": "Outbound" if kind == "Call" else None,
        "CallDisposition": disposition,
        "CompletedDateTime": b.tl.stamp(created) if closed else None,
        "IsArchived": closed and ordinal <= b.archive_before,
    }


def _call(b: _Builder, rep: Rep, ordinal: int, created: int,
          todays: list[tuple[int, int, dict]], bookings: list[tuple[Rep, int, Prospect]]) -> None:
    rand = b.rng.random
    prospect = b.pick_prospect()
    roll = rand()
    if roll < rep.connect_rate:
        duration: int | None = min(1500, 120 + int(b.rng.expovariate(1 / 260)))
        disposition = "Connected"
        if rep.is_sdr and rand() < rep.booking_rate:
            booked = b.tl.later(created, duration + 60 + int(rand() * 840))
            if booked is not None:
                bookings.append((rep, booked, prospect))
    elif roll < rep.connect_rate + (1 - rep.connect_rate) * 0.45:
        duration, disposition = 20 + int(rand() * 100), "Left Voicemail"
    else:
        duration = None if rand() < 0.6 else int(rand() * 40)
        disposition = "No Answer"
    subject = f"Call: {prospect.account_name}"
    task = _task(b, rep, ordinal, created, prospect, subject, "Call", "Completed", duration,
                 disposition)
    b.seq += 1
    todays.append((created, b.seq, task))


def _email(b: _Builder, rep: Rep, ordinal: int, created: int,
           todays: list[tuple[int, int, dict]]) -> None:
    prospect = b.pick_prospect()
    subject = f"Email: {_EMAIL_TOPICS[int(b.rng.random() * len(_EMAIL_TOPICS))]} "
    subject += f"({prospect.account_name})"
    task = _task(b, rep, ordinal, created, prospect, subject, "Email", "Completed", None, None)
    b.seq += 1
    todays.append((created, b.seq, task))


def _todo(b: _Builder, rep: Rep, ordinal: int, created: int,
          todays: list[tuple[int, int, dict]]) -> None:
    prospect = b.rng.choice(b.prospects)
    subject = b.rng.choice(_TODOS).format(contact=prospect.contact_first_name,
                                          account=prospect.account_name)
    status = "Not Started" if b.rng.random() < 0.25 else "Completed"
    task = _task(b, rep, ordinal, created, prospect, subject, "Task", status, None, None)
    b.seq += 1
    todays.append((created, b.seq, task))


def _meeting(b: _Builder, rep: Rep, booked: int, label: str,
             events: list[tuple[int, int, dict]], prospect: Prospect | None = None) -> None:
    """A customer meeting booked at ``booked`` for 1-10 workdays later."""
    rng = b.rng
    prospect = prospect or rng.choice(b.prospects)
    day = b.tl.add_workdays(booked // DAY, rng.randint(1, 10))
    begin = day * DAY + 14 * HOUR + rng.randrange(0, 15) * 1800
    minutes = 30 if rng.random() < 0.7 else 60
    held: bool | None = None
    # Nobody records the outcome of a meeting set for after its owner left the company.
    if day < b.as_of and day <= rep.last_day:
        held = rng.random() < SHOW_RATE
    event = _event(b, rep, booked, begin, minutes, f"{label}: {prospect.account_name}",
                   "Meeting", prospect, held)
    if held and not event["IsDeleted"]:
        event["_held"] = HeldMeeting(rep, begin + minutes * 60, prospect)
    b.seq += 1
    events.append((booked, b.seq, event))


def _internal(b: _Builder, rep: Rep, booked: int, events: list[tuple[int, int, dict]]) -> None:
    """Non-customer calendar entries: internal meetings and the odd customer lunch."""
    rng = b.rng
    prospect = rng.choice(b.prospects)
    day = b.tl.add_workdays(booked // DAY, rng.randint(0, 5))
    if rng.random() < 0.2:
        subject, kind, begin, minutes = (f"Lunch with {prospect.contact_first_name}", "Lunch",
                                         day * DAY + 16 * HOUR, 90)
    else:
        subject, kind = rng.choice(_OTHER_EVENTS), "Other"
        begin, minutes = day * DAY + 15 * HOUR + rng.randrange(0, 12) * 1800, 30
    begin = max(begin, booked + 1800)
    event = _event(b, rep, booked, begin, minutes, subject, kind, prospect, None)
    if kind == "Other":
        event["WhoId"] = event["WhatId"] = event["AccountId"] = None
    b.seq += 1
    events.append((booked, b.seq, event))


def _event(b: _Builder, rep: Rep, created: int, begin: int, minutes: int, subject: str,
           kind: str, prospect: Prospect, held: bool | None) -> dict:
    deleted, modified = b.stamps(created)
    if held is not None and not deleted:
        # Whoever ran the meeting ticks Meeting_Held__c after it: a later modification.
        modified = b.tl.before_now(begin + minutes * 60, b.rng.randrange(HOUR, 30 * HOUR))
    tl = b.tl
    finish = begin + minutes * 60
    start_text = tl.stamp(begin)
    day = begin // DAY
    return {
        **_header(b, rep, created, modified, deleted, subject, tl.day_iso(day)),
        "ActivityDateTime": start_text,
        "StartDateTime": start_text,
        "EndDateTime": tl.stamp(finish),
        "EndDate": tl.date_of(finish),
        "DurationInMinutes": minutes,
        "WhoId": prospect.contact_id,
        "WhatId": prospect.account_id,
        "AccountId": prospect.account_id,
        "Type": kind,
        "EventSubtype": "Event",
        "IsAllDayEvent": False,
        "IsChild": False,
        "IsGroupEvent": False,
        "IsRecurrence": False,
        "ShowAs": "Busy",
        "Location": b.rng.choice(_LOCATIONS),
        # Salesforce archives events a year after ActivityDate, closed or not.
        "IsArchived": day <= b.archive_before,
        "Meeting_Held__c": held,
    }
