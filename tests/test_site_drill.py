"""Drill-through: the records behind a rep's figure, from the store through compute, and the
pages that list them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from compute_fixtures import AS_OF, build_store, tiny_config
from scorecards import SAM, sample_scorecard

from kpisync.compute import compute
from kpisync.compute.drill import DrillRecord, RecordList, drill_records
from kpisync.compute.explain import explain
from kpisync.site import build_site
from kpisync.site.page_views import rep_page
from kpisync.site.records import SECTION_LIMIT, records_page, records_pages
from kpisync.site.views import Site

GENERATED = datetime(2026, 6, 17, 13, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    con = build_store(tmp_path_factory.mktemp("drill") / "store.duckdb")
    yield con
    con.close()


def test_drill_records_are_explains_records_and_add_up_to_the_scorecard(con):
    config = tiny_config()
    card = compute(config, con, AS_OF)
    focus = next(p for p in card.periods if p.is_current and p.kind == "month")
    lists = drill_records(config, con, card.reps, (focus,))
    assert lists, "the tiny org has records in the running month"
    for listed in lists:
        kpi = config.kpi(listed.kpi_id)
        result = card.result(kpi.id, focus.key, "rep", listed.rep_id)
        assert listed.total == len(listed.records)
        folded = sum((Decimal(str(r.value)) for r in listed.records), Decimal(0))
        if kpi.measure.kind in ("count", "sum"):
            assert folded == result.actual, (kpi.id, listed.rep_id)
        shown = explain(config, con, kpi.id, period_key=focus.key, as_of=AS_OF,
                        rep=listed.rep_id)
        assert [r.id for r in listed.records] == [r.id for r in shown.queries[0].records]


def test_drill_records_stop_at_the_limit_but_count_them_all(con):
    config = tiny_config()
    card = compute(config, con, AS_OF)
    focus = next(p for p in card.periods if p.is_current and p.kind == "month")
    full = {(r.kpi_id, r.rep_id): r for r in drill_records(config, con, card.reps, (focus,))}
    cut = drill_records(config, con, card.reps, (focus,), limit=1)
    for listed in cut:
        assert len(listed.records) == min(1, listed.total)
        assert listed.total == full[(listed.kpi_id, listed.rep_id)].total
        assert listed.records[0] == full[(listed.kpi_id, listed.rep_id)].records[0]


def sam_calls(total=2) -> RecordList:
    return RecordList("calls", "2026-06", SAM, (
        DrillRecord("00T000000000001AAA", date(2026, 6, 2), "Call <Acme>", None, 1),
        DrillRecord("00T000000000002AAA", date(2026, 6, 3), None, None, 1),
    ), total)


def test_rep_figures_link_to_their_records_in_the_running_and_previous_period():
    card = sample_scorecard()
    site = Site(card, GENERATED, records=(sam_calls(),))
    assert site.drill_keys == ("2026-06", "2026-05")
    sam = next(r for r in card.reps if r.id == SAM)
    page = rep_page(site, sam)
    calls = next(c for t in page.scope.tiers for c in t.cards if c.kpi_id == "calls")
    assert calls.figure.href == "records.html#kpi-calls"
    row = next(r for r in page.scope.history.rows if r.link.text == "Calls")
    assert [f.href for f in row.cells] == [
        "", "../../../2026-05/rep/0055g00000A1sAmAAB/records.html#kpi-calls",
        "records.html#kpi-calls", ""]


def test_records_page_lists_date_name_and_salesforce_link():
    card = sample_scorecard()
    config = replace(card.config, site=replace(card.config.site,
                                               salesforce_url="https://acme.my.salesforce.com"))
    site = Site(replace(card, config=config), GENERATED, records=(sam_calls(total=3),))
    sam = next(r for r in card.reps if r.id == SAM)
    june = next(p for p in card.periods if p.key == "2026-06")
    page = records_page(site, sam, [config.kpi("calls")], june)
    calls = page.sections[0]
    assert [(r.date, r.name, r.href) for r in calls.rows] == [
        ("2 Jun 2026", "Call <Acme>", "https://acme.my.salesforce.com/00T000000000001AAA"),
        ("3 Jun 2026", "00T000000000002AAA", "https://acme.my.salesforce.com/00T000000000002AAA"),
    ]
    assert calls.summary == "3 records counted; the first 2 by date are listed."
    assert (calls.show_amount, calls.value_label, calls.more) == (False, "", None)
    actual = card.result("calls", "2026-06", "rep", SAM).actual
    assert (calls.anchor, calls.figure) == ("kpi-calls", f"{actual:,}")


def test_one_records_page_per_rep_and_period_with_a_section_per_drillable_kpi():
    card = sample_scorecard()
    site = Site(card, GENERATED, records=(sam_calls(),))
    sam = next(r for r in card.reps if r.id == SAM)
    pages = dict(records_pages(site, sam))
    assert list(pages) == ["2026-06/rep/0055g00000A1sAmAAB/records.html",
                           "2026-05/rep/0055g00000A1sAmAAB/records.html"]
    june = pages["2026-06/rep/0055g00000A1sAmAAB/records.html"]
    drillable_kpis = [s.anchor for s in june.sections]
    assert "kpi-calls" in drillable_kpis
    assert [link.href for link in june.contents] == [f"#{a}" for a in drillable_kpis]
    empty = next(s for s in june.sections if s.anchor != "kpi-calls")
    assert (empty.rows, empty.summary) == ((), "0 records counted.")


def test_a_long_list_is_cut_on_the_records_page_and_listed_in_full_on_its_own():
    card = sample_scorecard()
    many = tuple(DrillRecord(f"00T{n:015d}", date(2026, 6, 2), f"Call {n}", None, 1)
                 for n in range(SECTION_LIMIT + 5))
    site = Site(card, GENERATED,
                records=(RecordList("calls", "2026-06", SAM, many, 1204),))
    sam = next(r for r in card.reps if r.id == SAM)
    pages = dict(records_pages(site, sam))
    calls = next(s for s in pages["2026-06/rep/0055g00000A1sAmAAB/records.html"].sections
                 if s.anchor == "kpi-calls")
    assert len(calls.rows) == SECTION_LIMIT
    assert calls.summary == f"1,204 records counted; the first {SECTION_LIMIT} by date are listed."
    assert calls.more.text == f"List the first {SECTION_LIMIT + 5} of 1,204 Calls records"
    assert calls.more.href == "records-calls.html"
    full = pages["2026-06/rep/0055g00000A1sAmAAB/records-calls.html"]
    (section,) = full.sections
    assert (len(section.rows), section.more) == (SECTION_LIMIT + 5, None)
    assert full.back.href == "records.html#kpi-calls"
    assert "2026-05/rep/0055g00000A1sAmAAB/records-calls.html" not in pages


def test_drill_through_switched_off_links_nothing():
    card = sample_scorecard()
    config = replace(card.config, site=replace(card.config.site, drill_through=False))
    site = Site(replace(card, config=config), GENERATED, records=(sam_calls(),))
    assert site.drill_keys == ()


def test_records_pages_stay_small_with_every_list_full(tmp_path):
    """Four KPIs of 500 records with 80-character subjects and Salesforce links: the rep's
    records page takes at most a third of 200 KB, so a team of twelve drillable KPIs stays
    under it; a KPI's full list of 500 stays under it too."""
    card = sample_scorecard()
    config = replace(card.config, site=replace(card.config.site,
                                               salesforce_url="https://acme.my.salesforce.com"))
    subject = "Call with the procurement lead about the renewal terms and the new pricing tier"
    lists = tuple(
        RecordList(kpi, "2026-06", SAM, tuple(
            DrillRecord(f"00T{n:015d}", date(2026, 6, 1 + n // 20), f"{subject[:76]} {n:03d}",
                        Decimal("12500.00"), 1) for n in range(500)), 1500)
        for kpi in ("calls", "conversations", "meetings", "opps_created"))
    build_site(replace(card, config=config), tmp_path / "site", generated_at=GENERATED,
               records=lists)
    rep = tmp_path / "site/2026-06/rep" / SAM
    assert (rep / "records.html").stat().st_size < 200_000 * 4 / 12
    assert (rep / "records-calls.html").stat().st_size < 200_000
