"""Periods that reach back before the synced history show no data, never 0.

The sync reads each measurable object from a history start on (``sync_state.history_start``,
13 months back by default, ``kpisync sync --history-start`` to reach further). A period that
begins before it would count only the records of its later part: a month that looks like a
collapse, a quarter a third of its size. Such a period (or a period only part of which is
synced) has no actual for the KPIs that read that object, nor for the ratios and formulas
made from them; the site says "No data" and why, the exports leave the actual empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from sqlglot import exp

from kpisync.compute.formulas import evaluation_order
from kpisync.compute.model import Period
from kpisync.config.model import Config, Kpi
from kpisync.engines.base import Connection, as_engine
from kpisync.store.state import STATE_TABLE

#: (kpi id, period key) of the cells before the synced history
Gaps = frozenset[tuple[str, str]]


def history_starts(con: Connection) -> dict[str, date]:
    """Object -> the first day its stored rows are complete from, for the objects a sync
    bounded by a history start (a store written without a sync has none)."""
    engine = as_engine(con)
    tables = exp.select("table_name").from_(exp.to_table("information_schema.tables")).where(
        exp.and_(exp.column("table_name").eq(exp.Literal.string(STATE_TABLE)),
                 exp.column("table_schema").eq(exp.Literal.string(engine.schema))))
    if not engine.execute(tables):
        return {}
    query = (exp.select("sobject", "history_start").from_(STATE_TABLE)
             .where(exp.column("history_start").is_(exp.null()).not_()))
    return dict(engine.execute(query))


def gaps(config: Config, periods: Iterable[Period], starts: Mapping[str, date]) -> Gaps:
    """The KPI x period cells that begin before their object's history start; ratios and
    formulas inherit the gaps of the KPIs they are made of."""
    periods = tuple(periods)
    found: set[tuple[str, str]] = set()
    for kpi in config.kpis:
        start = starts.get(kpi.source) if kpi.source else None
        if start is not None:
            found |= {(kpi.id, p.key) for p in periods if p.start < start}
    for kpi in _derived_in_order(config):
        used = _parts(kpi)
        found |= {(kpi.id, p.key) for p in periods if any((u, p.key) in found for u in used)}
    return frozenset(found)


def earliest(starts: Mapping[str, date], config: Config) -> dict[str, date]:
    """The history starts of the objects kpis.yaml's KPIs read, for notes and the site."""
    sources = {kpi.source for kpi in config.kpis if kpi.source}
    return {sobject: day for sobject, day in sorted(starts.items()) if sobject in sources}


def _derived_in_order(config: Config) -> Iterable[Kpi]:
    yield from (kpi for kpi in config.kpis if kpi.measure.kind == "ratio")
    yield from evaluation_order(config.kpis)


def _parts(kpi: Kpi) -> tuple[str, ...]:
    if kpi.measure.kind == "ratio":
        return (kpi.measure.numerator, kpi.measure.denominator)
    return tuple(kpi.measure.formula.kpi_ids)
