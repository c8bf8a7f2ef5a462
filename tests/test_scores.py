"""The tier-weighted score from per-KPI attainments, worked out by hand (no store needed)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kpisync.compute.scores import tier_score
from kpisync.config.model import Kpi, Measure, Scoring

D = Decimal


def kpi(kpi_id: str, tier: str) -> Kpi:
    return Kpi(id=kpi_id, name=kpi_id, tier=tier, type="leading", unit="count",  # type: ignore[arg-type]
               measure=Measure("count"))


KPIS = (kpi("revenue", "results"), kpi("pipeline", "objectives"), kpi("win_rate", "objectives"),
        kpi("calls", "activities"), kpi("meetings", "activities"))
DEFAULT = Scoring()


def test_tiers_are_averaged_then_weighted():
    # results 0.9; objectives (0.8 + 1.2) / 2 = 1.0; activities (0.5 + 0.7) / 2 = 0.6
    # 0.5 x 0.9 + 0.3 x 1.0 + 0.2 x 0.6 = 0.87
    value, by_tier, counted = tier_score(DEFAULT, KPIS, {
        "revenue": D("0.9"), "pipeline": D("0.8"), "win_rate": D("1.2"), "calls": D("0.5"),
        "meetings": D("0.7"),
    })
    assert value == D("0.8700")
    assert by_tier == (("results", D("0.9000")), ("objectives", D("1.0000")),
                       ("activities", D("0.6000")))
    assert counted == ("revenue", "pipeline", "win_rate", "calls", "meetings")


def test_attainment_is_capped_so_one_kpi_cannot_carry_the_score():
    # calls at 400 % counts as 150 %: activities (1.5 + 0.5) / 2 = 1.0, not 2.25
    _, by_tier, _ = tier_score(DEFAULT, KPIS, {"calls": D(4), "meetings": D("0.5")})
    assert dict(by_tier)["activities"] == D("1.0000")


def test_cap_is_configurable():
    _, by_tier, _ = tier_score(Scoring(cap=D(200)), KPIS, {"calls": D(4), "meetings": D("0.5")})
    assert dict(by_tier)["activities"] == D("1.2500")


def test_missing_tier_renormalises_the_others():
    # no results attainment: (0.3 x 1.0 + 0.2 x 0.5) / 0.5 = 0.8
    value, by_tier, _ = tier_score(DEFAULT, KPIS, {"pipeline": D(1), "calls": D("0.5")})
    assert value == D("0.8000")
    assert by_tier[0] == ("results", None)


def test_kpis_without_attainment_do_not_count():
    # win_rate has none: objectives is pipeline's 0.6 alone, not (0.6 + 0) / 2
    value, by_tier, counted = tier_score(DEFAULT, KPIS, {"pipeline": D("0.6"), "win_rate": None})
    assert (value, dict(by_tier)["objectives"], counted) == (D("0.6000"), D("0.6000"),
                                                               ("pipeline",))


def test_no_attainment_at_all_has_no_score():
    assert tier_score(DEFAULT, KPIS, {}) == (
        None, (("results", None), ("objectives", None), ("activities", None)), (),
    )


def test_a_tier_weighted_zero_alone_gives_no_score():
    scoring = Scoring(weights=(("results", D(100)), ("objectives", D(0)),
                               ("activities", D(0))))
    value, by_tier, _ = tier_score(scoring, KPIS, {"calls": D(1)})
    assert value is None
    assert dict(by_tier)["activities"] == D("1.0000")


@pytest.mark.parametrize(("attainment", "expected"), [
    (D(0), D(0)), (D("1.5"), D("1.5")), (D("1.5001"), D("1.5")), (D(9), D("1.5")),
])
def test_cap_applies_above_cap_only(attainment, expected):
    value, _, _ = tier_score(DEFAULT, KPIS, {"revenue": attainment})
    assert value == expected
