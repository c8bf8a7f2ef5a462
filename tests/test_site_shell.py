"""What every page carries besides its content: a deterministic build, the CSP, the stale-data
banner from the store's sync state, and base_url's canonical links."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scorecards import sample_scorecard

from kpisync.config.model import Publishing
from kpisync.site import build_site
from kpisync.site.shell import Freshness, absolute_url, describe_age, freshness, policy
from kpisync.store import Store
from kpisync.store.state import SyncState

GENERATED = datetime(2026, 6, 17, 13, 30, tzinfo=UTC)
#: 09:30 in New York, the sample org's zone
SYNCED = datetime(2026, 6, 16, 13, 30, tzinfo=UTC)


def with_publishing(**changes):
    card = sample_scorecard()
    config = dataclasses.replace(card.config, publishing=Publishing(**changes))
    return dataclasses.replace(card, config=config)


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def pages_of(root: Path) -> dict[str, str]:
    return {name: text.decode("utf-8") for name, text in files_of(root).items()
            if name.endswith(".html")}


# -- deterministic build --------------------------------------------------------------------

def test_two_builds_differ_only_in_the_generated_at_stamp(tmp_path):
    # a later build, not so late that the (equally time-dependent) stale banner appears
    later = GENERATED + timedelta(hours=5, minutes=7)
    fresh = Freshness(SYNCED)
    build_site(sample_scorecard(), tmp_path / "a", generated_at=GENERATED, freshness=fresh)
    build_site(sample_scorecard(), tmp_path / "b", generated_at=later, freshness=fresh)
    first, second = files_of(tmp_path / "a"), files_of(tmp_path / "b")
    assert sorted(first) == sorted(second)
    changed = {}
    for name, content in first.items():
        old = content.decode("utf-8").splitlines()
        new = second[name].decode("utf-8").splitlines()
        assert len(old) == len(new), name
        changed[name] = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    stamps = {"17 Jun 2026, 09:30 EDT": "17 Jun 2026, 14:37 EDT",
              "2026-06-17T13:30:00+00:00": "2026-06-17T18:37:00+00:00"}
    for name, lines in changed.items():
        if name == "data/scores.csv" or name.startswith("assets/"):
            assert lines == [], name
            continue
        assert len(lines) == 1, (name, lines)  # the one stamp line, in pages and scores.json
        old, new = lines[0]
        assert any(a in old and b in new and old.replace(a, b) == new
                   for a, b in stamps.items()), (name, lines)


# -- Content-Security-Policy ------------------------------------------------------------------

def csp_of(html: str) -> str:
    match = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert match, "no CSP meta tag"
    return match.group(1)


def test_every_page_has_a_policy_allowing_nothing_but_the_site_itself(tmp_path):
    build_site(sample_scorecard(), tmp_path / "site", generated_at=GENERATED)
    for name, html in pages_of(tmp_path / "site").items():
        assert csp_of(html) == ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
                                "base-uri 'none'; form-action 'self'; script-src 'self'"), name
        # the CSP is in force before anything loads, and no page relies on what it forbids
        assert html.index("Content-Security-Policy") < html.index("<link"), name
        assert not re.search(r"<[a-z]+[^>]*\sstyle=", html), name
        assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", html), name


def test_a_script_file_is_published_and_allowed_from_the_site_only(tmp_path):
    overrides = tmp_path / "templates"
    overrides.mkdir()
    (overrides / "sort.js").write_text("document.documentElement.dataset.sorted = '1';\n")
    build_site(sample_scorecard(), tmp_path / "site", templates_dir=overrides,
               generated_at=GENERATED)
    site = tmp_path / "site"
    assert (site / "assets" / "sort.js").read_text() == (overrides / "sort.js").read_text()
    index = (site / "index.html").read_text()
    team = (site / "2026-06" / "team" / "sdr_east" / "index.html").read_text()
    assert '<script src="assets/sort.js" defer></script>' in index
    assert '<script src="../../../assets/sort.js" defer></script>' in team
    assert csp_of(team).endswith("; script-src 'self'")


def test_an_inline_script_is_allowed_by_the_hash_of_its_exact_text(tmp_path):
    overrides = tmp_path / "templates"
    overrides.mkdir()
    script = "document.body.dataset.ran = 'yes';"
    (overrides / "kpis.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Definitions</h1>'
        f"<script>{script}</script>{{% endblock %}}\n")
    build_site(sample_scorecard(), tmp_path / "site", templates_dir=overrides,
               generated_at=GENERATED)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    # printf %s "$script" | openssl dgst -sha256 -binary | base64
    assert digest == "S+m8EbkmnvRXUxQIjw57N9ZgWldrTQCrj9guTasRoIs="
    kpis = (tmp_path / "site" / "kpis.html").read_text()
    assert csp_of(kpis).endswith(f"; script-src 'self' 'sha256-{digest}'")
    # pages without that script do not allow it
    assert csp_of((tmp_path / "site" / "index.html").read_text()).endswith("script-src 'self'")


def test_policy_lists_each_hash_once_in_a_stable_order():
    assert policy(["b", "a", "b"], script_files=True).endswith(
        "script-src 'self' 'sha256-PiPoFgA5WUoziU9lZOGxNIu9egCI1CxKy3PurtWcAJ0=' "
        "'sha256-ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs='")  # "b", then "a"


# -- staleness --------------------------------------------------------------------------------

def test_a_stale_sync_puts_a_banner_with_the_sync_time_on_every_page(tmp_path):
    fresh = Freshness(GENERATED - timedelta(hours=50))
    build_site(sample_scorecard(), tmp_path / "site", generated_at=GENERATED, freshness=fresh)
    pages = pages_of(tmp_path / "site")
    assert len(pages) == 5 + 4 * 18  # root pages with 404.html, then 18 per period
    for name, html in pages.items():
        assert '<div class="stale-banner">' in html, name
        assert ("The last sync from Salesforce finished 15 Jun 2026, 07:30 EDT, 2 days 2 hours "
                "before this build (more than the 36 hours kpis.yaml allows)") in html, name
        assert "synced 15 Jun 2026, 07:30 EDT" in html, name


def test_a_recent_sync_shows_its_time_and_no_banner(tmp_path):
    fresh = Freshness(GENERATED - timedelta(hours=35, minutes=59))
    build_site(sample_scorecard(), tmp_path / "site", generated_at=GENERATED, freshness=fresh)
    for name, html in pages_of(tmp_path / "site").items():
        assert "stale-banner" not in html, name
        assert "synced 15 Jun 2026, 21:31 EDT" in html, name  # 01:31 UTC


def test_stale_after_from_the_config_decides(tmp_path):
    fresh = Freshness(GENERATED - timedelta(hours=3))
    card = with_publishing(stale_after=timedelta(hours=2))
    build_site(card, tmp_path / "site", generated_at=GENERATED, freshness=fresh)
    index = (tmp_path / "site" / "index.html").read_text()
    assert "3 hours before this build (more than the 2 hours kpis.yaml allows)" in index


def test_stale_after_false_never_shows_the_banner(tmp_path):
    fresh = Freshness(GENERATED - timedelta(days=30), unfinished=("Task",))
    build_site(with_publishing(stale_after=None), tmp_path / "site", generated_at=GENERATED,
               freshness=fresh)
    assert "stale-banner" not in (tmp_path / "site" / "index.html").read_text()


def test_an_unfinished_sync_is_named_in_the_banner(tmp_path):
    fresh = Freshness(GENERATED - timedelta(hours=1), unfinished=("Opportunity", "Task"))
    build_site(sample_scorecard(), tmp_path / "site", generated_at=GENERATED, freshness=fresh)
    index = (tmp_path / "site" / "index.html").read_text()
    assert ("The last sync of Opportunity, Task did not finish: run `kpisync sync` again."
            in index)
    assert "more than the" not in index


def test_no_finished_sync_says_so(tmp_path):
    build_site(sample_scorecard(), tmp_path / "site", generated_at=GENERATED,
               freshness=Freshness(None, ("Task",)))
    index = (tmp_path / "site" / "index.html").read_text()
    assert "No sync from Salesforce has finished yet" in index
    assert "synced " not in index


def test_without_the_sync_state_there_is_neither_time_nor_banner(tmp_path):
    build_site(sample_scorecard(), tmp_path / "site", generated_at=GENERATED)
    index = (tmp_path / "site" / "index.html").read_text()
    assert "stale-banner" not in index and 'class="synced"' not in index


def test_freshness_is_the_stalest_finished_object_from_the_store(tmp_path):
    with Store.open(tmp_path / "store.duckdb") as store:
        before = datetime.now(UTC)
        store.save_state(SyncState("User", None, None, ("Id",), complete=True))
        middle = datetime.now(UTC)
        store.save_state(SyncState("Task", None, None, ("Id",), complete=True))
        store.save_state(SyncState("Event", None, None, ("Id",), complete=False))
        states = store.states()
    assert [s.sobject for s in states] == ["Event", "Task", "User"]
    found = freshness(states)
    assert found.unfinished == ("Event",)
    assert before <= found.synced_at <= middle  # User's, the earlier of the finished two


@pytest.mark.parametrize(("age", "text"), [
    (timedelta(minutes=45), "45 minutes"),
    (timedelta(minutes=90), "90 minutes"),
    (timedelta(hours=36), "36 hours"),
    (timedelta(hours=47, minutes=59), "47 hours"),
    (timedelta(days=2), "2 days"),
    (timedelta(days=3, hours=1, minutes=20), "3 days 1 hour"),
])
def test_ages_are_written_in_whole_units(age, text):
    assert describe_age(age) == text


# -- base_url ---------------------------------------------------------------------------------

def test_base_url_gives_every_page_its_canonical_address(tmp_path):
    build_site(with_publishing(base_url="/scorecards/"), tmp_path / "site",
               generated_at=GENERATED)
    pages = pages_of(tmp_path / "site")
    team = "2026-06/team/sdr_east/index.html"
    assert '<link rel="canonical" href="/scorecards/">' in pages["index.html"]
    assert f'<link rel="canonical" href="/scorecards/{team}">' in pages[team]
    for name, html in pages.items():
        if name == "404.html":
            continue
        # the links between pages stay relative: the site still works from file://
        assert 'href="/scorecards/' not in html.replace('rel="canonical" href="/scorecards/', "")


def test_with_base_url_the_404_page_links_absolutely_so_it_works_at_any_depth(tmp_path):
    build_site(with_publishing(base_url="/scorecards/"), tmp_path / "site",
               generated_at=GENERATED)
    html = pages_of(tmp_path / "site")["404.html"]
    assert '<link rel="stylesheet" href="/scorecards/assets/style.css">' in html
    assert '<script src="/scorecards/assets/sort.js" defer></script>' in html
    assert 'href="/scorecards/kpis.html"' in html and 'href="/scorecards/"' in html
    assert not re.search(r'(href|src)="(?!/scorecards/|#)', html)


def test_without_base_url_no_page_has_an_absolute_link(tmp_path):
    build_site(sample_scorecard(), tmp_path / "site", generated_at=GENERATED)
    for name, html in pages_of(tmp_path / "site").items():
        assert "canonical" not in html, name
        assert not re.search(r'(href|src)="(/|https?:)', html), name


def test_absolute_urls_quote_the_path_under_the_base():
    assert absolute_url("https://intranet.example.com/sc/", "reps/a b.html") == (
        "https://intranet.example.com/sc/reps/a%20b.html")
    assert absolute_url("/sc/", "index.html") == "/sc/"
    assert absolute_url("/sc/", "kpis.html#kpi-calls") == "/sc/kpis.html#kpi-calls"
