"""Drill-through pages: the records behind a rep's figures, so a disputed number is checked
against Salesforce itself.

One page per rep and drill-through period (``records.html`` beside the rep's page) lists the
records of every drillable KPI of the rep's team, a section per KPI under the KPI's anchor
(``#kpi-calls``), which each figure on the rep's page links to. A section lists at most
``SECTION_LIMIT`` records, so that the page stays small however busy the rep; a longer list
links to its own page (``records-<kpi>.html``) with every record the build collected.

The records are the compute layer's (``kpisync.compute.drill``, built on explain's records
query) collected before rendering; this module only formats them. Each record links to
``<site.salesforce_url>/<Id>`` when kpis.yaml gives the org's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kpisync.compute.drill import RecordList, drillable
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
    kpi_records_path,
    records_path,
    relative_to,
    rep_path,
)

if TYPE_CHECKING:
    from kpisync.site.views import Site

#: records listed per KPI on a rep's records page: twelve full sections of long Salesforce
#: subjects stay under 200 KB; the rest are on the KPI's own records page
SECTION_LIMIT = 50


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
class RecordSection:
    """One KPI's records, under the KPI's anchor."""

    anchor: str
    name: str
    #: the scorecard's figure these records add up to, as on the rep's page
    figure: str
    #: "42 records counted.", "1,204 records counted; the first 50 by date are listed."
    summary: str
    rows: tuple[RecordRow, ...]
    show_amount: bool
    #: the measure's value per record, for measures other than a count ("Days", "Amount")
    value_label: str
    definition: Link
    #: the KPI's own records page, when this section lists only the first records
    more: Link | None = None


@dataclass(frozen=True)
class RecordsPage:
    frame: Frame
    heading: str
    facts: tuple[Fact, ...]
    intro: str
    #: links to each section's anchor (the rep's records page only)
    contents: tuple[Link, ...]
    sections: tuple[RecordSection, ...]
    back: Link


def records_pages(site: Site, rep: Rep) -> list[tuple[str, RecordsPage]]:
    """The rep's records page in each drill-through period, each followed by the full-list
    pages of its sections that are cut short."""
    team = site.lookups.teams.get(rep.team_id)
    if team is None:
        return []
    kpis = [kpi for kpi in site.kpis_of(team.kpi_ids) if drillable(kpi)]
    if not kpis:
        return []
    pages = []
    for key in site.drill_keys:
        period = site.lookups.periods[key]
        pages.append((records_path(rep.id, key), records_page(site, rep, kpis, period)))
        for kpi in kpis:
            listed = site.records.get((kpi.id, key, rep.id))
            if listed is not None and len(listed.records) > SECTION_LIMIT:
                path = kpi_records_path(rep.id, kpi.id, key)
                pages.append((path, kpi_records_page(site, rep, kpi, period, path)))
    return pages


def records_page(site: Site, rep: Rep, kpis: list[Kpi], period: Period) -> RecordsPage:
    """Every listed KPI's records for one rep and period, a section per KPI."""
    path = records_path(rep.id, period.key)
    rel = relative_to(path)
    name = site.rep_name(rep)
    sections = tuple(_section(site, rep, kpi, period, rel, SECTION_LIMIT) for kpi in kpis)
    return RecordsPage(
        frame=site.frame(path, f"Records · {name} · {period.label}", _crumbs(site, rep, period)),
        heading=f"Records · {period.label}",
        facts=_facts(site, rep, period),
        intro="The Salesforce records behind each of this rep's figures, KPI by KPI, by date.",
        contents=tuple(Link(f"{s.name} ({s.figure})", f"#{s.anchor}") for s in sections),
        sections=sections,
        back=Link(f"Back to {name}", rel(rep_path(rep.id, period.key))),
    )


def kpi_records_page(site: Site, rep: Rep, kpi: Kpi, period: Period, path: str) -> RecordsPage:
    """Every record collected for one KPI, for a section the rep's records page cuts short."""
    rel = relative_to(path)
    name = site.rep_name(rep)
    crumbs = (*_crumbs(site, rep, period),
              Link(f"Records · {period.label}", records_path(rep.id, period.key)))
    return RecordsPage(
        frame=site.frame(path, f"{kpi.name} records · {name} · {period.label}", crumbs),
        heading=f"{kpi.name} · {period.label}",
        facts=_facts(site, rep, period),
        intro=f"The Salesforce records behind this rep's {kpi.name} figure, by date.",
        contents=(),
        sections=(_section(site, rep, kpi, period, rel, None),),
        back=Link("Back to all records",
                  rel(f"{records_path(rep.id, period.key)}#{kpi_anchor(kpi.id)}")),
    )


def _crumbs(site: Site, rep: Rep, period: Period) -> tuple[Link, ...]:
    return (Link(site.config.org.name, INDEX_PAGE),
            Link(site.rep_name(rep), rep_path(rep.id, period.key)))


def _facts(site: Site, rep: Rep, period: Period) -> tuple[Fact, ...]:
    return (Fact("Rep", site.rep_name(rep)),
            Fact("Period", f"{period.label} ({fmt.display_range(period.start, period.end)})"))


def _section(site: Site, rep: Rep, kpi: Kpi, period: Period, rel, limit: int | None
             ) -> RecordSection:
    listed: RecordList | None = site.records.get((kpi.id, period.key, rep.id))
    records = listed.records if listed else ()
    total = listed.total if listed else 0
    shown = records[:limit] if limit is not None else records
    base = site.options.salesforce_url
    value_label = "" if kpi.measure.kind in ("count", "distinct_count") else \
        fmt.UNIT_WORDS.get(kpi.unit, kpi.unit)
    if all(r.amount is not None and fmt.as_decimal(r.value) == r.amount for r in shown):
        value_label = ""  # a sum of Amount: the Amount column says it already
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
        for r in shown
    )
    summary = f"{total:,} record{'s' if total != 1 else ''} counted"
    if total > len(shown):
        summary += f"; the first {len(shown):,} by date are listed"
    more = None
    if len(shown) < len(records):
        listed_all = f"all {total:,}" if total == len(records) else \
            f"the first {len(records):,} of {total:,}"
        more = Link(f"List {listed_all} {kpi.name} records",
                    rel(kpi_records_path(rep.id, kpi.id, period.key)))
    result = site.result(kpi.id, period, "rep", rep.id)
    return RecordSection(
        anchor=kpi_anchor(kpi.id),
        name=kpi.name,
        figure=fmt.display_value(result.actual if result else None, kpi.unit, site.currency),
        summary=summary + ".",
        rows=rows,
        show_amount=any(r.amount is not None for r in shown),
        value_label=value_label,
        definition=Link(f"How {kpi.name} is counted", rel(f"{KPIS_PAGE}#{kpi_anchor(kpi.id)}")),
        more=more,
    )
