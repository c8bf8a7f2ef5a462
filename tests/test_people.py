"""Team membership over time, credit at the record's date, and records credited to no team:
every number below was worked out by hand from people_fixtures."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from people_fixtures import (
    AS_OF,
    CREATED,
    GHOST,
    JO,
    JO_LEAVES_SDR,
    MEG,
    Q1,
    Q2,
    YTD,
    build_people_store,
    people_config,
)

from kpisync.compute import compute
from kpisync.compute.explain import explain
from kpisync.compute.membership import memberships
from kpisync.compute.model import Membership, UnassignedCount, UnassignedOwner
from kpisync.config.model import DatedMember, MemberSelector, Team
from kpisync.errors import ComputeError


@pytest.fixture(scope="module")
def scorecard():
    return compute(people_config(), build_people_store(), AS_OF)


def cell(scorecard, kpi, period, scope, scope_id):
    r = scorecard.result(kpi, period, scope, scope_id)
    return r.actual, r.target


def test_rep_who_moved_has_both_memberships_and_shows_on_the_new_team(scorecard):
    jo = next(r for r in scorecard.reps if r.id == JO)
    assert jo.memberships == (
        Membership("sdr", None, date(2026, 2, 14)), Membership("ae", date(2026, 2, 15), None),
    )
    assert jo.team_id == "ae"
    assert [t.rep_ids for t in scorecard.teams] == [("005A",), (JO,)]


@pytest.mark.parametrize(
    ("kpi", "period", "scope", "scope_id", "expected"),
    [
        # Jo's Q1 wins on 01-20 and 02-14 stay with SDR (with Ann's 03-10 win); 02-15 is AE's
        ("deals_won", Q1, "team", "sdr", (Decimal(3), None)),
        ("deals_won", Q1, "team", "ae", (Decimal(1), None)),
        # ... but Jo's own total is whole: one row, not one per team
        ("deals_won", Q1, "rep", JO, (Decimal(3), None)),
        ("revenue", Q1, "team", "sdr", (Decimal(550), None)),  # 300 + 200 + Ann's 50
        # AE tracks revenue; Jo is on AE at Q1's end, so AE carries her 1000 target
        ("revenue", Q1, "team", "ae", (Decimal(500), Decimal(1000))),
        ("revenue", Q1, "rep", JO, (Decimal(1000), Decimal(1000))),
        # the org adds Meg's unassigned 700: 550 + 500 + 700
        ("revenue", Q1, "org", "org", (Decimal(1750), Decimal(1000))),
        ("revenue", YTD, "rep", JO, (Decimal(2000), Decimal(2000))),
        # Jo's calls target is AE's override (4), her team at Q1's end; SDR keeps Ann's 10
        ("calls", Q1, "rep", JO, (Decimal(2), Decimal(4))),
        ("calls", Q1, "team", "sdr", (Decimal(2), Decimal(10))),  # Ann 01-05, Jo 02-10
        ("calls", Q1, "team", "ae", (Decimal(1), Decimal(4))),    # Jo 03-03
        # + 005G's call (not in the store); org target = the reps' 10 + 4
        ("calls", Q1, "org", "org", (Decimal(4), Decimal(14))),
        # Jo 05-04 + Meg 04-10 + the call with no owner 05-01
        ("calls", Q2, "org", "org", (Decimal(3), Decimal(14))),
        ("deals_won", Q2, "org", "org", (Decimal(2), None)),  # Jo 04-02 + no owner 05-02
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_hand_computed_cells(scorecard, kpi, period, scope, scope_id, expected):
    assert cell(scorecard, kpi, period, scope, scope_id) == expected


def test_unassigned_owners_are_reported_by_owner(scorecard):
    def counts(*rows):
        return tuple(UnassignedCount(k, p, n, Decimal(v)) for k, p, n, v in rows)

    assert scorecard.unassigned == (
        UnassignedOwner(MEG, "Meg", counts(
            ("calls", Q2, 1, 1), ("calls", YTD, 1, 1),
            ("revenue", Q1, 1, 700), ("revenue", YTD, 1, 700),
            ("deals_won", Q1, 1, 1), ("deals_won", YTD, 1, 1),
        )),
        UnassignedOwner(GHOST, None, counts(("calls", Q1, 1, 1), ("calls", YTD, 1, 1))),
        UnassignedOwner(None, None, counts(
            ("calls", Q2, 1, 1), ("calls", YTD, 1, 1),
            ("revenue", Q2, 1, 80), ("revenue", YTD, 1, 80),
            ("deals_won", Q2, 1, 1), ("deals_won", YTD, 1, 1),
        )),
    )


def test_records_without_owner_count_for_the_org_only(scorecard):
    no_owner = next(o for o in scorecard.unassigned if o.owner_id is None)
    assert no_owner.records("revenue", Q2) == 1
    # AE's 1000 (Jo 04-02) + the ownerless 80
    assert scorecard.result("revenue", Q2, "org", "org").actual == Decimal(1080)
    assert scorecard.result("revenue", Q2, "team", "ae").actual == Decimal(1000)


def test_rep_who_left_every_team_is_unassigned_after_leaving():
    on_ae = DatedMember("username", "jo@tiny.example", date(2026, 2, 15), date(2026, 3, 31), 11)
    config = people_config(
        Team(id="sdr", name="SDR", kpis=("calls",),
             members=MemberSelector(roles=("SDR",), dated=(JO_LEAVES_SDR,))),
        Team(id="ae", name="AE", kpis=("calls", "revenue"), members=MemberSelector(dated=(on_ae,))),
    )
    card = compute(config, build_people_store(), AS_OF)
    jo = next(r for r in card.reps if r.id == JO)
    assert jo.team_id == "ae"  # the last team she was on
    # her Q2 call (05-04) and deal (04-02) are the org's only, listed under her name
    assert next(o for o in card.unassigned if o.owner_id == JO).counts == (
        UnassignedCount("calls", Q2, 1, Decimal(1)), UnassignedCount("calls", YTD, 1, Decimal(1)),
        UnassignedCount("revenue", Q2, 1, Decimal(1000)),
        UnassignedCount("revenue", YTD, 1, Decimal(1000)),
        UnassignedCount("deals_won", Q2, 1, Decimal(1)),
        UnassignedCount("deals_won", YTD, 1, Decimal(1)),
    )
    # on no team at Q2's as-of day: no target, and her own Q2 figures have nothing in them
    assert cell(card, "calls", Q2, "rep", JO) == (Decimal(0), None)
    assert cell(card, "calls", Q1, "rep", JO) == (Decimal(2), Decimal(4))


def test_explain_lists_a_movers_records_once_and_the_orgs_unassigned_ones():
    con = build_people_store()
    jo = explain(people_config(), con, "calls", period_key=Q1, as_of=AS_OF, rep="Jo")
    assert [(r.id, r.rep) for r in jo.queries[0].records] == [("00T2", "Jo"), ("00T3", "Jo")]
    org = explain(people_config(), con, "calls", period_key=Q1, as_of=AS_OF)
    (query,) = org.queries
    assert [(r.id, r.rep) for r in query.records] == [
        ("00T1", "Ann"), ("00T6", GHOST), ("00T2", "Jo"), ("00T3", "Jo"),
    ]
    assert query.record_count == org.actual == Decimal(4)


USER = {"Id": "005J00000000001", "Username": "jo@tiny.example", "RoleName": "AE"}


def teams_with(sdr: tuple[DatedMember, ...] = (), ae: tuple[DatedMember, ...] = (),
               ae_roles: tuple[str, ...] = ("AE",)) -> tuple[Team, ...]:
    return (
        Team(id="sdr", name="SDR", kpis=("calls",),
             members=MemberSelector(roles=("SDR",), dated=sdr)),
        Team(id="ae", name="AE", kpis=("calls",), members=MemberSelector(roles=ae_roles,
                                                                          dated=ae)),
    )


def test_dated_entry_wins_over_the_rules_for_its_days_only():
    mid_quarter = DatedMember("username", "JO@tiny.example", date(2026, 2, 1), date(2026, 2, 28))
    assert memberships(people_config(*teams_with(sdr=(mid_quarter,))), USER) == (
        Membership("ae", None, date(2026, 1, 31)),
        Membership("sdr", date(2026, 2, 1), date(2026, 2, 28)),
        Membership("ae", date(2026, 3, 1), None),
    )


def test_dated_entry_next_to_its_own_team_rule_is_one_membership():
    on_ae = DatedMember("user_id", "005J00000000001AAA", date(2026, 2, 1))
    assert memberships(people_config(*teams_with(ae=(on_ae,))), USER) == (Membership("ae"),)


def test_user_with_only_dated_entries_is_on_no_team_outside_them():
    on_ae = DatedMember("username", "jo@tiny.example", date(2026, 2, 1), date(2026, 2, 28))
    config = people_config(*teams_with(ae=(on_ae,), ae_roles=()))
    assert memberships(config, USER) == (Membership("ae", date(2026, 2, 1), date(2026, 2, 28)),)


def test_id_and_username_of_one_user_with_overlapping_dates_is_an_error():
    by_id = DatedMember("user_id", "005J00000000001", None, date(2026, 3, 31), 9)
    by_name = DatedMember("username", "jo@tiny.example", date(2026, 3, 1), None, 14)
    with pytest.raises(ComputeError) as info:
        memberships(people_config(*teams_with(sdr=(by_id,), ae=(by_name,))), USER)
    assert str(info.value) == (
        "kpis.yaml lines 9 and 14 put jo@tiny.example on team 'sdr' until 2026-03-31 and on "
        "team 'ae' from 2026-03-01: one user's dated memberships must not share a day; end one "
        "the day before the next starts"
    )


# ---------------------------------------------------------------- property: nothing is lost

USER_IDS = ("005U1", "005U2", "005U3")
DAYS = st.dates(date(2026, 1, 1), date(2026, 5, 31))


@st.composite
def small_orgs(draw):
    """Three users with random roles and random, non-overlapping dated moves between two
    teams, and calls and won deals owned by them, by a user the store lacks, or by nobody."""
    users, dated = [], {"sdr": [], "ae": []}
    for user_id in USER_IDS:
        role = draw(st.sampled_from(["00E1", "00E2", "00E3"]))
        username = f"{user_id.lower()}@tiny.example"
        users.append((user_id, username, user_id, True, role))
        move = draw(st.sampled_from(["none", "until", "from", "both"]))
        split = draw(DAYS)
        old, new = draw(st.permutations(["sdr", "ae"]))
        if move in ("until", "both"):
            dated[old].append(DatedMember("username", username, None, split))
        if move in ("from", "both"):
            dated[new].append(DatedMember("user_id", user_id, split + timedelta(days=1)))
    owners = st.sampled_from([*USER_IDS, "005G", None])
    tasks = draw(st.lists(st.tuples(owners, DAYS), max_size=12))
    deals = draw(st.lists(st.tuples(owners, DAYS, st.integers(0, 5000)), max_size=8))
    return (
        teams_with(sdr=tuple(dated["sdr"]), ae=tuple(dated["ae"])),
        users,
        [(f"00T{i}", o, "Call", None, d, False) for i, (o, d) in enumerate(tasks)],
        [(f"006{i}", o, Decimal(a), True, True, CREATED, d, False)
         for i, (o, d, a) in enumerate(deals)],
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(org=small_orgs())
def test_org_equals_sum_of_teams_plus_unassigned_for_additive_kpis(org):
    teams, users, tasks, opps = org
    card = compute(people_config(*teams), build_people_store(users=users, tasks=tasks, opps=opps),
                   AS_OF)
    for period in card.periods:
        days = [t[4] for t in tasks if period.start <= t[4] <= period.end]
        amounts = [o[2] for o in opps if period.start <= o[6] <= period.end]
        every_record = {"calls": len(days), "revenue": sum(amounts), "deals_won": len(amounts)}
        for kpi, whole_org in every_record.items():
            teams_total = sum(card.result(kpi, period.key, "team", t.id).actual
                              for t in card.teams)
            unassigned = sum(c.actual for o in card.unassigned for c in o.counts
                             if c.kpi_id == kpi and c.period_key == period.key)
            org_total = card.result(kpi, period.key, "org", "org").actual
            assert org_total == teams_total + unassigned == whole_org
