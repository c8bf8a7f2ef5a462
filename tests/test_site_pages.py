"""The product pages: a rep's figures are the engine's, pace, leaderboards, the reverse funnel,
privacy options and the site: section of kpis.yaml."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from scorecards import DANA, PRIYA, SAM, sample_scorecard
from test_site_build import parse

from kpisync.compute.model import FunnelStep, ReverseFunnel
from kpisync.config import load_config
from kpisync.errors import ConfigError
from kpisync.site import build_site
from kpisync.site import formatting as fmt
from kpisync.site.boards import boards_pages
from kpisync.site.page_views import org_page, rep_page
from kpisync.site.views import Site

GENERATED = datetime(2026, 6, 17, 13, 30, tzinfo=UTC)


def with_site(card, **options):
    config = replace(card.config, site=replace(card.config.site, **options))
    return replace(card, config=config)


def test_rep_page_html_shows_the_engines_figures(tmp_path):
    card = sample_scorecard()
    build_site(card, tmp_path / "s", generated_at=GENERATED)
    html = parse(tmp_path / "s" / "2026-06" / "rep" / SAM / "index.html")
    text = [t.strip() for t in html.text if t.strip()]
    for kpi_id in ("calls", "conversations", "meetings", "opps_created"):
        result = card.result(kpi_id, "2026-06", "rep", SAM)
        assert f"{result.actual:,}" in text, kpi_id
        assert f"Target {result.target:,}" in text, kpi_id
        assert fmt.display_attainment(result.attainment) in text, kpi_id


def test_running_period_cards_show_the_three_state_pace():
    card = sample_scorecard()
    results = tuple(
        replace(r, pace="ahead", expected=Decimal(150), projected=Decimal("310.4"))
        if (r.kpi_id, r.period_key, r.scope, r.scope_id) == ("calls", "2026-06", "rep", SAM)
        else r for r in card.results)
    site = Site(replace(card, results=results), GENERATED)
    sam = next(r for r in card.reps if r.id == SAM)
    calls = next(c for t in rep_page(site, sam).scope.tiers for c in t.cards
                 if c.kpi_id == "calls")
    assert (calls.figure.pace_key, calls.figure.pace, calls.figure.pace_line) == (
        "ahead", "Ahead", "Expected by now 150 · Projected 310.4")
    may = site.at(next(p for p in card.periods if p.key == "2026-05"))
    closed = next(c for t in rep_page(may, sam).scope.tiers for c in t.cards
                  if c.kpi_id == "calls")
    assert closed.figure.pace == ""


def test_leaderboard_ranks_on_org_rank_and_drops_inactive_reps_when_running():
    card = sample_scorecard()
    pages = dict(boards_pages(Site(card, GENERATED)))
    board = pages["2026-06/leaderboards/calls.html"].boards[0]
    ranked = sorted((r for r in card.results if r.kpi_id == "calls" and r.period_key == "2026-06"
                     and r.scope == "rep" and r.rank_in_org), key=lambda r: r.rank_in_org)
    assert [row.rep.text for row in board.rows] == [r.scope_name for r in ranked]
    assert [row.rank for row in board.rows] == [str(r.rank_in_org) for r in ranked]
    assert "Dana Whitfield" not in [row.rep.text for row in board.rows]  # inactive, running
    assert len(pages["2026-06/leaderboards/index.html"].boards[0].rows) == 3


def test_leaderboards_switch_off(tmp_path):
    build_site(with_site(sample_scorecard(), leaderboards=False), tmp_path / "s",
               generated_at=GENERATED)
    assert not list((tmp_path / "s").rglob("leaderboards"))
    assert "Leaderboards" not in (tmp_path / "s" / "index.html").read_text(encoding="utf-8")


def test_team_level_only_publishes_no_rep_anywhere(tmp_path):
    build_site(with_site(sample_scorecard(), rep_pages=False), tmp_path / "s",
               generated_at=GENERATED)
    out = tmp_path / "s"
    assert not list(out.rglob("rep")) and not (out / "reps.html").exists()
    for page in [*out.rglob("*.html"), out / "data" / "scores.csv", out / "data" / "scores.json"]:
        text = page.read_text(encoding="utf-8")
        assert "Priya" not in text and "Marcus Chen" not in text and PRIYA not in text, page


def test_initials_replace_rep_names_everywhere(tmp_path):
    build_site(with_site(sample_scorecard(), rep_names="initials"), tmp_path / "s",
               generated_at=GENERATED)
    out = tmp_path / "s"
    rep_page = out / "2026-06" / "rep" / DANA / "index.html"
    assert "<h1>D. W." in rep_page.read_text(encoding="utf-8")
    for page in [*out.rglob("*.html"), out / "data" / "scores.csv"]:
        text = page.read_text(encoding="utf-8")
        assert "Whitfield" not in text and "dana@acme.example" not in text, page


def test_initials():
    assert fmt.initials("Dana Whitfield") == "D. W."
    assert fmt.initials('Sam <Sales> & "Co" Lee') == "S. S. C. L."
    assert fmt.initials("🚀") == "?"


def test_reverse_funnel_in_words():
    card = sample_scorecard()
    funnel = ReverseFunnel("rep", SAM, "2026-06", "opps_created", Decimal(4), (
        FunnelStep("meetings", 17, Decimal("0.25"), "rep"),
        FunnelStep("opps_created", 4, None, None),
    ))
    card = replace(card, reverse_funnels=(funnel,))
    sam = next(r for r in card.reps if r.id == SAM)
    view = rep_page(Site(card, GENERATED), sam).reverse_funnel
    assert view.sentence == ("To reach 4 of Opportunities created at your rates: "
                             "4 Opportunities created, 17 Meetings held.")
    assert view.lines[1].rate == "converting to Opportunities created at 25.0% (your rate)"


def test_periods_page_and_period_nav():
    site = Site(sample_scorecard(), GENERATED)
    links = org_page(site).scope.periods
    assert [(link.text, link.href, link.current) for link in links] == [
        ("Apr 2026", "2026-04/index.html", False), ("May 2026", "2026-05/index.html", False),
        ("Jun 2026", "2026-06/index.html", True),
        ("FY2026 year to date", "FY2026-YTD/index.html", False)]


SITE_YAML = """\
org: {name: Acme, timezone: UTC}
teams: [{id: t, name: T, members: {roles: [AE]}, kpis: [calls]}]
kpis: [{id: calls, name: Calls, tier: activities, type: leading, unit: count, source: Task,
        date: ActivityDate, measure: count}]
"""


def test_site_section_is_read(tmp_path):
    path = tmp_path / "kpis.yaml"
    path.write_text(SITE_YAML + "site: {leaderboards: false, rep_names: initials, "
                    "salesforce_url: 'https://acme.my.salesforce.com/'}\n", encoding="utf-8")
    site = load_config(path).site
    assert (site.leaderboards, site.drill_through, site.rep_names, site.salesforce_url) == (
        False, True, "initials", "https://acme.my.salesforce.com")


def test_site_section_problems_are_named(tmp_path):
    path = tmp_path / "kpis.yaml"
    path.write_text(SITE_YAML + "site: {rep_names: nicknames, salesforce_url: acme.com}\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "site.rep_names" in message and "site.salesforce_url" in message
    assert "https://acme.my.salesforce.com" in message
