"""The records behind each rep's figures, for the site's drill-through pages.

A rep who disputes a number checks it against the Salesforce records it counted. Those come
from explain's own records query (``explain.records_query``), so the list is by construction
what the KPI query aggregated: the same filters, date field, credit and team membership. Kept
small on purpose: only the periods asked for (the site asks for the running one and the one
before), only reps, at most ``limit`` records a list (the count is always the full one).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlglot import exp

from kpisync.compute import engine
from kpisync.compute.explain import records_query
from kpisync.compute.model import Period, Rep
from kpisync.compute.sql import Params
from kpisync.config.model import Config, Kpi
from kpisync.config.required import LABEL_FIELDS, drillable
from kpisync.engines.base import Connection, as_engine
from kpisync.registry import registry
from kpisync.sobjects import with_config_objects

AMOUNT_FIELD = "Amount"


@dataclass(frozen=True)
class DrillRecord:
    id: str
    #: the local day that put the record in the period
    day: date
    #: the record's Subject or Name; None when the object has neither synced
    label: str | None
    #: the record's Amount; None when the object has none synced
    amount: Decimal | None
    #: what the measure folds: 1 for a count, the Amount for a sum, days for a duration
    value: Any


@dataclass(frozen=True)
class RecordList:
    """The records one KPI counted for one rep in one period, by day then Id."""

    kpi_id: str
    period_key: str
    rep_id: str
    records: tuple[DrillRecord, ...]
    #: how many there are in all (``records`` stops at the limit)
    total: int


@with_config_objects
def drill_records(config: Config, con: Connection, reps: tuple[Rep, ...],
                  periods: tuple[Period, ...], *, limit: int = 500) -> tuple[RecordList, ...]:
    """Every rep's records for every drillable KPI in ``periods``; reps with no record for a
    KPI get no list (the site says "no records")."""
    columns = engine.table_columns(con)
    engine.load_members(con, list(reps))
    engine.load_periods(con, periods)
    lists: list[RecordList] = []
    for kpi in config.kpis:
        if drillable(kpi) and kpi.source in columns:
            lists += _kpi_records(config, con, columns, kpi, limit)
    return tuple(lists)


def _kpi_records(config: Config, con: Connection, columns, kpi: Kpi,
                 limit: int) -> list[RecordList]:
    measure = registry().measures[kpi.measure.kind]
    fields = columns[kpi.source]  # type: ignore[index]
    label = next((f for f in LABEL_FIELDS if f in fields), None)
    amount = AMOUNT_FIELD if AMOUNT_FIELD in fields else None
    extra = ("Id", *(f for f in (label, amount) if f))
    params = Params()
    joined = records_query(kpi, measure, columns, config.org.timezone, params, extra)
    c, p = (exp.to_identifier(a) for a in ("c", "p"))
    record_id = exp.column("Id", table=c, quoted=True)
    rep_id = exp.column("rep_id", table=c)
    selected = [rep_id, exp.column("period_key", table=p), record_id,
                exp.column("day", table=c), exp.column("value", table=c),
                *(exp.column(f, table=c, quoted=True) for f in (label, amount) if f)]
    listing = (
        joined.select(*selected)
        .where(exp.not_(rep_id.is_(exp.null())))
        .order_by(rep_id.copy(), exp.column("period_key", table=p), exp.column("day", table=c),
                  record_id.copy())
    )
    grouped: dict[tuple[str, str], list[DrillRecord]] = defaultdict(list)
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for row in as_engine(con).execute(listing, params.values):
        rep, period_key, record, day, value, *rest = row
        key = (rep, period_key)
        totals[key] += 1
        if len(grouped[key]) < limit:
            named = rest.pop(0) if label else None
            money = rest.pop(0) if amount else None
            grouped[key].append(DrillRecord(
                id=record, day=day, label=None if named is None else str(named),
                amount=None if money is None else Decimal(str(money)), value=value))
    return [RecordList(kpi.id, period_key, rep, tuple(grouped[(rep, period_key)]),
                       totals[(rep, period_key)])
            for rep, period_key in sorted(totals)]
