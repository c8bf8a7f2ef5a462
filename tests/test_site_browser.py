"""The built site in a real browser: every page reachable by clicking, over file:// and http.

Follows every <a href> from index.html breadth-first and checks each page loads, has one h1 and
logs no console errors (a missing stylesheet or a broken link shows up here as a failed request).
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urldefrag

import pytest
from scorecards import HOSTILE_NAME, sample_scorecard

from kpisync.site import build_site
from kpisync.site.serve import start_server

pytestmark = pytest.mark.browser

GENERATED = datetime(2026, 6, 17, 13, 30, tzinfo=UTC)
#: every page of the sample site but 404.html, which no link leads to (the host serves it):
#: 4 root pages, then per period (4) the org, 2 teams, 5 reps, 1 + 9 leaderboards
PAGES = 4 + 4 * 18


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "site"
    build_site(sample_scorecard(), out, generated_at=GENERATED)
    return out


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


def crawl(page, start: str) -> dict[str, dict]:
    """Visit every page reachable from ``start``; returns url -> what was seen there."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # net::ERR_ABORTED is the crawl itself moving on while the favicon still loads, not a
    # broken link (a missing file fails with ERR_FILE_NOT_FOUND or a 404 status)
    page.on("requestfailed", lambda r: None if r.failure == "net::ERR_ABORTED"
            else errors.append(f"request failed: {r.url} ({r.failure})"))
    seen: dict[str, dict] = {}
    queue = deque([start])
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        errors.clear()
        response = page.goto(url)
        seen[url] = {
            "status": response.status if response else None,
            "h1": page.locator("h1").count(),
            "title": page.title(),
            "errors": list(errors),
            "css": page.evaluate(
                "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
            ),
        }
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        for href in hrefs:
            target, _ = urldefrag(href)
            if target.endswith(".html") and target not in seen:
                queue.append(target)
    return seen


def assert_all_pages_good(seen: dict[str, dict], expected_pages: int) -> None:
    assert len(seen) == expected_pages, sorted(seen)
    for url, info in seen.items():
        assert info["status"] in (None, 200), url  # file:// responses have no HTTP status
        assert info["h1"] == 1, url
        assert info["title"], url
        assert info["errors"] == [], url
        # the stylesheet loaded: the header is not the browser's default transparent
        assert info["css"] == "rgb(18, 48, 90)", url


def test_every_page_is_reachable_over_file_url(page, built):
    seen = crawl(page, (built / "index.html").as_uri())
    assert_all_pages_good(seen, expected_pages=PAGES)


def test_every_page_is_reachable_over_http(page, built):
    server, url = start_server(built)
    try:
        seen = crawl(page, url + "index.html")
    finally:
        server.shutdown()
        server.server_close()
    assert_all_pages_good(seen, expected_pages=PAGES)


def test_hostile_name_renders_as_text(page, built):
    page.goto((built / "2026-06" / "team" / "sdr_east" / "index.html").as_uri())
    names = page.locator("table tbody th a").all_inner_texts()
    assert HOSTILE_NAME in names
    assert page.locator("Sales").count() == 0  # no <Sales> element was created


def test_skip_link_moves_focus_to_main(page, built):
    page.goto((built / "index.html").as_uri())
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
