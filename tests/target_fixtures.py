"""A small calendar and org for hand-computed targets and pacing (see test_targets.py).

Summer 2026, monthly default periods, Monday-Friday workdays, Friday 2026-07-03 a holiday
(Independence Day observed):

- June 2026 has 22 business days (1 June is a Monday); July has 22 (23 weekdays less the 3rd);
  August has 21; Q3 (July-September) has 22 + 21 + 22 = 65.
- The week Mon 2026-06-29 .. Sun 2026-07-05 has 2 business days in June (29, 30) and 2 in
  July (1, 2; the 3rd is the holiday).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from kpisync.compute.model import Period, Rep
from kpisync.config.model import (
    Config,
    Kpi,
    Measure,
    MemberSelector,
    Org,
    Ramp,
    Target,
    TargetOverride,
    Team,
)

HOLIDAY = date(2026, 7, 3)
ORG = Org(name="Summer Co", timezone="UTC", default_period="month", holidays=(HOLIDAY,))

JUNE = Period("2026-06", "Jun 2026", "month", date(2026, 6, 1), date(2026, 6, 30))
JULY = Period("2026-07", "Jul 2026", "month", date(2026, 7, 1), date(2026, 7, 31))
AUGUST = Period("2026-08", "Aug 2026", "month", date(2026, 8, 1), date(2026, 8, 31))
SEPTEMBER = Period("2026-09", "Sep 2026", "month", date(2026, 9, 1), date(2026, 9, 30))
Q3 = Period("2026-Q3", "Q3 2026", "quarter", date(2026, 7, 1), date(2026, 9, 30))
HOLIDAY_WEEK = Period("2026-W27", "Week 27 2026", "week", date(2026, 6, 29), date(2026, 7, 5))

ANN = Rep("005000000000001", "Ann", "ann@x.example", "ae", True, role="AE East")
BOB = Rep("005000000000002", "Bob", "bob@x.example", "ae", True, role="AE West")
CAT = Rep("005000000000003", "Cat", "cat@x.example", "sdr", True, role="SDR")
GONE = Rep("005000000000004", "Gus", "gus@x.example", "ae", False, role="AE East")

AE = Team("ae", "AE", MemberSelector(roles=("AE East", "AE West")), ("calls", "deal_size"),
          segment="SMB", region="East")
SDR = Team("sdr", "SDR", MemberSelector(roles=("SDR",)), ("calls",), region="West")


def calls(target: Target | None = None) -> Kpi:
    return Kpi(id="calls", name="Calls", tier="activities", type="leading", unit="count",
               source="Task", measure=Measure("count"), date_field="ActivityDate",
               credit_field="OwnerId",
               target=target if target is not None else Target(Decimal(300), line=12))


def deal_size(target: Target | None = None) -> Kpi:
    return Kpi(id="deal_size", name="Deal size", tier="objectives", type="lagging",
               unit="currency", source="Opportunity", measure=Measure("average", field="Amount"),
               date_field="CloseDate", credit_field="OwnerId",
               target=target if target is not None else Target(Decimal(500), line=30))


def config(*kpis: Kpi, org: Org = ORG, ramp: Ramp | None = None, **changes) -> Config:
    return Config(path=Path("kpis.yaml"), org=org, teams=(AE, SDR),
                  kpis=kpis or (calls(), deal_size()), ramp=ramp, **changes)


def override(scope: str, match: str, per_rep: int, line: int, **amounts) -> TargetOverride:
    return TargetOverride(scope, match, Decimal(per_rep), line=line,  # type: ignore[arg-type]
                          **{k: tuple((p, Decimal(a)) for p, a in v.items())
                             for k, v in amounts.items()})
