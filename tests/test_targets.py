"""Targets: which entry applies, explicit targets, business-day scaling, ramp, team totals.

Every expected number is worked out by hand from the calendar in target_fixtures.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from target_fixtures import (
    AE,
    ANN,
    AUGUST,
    BOB,
    CAT,
    GONE,
    HOLIDAY_WEEK,
    JULY,
    JUNE,
    ORG,
    Q3,
    SDR,
    SEPTEMBER,
    calls,
    config,
    deal_size,
    override,
)

from kpisync.compute.model import Period
from kpisync.compute.scaling import Entry, round_target, scaled
from kpisync.compute.targets import TargetBook, attainment, resolve_group, resolve_rep
from kpisync.config.model import Org, Ramp, Target

D = Decimal


def rep(kpi, who, period, **changes):
    return resolve_rep(config(kpi, **changes), kpi, who, period)


# -- scaling from the default period ----------------------------------------------------------
def test_quarter_is_exactly_three_monthly_targets():
    assert rep(calls(), ANN, Q3).value == D(900)
    assert rep(calls(), ANN, Q3).source == "default per_rep (kpis.yaml line 12) × 3 months"


def test_month_is_the_per_rep_target_itself():
    assert rep(calls(), ANN, JULY) == resolve_rep(config(), calls(), ANN, JULY)
    assert rep(calls(), ANN, JULY).value == D(300)
    assert rep(calls(), ANN, JULY).source == "default per_rep (kpis.yaml line 12)"


def test_week_across_a_month_boundary_is_prorated_by_business_days():
    # 300 x 2/22 (June 29-30) + 300 x 2/22 (July 1-2; the 3rd is a holiday) = 1200/22
    result = rep(calls(), ANN, HOLIDAY_WEEK)
    assert result.value == D("54.5455")
    assert result.source == "default per_rep (kpis.yaml line 12), prorated by business days"


def test_named_month_target_feeds_the_scaling_of_longer_periods():
    target = Target(D(300), periods=((JULY.key, D(440)),), line=12)
    assert rep(calls(target), ANN, JULY).value == D(440)
    # 300 x 2/22 + 440 x 2/22 = 1480/22
    assert rep(calls(target), ANN, HOLIDAY_WEEK).value == D("67.2727")
    assert rep(calls(target), ANN, Q3).value == D(1040)
    assert rep(calls(target), ANN, Q3).source == (
        "default per_rep (kpis.yaml line 12) × 3 months (explicit 2026-07 included)")


def test_explicit_kind_target_beats_scaling():
    target = Target(D(300), per_period=(("quarter", D(850)), ("week", D(70))), line=12)
    assert rep(calls(target), ANN, Q3).value == D(850)
    assert rep(calls(target), ANN, Q3).source == (
        "explicit quarter target of the default target (kpis.yaml line 12)")
    assert rep(calls(target), ANN, HOLIDAY_WEEK).value == D(70)


def test_explicit_named_period_beats_the_kind_target():
    target = Target(D(300), per_period=(("quarter", D(850)),), periods=((Q3.key, D(1000)),))
    assert rep(calls(target), ANN, Q3).value == D(1000)
    assert rep(calls(target), ANN, Q3).source == "explicit 2026-Q3 target of the default target"


def test_custom_period_is_prorated_from_the_months_it_touches():
    # July 27-31 (5 of 22) and August 3-7 (5 of 21) business days
    campaign = Period("summer_push", "Summer push", "custom", date(2026, 7, 27), date(2026, 8, 9))
    assert rep(calls(), ANN, campaign).value == round_target(
        Fraction(300 * 5, 22) + Fraction(300 * 5, 21))
    assert rep(calls(), ANN, campaign).value == D("139.6104")


def test_year_to_date_counts_the_running_month_in_full():
    ytd = Period("FY2026-YTD", "FY2026 year to date", "ytd", date(2026, 1, 1),
                 date(2026, 7, 10), is_current=True)
    assert rep(calls(), ANN, ytd).value == D(2100)
    assert rep(calls(), ANN, ytd).source == "default per_rep (kpis.yaml line 12) × 7 months"


def test_default_period_without_business_days_is_prorated_by_calendar_days():
    org = Org(name="Closed Co", timezone="UTC", workdays=())
    week = Period("w", "w", "week", date(2026, 6, 29), date(2026, 7, 5))
    # 300 x 2/30 (June 29-30) + 300 x 5/31 (July 1-5)
    assert rep(calls(), ANN, week, org=org).value == round_target(
        Fraction(600, 30) + Fraction(1500, 31))


def test_averages_keep_the_same_target_at_every_period_length():
    assert rep(deal_size(), ANN, Q3).value == D(500)
    assert rep(deal_size(), ANN, HOLIDAY_WEEK).value == D(500)
    assert rep(deal_size(), ANN, Q3).source == "default per_rep (kpis.yaml line 30)"


# -- zero and missing targets ----------------------------------------------------------------
def test_zero_target_gives_no_attainment():
    kpi = calls(Target(D(0)))
    assert rep(kpi, ANN, JULY).value == D(0)
    assert attainment(kpi, D(12), D(0)) is None
    assert attainment(deal_size(Target(D(0), direction="lower")), D(12), D(0)) is None


def test_no_per_rep_and_no_explicit_target_means_no_target():
    kpi = calls(Target(None, periods=((JULY.key, D(440)),)))
    assert rep(kpi, ANN, JULY).value == D(440)
    assert rep(kpi, ANN, Q3).value is None


def test_inactive_rep_has_no_target():
    assert rep(calls(), GONE, JULY).value is None


# -- overrides -------------------------------------------------------------------------------
ALL_LEVELS = (
    override("region", "East", 100, 40),
    override("segment", "SMB", 110, 41),
    override("team", "ae", 120, 42),
    override("role", "AE East", 130, 43),
    override("rep", "ann@x.example", 140, 44),
)


@pytest.mark.parametrize(
    ("levels", "value", "source"),
    [
        (5, 140, "rep ann@x.example override (kpis.yaml line 44)"),
        (4, 130, "role AE East override (kpis.yaml line 43)"),
        (3, 120, "team ae override (kpis.yaml line 42)"),
        (2, 110, "segment SMB override (kpis.yaml line 41)"),
        (1, 100, "region East override (kpis.yaml line 40)"),
        (0, 300, "default per_rep (kpis.yaml line 12)"),
    ],
    ids=["rep", "role", "team", "segment", "region", "default"],
)
def test_most_specific_override_wins_and_is_reported(levels, value, source):
    kpi = calls(Target(D(300), overrides=ALL_LEVELS[:levels][::-1], line=12))
    assert rep(kpi, ANN, JULY) == type(rep(kpi, ANN, JULY))(D(value), source)


def test_rep_override_matches_a_user_id_too():
    kpi = calls(Target(D(300), overrides=(override("rep", ANN.id[:15], 7, 9),)))
    assert rep(kpi, ANN, JULY).value == D(7)


def test_role_override_skips_reps_with_another_role():
    kpi = calls(Target(D(300), overrides=(override("role", "AE East", 130, 43),)))
    assert (rep(kpi, ANN, JULY).value, rep(kpi, BOB, JULY).value) == (D(130), D(300))


def test_override_brings_its_own_explicit_period_targets():
    enterprise = override("segment", "SMB", 110, 41, per_period={"quarter": 1000})
    kpi = calls(Target(D(300), per_period=(("quarter", D(850)),), overrides=(enterprise,)))
    assert rep(kpi, ANN, Q3).value == D(1000)
    assert rep(kpi, ANN, Q3).source == (
        "explicit quarter target of the segment SMB override (kpis.yaml line 41)")
    assert rep(kpi, CAT, Q3).value == D(850)


def test_team_override_sets_an_average_target_for_the_team():
    kpi = deal_size(Target(D(500), overrides=(override("team", "ae", 900, 31),)))
    team = resolve_group(config(kpi), kpi, [ANN, BOB], Q3, AE)
    assert team == type(team)(D(900), "team ae override (kpis.yaml line 31)")


# -- the ramp --------------------------------------------------------------------------------
RAMP = Ramp(months=(D(25), D(50), D(75)))
NEW_ANN = replace(ANN, start_date=date(2026, 6, 15))


@pytest.mark.parametrize(
    ("period", "value"),
    [
        # month 1 from Monday the 15th: 25 % of 12 of June's 22 business days
        (JUNE, round_target(Fraction(300 * 25 * 12, 100 * 22))),
        (JULY, D(150)),  # month 2: 50 %
        (AUGUST, D(225)),  # month 3: 75 %
        (SEPTEMBER, D(300)),  # month 4: full target
        (Q3, D(675)),  # the quarter sums its months' ramped targets
    ],
    ids=["june", "july", "august", "september", "q3"],
)
def test_ramp_by_month_of_tenure(period, value):
    assert rep(calls(), NEW_ANN, period, ramp=RAMP).value == value


def test_ramp_is_named_in_the_source_while_it_applies():
    assert rep(calls(), NEW_ANN, Q3, ramp=RAMP).source == (
        "default per_rep (kpis.yaml line 12) × 3 months; new-hire ramp from 2026-06-15")
    later = Period("2026-10", "Oct 2026", "month", date(2026, 10, 1), date(2026, 10, 31))
    assert rep(calls(), NEW_ANN, later, ramp=RAMP).source == "default per_rep (kpis.yaml line 12)"


def test_configured_start_date_beats_created_date():
    ramp = Ramp(months=RAMP.months, start_dates=(("ANN@x.example", date(2026, 7, 1)),))
    assert rep(calls(), NEW_ANN, JULY, ramp=ramp).value == D(75)  # month 1: 25 %


def test_no_start_date_means_no_ramp():
    assert rep(calls(), ANN, JULY, ramp=RAMP).value == D(300)


def test_kpi_ramp_replaces_the_top_level_one_and_empty_months_turn_it_off():
    own = calls(Target(D(300), ramp=Ramp(months=(D(10),))))
    assert rep(own, NEW_ANN, JUNE, ramp=RAMP).value == round_target(Fraction(300 * 12, 10 * 22))
    off = calls(Target(D(300), ramp=Ramp(months=())))
    assert rep(off, NEW_ANN, JULY, ramp=RAMP).value == D(300)


def test_ramp_leaves_averages_alone():
    assert rep(deal_size(), NEW_ANN, JULY, ramp=RAMP).value == D(500)


# -- teams and the org -----------------------------------------------------------------------
def test_team_target_is_the_sum_of_its_active_reps():
    team = resolve_group(config(), calls(), [ANN, BOB, GONE], Q3, AE)
    assert team == type(team)(D(1800), "sum of 2 reps' targets")


def test_explicit_team_total_is_scaled_like_a_rep_target():
    kpi = calls(Target(D(300), team_totals=(("ae", D(5000)),)))
    assert resolve_group(config(kpi), kpi, [ANN, BOB], Q3, AE).value == D(15000)
    week = resolve_group(config(kpi), kpi, [ANN, BOB], HOLIDAY_WEEK, AE)
    assert week.value == round_target(Fraction(5000 * 4, 22))
    assert week.source == "explicit team total (team_totals), prorated by business days"


def test_org_target_is_the_sum_of_its_teams():
    kpi = calls(Target(D(300), team_totals=(("ae", D(5000)),)))
    org = resolve_group(config(kpi), kpi, [ANN, BOB, CAT], JULY, None)
    assert org == type(org)(D(5300), "sum of 2 teams' targets")


def test_team_that_does_not_track_the_kpi_adds_nothing_to_the_org():
    kpi = deal_size()
    assert resolve_group(config(kpi), kpi, [CAT], JULY, SDR).value is None


# -- properties ------------------------------------------------------------------------------
QUARTER_START, QUARTER_END = date(2026, 7, 1), date(2026, 9, 30)


@st.composite
def tilings(draw):
    """Cut points splitting Q3 into consecutive pieces (weeks, odd lengths, single days)."""
    days = (QUARTER_END - QUARTER_START).days
    cuts = sorted(draw(st.sets(st.integers(1, days), max_size=20)))
    starts = [QUARTER_START] + [QUARTER_START + timedelta(days=c) for c in cuts]
    ends = [s - timedelta(days=1) for s in starts[1:]] + [QUARTER_END]
    pairs = enumerate(zip(starts, ends, strict=True))
    return [Period(f"p{i}", "", "custom", s, e) for i, (s, e) in pairs]


AMOUNTS = st.decimals(min_value=0, max_value=10**7, places=2)
HOLIDAYS = st.lists(st.dates(QUARTER_START, QUARTER_END), max_size=8)
WORKDAYS = st.sets(st.integers(0, 6), min_size=0, max_size=7).map(lambda s: tuple(sorted(s)))


@settings(max_examples=150, deadline=None)
@given(tilings(), AMOUNTS, st.dictionaries(st.sampled_from(["2026-07", "2026-08", "2026-09"]),
                                           AMOUNTS), HOLIDAYS, WORKDAYS)
def test_scaled_targets_add_up(pieces, per_rep, named, holidays, workdays):
    """The exact targets of pieces tiling a quarter sum to the quarter's; each rounds once to
    4 places, so the rounded pieces are within half a unit of the 4th place each."""
    org = Org(name="P", timezone="UTC", holidays=tuple(holidays), workdays=workdays)
    entry = Entry(per_rep, (), tuple(named.items()), "default")
    quarter = Period("2026-Q3", "", "quarter", QUARTER_START, QUARTER_END)
    whole, _ = scaled(org, entry, quarter)
    parts = [scaled(org, entry, p)[0] for p in pieces]
    assert sum(parts, Fraction(0)) == whole
    rounded = sum((round_target(p) for p in parts), Decimal(0))
    assert abs(rounded - round_target(whole)) <= Decimal("0.00005") * (len(pieces) + 1)


@settings(max_examples=100, deadline=None)
@given(AMOUNTS, st.dictionaries(st.sampled_from(["2026-07", "2026-08", "2026-09"]), AMOUNTS))
def test_months_of_a_quarter_add_up_to_the_cent(per_rep, named):
    entry = Entry(per_rep, (), tuple(named.items()), "default")
    months = [JULY, AUGUST, SEPTEMBER]
    total = sum((round_target(scaled(ORG, entry, m)[0]) for m in months), Decimal(0))
    assert total == round_target(scaled(ORG, entry, Q3)[0])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([ANN, BOB, GONE, replace(BOB, id="005000000000009",
                                                          username="zed@x.example",
                                                          start_date=date(2026, 7, 20))]),
                unique=True),
       st.lists(st.tuples(st.sampled_from(["team", "role", "rep", "segment"]),
                          st.integers(0, 500)), max_size=3, unique_by=lambda t: t[0]),
       st.sampled_from([JULY, Q3, HOLIDAY_WEEK]))
def test_team_target_is_the_sum_of_its_reps_when_not_explicit(members, overrides, period):
    matches = {"team": "ae", "role": "AE West", "rep": "bob@x.example", "segment": "SMB"}
    kpi = calls(Target(D(300), overrides=tuple(override(s, matches[s], n, 1)
                                                for s, n in overrides)))
    cfg = config(kpi, ramp=RAMP)
    reps = [resolve_rep(cfg, kpi, r, period).value for r in members]
    team = resolve_group(cfg, kpi, members, period, AE).value
    known = [v for v in reps if v is not None]
    assert team == (sum(known, Decimal(0)) if known else None)


def test_weekly_default_period_with_sunday_weeks_prorates_the_straddling_week():
    # Sunday weeks: May 31-Jun 6 .. Jun 21-27 lie wholly in June's business days (4 x 70);
    # Jun 28-Jul 4 has 4 business days (the 3rd is a holiday), 2 of them in June: 70 x 2/4
    org = replace(ORG, default_period="week", week_start=6)
    assert rep(calls(Target(D(70))), ANN, JUNE, org=org).value == D(315)
    named = Target(D(70), periods=(("wk-2026-06-28", D(100)),))
    assert rep(calls(named), ANN, JUNE, org=org).value == D(330)


def test_one_book_gives_a_mover_each_period_the_override_of_that_periods_team():
    # Ann is on SDR at the end of June and on AE at the end of July: June's target is SDR's
    # override, July's AE's, from one TargetBook asked in either order
    kpi = calls(Target(D(300), overrides=(override("team", "sdr", 200, 40),
                                          override("team", "ae", 400, 41))))
    book = TargetBook(config(kpi))
    on_sdr, on_ae = replace(ANN, team_id="sdr"), replace(ANN, team_id="ae")
    assert book.rep(kpi, on_ae, JULY).value == D(400)
    assert book.rep(kpi, on_sdr, JUNE).value == D(200)
    assert book.rep(kpi, on_sdr, JUNE).source == "team sdr override (kpis.yaml line 40)"
    # and the same period asked for as placed on another team is that team's
    assert book.rep(kpi, on_sdr, JULY).value == D(200)
