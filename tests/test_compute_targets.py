"""Targets, pacing and ranks through compute() on the tiny org of compute_fixtures.

As of Tuesday 2026-03-10, 7 of March's 22 business days have elapsed (2-6, 9, 10).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from compute_fixtures import ANN, AS_OF, BOB, CAT, DAN, build_store, tiny_config

from kpisync.compute import compute
from kpisync.config.model import Ramp
from kpisync.site.build import environment
from kpisync.site.page_views import rep_page, team_page
from kpisync.site.views import Site

FEB, MAR, YTD = "2026-02", "2026-03", "FY2026-YTD"
D = Decimal
GENERATED = datetime(2026, 3, 10, 13, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def scorecard(tmp_path_factory):
    con = build_store(tmp_path_factory.mktemp("store") / "store.duckdb")
    return compute(tiny_config(), con, AS_OF)


@pytest.mark.parametrize(
    ("kpi", "period", "scope", "scope_id", "source"),
    [
        ("calls", FEB, "rep", ANN, "default per_rep"),
        ("calls", YTD, "rep", ANN, "default per_rep × 3 months"),
        ("calls", FEB, "rep", CAT, "team ae override"),
        ("conversations", MAR, "rep", BOB, "rep bob@tiny.example override"),
        ("calls", FEB, "team", "sdr", "sum of 2 reps' targets"),
        ("calls", FEB, "org", "org", "sum of 2 teams' targets"),
        ("revenue", FEB, "org", "org", "sum of 1 team's targets"),
        ("win_rate", MAR, "team", "ae", "default per_rep"),
        ("calls", FEB, "rep", DAN, None),
    ],
)
def test_every_result_says_where_its_target_came_from(scorecard, kpi, period, scope, scope_id,
                                                       source):
    assert scorecard.result(kpi, period, scope, scope_id).target_source == source


def test_running_period_is_paced_on_business_days(scorecard):
    # target 10 x 7/22 = 3.1818 expected; 1 call so far projects to 1 x 22/7
    ann = scorecard.result("calls", MAR, "rep", ANN)
    assert (ann.expected, ann.pace, ann.projected, ann.on_pace) == (
        D("3.1818"), "behind", D("3.1429"), False)


def test_closed_period_has_no_pace(scorecard):
    ann = scorecard.result("calls", FEB, "rep", ANN)
    assert (ann.expected, ann.pace, ann.projected, ann.on_pace) == (None, None, None, None)


def test_reps_are_ranked_on_attainment(scorecard):
    # March calls: Bob 2/10, Ann 1/10, Cat 0/4; Dan is inactive and has no target
    ranks = {r: (scorecard.result("calls", MAR, "rep", r).rank_in_team,
                 scorecard.result("calls", MAR, "rep", r).rank_in_org)
             for r in (ANN, BOB, CAT, DAN)}
    assert ranks == {ANN: (2, 2), BOB: (1, 1), CAT: (1, 3), DAN: (None, None)}


def test_created_date_starts_the_ramp_in_the_org_timezone(tmp_path):
    con = build_store(tmp_path / "store.duckdb")
    con.execute('ALTER TABLE sf_user ADD COLUMN "CreatedDate" TIMESTAMPTZ')
    # 04:00 UTC on 2 March is still 1 March in New York: March is Ann's first month
    con.execute("""UPDATE sf_user SET "CreatedDate" = CASE "Id"
        WHEN '005A' THEN TIMESTAMPTZ '2026-03-02 04:00:00+00'
        ELSE TIMESTAMPTZ '2020-01-01 00:00:00+00' END""")
    config = replace(tiny_config(), ramp=Ramp(months=(D(50),)))
    card = compute(config, con, AS_OF)
    assert [r.start_date for r in card.reps if r.id == ANN] == [date(2026, 3, 1)]
    ann_feb, ann_mar = (card.result("calls", p, "rep", ANN) for p in (FEB, MAR))
    assert (ann_feb.target, ann_feb.attainment) == (D(0), None)
    assert ann_mar.target == D(5)
    assert ann_mar.target_source == "default per_rep; new-hire ramp from 2026-03-01"
    assert card.result("calls", MAR, "team", "sdr").target == D(15)


def test_store_without_created_date_has_no_start_dates(scorecard):
    assert {r.start_date for r in scorecard.reps} == {None}


def test_rep_page_shows_the_target_source(scorecard):
    site = Site(scorecard, GENERATED)
    cat = next(r for r in scorecard.reps if r.id == CAT)
    page = rep_page(site, cat)
    calls = next(c for t in page.scope.tiers for c in t.cards if c.kpi_id == "calls")
    assert calls.target_source == "Target source: team ae override"
    html = environment().get_template("rep.html").render(page=page)
    assert '<p class="card-target-source">Target source: team ae override</p>' in html


def test_team_page_shows_no_target_source(scorecard):
    team = next(t for t in scorecard.teams if t.id == "sdr")
    page = team_page(Site(scorecard, GENERATED), team)
    assert {c.target_source for t in page.scope.tiers for c in t.cards} == {""}
