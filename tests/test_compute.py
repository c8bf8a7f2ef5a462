"""compute on a tiny org whose every number was worked out by hand (see compute_fixtures)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from compute_fixtures import ANN, AS_OF, BOB, CAT, DAN, MGR, build_store, tiny_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpisync.compute import compute
from kpisync.compute.measures import BUILTIN_MEASURES
from kpisync.compute.sql import compile_kpi
from kpisync.config.model import CascadeOptions
from kpisync.errors import ComputeError

FEB, MAR, YTD = "2026-02", "2026-03", "FY2026-YTD"


@pytest.fixture(scope="module")
def scorecard(tmp_path_factory):
    con = build_store(tmp_path_factory.mktemp("store") / "store.duckdb")
    return compute(tiny_config(), con, AS_OF)


def cell(scorecard, kpi, period, scope, scope_id):
    r = scorecard.result(kpi, period, scope, scope_id)
    return r.actual, r.target, r.attainment


def test_periods_are_window_then_fiscal_ytd(scorecard):
    assert [(p.key, p.start, p.end, p.is_current) for p in scorecard.shown_periods] == [
        (FEB, date(2026, 2, 1), date(2026, 2, 28), False),
        (MAR, date(2026, 3, 1), date(2026, 3, 31), True),
        (YTD, date(2026, 1, 1), date(2026, 3, 10), True),
    ]


def test_reps_are_team_members_only_in_team_then_name_order(scorecard):
    assert [(r.id, r.team_id, r.active) for r in scorecard.reps] == [
        (ANN, "sdr", True), (BOB, "sdr", True), (DAN, "sdr", False), (CAT, "ae", True),
    ]
    assert MGR not in {r.id for r in scorecard.reps}


@pytest.mark.parametrize(
    ("kpi", "period", "scope", "scope_id", "expected"),
    [
        # deleted 00T5 never counts; Ann's 2025-12-31 call is outside the window
        ("calls", FEB, "rep", ANN, (Decimal(2), Decimal(10), Decimal("0.2"))),
        ("calls", MAR, "rep", ANN, (Decimal(1), Decimal(10), Decimal("0.1"))),
        # the inactive rep's call counts for the team; only active reps carry a target
        ("calls", FEB, "team", "sdr", (Decimal(3), Decimal(20), Decimal("0.15"))),
        # team override: AE reps have a calls target of 4
        ("calls", FEB, "rep", CAT, (Decimal(0), Decimal(4), Decimal(0))),
        # Meg (a manager, on no team) is not a rep, but her 2026-03-01 call counts for the org
        # as unassigned (issue 8): Ann 1 + Bob 2 + Meg 1 = 4 calls; the target stays the reps'
        # 10 + 10 + Cat's 4 = 24, so 4 / 24
        ("calls", MAR, "org", "org", (Decimal(4), Decimal(24), Decimal("0.1667"))),
        # YTD target = 3 months x 10
        ("calls", YTD, "rep", ANN, (Decimal(3), Decimal(30), Decimal("0.1"))),
        # 120 s counts as a conversation, 119 s and a null duration do not
        ("conversations", MAR, "rep", ANN, (Decimal(1), Decimal(3), Decimal("0.3333"))),
        ("conversations", MAR, "rep", BOB, (Decimal(0), Decimal(5), Decimal(0))),
        ("conversations", FEB, "team", "sdr", (Decimal(2), Decimal(8), Decimal("0.25"))),
        # CreatedDate is put in a period by its New York date: 2026-02-01 03:00 UTC is January,
        # 2026-03-01 04:59 UTC is still February
        ("opps_created", FEB, "rep", CAT, (Decimal(3), Decimal(2), Decimal("1.5"))),
        ("opps_created", MAR, "rep", CAT, (Decimal(0), Decimal(2), Decimal(0))),
        ("opps_created", YTD, "rep", CAT, (Decimal(4), Decimal(6), Decimal("0.6667"))),
        ("revenue", MAR, "team", "ae", (Decimal("250.5"), Decimal(1000), Decimal("0.2505"))),
        # only the AE team tracks revenue: the org target is Cat's alone, x 3 months
        ("revenue", YTD, "org", "org", (Decimal("1250.5"), Decimal(3000), Decimal("0.4168"))),
        # SDRs do not track revenue: no target for them or their team
        ("revenue", MAR, "rep", ANN, (Decimal(0), None, None)),
        ("revenue", MAR, "team", "sdr", (Decimal(0), None, None)),
        # ratios in percent points; non-additive targets are the same at every scope
        ("win_rate", MAR, "rep", CAT, (Decimal(50), Decimal(50), Decimal(1))),
        ("win_rate", YTD, "org", "org", (Decimal("66.6667"), Decimal(50), Decimal("1.3333"))),
        ("win_rate", MAR, "rep", ANN, (None, None, None)),
        ("avg_deal", YTD, "team", "ae", (Decimal("625.25"), Decimal(500), Decimal("1.2505"))),
        ("avg_deal", MAR, "team", "sdr", (None, None, None)),
        # lower is better: attainment = target / actual
        ("cycle", FEB, "rep", CAT, (Decimal(11), Decimal(20), Decimal("1.8182"))),
        ("cycle", YTD, "org", "org", (Decimal("15.5"), Decimal(20), Decimal("1.2903"))),
        ("deals_won", MAR, "org", "org", (Decimal(1), None, None)),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_hand_computed_cells(scorecard, kpi, period, scope, scope_id, expected):
    assert cell(scorecard, kpi, period, scope, scope_id) == expected


def test_inactive_rep_has_actuals_but_no_target(scorecard):
    assert cell(scorecard, "calls", FEB, "rep", DAN) == (Decimal(1), None, None)


def test_on_pace_uses_share_of_running_period(scorecard):
    # 10 of 31 days of March elapsed: Ann's 1 conversation beats 3 x 10/31, 1 call misses 10 x 10/31
    assert scorecard.result("conversations", MAR, "rep", ANN).on_pace is True
    assert scorecard.result("calls", MAR, "rep", ANN).on_pace is False
    assert scorecard.result("calls", FEB, "rep", ANN).on_pace is None


def test_cascade_rates_are_next_over_previous(scorecard):
    # The org counts Meg's unassigned 300 s call (issue 8): YTD calls are Ann 3 + Bob 2 + Dan 1
    # + Cat 1 + Meg 1 = 8, conversations 00T2, 00T3, 00T8, 00TA and Meg's 00T9 = 5; 5 / 8, then
    # 4 opportunities / 5 conversations
    steps = {(s.from_kpi, s.to_kpi): s.rate for s in scorecard.cascade_for(YTD, "org", "org")}
    assert steps == {
        ("calls", "conversations"): Decimal("0.6250"),
        ("conversations", "opps_created"): Decimal("0.8000"),
        ("opps_created", "deals_won"): Decimal("0.5000"),
    }
    march = {(s.from_kpi, s.to_kpi): s.rate for s in scorecard.cascade_for(MAR, "org", "org")}
    assert march[("opps_created", "deals_won")] is None  # zero opportunities: no rate


def test_generated_sql_binds_values_as_parameters():
    config = tiny_config()
    kpi = config.kpi("conversations")
    measure = next(m for m in BUILTIN_MEASURES if m.name == "count")
    compiled = compile_kpi(
        kpi, measure=measure,
        columns={"Task": {"OwnerId": "reference", "TaskSubtype": "picklist",
                          "CallDurationInSeconds": "int", "ActivityDate": "date",
                          "IsDeleted": "boolean"}},
        timezone="America/New_York",
    )
    assert "'Call'" not in compiled.sql
    assert compiled.params == {"p1": "Call", "p2": 120}
    assert "GROUPING SETS" in compiled.sql


def test_missing_field_in_store_says_to_sync(tmp_path):
    con = build_store(tmp_path / "s.duckdb")
    con.execute('ALTER TABLE sf_task DROP COLUMN "CallDurationInSeconds"')
    with pytest.raises(ComputeError) as info:
        compute(tiny_config(), con, AS_OF)
    assert str(info.value) == (
        "KPI 'conversations' (kpis.yaml line 0) uses Task.CallDurationInSeconds, which the store "
        "does not have: run `kpisync sync` to fetch the fields kpis.yaml now needs"
    )


def test_empty_store_says_to_sync(tmp_path):
    import duckdb

    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    with pytest.raises(ComputeError, match="no Salesforce users yet: run `kpisync sync` first"):
        compute(tiny_config(), con, AS_OF)


calls = st.lists(
    st.tuples(st.sampled_from([ANN, BOB, DAN, CAT, MGR]),
              st.dates(date(2026, 1, 1), date(2026, 3, 31)),
              st.one_of(st.none(), st.integers(0, 900))),
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(extra=calls)
def test_team_totals_equal_sum_of_reps_org_adds_unassigned_and_never_drops(
    tmp_path_factory, extra
):
    con = build_store(tmp_path_factory.mktemp("h") / "s.duckdb")
    before = compute(tiny_config(), con, AS_OF)
    con.executemany(
        "INSERT INTO sf_task VALUES (?, ?, 'Call', ?, ?, false)",
        [(f"00TX{i}", owner, seconds, day) for i, (owner, day, seconds) in enumerate(extra)],
    )
    after = compute(tiny_config(), con, AS_OF)
    for period in after.periods:
        for kpi in ("calls", "conversations"):
            reps = {r.id: after.result(kpi, period.key, "rep", r.id).actual for r in after.reps}
            for team in after.teams:
                team_total = after.result(kpi, period.key, "team", team.id).actual
                assert team_total == sum(reps[r] for r in team.rep_ids)
            org = after.result(kpi, period.key, "org", "org").actual
            # Meg is on no team: her calls count for the org only, as unassigned
            unassigned = sum(o.records(kpi, period.key) for o in after.unassigned)
            assert org == sum(reps.values()) + unassigned
            assert org >= before.result(kpi, period.key, "org", "org").actual


# ---------------------------------------------------------------- scores, weakest link, funnel


def test_score_caps_and_weighs_the_tiers_a_team_tracks(scorecard):
    # Cat, Feb: revenue 1000/1000 = 1; objectives opps 1.5, win rate 2, deal size 2 and cycle
    # 1.8182 all capped at 1.5; calls 0/4 = 0. 0.5 x 1 + 0.3 x 1.5 + 0.2 x 0 = 0.95
    score = scorecard.score_for(FEB, "rep", CAT)
    assert score.value == Decimal("0.9500")
    assert score.by_tier == (("results", Decimal("1.0000")), ("objectives", Decimal("1.5000")),
                             ("activities", Decimal("0.0000")))
    assert score.kpis_counted == ("calls", "opps_created", "revenue", "win_rate", "avg_deal",
                                  "cycle")


def test_score_renormalises_over_the_tiers_with_attainment(scorecard):
    # Ann, Feb: only activities: calls 2/10 = 0.2 and conversations 1/3 = 0.3333 → 0.26665
    score = scorecard.score_for(FEB, "rep", ANN)
    assert (score.value, score.by_tier[0]) == (Decimal("0.2666"), ("results", None))


def test_inactive_rep_has_no_score(scorecard):
    assert scorecard.score_for(FEB, "rep", DAN).value is None


def test_org_score_counts_every_kpi_with_an_org_target(scorecard):
    # activities: calls 3/24 = 0.125, conversations 2/8 = 0.25 → 0.1875; deals_won has no target
    score = scorecard.score_for(FEB, "org", "org")
    assert score.value == Decimal("0.9875")
    assert "deals_won" not in score.kpis_counted


def test_default_min_sample_finds_no_weakest_link_in_a_tiny_org(scorecard):
    assert scorecard.weakest_links == ()


def test_weakest_link_and_reverse_funnel_from_compute(tmp_path):
    config = dataclasses.replace(
        tiny_config(), cascade_options=CascadeOptions(min_sample=1, goal="revenue",
                                                      per_deal="avg_deal"))
    card = compute(config, build_store(tmp_path / "s.duckdb"), AS_OF)
    # Ann, Feb: calls → conversations 1/2 = 0.5 against the SDR team's 2/3 = 0.6667
    link = card.weakest_link(FEB, "rep", ANN)
    assert (link.step, link.rate, link.reference_rate, link.ratio) == (
        "calls", Decimal("0.5000"), Decimal("0.6667"), Decimal("0.7500"))
    # Cat, YTD: 3000 / 625.25 = 4.8 → 5 deals; / 0.5 = 10 opportunities; / 4 = 2.5 → 3
    # conversations; / 1 = 3 calls
    funnel = card.reverse_funnel(YTD, "rep", CAT)
    assert (funnel.goal_value, funnel.per_deal) == (Decimal(3000), Decimal("625.25"))
    assert [(s.kpi_id, s.needed, s.rate_source) for s in funnel.steps] == [
        ("calls", 3, "rep"), ("conversations", 3, "rep"), ("opps_created", 10, "rep"),
        ("deals_won", 5, None),
    ]
    assert card.reverse_funnel(FEB, "rep", CAT) is None  # February is over
