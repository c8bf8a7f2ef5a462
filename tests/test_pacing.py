"""Pacing on business days: expected-to-date, the three states, the projection.

July 2026 (target_fixtures): 22 business days, the 3rd a holiday. As of Wednesday the 15th,
10 have elapsed (1, 2, 6-10, 13-15), so 300 calls are expected at 300 x 10/22 = 136.3636.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from target_fixtures import JULY, Q3, calls, config, deal_size

from kpisync.compute.model import Period
from kpisync.compute.pacing import Progress, pacing
from kpisync.config.model import Pacing, Target

D = Decimal
RUNNING_JULY = replace(JULY, is_current=True)
MID_JULY = date(2026, 7, 15)
MONTHLY = D(300)


def pace_of(actual, target=MONTHLY, kpi=None, period=RUNNING_JULY, as_of=MID_JULY, **changes):
    kpi = kpi or calls()
    return pacing(config(kpi, **changes), kpi, period, as_of, actual, target)


def test_expected_is_target_times_elapsed_business_days():
    assert pace_of(D(140)).expected == D("136.3636")


def test_projection_keeps_the_rate_so_far():
    # 140 in 10 business days, 22 in the month
    assert pace_of(D(140)).projected == D(308)


@pytest.mark.parametrize(
    ("actual", "pace"),
    [(D(160), "ahead"), (D(150), "on_pace"), (D(123), "on_pace"), (D(140), "on_pace")],
    ids=["ahead", "top-of-band", "bottom-of-band", "on-pace"],
)
def test_pace_has_three_states_with_a_ten_percent_band(actual, pace):
    # the band is 122.7273 .. 150 (expected x 0.9 .. x 1.1)
    assert pace_of(actual).pace == pace


def test_below_the_band_is_behind():
    assert pace_of(D("122.72")).pace == "behind"


def test_tolerance_is_configurable():
    assert pace_of(D(140), pacing=Pacing(tolerance=D(1))).pace == "ahead"


def test_on_pace_flag_is_false_only_when_behind():
    assert [pace_of(D(a)).on_pace for a in (160, 140, 100)] == [True, True, False]


def test_lower_is_better_inverts_the_pace():
    kpi = deal_size(Target(D(30), direction="lower"))
    assert [pace_of(D(a), D(30), kpi).pace for a in (25, 31, 40)] == [
        "ahead", "on_pace", "behind"]


def test_average_expects_the_full_target_and_projects_the_actual():
    result = pace_of(D(450), D(500), deal_size())
    assert (result.expected, result.projected, result.pace) == (D(500), D(450), "on_pace")


def test_before_the_first_business_day_the_pace_is_unknown():
    august = Period("2026-08", "Aug 2026", "month", date(2026, 8, 1), date(2026, 8, 31),
                    is_current=True)
    result = pace_of(D(0), period=august, as_of=date(2026, 8, 2))  # Saturday, Sunday
    assert (result.pace, result.projected, result.on_pace) == (None, None, None)
    assert result.expected == D(0)


def test_zero_target_has_no_pace():
    result = pace_of(D(4), D(0))
    assert (result.pace, result.expected, result.on_pace) == (None, D(0), None)


def test_closed_period_and_missing_target_have_no_pace():
    assert pace_of(D(140), period=JULY) == Progress()
    assert pace_of(D(140), None) == Progress()


def test_quarter_paces_on_its_own_business_days():
    # Q3 has 65 business days; 10 have elapsed on July 15
    result = pace_of(D(130), D(900), period=replace(Q3, is_current=True))
    assert (result.expected, result.projected) == (D("138.4615"), D(845))


def test_year_to_date_paces_to_the_end_of_the_running_month():
    ytd = Period("FY2026-YTD", "", "ytd", date(2026, 7, 1), MID_JULY, is_current=True)
    assert pace_of(D(140), period=ytd).expected == D("136.3636")
