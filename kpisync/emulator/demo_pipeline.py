"""Opportunities and their stage history, grown from the meetings the activity generator held.

Each opportunity walks the stage path forward (sometimes skipping Qualification or Needs
Analysis) and either reaches Closed Won or drops out to Closed Lost; one OpportunityHistory
row records every stage it entered, so stage-to-stage conversion and time in stage can be
computed. Deals whose close lies after ``now`` are still open at the stage they had reached,
with a CloseDate in the three months after ``as_of``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from kpisync.emulator.demo_accounts import Prospect
from kpisync.emulator.demo_activity import Activity
from kpisync.emulator.demo_ids import IdMint
from kpisync.emulator.demo_people import AE_TEAMS, Rep
from kpisync.emulator.demo_time import DAY, HOUR, WORK_END, WORK_START, Timeline

#: (StageName, Probability, ForecastCategory, ForecastCategoryName), in path order
STAGES = (
    ("Prospecting", 10, "Pipeline", "Pipeline"),
    ("Qualification", 10, "Pipeline", "Pipeline"),
    ("Needs Analysis", 20, "Pipeline", "Pipeline"),
    ("Proposal/Price Quote", 75, "BestCase", "Best Case"),
    ("Negotiation/Review", 90, "Forecast", "Commit"),
    ("Closed Won", 100, "Closed", "Closed"),
    ("Closed Lost", 0, "Omitted", "Omitted"),
)
WON, LOST, PROPOSAL = 5, 6, 3
#: the open stage a lost deal had reached when it was lost (earlier is likelier)
LOST_AT = (0.3, 0.25, 0.2, 0.15, 0.1)


@dataclass(frozen=True)
class Segment:
    min_amount: int
    max_amount: int
    #: days from creation to close for a deal that goes the distance
    min_cycle: int
    max_cycle: int
    #: relative share of SDR-sourced opportunities per rep (new opportunities a month)
    weight: float


SEGMENTS = {
    "AE SMB": Segment(5_000, 40_000, 15, 60, 8.0),
    "AE Enterprise": Segment(50_000, 400_000, 45, 150, 3.0),
}
#: share of an SDR's held meetings an AE turns into an opportunity
SDR_CONVERSION = (0.2, 0.3)
#: share of an AE's own held meetings that become a self-sourced opportunity
AE_SELF_SOURCED = 0.02
NO_AMOUNT = 0.03
DELETED = 0.005
_PRODUCTS = ("Platform", "Analytics add-on", "Team plan", "Seats expansion")
_OTHER_SOURCES = ("Web", "Partner Referral", "Trade Show", "Employee Referral")
OPEN_HORIZON_DAYS = 90


@dataclass(frozen=True)
class Pipeline:
    opportunities: list[dict]
    history: list[dict]


@dataclass(frozen=True)
class _Deal:
    """One opportunity before it gets its Id: the owner then the changes it went through."""

    created: int
    owner: Rep
    prospect: Prospect
    lead_source: str


def generate_pipeline(rng: random.Random, mint: IdMint, timeline: Timeline, reps: list[Rep],
                      activity: Activity) -> Pipeline:
    """Opportunities (CreatedDate order) and their history rows (CreatedDate order)."""
    deals = _deals(rng, timeline, reps, activity)
    successors = _successors(rng, reps)
    opportunities, history = [], []
    for deal in deals:
        opportunity, rows = _simulate(rng, mint, timeline, deal, successors)
        opportunities.append(opportunity)
        history.extend(rows)
    history.sort(key=lambda row: row["CreatedDate"])
    for row in history:
        row["Id"] = mint.next("OpportunityHistory")
    return Pipeline(opportunities, history)


def _deals(rng: random.Random, timeline: Timeline, reps: list[Rep],
           activity: Activity) -> list[_Deal]:
    aes = [r for r in reps if r.role in AE_TEAMS]
    conversion = {r.id: rng.uniform(*SDR_CONVERSION) for r in reps if r.is_sdr}
    deals = []
    for held in activity.sdr_held:
        if rng.random() >= conversion[held.owner.id]:
            continue
        created = _working_time(rng, held.end_s + rng.randrange(30 * 60, 2 * DAY))
        if created >= timeline.now_s:
            continue
        candidates = [ae for ae in aes if ae.works(created // DAY)]
        weights = [SEGMENTS[ae.role].weight * ae.productivity for ae in candidates]
        owner = rng.choices(candidates, weights)[0]
        deals.append(_Deal(created, owner, held.prospect, "Outbound"))
    for held in activity.ae_held:
        if rng.random() < AE_SELF_SOURCED:
            created = _working_time(rng, held.end_s + rng.randrange(30 * 60, DAY))
            if created < timeline.now_s and held.owner.works(created // DAY):
                deals.append(_Deal(created, held.owner, held.prospect,
                                   rng.choice(_OTHER_SOURCES)))
    deals.sort(key=lambda d: d.created)
    return deals


def _working_time(rng: random.Random, moment: int) -> int:
    """``moment``, or if it falls outside working hours, a time early in the next working day."""
    ordinal, seconds = divmod(moment, DAY)
    if seconds >= WORK_END:
        ordinal += 1
    if not WORK_START <= seconds < WORK_END:
        moment = ordinal * DAY + WORK_START + rng.randrange(0, 2 * HOUR)
    return _weekday(moment)


def _weekday(moment: int) -> int:
    """The same time of day, moved past a weekend: AEs create opportunities on workdays."""
    # Day ordinal 1 (0001-01-01) was a Monday: ordinal % 7 is 6 on Saturdays, 0 on Sundays.
    weekday = (moment // DAY) % 7
    if weekday == 6:
        return moment + 2 * DAY
    if weekday == 0:
        return moment + DAY
    return moment


def _successors(rng: random.Random, reps: list[Rep]) -> dict[str, Rep]:
    """Who inherits the open deals of an AE who left: a colleague still there the day after."""
    successors = {}
    for rep in reps:
        stayed = [r for r in reps if r.role == rep.role and r.works(rep.last_day + 1)]
        if rep.role in AE_TEAMS and stayed and rep.id not in {s.id for s in stayed}:
            successors[rep.id] = rng.choice(stayed)
    return successors


def _path(rng: random.Random, won: bool) -> list[int]:
    reach = 4 if won else rng.choices(range(5), LOST_AT)[0]
    middle = [s for s in range(1, reach + 1) if s >= PROPOSAL or rng.random() > 0.15]
    return [0, *middle, WON if won else LOST]


def _times(rng: random.Random, created: int, close: int, steps: int) -> list[int]:
    """``steps`` strictly increasing change times from ``created`` to about ``close``."""
    middle = sorted(_working_time(rng, rng.randrange(created + HOUR, close))
                    for _ in range(steps - 2))
    times = [created, *middle, close]
    for i in range(1, len(times)):
        times[i] = max(times[i], times[i - 1] + 60)
    return times


def _amount(rng: random.Random, segment: Segment) -> float:
    """Log-uniform between the segment's bounds, in whole hundreds, as REST returns currency."""
    ratio = segment.max_amount / segment.min_amount
    return float(round(segment.min_amount * ratio ** rng.random() / 100) * 100)


def _simulate(rng: random.Random, mint: IdMint, tl: Timeline, deal: _Deal,
              successors: dict[str, Rep]) -> tuple[dict, list[dict]]:
    segment = SEGMENTS[deal.owner.role]
    won = rng.random() < deal.owner.win_rate
    path = _path(rng, won)
    cycle = rng.randint(segment.min_cycle, segment.max_cycle)
    if not won:
        cycle = max(3, cycle * len(path) // 6)
    close = _working_time(rng, deal.created + cycle * DAY + rng.randrange(-3 * HOUR, 3 * HOUR))
    times = _times(rng, deal.created, close, len(path))
    close = times[-1]
    estimate = deal.created // DAY + int(cycle * rng.uniform(0.8, 1.25))
    amount = None if rng.random() < NO_AMOUNT else _amount(rng, segment)
    reached = [(stage, t) for stage, t in zip(path, times, strict=True) if t < tl.now_s]
    is_open = reached[-1][0] < WON
    leave_s = (deal.owner.last_day + 1) * DAY
    successor = successors.get(deal.owner.id)
    deleted = rng.random() < DELETED
    last = reached[-1][1]
    modstamp = tl.before_now(last, rng.randrange(HOUR, 10 * DAY)) if deleted else last
    opportunity_id = mint.next("Opportunity")
    rows, previous = [], None
    for index, (stage, moment) in enumerate(reached):
        owner = successor if successor and moment >= leave_s else deal.owner
        if stage == PROPOSAL and amount is not None and rng.random() < 0.3:
            # Pricing the proposal moves the amount, within the segment's range.
            changed = amount * rng.uniform(0.8, 1.25)
            amount = float(min(segment.max_amount, max(segment.min_amount,
                                                       round(changed / 100) * 100)))
        close_day = estimate if stage < PROPOSAL else close // DAY
        if is_open and index == len(reached) - 1:
            close_day = _open_close_day(rng, tl.as_of_ordinal, close_day)
        row = _history_row(tl, opportunity_id, owner, moment, stage, amount, close_day,
                           previous, deleted, modstamp if deleted else moment)
        rows.append(row)
        previous = row
    current = rows[-1]
    owner_id = current["CreatedById"]
    if is_open and successor and not deleted and leave_s + 15 * HOUR < tl.now_s:
        # The departed rep's open deals were reassigned the morning after they left.
        owner_id = successor.id
        modstamp = max(modstamp, leave_s + 15 * HOUR)
    name, probability, category, category_name = STAGES[reached[-1][0]]
    opportunity = {
        "Id": opportunity_id,
        "IsDeleted": deleted,
        "OwnerId": owner_id,
        "CreatedById": deal.owner.id,
        "CreatedDate": rows[0]["CreatedDate"],
        "LastModifiedById": owner_id,
        "LastModifiedDate": tl.stamp(modstamp),
        "SystemModstamp": tl.stamp(modstamp),
        "AccountId": deal.prospect.account_id,
        "Name": f"{deal.prospect.account_name} - {rng.choice(_PRODUCTS)}",
        "Type": "New Customer" if deal.lead_source == "Outbound" or rng.random() < 0.6
        else "Existing Customer - Upgrade",
        "LeadSource": deal.lead_source,
        "StageName": name,
        "Amount": current["Amount"],
        "ExpectedRevenue": current["ExpectedRevenue"],
        "Probability": float(probability),
        "CloseDate": current["CloseDate"],
        "IsClosed": not is_open,
        "IsWon": reached[-1][0] == WON,
        "ForecastCategory": category,
        "ForecastCategoryName": category_name,
        "FiscalYear": int(current["CloseDate"][:4]),
        "FiscalQuarter": (int(current["CloseDate"][5:7]) - 1) // 3 + 1,
    }
    return opportunity, rows


def _open_close_day(rng: random.Random, as_of: int, expected: int) -> int:
    """An open deal's CloseDate: in the future, at most OPEN_HORIZON_DAYS after as_of."""
    if expected <= as_of:
        return as_of + rng.randint(1, 21)
    if expected > as_of + OPEN_HORIZON_DAYS:
        return as_of + rng.randint(45, OPEN_HORIZON_DAYS)
    return expected


def _history_row(tl: Timeline, opportunity_id: str, owner: Rep, moment: int, stage: int,
                 amount: float | None, close_day: int, previous: dict | None, deleted: bool,
                 modstamp: int) -> dict:
    _name, probability, category, _label = STAGES[stage]
    created = tl.stamp(moment)
    return {
        "Id": None,
        "IsDeleted": deleted,
        "OpportunityId": opportunity_id,
        "CreatedById": owner.id,
        "CreatedDate": created,
        "LastModifiedById": owner.id,
        "LastModifiedDate": tl.stamp(modstamp),
        "SystemModstamp": tl.stamp(modstamp),
        "StageName": STAGES[stage][0],
        "Amount": amount,
        "ExpectedRevenue": None if amount is None else amount * probability / 100,
        "CloseDate": tl.day_iso(close_day),
        "Probability": float(probability),
        "ForecastCategory": category,
        "PrevAmount": None if previous is None else previous["Amount"],
        "PrevCloseDate": None if previous is None else previous["CloseDate"],
    }
