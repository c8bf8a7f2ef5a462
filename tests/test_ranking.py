"""Ranks on attainment within the team and the org: ties, unranked reps, inactive reps."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from target_fixtures import ANN, BOB, CAT, GONE, JULY, JUNE

from kpisync.compute.model import KpiResult
from kpisync.compute.ranking import with_ranks

RUNNING_JULY = replace(JULY, is_current=True)


def result(rep, attainment, period=RUNNING_JULY, kpi="calls", scope="rep"):
    value = None if attainment is None else Decimal(attainment)
    return KpiResult(kpi, period.key, scope, rep.id, rep.name, Decimal(1), Decimal(1), value)


def ranks(results, periods=(JUNE, RUNNING_JULY)):
    ranked = with_ranks(results, [ANN, BOB, CAT, GONE], periods)
    return [(r.scope_id, r.rank_in_team, r.rank_in_org) for r in ranked]


def test_best_attainment_ranks_first_in_team_and_org():
    assert ranks([result(ANN, "0.8"), result(BOB, "1.2"), result(CAT, "1.0")]) == [
        (ANN.id, 2, 3), (BOB.id, 1, 1), (CAT.id, 1, 2)]


def test_ties_share_a_rank_and_the_next_rank_skips():
    assert ranks([result(ANN, "1.1"), result(BOB, "1.1"), result(CAT, "0.5")]) == [
        (ANN.id, 1, 1), (BOB.id, 1, 1), (CAT.id, 1, 3)]


def test_reps_without_attainment_are_unranked():
    assert ranks([result(ANN, None), result(BOB, "0.2")]) == [
        (ANN.id, None, None), (BOB.id, 1, 1)]


def test_inactive_rep_is_not_ranked_in_a_running_period():
    assert ranks([result(GONE, "2.0"), result(ANN, "1.0")]) == [
        (GONE.id, None, None), (ANN.id, 1, 1)]


def test_inactive_rep_keeps_a_rank_in_a_past_period():
    assert ranks([result(GONE, "2.0", JUNE), result(ANN, "1.0", JUNE)]) == [
        (GONE.id, 1, 1), (ANN.id, 2, 2)]


def test_each_kpi_and_period_is_ranked_separately():
    assert ranks([result(ANN, "0.5"), result(BOB, "0.9", kpi="emails"),
                  result(BOB, "0.1", JUNE)]) == [(ANN.id, 1, 1), (BOB.id, 1, 1), (BOB.id, 1, 1)]


def test_team_and_org_results_get_no_rank():
    team = KpiResult("calls", JULY.key, "team", "ae", "AE", Decimal(1), Decimal(1), Decimal(1))
    assert ranks([team, result(ANN, "1")]) == [("ae", None, None), (ANN.id, 1, 1)]
