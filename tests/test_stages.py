"""The opportunity stage analysis on hand-computed history (see cohort_fixtures.HISTORY).

Every opportunity is Cat's, so Cat, the AE team and the org agree; Ann has none. Stages:
Prospecting, Qualification, Proposal, Closed Won. Local days are New York days.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from cohort_fixtures import build_stage_store, stage_config, with_dated
from compute_fixtures import ANN, AS_OF, CAT, build_store, tiny_config

from kpisync.compute import compute
from kpisync.config.model import DatedMember
from kpisync.errors import ComputeError

FEB, MAR, YTD = "2026-02", "2026-03", "FY2026-YTD"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    con = build_stage_store(tmp_path_factory.mktemp("stages") / "store.duckdb")
    return compute(stage_config(), con, AS_OF).stages


def conversion(report, stage, period, scope="rep", scope_id=CAT):
    (found,) = [c for c in report.conversions if (c.from_stage, c.period_key, c.scope,
                                                  c.scope_id) == (stage, period, scope, scope_id)]
    return found.to_stage, found.reached, found.advanced, found.rate


@pytest.mark.parametrize(
    ("stage", "period", "expected"),
    [
        # 006B skips Qualification (passed it), 006C is lost from Prospecting (did not),
        # 006D entered on Feb 28 at 23:59 New York; 006A's entry was Jan 31 local
        ("Prospecting", FEB, ("Qualification", 3, 2, Decimal("0.6667"))),
        ("Qualification", FEB, ("Proposal", 1, 1, Decimal(1))),
        ("Proposal", FEB, ("Closed Won", 2, 2, Decimal(1))),
        # 006D fell back to Prospecting on Mar 6 and has not moved since; the deleted 006E
        # is nowhere
        ("Prospecting", MAR, ("Qualification", 1, 0, Decimal(0))),
        # 006D went back rather than on; 006F's March row repeats the stage it entered in
        # January, so 006F did not reach Qualification in March
        ("Qualification", MAR, ("Proposal", 1, 0, Decimal(0))),
        ("Proposal", MAR, ("Closed Won", 0, 0, None)),
        # 006D counts once though it entered Prospecting twice, and it advanced after the first
        ("Prospecting", YTD, ("Qualification", 4, 3, Decimal("0.75"))),
        # 006F's later row in the same stage is not a step forward
        ("Qualification", YTD, ("Proposal", 3, 1, Decimal("0.3333"))),
    ],
)
def test_hand_computed_stage_conversion(report, stage, period, expected):
    assert conversion(report, stage, period) == expected


def test_stage_conversion_is_credited_to_the_owner_at_every_scope(report):
    assert conversion(report, "Prospecting", FEB, "team", "ae") == \
        conversion(report, "Prospecting", FEB, "org", "org") == \
        conversion(report, "Prospecting", FEB)
    assert conversion(report, "Prospecting", FEB, "rep", ANN) == ("Qualification", 0, 0, None)


def test_the_last_stage_converts_into_nothing(report):
    assert {c.from_stage for c in report.conversions} == {"Prospecting", "Qualification",
                                                          "Proposal"}


def time_in(report, stage, period):
    (found,) = [t for t in report.times
                if (t.stage, t.period_key, t.scope, t.scope_id) == (stage, period, "rep", CAT)]
    return found.exits, found.average_days


@pytest.mark.parametrize(
    ("stage", "period", "expected"),
    [
        # stays that ended in February: 006A 3 days (Jan 31 to Feb 3), 006B 10 days
        ("Prospecting", FEB, (2, Decimal("6.5"))),
        # 006A Feb 3 to Feb 8: the same-stage row of Feb 5 neither ends nor restarts the stay
        ("Qualification", FEB, (1, Decimal(5))),
        ("Proposal", FEB, (1, Decimal(3))),
        # 006C 20 days, 006D 5; 006D's stay since Mar 6 has not ended
        ("Prospecting", MAR, (2, Decimal("12.5"))),
        ("Qualification", MAR, (1, Decimal(1))),
        # 006B Feb 20 to Mar 2 counts for March, when it ended
        ("Proposal", MAR, (1, Decimal(10))),
        # a won deal never leaves Closed Won
        ("Closed Won", MAR, (0, None)),
        # with 006A 3, 006B 10 and 006F 36 (Dec 15 to Jan 20)
        ("Prospecting", YTD, (5, Decimal("14.8"))),
        ("Qualification", YTD, (2, Decimal(3))),
    ],
)
def test_hand_computed_days_in_stage(report, stage, period, expected):
    assert time_in(report, stage, period) == expected


def flow(report, period, scope="rep", scope_id=CAT):
    (found,) = [f for f in report.pipeline if (f.period_key, f.scope, f.scope_id) ==
                (period, scope, scope_id)]
    return (found.created_count, found.created_amount, found.won_count, found.won_amount,
            found.lost_count, found.lost_amount)


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        # created 006B 250.50, 006C 700, 006D (no amount); 006A closed won
        (FEB, (3, Decimal("950.50"), 1, Decimal(1000), 0, Decimal(0))),
        # nothing created; 006B won, 006C lost; the deleted 006E is nowhere
        (MAR, (0, Decimal(0), 1, Decimal("250.50"), 1, Decimal(700))),
        # 006A was created on Jan 31 local; 006F last December
        (YTD, (4, Decimal("1950.50"), 2, Decimal("1250.50"), 1, Decimal(700))),
    ],
)
def test_hand_computed_pipeline_created_and_closed(report, period, expected):
    assert flow(report, period) == expected


def test_pipeline_of_a_rep_without_opportunities_is_zero(report):
    assert flow(report, FEB, "rep", ANN) == (0, Decimal(0), 0, Decimal(0), 0, Decimal(0))


def test_every_period_and_scope_is_reported(report):
    scopes = 3 * (4 + 2 + 1)
    assert (len(report.conversions), len(report.times), len(report.pipeline)) == \
        (3 * scopes, 4 * scopes, scopes)


def test_without_stages_there_is_no_stage_analysis(tmp_path):
    report = compute(tiny_config(), build_store(tmp_path / "s.duckdb"), AS_OF).stages
    assert (report.conversions, report.times, report.pipeline) == ((), (), ())


def test_missing_history_says_to_sync(tmp_path):
    with pytest.raises(ComputeError) as caught:
        compute(stage_config(), build_store(tmp_path / "s.duckdb"), AS_OF)
    assert str(caught.value) == (
        "the stage analysis (stages in kpis.yaml) reads OpportunityHistory.Id, which the store "
        "does not have: run `kpisync sync` to fetch the fields kpis.yaml now needs"
    )


@pytest.fixture(scope="module")
def moved_report(tmp_path_factory):
    """Cat on SDR from Feb 1 to Feb 11, on AE (by username) before and after."""
    on_sdr = DatedMember("username", "cat@tiny.example", date(2026, 2, 1), date(2026, 2, 11), 9)
    con = build_stage_store(tmp_path_factory.mktemp("moved") / "store.duckdb")
    return compute(with_dated(stage_config(), "sdr", on_sdr), con, AS_OF).stages


@pytest.mark.parametrize(
    ("stage", "scope", "scope_id", "expected"),
    [
        # Cat's own figures are whole: as in test_hand_computed_stage_conversion
        ("Prospecting", "rep", CAT, ("Qualification", 3, 2, Decimal("0.6667"))),
        ("Proposal", "rep", CAT, ("Closed Won", 2, 2, Decimal(1))),
        # on SDR: 006B entered Prospecting on Feb 10 and advanced; 006A entered Proposal on
        # Feb 8 and won
        ("Prospecting", "team", "sdr", ("Qualification", 1, 1, Decimal(1))),
        ("Proposal", "team", "sdr", ("Closed Won", 1, 1, Decimal(1))),
        # back on AE: 006C (lost) and 006D (qualified on Mar 5); 006B's Proposal of Feb 20
        ("Prospecting", "team", "ae", ("Qualification", 2, 1, Decimal("0.5"))),
        ("Proposal", "team", "ae", ("Closed Won", 1, 1, Decimal(1))),
    ],
)
def test_a_rep_who_moved_team_has_one_row_and_each_team_its_days(moved_report, stage, scope,
                                                                   scope_id, expected):
    assert conversion(moved_report, stage, FEB, scope, scope_id) == expected


@pytest.mark.parametrize(
    ("scope", "scope_id", "expected"),
    [
        ("rep", CAT, (3, Decimal("950.50"), 1, Decimal(1000), 0, Decimal(0))),
        # 006B created on Feb 10 and 006A won on Feb 11, Cat's last day on SDR
        ("team", "sdr", (1, Decimal("250.50"), 1, Decimal(1000), 0, Decimal(0))),
        # 006C and 006D (no amount) created on Feb 12 and Feb 28
        ("team", "ae", (2, Decimal(700), 0, Decimal(0), 0, Decimal(0))),
    ],
)
def test_a_movers_pipeline_is_split_by_team_and_whole_for_the_rep(moved_report, scope,
                                                                  scope_id, expected):
    assert flow(moved_report, FEB, scope, scope_id) == expected
