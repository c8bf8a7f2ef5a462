"""The weakest link and the reverse funnel, on hand-written cascade steps (no store needed).

One SDR team (Ann, Bob) and the org; the cascade is calls → conversations → meetings → deals,
min_sample 20 unless a test says otherwise. Every rate below is chosen so the expected numbers
can be checked on paper.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kpisync.compute.cascade import weakest_links
from kpisync.compute.funnel import reverse_funnels
from kpisync.compute.model import (
    CascadeStep,
    FunnelStep,
    KpiResult,
    Period,
    Rep,
    WeakestLink,
)
from kpisync.config.model import CascadeOptions, Config, MemberSelector, Org, Team

D = Decimal
ANN, BOB = "005A", "005B"
MONTH = Period("2026-03", "Mar 2026", "month", date(2026, 3, 1), date(2026, 3, 31),
               is_current=True, elapsed=D("0.5"))
PAST = Period("2026-02", "Feb 2026", "month", date(2026, 2, 1), date(2026, 2, 28))
REPS = (Rep(ANN, "Ann", "ann@x.example", "sdr", True),
        Rep(BOB, "Bob", "bob@x.example", "sdr", True))
CASCADE = ("calls", "conversations", "meetings", "deals")


def config(**options) -> Config:
    return Config(
        path=Path("kpis.yaml"), org=Org(name="X", timezone="UTC"),
        teams=(Team(id="sdr", name="SDR", members=MemberSelector(roles=("SDR",)),
                    kpis=CASCADE),),
        kpis=(), cascade=CASCADE, cascade_options=CascadeOptions(**options),
    )


def steps(scope: str, scope_id: str, *pairs, period: Period = MONTH) -> list[CascadeStep]:
    """One CascadeStep per pair of (base, rate) along CASCADE; a None rate has no next value."""
    found = []
    for (from_kpi, to_kpi), (base, rate) in zip(pairwise(CASCADE), pairs, strict=True):
        to_actual = None if rate is None else D(base) * D(rate)
        found.append(CascadeStep(from_kpi, to_kpi, period.key, scope, scope_id, D(base),
                                 to_actual, None if rate is None else D(rate)))
    return found


def result(kpi_id: str, scope: str, scope_id: str, actual, target, period: Period = MONTH
           ) -> KpiResult:
    value = None if actual is None else D(actual)
    return KpiResult(kpi_id, period.key, scope, scope_id, scope_id, value,
                     None if target is None else D(target), None)


TEAM = steps("team", "sdr", (400, "0.25"), (100, "0.5"), (50, "0.2"))
ORG = steps("org", "org", (1000, "0.2"), (200, "0.4"), (80, "0.25"))


# ---------------------------------------------------------------- weakest link


def test_weakest_link_is_lowest_relative_to_the_team_not_lowest_rate():
    # calls → conversations 0.2 is 0.8 of the team's 0.25; conversations → meetings 0.3 is 0.6
    # of the team's 0.5: the second is the weakest although its rate is higher
    ann = steps("rep", ANN, (200, "0.2"), (40, "0.3"), (12, None))
    links = list(weakest_links(config(), REPS, [*ann, *TEAM, *ORG]))
    assert [link for link in links if link.scope == "rep"] == [
        WeakestLink("rep", ANN, MONTH.key, "conversations", "meetings", D("0.3"), D("0.5"),
                    D("0.6000")),
    ]


def test_weakest_link_skips_steps_below_min_sample():
    # 19 conversations converting at 0.1 would be the weakest, but 19 < 20 is not trusted
    ann = steps("rep", ANN, (200, "0.2"), (19, "0.1"), (2, None))
    [link] = [w for w in weakest_links(config(), REPS, [*ann, *TEAM]) if w.scope == "rep"]
    assert (link.step, link.ratio) == ("calls", D("0.8000"))


def test_weakest_link_min_sample_is_configurable():
    ann = steps("rep", ANN, (200, "0.2"), (19, "0.1"), (2, None))
    [link] = [w for w in weakest_links(config(min_sample=10), REPS, [*ann, *TEAM])
              if w.scope == "rep"]
    assert (link.step, link.ratio) == ("conversations", D("0.2000"))


def test_weakest_link_skips_steps_where_the_team_rate_is_unknown_or_zero():
    ann = steps("rep", ANN, (200, "0.2"), (40, "0.3"), (30, "0.1"))
    team = steps("team", "sdr", (400, "0.25"), (0, None), (50, "0"))
    [link] = [w for w in weakest_links(config(), REPS, [*ann, *team]) if w.scope == "rep"]
    assert link.step == "calls"


def test_weakest_link_ignores_steps_the_team_does_not_track():
    # an SDR team that does not track deals: meetings → deals at 0.1 (team 0.2) is not its job
    cfg = dataclasses.replace(config(), teams=(dataclasses.replace(
        config().teams[0], kpis=("calls", "conversations", "meetings")),))
    ann = steps("rep", ANN, (200, "0.2"), (40, "0.5"), (30, "0.1"))
    [link] = [w for w in weakest_links(cfg, REPS, [*ann, *TEAM]) if w.scope == "rep"]
    assert (link.step, link.ratio) == ("calls", D("0.8000"))


def test_no_weakest_link_when_no_step_qualifies():
    bob = steps("rep", BOB, (10, "0.1"), (1, "0"), (0, None))
    assert [w for w in weakest_links(config(), REPS, [*bob, *TEAM]) if w.scope == "rep"] == []


def test_team_weakest_link_is_relative_to_the_org_and_the_org_has_none():
    # team / org: 0.25/0.2 = 1.25, 0.5/0.4 = 1.25, 0.2/0.25 = 0.8
    links = list(weakest_links(config(), REPS, [*TEAM, *ORG]))
    assert links == [
        WeakestLink("team", "sdr", MONTH.key, "meetings", "deals", D("0.2"), D("0.25"),
                    D("0.8000")),
    ]


def test_weakest_link_tie_goes_to_the_earlier_step():
    team = steps("team", "sdr", (400, "0.25"), (100, "0.5"), (50, "0.2"))
    ann = steps("rep", ANN, (200, "0.125"), (40, "0.25"), (10, None))  # both half the team's
    [link] = [w for w in weakest_links(config(), REPS, [*ann, *team]) if w.scope == "rep"]
    assert (link.step, link.ratio) == ("calls", D("0.5000"))


# ---------------------------------------------------------------- reverse funnel


def funnel_of(cfg: Config, results, cascade, scope="rep", scope_id=ANN):
    funnels = list(reverse_funnels(cfg, (PAST, MONTH), REPS, results, cascade))
    return next((f for f in funnels if (f.scope, f.scope_id) == (scope, scope_id)), None)


def test_reverse_funnel_uses_own_rates_and_rounds_each_step_up_from_the_rounded_next():
    # 10 deals / 0.3 = 33.3 → 34 meetings; 34 / 0.5 = 68 conversations (not 67, which rounding
    # only at the end would give: 10 / 0.3 / 0.5 = 66.7); 68 / 0.2 = 340 calls
    ann = steps("rep", ANN, (200, "0.2"), (40, "0.5"), (30, "0.3"))
    funnel = funnel_of(config(), [result("deals", "rep", ANN, 3, 10)], [*ann, *TEAM, *ORG])
    assert (funnel.goal_kpi, funnel.goal_value, funnel.per_deal) == ("deals", D(10), None)
    assert funnel.steps == (
        FunnelStep("calls", 340, D("0.2"), "rep"),
        FunnelStep("conversations", 68, D("0.5"), "rep"),
        FunnelStep("meetings", 34, D("0.3"), "rep"),
        FunnelStep("deals", 10, None, None),
    )


def test_reverse_funnel_falls_back_to_team_then_org_below_min_sample():
    # Ann's meetings base (12) and the team's (15) are both below 20: the org's rate applies;
    # Ann's conversations base (19) is below 20 but the team's (100) is not
    ann = steps("rep", ANN, (200, "0.2"), (19, "0.6"), (12, "0.5"))
    team = steps("team", "sdr", (400, "0.25"), (100, "0.5"), (15, "0.2"))
    funnel = funnel_of(config(), [result("deals", "rep", ANN, 3, 5)], [*ann, *team, *ORG])
    assert funnel.steps == (
        FunnelStep("calls", 200, D("0.2"), "rep"),        # 40 / 0.2
        FunnelStep("conversations", 40, D("0.5"), "team"),  # 20 / 0.5
        FunnelStep("meetings", 20, D("0.25"), "org"),      # 5 / 0.25
        FunnelStep("deals", 5, None, None),
    )


def test_reverse_funnel_treats_a_zero_rate_as_unknown():
    ann = steps("rep", ANN, (200, "0"), (40, "0.5"), (30, "0.5"))
    funnel = funnel_of(config(), [result("deals", "rep", ANN, 3, 5)], [*ann, *TEAM, *ORG])
    # 5 deals / 0.5 = 10 meetings; / 0.5 = 20 conversations; / the team's 0.25 = 80 calls
    assert funnel.steps[0] == FunnelStep("calls", 80, D("0.25"), "team")


def test_reverse_funnel_stops_where_no_rate_is_known():
    ann = steps("rep", ANN, (200, "0.2"), (40, "0.5"), (0, None))
    team = steps("team", "sdr", (400, "0.25"), (100, "0.5"), (0, None))
    org = steps("org", "org", (1000, "0.2"), (200, "0.4"), (0, None))
    funnel = funnel_of(config(), [result("deals", "rep", ANN, 0, 5)], [*ann, *team, *org])
    assert [(s.kpi_id, s.needed) for s in funnel.steps] == [
        ("calls", None), ("conversations", None), ("meetings", None), ("deals", 5),
    ]


def test_revenue_goal_becomes_deals_by_the_value_of_one_deal():
    # $10,000 / $1,200 a deal = 8.3 → 9 deals; 9 / 0.3 = 30 meetings; 30 / 0.5 = 60; 60 / 0.2
    cfg = config(goal="revenue", per_deal="deal_size")
    ann = steps("rep", ANN, (200, "0.2"), (40, "0.5"), (30, "0.3"))
    results = [result("revenue", "rep", ANN, 0, 10000), result("deal_size", "rep", ANN, 1200, None)]
    funnel = funnel_of(cfg, results, [*ann, *TEAM, *ORG])
    assert (funnel.goal_kpi, funnel.goal_value) == ("revenue", D(10000))
    assert (funnel.per_deal, funnel.per_deal_source) == (D(1200), "rep")
    assert [(s.kpi_id, s.needed) for s in funnel.steps] == [
        ("calls", 300), ("conversations", 60), ("meetings", 30), ("deals", 9),
    ]


def test_value_of_one_deal_falls_back_to_the_team_when_the_rep_has_none():
    cfg = config(goal="revenue", per_deal="deal_size")
    ann = steps("rep", ANN, (200, "0.2"), (40, "0.5"), (30, "0.3"))
    results = [result("revenue", "rep", ANN, 0, 10000), result("deal_size", "rep", ANN, None, None),
               result("deal_size", "team", "sdr", 2500, None)]
    funnel = funnel_of(cfg, results, [*ann, *TEAM, *ORG])
    assert (funnel.per_deal, funnel.per_deal_source) == (D(2500), "team")
    assert funnel.steps[-1] == FunnelStep("deals", 4, None, None)


def test_reverse_funnel_only_for_running_periods_with_a_goal_target():
    past = steps("rep", ANN, (200, "0.2"), (40, "0.5"), (30, "0.3"), period=PAST)
    results = [result("deals", "rep", ANN, 3, 10, period=PAST),
               result("deals", "rep", BOB, 3, None)]
    funnels = list(reverse_funnels(config(), (PAST, MONTH), REPS, results, past))
    assert funnels == []


def test_team_funnel_uses_team_then_org_rates():
    team = dataclasses.replace(TEAM[2], from_actual=D(5))  # 5 meetings: not trusted
    funnel = funnel_of(config(), [result("deals", "team", "sdr", 3, 5)],
                       [*TEAM[:2], team, *ORG], scope="team", scope_id="sdr")
    assert [(s.needed, s.rate_source) for s in funnel.steps] == [
        (160, "team"), (40, "team"), (20, "org"), (5, None),
    ]


_RATES = st.decimals(min_value=D("0.0001"), max_value=D(5), places=4)


@settings(max_examples=200, deadline=None)
@given(goal=st.integers(0, 10_000), rates=st.tuples(_RATES, _RATES, _RATES))
def test_each_needed_count_is_the_least_that_reaches_the_next(goal, rates):
    ann = steps("rep", ANN, *((1000, str(rate)) for rate in rates))
    funnel = funnel_of(config(), [result("deals", "rep", ANN, 0, goal)], ann)
    for step, after in pairwise(funnel.steps):
        assert step.needed * step.rate_used >= after.needed
        assert step.needed == 0 or (step.needed - 1) * step.rate_used < after.needed
