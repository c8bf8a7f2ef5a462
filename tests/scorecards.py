"""Hand-built Scorecards for the site tests, independent of the compute layer.

``sample_scorecard()`` is a realistic org (two teams, five reps, ten KPIs over three months and
fiscal year to date) whose rep names are hostile on purpose: markup, quotes, accents, emoji.
``tiny_scorecard()`` is small enough that its CSV and JSON exports are written out in full in
the tests.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from kpisync.compute import ranking
from kpisync.compute.model import (
    CascadeStep,
    KpiResult,
    Period,
    Rep,
    Scorecard,
    TeamInfo,
)
from kpisync.config.model import (
    Config,
    Filter,
    Kpi,
    Measure,
    MemberSelector,
    Org,
    Target,
    TargetOverride,
    Team,
)

AS_OF = date(2026, 6, 17)
HOSTILE_NAME = 'Sam <Sales> & "Co" Lee'
EMOJI_NAME = "Zoë Ångström 🚀"
SAM, ZOE, DANA, PRIYA, MARCUS = (
    "0055g00000A1sAmAAB",
    "0055g00000A1zOeAAB",
    "0055g00000A1dAnAAB",
    "0055g00000A1pRiAAB",
    "0055g00000A1mArAAB",
)

PERIODS = (
    Period("2026-04", "Apr 2026", "month", date(2026, 4, 1), date(2026, 4, 30)),
    Period("2026-05", "May 2026", "month", date(2026, 5, 1), date(2026, 5, 31)),
    Period("2026-06", "Jun 2026", "month", date(2026, 6, 1), date(2026, 6, 30),
           is_current=True, elapsed=Decimal("0.5667")),
    Period("FY2026-YTD", "FY2026 year to date", "ytd", date(2026, 1, 1), AS_OF,
           is_current=True, elapsed=Decimal("0.9945")),
)
#: default periods each window period spans: the multiplier of additive targets
SPANS = {"2026-04": 1, "2026-05": 1, "2026-06": 1, "FY2026-YTD": 6}


def _kpi(kpi_id, name, tier, kind, unit, measure, target=None, **extra) -> Kpi:
    return Kpi(id=kpi_id, name=name, tier=tier, type=kind, unit=unit, measure=measure,
               target=target, **extra)


def sample_config(**org_changes) -> Config:
    org = Org(name="Acme & Co", timezone="America/New_York", currency="USD",
              default_period="month", window=3)
    org = Org(**{**org.__dict__, **org_changes})
    task = {"source": "Task", "date_field": "ActivityDate", "credit_field": "OwnerId"}
    opp = {"source": "Opportunity", "date_field": "CloseDate", "credit_field": "OwnerId"}
    won = (Filter("IsWon", "eq", True),)
    kpis = (
        _kpi("calls", "Calls", "activities", "leading", "count", Measure("count"),
             Target(Decimal(300), overrides=(TargetOverride("team", "ae_smb", Decimal(100)),)),
             filters=(Filter("TaskSubtype", "eq", "Call"),), **task,
             description="Logged calls, whatever their outcome."),
        _kpi("conversations", "Conversations", "activities", "leading", "count",
             Measure("count"), Target(Decimal(60)),
             filters=(Filter("TaskSubtype", "eq", "Call"),
                      Filter("CallDurationInSeconds", "gte", 120)), **task),
        _kpi("meetings", "Meetings held", "activities", "leading", "count", Measure("count"),
             Target(Decimal(12)), source="Event", date_field="ActivityDate",
             credit_field="OwnerId", filters=(Filter("Type", "in", ("Meeting", "Demo")),)),
        _kpi("opps_created", "Opportunities created", "objectives", "leading", "count",
             Measure("count"), Target(Decimal(4)), source="Opportunity",
             date_field="CreatedDate", credit_field="OwnerId"),
        _kpi("pipeline", "Pipeline created", "objectives", "leading", "currency",
             Measure("sum", field="Amount"), Target(Decimal(50000)), source="Opportunity",
             date_field="CreatedDate", credit_field="OwnerId"),
        _kpi("win_rate", "Win rate", "objectives", "lagging", "percent",
             Measure("ratio", numerator="deals_won", denominator="deals_closed"),
             Target(Decimal(30))),
        _kpi("cycle", "Sales cycle", "objectives", "lagging", "days",
             Measure("duration", start_field="CreatedDate", end_field="CloseDate"),
             Target(Decimal(45), direction="lower"), filters=won, **opp),
        _kpi("deals_won", "Deals won", "results", "lagging", "count", Measure("count"),
             Target(Decimal(2)), filters=won, **opp),
        _kpi("deals_closed", "Deals closed", "results", "lagging", "count", Measure("count"),
             filters=(Filter("IsClosed", "eq", True),), **opp),
        _kpi("revenue", "Revenue", "results", "lagging", "currency",
             Measure("sum", field="Amount"), Target(Decimal(40000)), filters=won, **opp),
    )
    teams = (
        Team(id="sdr_east", name="SDR East", members=MemberSelector(roles=("SDR East",)),
             kpis=("calls", "conversations", "meetings", "opps_created"), region="East"),
        Team(id="ae_smb", name="AE SMB", members=MemberSelector(roles=("AE SMB",)),
             kpis=("opps_created", "pipeline", "win_rate", "revenue"), segment="SMB",
             region="East"),
    )
    return Config(path=Path("kpis.yaml"), org=org, teams=teams, kpis=kpis,
                  cascade=("calls", "conversations", "meetings", "opps_created", "deals_won"))


REPS = (
    Rep(SAM, HOSTILE_NAME, "sam@acme.example", "sdr_east", True, "SDR East"),
    Rep(ZOE, EMOJI_NAME, "zoe@acme.example", "sdr_east", True, "SDR East"),
    Rep(DANA, "Dana Whitfield", "dana@acme.example", "sdr_east", False, "SDR East"),
    Rep(PRIYA, "Priya O'Neil", "priya@acme.example", "ae_smb", True, "AE SMB"),
    Rep(MARCUS, "Marcus Chen", "marcus@acme.example", "ae_smb", True, "AE SMB"),
)
#: typical monthly actual per rep, before noise
_BASE = {"calls": 280, "conversations": 52, "meetings": 11, "opps_created": 4,
         "pipeline": 46000, "deals_won": 2, "deals_closed": 6, "revenue": 38000, "cycle": 41}


def sample_scorecard(**org_changes) -> Scorecard:
    """A deterministic, plausible scorecard: team totals are the sums of their reps."""
    config = sample_config(**org_changes)
    rng = random.Random(7)
    teams = tuple(
        TeamInfo(t.id, t.name, t.segment, t.region,
                 tuple(r.id for r in REPS if r.team_id == t.id), t.kpis)
        for t in config.teams
    )
    actuals: dict[tuple[str, str, str, str], Decimal | None] = {}
    for period in PERIODS:
        share = period.elapsed if period.kind != "ytd" else Decimal(1)
        months = SPANS[period.key]
        for rep in REPS:
            for kpi_id, base in _BASE.items():
                value = Decimal(base) * Decimal(rng.uniform(0.55, 1.35)) * share * months
                places = Decimal("0.01") if kpi_id in ("pipeline", "revenue") else Decimal(1)
                if kpi_id == "cycle":
                    value, places = Decimal(base) * Decimal(rng.uniform(0.7, 1.4)), Decimal("0.1")
                actuals[(kpi_id, period.key, "rep", rep.id)] = value.quantize(places)
    scopes = [("team", t.id, t.rep_ids) for t in teams]
    scopes.append(("org", "org", tuple(r.id for r in REPS)))
    for period in PERIODS:
        for kpi_id in _BASE:
            for scope, scope_id, members in scopes:
                values = [actuals[(kpi_id, period.key, "rep", m)] for m in members]
                total = sum(values, Decimal(0))
                if kpi_id == "cycle":
                    total = (total / len(values)).quantize(Decimal("0.1"))
                actuals[(kpi_id, period.key, scope, scope_id)] = total
    for key in [k for k in actuals if k[0] == "deals_closed"]:
        won = actuals[("deals_won", *key[1:])]
        actuals[("win_rate", *key[1:])] = (
            (won * 100 / actuals[key]).quantize(Decimal("0.0001")) if actuals[key] else None
        )
    results = tuple(
        _result(config, kpi, period, scope, scope_id, name, members, actuals)
        for kpi in config.kpis
        for period in PERIODS
        for scope, scope_id, name, members in _all_scopes(config, teams)
    )
    results = _ranked(results)
    return Scorecard(config=config, as_of=AS_OF, periods=PERIODS, teams=teams, reps=REPS,
                     results=results, cascade=_cascade(config, actuals, teams))


def _ranked(results: tuple[KpiResult, ...]) -> tuple[KpiResult, ...]:
    """The rep results with the engine's own ranks (``ranking.rank_reps``) per KPI and period."""
    reps = {rep.id: rep for rep in REPS}
    running = {p.key for p in PERIODS if p.is_current}
    ranks = {}
    for kpi_id, period_key in {(r.kpi_id, r.period_key) for r in results}:
        cell = {r.scope_id: r.attainment for r in results
                if (r.kpi_id, r.period_key, r.scope) == (kpi_id, period_key, "rep")}
        for rep_id, rank in ranking.rank_reps(cell, reps, period_key in running).items():
            ranks[(kpi_id, period_key, rep_id)] = rank
    return tuple(
        replace(r, rank_in_team=ranks[key][0], rank_in_org=ranks[key][1])
        if r.scope == "rep" and (key := (r.kpi_id, r.period_key, r.scope_id)) in ranks else r
        for r in results)


def _all_scopes(config: Config, teams):
    for rep in REPS:
        yield "rep", rep.id, rep.name, (rep,)
    for team in teams:
        yield "team", team.id, team.name, tuple(r for r in REPS if r.team_id == team.id)
    yield "org", "org", config.org.name, REPS


def _result(config, kpi, period, scope, scope_id, name, members, actuals) -> KpiResult:
    actual = actuals[(kpi.id, period.key, scope, scope_id)]
    target = None
    if kpi.target is not None:
        team_of = {t.id: t for t in config.teams}
        per_rep = []
        for rep in members:
            if rep.active:
                team = team_of[rep.team_id]
                override = [o.per_rep for o in kpi.target.overrides if o.match == team.id]
                per_rep.append(override[0] if override else kpi.target.per_rep)
        if per_rep and kpi.measure.additive:
            target = sum(per_rep, Decimal(0)) * SPANS[period.key]
        elif per_rep:
            target = kpi.target.per_rep
    attainment = on_pace = None
    if actual is not None and target:
        ratio = target / actual if kpi.direction == "lower" else actual / target
        attainment = ratio.quantize(Decimal("0.0001"))
        if period.is_current:
            expected = target * period.elapsed if kpi.measure.additive else target
            on_pace = actual <= expected if kpi.direction == "lower" else actual >= expected
    return KpiResult(kpi.id, period.key, scope, scope_id, name, actual, target, attainment,
                     on_pace)


def _cascade(config, actuals, teams) -> tuple[CascadeStep, ...]:
    scopes = [("rep", r.id) for r in REPS] + [("team", t.id) for t in teams] + [("org", "org")]
    steps = []
    for period in PERIODS:
        for scope, scope_id in scopes:
            for a, b in zip(config.cascade, config.cascade[1:], strict=False):
                x = actuals[(a, period.key, scope, scope_id)]
                y = actuals[(b, period.key, scope, scope_id)]
                rate = (y / x).quantize(Decimal("0.0001")) if x else None
                steps.append(CascadeStep(a, b, period.key, scope, scope_id, x, y, rate))
    return tuple(steps)


# -- tiny ------------------------------------------------------------------------------------

TINY_PERIOD = Period("2026-03", "Mar 2026", "month", date(2026, 3, 1), date(2026, 3, 31),
                     is_current=True, elapsed=Decimal("0.3226"))
ANN = "005000000000001AAA"


def tiny_scorecard() -> Scorecard:
    """One rep on one team, two KPIs, one running month: every export row written by hand."""
    config = Config(
        path=Path("kpis.yaml"),
        org=Org(name="Tiny Co", timezone="Europe/Zurich", currency="CHF", window=1),
        teams=(Team(id="sdr", name="SDR", members=MemberSelector(roles=("SDR",)),
                    kpis=("calls", "revenue")),),
        kpis=(
            _kpi("calls", "Calls", "activities", "leading", "count", Measure("count"),
                 Target(Decimal(10)), source="Task", date_field="ActivityDate"),
            _kpi("revenue", "Revenue", "results", "lagging", "currency",
                 Measure("sum", field="Amount"), source="Opportunity", date_field="CloseDate"),
        ),
    )
    p = TINY_PERIOD.key
    results = (
        KpiResult("calls", p, "rep", ANN, "Ann, \"the\" closer", Decimal(4), Decimal(10),
                  Decimal("0.4000"), True),
        KpiResult("calls", p, "team", "sdr", "SDR", Decimal(4), Decimal(10), Decimal("0.4"), True),
        KpiResult("calls", p, "org", "org", "Tiny Co", Decimal(4), Decimal(10), Decimal("0.4"),
                  True),
        KpiResult("revenue", p, "rep", ANN, "Ann, \"the\" closer", Decimal("1250.5"), None, None),
        KpiResult("revenue", p, "team", "sdr", "SDR", Decimal("1250.5"), None, None),
        KpiResult("revenue", p, "org", "org", "Tiny Co", None, None, None),
    )
    return Scorecard(
        config=config, as_of=date(2026, 3, 10), periods=(TINY_PERIOD,),
        teams=(TeamInfo("sdr", "SDR", None, None, (ANN,), ("calls", "revenue")),),
        reps=(Rep(ANN, "Ann, \"the\" closer", "ann@tiny.example", "sdr", True),),
        results=results, cascade=(),
    )
