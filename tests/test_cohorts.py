"""Cohort conversion on hand-computed meetings and opportunities (see cohort_fixtures).

Base events are the meetings, conversions the opportunities created on the same account within
30 days. Feb: Ann 3 meetings (00U1, 00U2, 00U5), only 00U2 converts; Bob 3 (00U3, 00U4, 00U6),
only 00U6 converts (with an opportunity in March); Cat 1 (00U7), converted exactly 30 days on.
Mar: Ann 00U8 (wins the tie) and 00UA (no account); Bob 00U9 (loses the tie).
January: the manager's 00UD is nearer to 006P9 than Ann's 00UE, so Ann's does not convert.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from cohort_fixtures import build_cohort_store, cohort_config, with_dated
from compute_fixtures import ANN, AS_OF, BOB, CAT, DAN, MGR, utc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpisync.compute import compute
from kpisync.compute.cohorts import compile_cohort, share
from kpisync.compute.engine import table_columns
from kpisync.config.model import CohortStep, DatedMember, Filter, Kpi, Measure
from kpisync.errors import ComputeError

FEB, MAR, YTD = "2026-02", "2026-03", "FY2026-YTD"


@pytest.fixture(scope="module")
def scorecard(tmp_path_factory):
    con = build_cohort_store(tmp_path_factory.mktemp("cohorts") / "store.duckdb")
    return compute(cohort_config(), con, AS_OF)


def cohort(scorecard, period, scope, scope_id):
    """(base, converted, rate) of the one cohort result for this cell."""
    (found,) = [c for c in scorecard.cohorts
                if (c.period_key, c.scope, c.scope_id) == (period, scope, scope_id)]
    return found.base, found.converted, found.rate


@pytest.mark.parametrize(
    ("scope", "scope_id", "period", "expected"),
    [
        # two meetings before one opportunity: only the nearer (00U2) converts; a second
        # opportunity on the same account does not convert it twice or convert 00U1
        ("rep", ANN, FEB, (3, 1, Decimal("0.3333"))),
        # 34 days is outside the window; an opportunity created before the meeting does not count
        ("rep", BOB, FEB, (3, 1, Decimal("0.3333"))),
        # exactly within_days after still counts
        ("rep", CAT, FEB, (1, 1, Decimal(1))),
        ("team", "sdr", FEB, (6, 2, Decimal("0.3333"))),
        ("org", "org", FEB, (7, 3, Decimal("0.4286"))),
        # a tie on the day goes to the lower Id; a meeting without an account is still a base
        ("rep", ANN, MAR, (2, 1, Decimal("0.5"))),
        ("rep", BOB, MAR, (1, 0, Decimal(0))),
        # no base events: no rate, never 0 %
        ("rep", CAT, MAR, (0, 0, None)),
        ("team", "ae", MAR, (0, 0, None)),
        ("rep", DAN, FEB, (0, 0, None)),
        # Ann's January meeting loses 006P9 to the manager's nearer one
        ("rep", ANN, YTD, (6, 2, Decimal("0.3333"))),
        ("org", "org", YTD, (11, 4, Decimal("0.3636"))),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_hand_computed_cohorts(scorecard, scope, scope_id, period, expected):
    assert cohort(scorecard, period, scope, scope_id) == expected


def test_every_period_and_scope_has_a_cohort_result(scorecard):
    cells = {(c.period_key, c.scope, c.scope_id) for c in scorecard.cohorts}
    assert len(cells) == len(scorecard.cohorts) == 3 * (4 + 2 + 1)
    assert {(c.from_kpi, c.to_kpi) for c in scorecard.cohorts} == {("meetings", "opps_created")}


@pytest.mark.parametrize(
    ("within_days", "rep", "expected"),
    [
        pytest.param(29, CAT, (1, 0, Decimal(0)), id="29-days-misses-a-30-day-conversion"),
        pytest.param(34, BOB, (3, 2, Decimal("0.6667")), id="34-days-reaches-00U3"),
    ],
)
def test_window_length_decides(tmp_path, within_days, rep, expected):
    con = build_cohort_store(tmp_path / "store.duckdb")
    scorecard = compute(cohort_config(within_days), con, AS_OF)
    assert cohort(scorecard, FEB, "rep", rep) == expected


@pytest.mark.parametrize(
    ("scope", "scope_id", "expected"),
    [
        # all three of Bob's February meetings, on whichever team: 00U6 converts
        ("rep", BOB, (3, 1, Decimal("0.3333"))),
        # Ann's three (00U2 converts) and Bob's 00U3 and 00U4, held before he moved
        ("team", "sdr", (5, 1, Decimal("0.2"))),
        # Cat's 00U7 and Bob's 00U6 of Feb 25, both converted
        ("team", "ae", (2, 2, Decimal(1))),
        ("org", "org", (7, 3, Decimal("0.4286"))),
    ],
    ids=["rep", "old-team", "new-team", "org"],
)
def test_a_rep_who_moved_team_is_one_row_and_each_team_counts_its_days(
        tmp_path, scope, scope_id, expected):
    # Bob is on SDR (by role) until Feb 14 and on AE from Feb 15
    moved = DatedMember("username", "bob@tiny.example", date(2026, 2, 15), None, 9)
    con = build_cohort_store(tmp_path / "store.duckdb")
    scorecard = compute(with_dated(cohort_config(), "ae", moved), con, AS_OF)
    assert cohort(scorecard, FEB, scope, scope_id) == expected


def test_history_conversions_match_on_their_opportunitys_account(tmp_path):
    # A proposal on 006P1 (account 001A1) on Feb 25 converts Ann's nearer meeting 00U2 only.
    con = build_cohort_store(tmp_path / "store.duckdb")
    con.execute('CREATE TABLE sf_opportunityhistory ("Id" VARCHAR, "OpportunityId" VARCHAR,'
                ' "StageName" VARCHAR, "CreatedDate" TIMESTAMPTZ, "IsDeleted" BOOLEAN)')
    con.execute("INSERT INTO sf_opportunityhistory VALUES ('008X1', '006P1', 'Proposal',"
                " '2026-02-25 15:00:00+00', false), ('008X2', '006P4', 'Proposal',"
                " '2026-02-25 15:00:00+00', false)")
    proposals = Kpi(id="proposals", name="Proposals", tier="objectives", type="leading",
                    unit="count", source="OpportunityHistory", measure=Measure("count"),
                    filters=(Filter("StageName", "eq", "Proposal"),), date_field="CreatedDate",
                    credit_field="Opportunity.OwnerId")
    step = CohortStep(from_kpi="meetings", to_kpi="proposals", within_days=30, match="account",
                      from_field="AccountId", to_field="Opportunity.AccountId")
    config = replace(cohort_config(), kpis=(*cohort_config().kpis, proposals), cohorts=(step,))
    scorecard = compute(config, con, AS_OF)
    assert cohort(scorecard, FEB, "rep", ANN) == (3, 1, Decimal("0.3333"))
    assert cohort(scorecard, FEB, "org", "org") == (7, 1, Decimal("0.1429"))


def test_cohort_sql_binds_the_window_as_a_parameter(tmp_path):
    con = build_cohort_store(tmp_path / "store.duckdb")
    compiled = compile_cohort(cohort_config(17).cohorts[0], cohort_config(17),
                              table_columns(con))
    assert 17 in compiled.params.values()
    assert "17" not in compiled.sql and "'Meeting'" not in compiled.sql
    assert "ROW_NUMBER() OVER" in compiled.sql and "GROUPING SETS" in compiled.sql


def test_missing_key_field_says_to_sync(tmp_path):
    con = build_cohort_store(tmp_path / "store.duckdb")
    con.execute('ALTER TABLE sf_event DROP COLUMN "AccountId"')
    with pytest.raises(ComputeError) as caught:
        compute(cohort_config(), con, AS_OF)
    assert str(caught.value) == (
        "KPI 'meetings' (kpis.yaml line 0) uses Event.AccountId, which the store does not have: "
        "run `kpisync sync` to fetch the fields kpis.yaml now needs"
    )


def test_no_cohort_steps_give_no_results(tmp_path):
    from compute_fixtures import build_store, tiny_config

    con = build_store(tmp_path / "store.duckdb")
    assert compute(tiny_config(), con, AS_OF).cohorts == ()


@pytest.mark.parametrize(("part", "whole", "expected"),
                         [(0, 0, None), (0, 3, Decimal(0)), (2, 3, Decimal("0.6667"))])
def test_share_is_none_without_a_whole(part, whole, expected):
    assert share(part, whole) == expected


# Few days and accounts, so that ties, windows' edges and period ends come up often.
_DAYS = [date(2026, 1, 20), date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 20),
         date(2026, 2, 28), date(2026, 3, 2), date(2026, 3, 10), date(2026, 4, 1)]
meetings = st.lists(
    st.tuples(st.sampled_from([ANN, BOB, CAT, MGR]), st.sampled_from(_DAYS[:-1]),
              st.sampled_from(["001X1", "001X2", "001X3", None])),
    max_size=25,
)
opportunities = st.lists(
    st.tuples(st.sampled_from(_DAYS), st.sampled_from(["001X1", "001X2"])), max_size=15)


def _recount(events, opps, within_days, reps, period):
    """The cohort rules in plain Python: (base, converted) for ``reps`` in ``period``."""
    ids = [f"00UX{i:02}" for i in range(len(events))]
    converted = set()
    for day, account in opps:
        earlier = [(-e_day.toordinal(), event_id)
                   for event_id, (_, e_day, e_account) in zip(ids, events, strict=True)
                   if e_account == account and 0 <= (day - e_day).days <= within_days]
        if earlier:
            converted.add(min(earlier)[1])
    base = [event_id for event_id, (owner, day, _) in zip(ids, events, strict=True)
            if owner in reps and period.start <= day <= period.end]
    return len(base), sum(event_id in converted for event_id in base)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=meetings, opps=opportunities, within_days=st.integers(1, 40))
def test_cohorts_agree_with_a_plain_recount_and_add_up(tmp_path_factory, events, opps,
                                                      within_days):
    con = build_cohort_store(tmp_path_factory.mktemp("h") / "s.duckdb")
    con.execute("DELETE FROM sf_event")
    con.execute("DELETE FROM sf_opportunity WHERE \"AccountId\" IS NOT NULL")
    rows = {
        "INSERT INTO sf_event VALUES (?, ?, 'Meeting', ?, ?, false)":
            [(f"00UX{i:02}", owner, day, account) for i, (owner, day, account)
             in enumerate(events)],
        # 15:00 UTC is the same day in New York
        "INSERT INTO sf_opportunity VALUES (?, ?, NULL, false, false, ?, ?, false, ?)":
            [(f"006X{i:02}", CAT, utc(day.year, day.month, day.day, 15), day, account)
             for i, (day, account) in enumerate(opps)],
    }
    for statement, values in rows.items():
        if values:
            con.executemany(statement, values)
    config = cohort_config(within_days)
    # only the two KPIs the step reads, to keep each example quick
    config = replace(config, kpis=(config.kpi("meetings"), config.kpi("opps_created")))
    scorecard = compute(config, con, AS_OF)
    for period in (p for p in scorecard.periods if p.shown):
        for rep in scorecard.reps:
            found = cohort(scorecard, period.key, "rep", rep.id)
            assert found[:2] == _recount(events, opps, within_days, {rep.id}, period)
        org = cohort(scorecard, period.key, "org", "org")
        assert org[:2] == _recount(events, opps, within_days, {ANN, BOB, CAT, DAN}, period)
        teams = [cohort(scorecard, period.key, "team", t.id) for t in scorecard.teams]
        assert (sum(t[0] for t in teams), sum(t[1] for t in teams)) == org[:2]
