"""Drill-through pages: the records behind one rep's figure, so a disputed number is checked
against Salesforce itself.

The records are the compute layer's (``kpisync.compute.drill``, built on explain's records
query) collected before rendering; this module only formats them. Each record links to
``<site.salesforce_url>/<Id>`` when kpis.yaml gives the org's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kpisync.compute.model import Period, Rep
from kpisync.config.model import Kpi
from kpisync.site import formatting as fmt
from kpisync.site.viewdata import (
    INDEX_PAGE,
    KPIS_PAGE,
    Fact,
    Frame,
    Link,
    kpi_anchor,
    records_path,
    relative_to,
    rep_path,
)

if TYPE_CHECKING:
    from kpisync.site.views import Site


@dataclass(frozen=True)
class RecordRow:
    date: str
    #: Subject or Name, else the Salesforce Id
    name: str
    #: the record in Salesforce; "" without ``site.salesforce_url``
    href: str
    amount: str
    value: str


@dataclass(frozen=True)
class RecordsPage:
    frame: Frame
    heading: str
    facts: tuple[Fact, ...]
    #: "42 records counted", "1,204 records counted; the first 500 are listed"
    summary: str
    rows: tuple[RecordRow, ...]
    show_amount: bool
    #: the measure's value per record, for measures other than a count ("Days", "Amount")
    value_label: str
    back: Link
    definition: Link


def records_pages(site: Site, rep: Rep) -> list[tuple[str, RecordsPage]]:
    """One page per drillable KPI of the rep's team, in each drill-through period."""
    team = next((t for t in site.card.teams if t.id == rep.team_id), None)
    if team is None:
        return []
    pages = []
    for key in site.drill_keys:
        period = next(p for p in site.card.periods if p.key == key)
        for kpi in site.kpis_of(team.kpi_ids):
            if site.has_records(kpi, key):
                path = records_path(rep.id, kpi.id, key)
                pages.append((path, records_page(site, rep, kpi, period, path)))
    return pages


def records_page(site: Site, rep: Rep, kpi: Kpi, period: Period, path: str) -> RecordsPage:
    rel = relative_to(path)
    listed = site.records.get((kpi.id, period.key, rep.id))
    records = listed.records if listed else ()
    total = listed.total if listed else 0
    base = site.options.salesforce_url
    shown_amount = any(r.amount is not None for r in records)
    value_label = "" if kpi.measure.kind in ("count", "distinct_count") else \
        fmt.UNIT_WORDS.get(kpi.unit, kpi.unit)
    rows = tuple(
        RecordRow(
            date=fmt.display_date(r.day),
            name=r.label or r.id,
            href=f"{base}/{r.id}" if base else "",
            amount=fmt.display_money(r.amount, site.currency) if r.amount is not None
            else fmt.MISSING,
            value=fmt.display_value(fmt.as_decimal(r.value), kpi.unit, site.currency)
            if value_label else "",
        )
        for r in records
    )
    summary = f"{total:,} record{'s' if total != 1 else ''} counted"
    if total > len(records):
        summary += f"; the first {len(records):,} by date are listed"
    result = site.result(kpi.id, period, "rep", rep.id)
    name = site.rep_name(rep)
    crumbs = (Link(site.config.org.name, INDEX_PAGE), Link(name, rep_path(rep.id, period.key)))
    return RecordsPage(
        frame=site.frame(path, f"{kpi.name} records · {name} · {period.label}", crumbs),
        heading=f"{kpi.name} · {period.label}",
        facts=(
            Fact("Rep", name),
            Fact("Period", f"{period.label} ({fmt.display_range(period.start, period.end)})"),
            Fact("Scorecard figure", fmt.display_value(result.actual if result else None,
                                                       kpi.unit, site.currency)),
        ),
        summary=summary + ".",
        rows=rows,
        show_amount=shown_amount,
        value_label=value_label,
        back=Link(f"Back to {name}", rel(rep_path(rep.id, period.key))),
        definition=Link(f"How {kpi.name} is counted", rel(f"{KPIS_PAGE}#{kpi_anchor(kpi.id)}")),
    )
