"""References to KPIs that are not defined: the suggestion a person needs to fix them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpisync.config import parse_config
from kpisync.errors import ConfigError

SAMPLE = (Path(__file__).resolve().parent.parent / "kpis.yaml").read_text()
SDR_EAST_KPIS = "kpis: [calls, conversations, meetings_booked, meetings_held]"


def first_problem(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    return str(caught.value.problems[0])


@pytest.mark.parametrize(
    ("written", "suggested"),
    [
        ("cals", "calls"),                   # a typo: spelling distance
        ("revenue", "closed_won_revenue"),   # a shortened id: the one KPI it is part of
    ],
)
def test_unknown_team_kpi_gets_a_did_you_mean(written, suggested):
    text = SAMPLE.replace(SDR_EAST_KPIS, SDR_EAST_KPIS.replace("calls,", f"{written},"), 1)
    assert first_problem(text) == (
        f"kpis.yaml:33:12: teams[sdr_east].kpis[0]: '{written}' is not a defined KPI — did you "
        f"mean '{suggested}'?"
    )


def test_unknown_team_kpi_without_a_close_one_lists_them_all():
    text = SAMPLE.replace(SDR_EAST_KPIS, SDR_EAST_KPIS.replace("calls,", "zzz,"), 1)
    assert first_problem(text) == (
        "kpis.yaml:33:12: teams[sdr_east].kpis[0]: 'zzz' is not a defined KPI — expected one of: "
        "average_deal_size, calls, closed_won_revenue, conversations, deals_closed, deals_won, "
        "emails, meetings_booked, meetings_held, opportunities_created, pipeline_created, "
        "sales_cycle_length, win_rate"
    )


def test_a_part_shared_by_several_kpis_suggests_none_of_them():
    # 'won' is part of deals_won and closed_won_revenue: guessing one would mislead
    text = SAMPLE.replace(SDR_EAST_KPIS, SDR_EAST_KPIS.replace("calls,", "won,"), 1)
    assert "— did you mean" not in first_problem(text)
