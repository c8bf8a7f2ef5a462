"""Ranks on attainment: reps in different segments and regions compare fairly on the share of
their own target they reached, not on raw numbers (an enterprise AE's 2 deals against a target
of 1 beat an SMB AE's 9 against 12).

Per KPI and period: 1 is the best attainment (already inverted where lower is better), ties
share a rank and the next rank skips (1, 1, 3). Reps without attainment are not ranked, nor
are inactive reps in a running period (they are off the current leaderboard, but a past
period's ranking stays as it was). A rep is ranked within the team they are on now.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

from kpisync.compute.model import Rep

#: rep id -> (rank in team, rank in org)
Ranks = dict[str, tuple[int, int]]


def rank_reps(attainments: Mapping[str, Decimal | None], reps: Mapping[str, Rep],
              running: bool) -> Ranks:
    """The ranks of one KPI and period, from each rep's attainment (``reps`` by id; a
    ``running`` period leaves inactive reps out)."""
    ranked = {
        rep_id: value for rep_id, value in attainments.items()
        if value is not None and rep_id in reps and (reps[rep_id].active or not running)
    }
    in_org = _competition_ranks(ranked)
    teams: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for rep_id, value in ranked.items():
        teams[reps[rep_id].team_id][rep_id] = value
    in_team: dict[str, int] = {}
    for members in teams.values():
        in_team.update(_competition_ranks(members))
    return {rep_id: (in_team[rep_id], in_org[rep_id]) for rep_id in ranked}


def _competition_ranks(values: Mapping[str, Decimal]) -> dict[str, int]:
    """id → 1 + the number of ids with a strictly better value."""
    first: dict[Decimal, int] = {}
    for index, value in enumerate(sorted(values.values(), reverse=True)):
        first.setdefault(value, index + 1)
    return {key: first[value] for key, value in values.items()}
