"""Ranks on attainment within the team and the org: ties, unranked reps, inactive reps."""

from __future__ import annotations

from decimal import Decimal

from target_fixtures import ANN, BOB, CAT, GONE

from kpisync.compute.ranking import rank_reps

REPS = {rep.id: rep for rep in (ANN, BOB, CAT, GONE)}


def ranks(attainments, running=True):
    values = {rep.id: None if value is None else Decimal(value) for rep, value in attainments}
    return rank_reps(values, REPS, running=running)


def test_best_attainment_ranks_first_in_team_and_org():
    assert ANN.team_id == BOB.team_id != CAT.team_id
    assert ranks([(ANN, "0.8"), (BOB, "1.2"), (CAT, "1.0")]) == {
        ANN.id: (2, 3), BOB.id: (1, 1), CAT.id: (1, 2)}


def test_ties_share_a_rank_and_the_next_rank_skips():
    assert ranks([(ANN, "1.1"), (BOB, "1.1"), (CAT, "0.5")]) == {
        ANN.id: (1, 1), BOB.id: (1, 1), CAT.id: (1, 3)}


def test_reps_without_attainment_are_unranked():
    assert ranks([(ANN, None), (BOB, "0.2")]) == {BOB.id: (1, 1)}


def test_inactive_rep_is_not_ranked_in_a_running_period():
    assert ranks([(GONE, "2.0"), (ANN, "1.0")]) == {ANN.id: (1, 1)}


def test_inactive_rep_keeps_a_rank_in_a_past_period():
    assert ranks([(GONE, "2.0"), (ANN, "1.0")], running=False) == {
        GONE.id: (1, 1), ANN.id: (2, 2)}


def test_unknown_ids_are_not_ranked():
    assert rank_reps({"005nobody": Decimal(1), ANN.id: Decimal("0.5")}, REPS,
                     running=False) == {ANN.id: (1, 1)}
