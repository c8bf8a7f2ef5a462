"""Building the site: files, links, escaping, atomic replacement, exports, serving."""

from __future__ import annotations

import json
import re
import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from scorecards import ANN, DANA, EMOJI_NAME, HOSTILE_NAME, sample_scorecard, tiny_scorecard

from kpisync.errors import SiteError
from kpisync.site import build_site, template_dir, write_scores_csv, write_scores_json
from kpisync.site.serve import start_server

GENERATED = datetime(2026, 6, 17, 13, 30, tzinfo=UTC)
REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "site_templates"


class PageParser(HTMLParser):
    """Collects what the tests check: links, ids, headings, text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        self.attrs.append((tag, attrs))
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag in ("a", "link") and "href" in attrs:
            self.hrefs.append(attrs["href"])
        if "src" in attrs:
            self.srcs.append(attrs["src"])

    def handle_data(self, data):
        self.text.append(data)


def parse(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture
def site(tmp_path):
    out = tmp_path / "site"
    report = build_site(sample_scorecard(), out, generated_at=GENERATED)
    return out, report


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_build_writes_every_page_asset_and_export(site):
    out, report = site
    reps = [rep.id for rep in sample_scorecard().reps]
    per_period = {
        f"{key}/{page}"
        for key in ("2026-04", "2026-05", "2026-06", "FY2026-YTD")
        for page in ("index.html", "team/sdr_east/index.html", "team/ae_smb/index.html",
                     "leaderboards/index.html")
    } | {  # rep pages in the focus period, the one before it and the running year to date
        f"{key}/rep/{rep}/index.html" for key in ("2026-05", "2026-06", "FY2026-YTD")
        for rep in reps
    }
    boards = {f"{key}/leaderboards/{kpi}.html" for key in ("2026-04", "2026-05", "2026-06",
                                                            "FY2026-YTD")
              for kpi in ("calls", "conversations", "meetings", "opps_created", "pipeline",
                          "win_rate", "cycle", "deals_won", "revenue")}
    assert files_under(out) == {
        "index.html", "kpis.html", "periods.html", "reps.html", "404.html",
        "assets/style.css", "assets/favicon.svg", "assets/sort.js", "assets/filter.js",
        "data/scores.csv", "data/scores.json", *per_period, *boards,
    }
    assert (report.out_dir, report.index_path, report.pages, report.files) == (
        out, out / "index.html", 5 + 4 * 4 + 3 * 5 + 4 * 9, 5 + 4 * 4 + 3 * 5 + 4 * 9 + 6
    )


def test_every_link_resolves_to_a_produced_file_and_anchor(site):
    out, _ = site
    pages = sorted(out.rglob("*.html"))
    for page in pages:
        parsed = parse(page)
        for src in parsed.srcs:
            assert (page.parent / src).resolve().parent == (out / "assets").resolve(), page
        for href in parsed.hrefs:
            parts = urlsplit(href)
            assert not parts.scheme and not parts.netloc, f"{page}: external link {href}"
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file(), f"{page}: {href} does not resolve"
            assert out.resolve() in target.parents, f"{page}: {href} leaves the site"
            if parts.fragment and target.suffix == ".html":
                assert parts.fragment in parse(target).ids, f"{page}: {href} has no anchor"


def test_every_page_links_back_to_the_org_page(site):
    out, _ = site
    for page in out.rglob("*.html"):
        targets = {(page.parent / h).resolve() for h in parse(page).hrefs}
        assert (out / "index.html").resolve() in targets, page


def test_every_page_has_lang_title_one_h1_and_a_skip_link(site):
    out, _ = site
    for page in out.rglob("*.html"):
        parsed = parse(page)
        assert ("html", {"lang": "en"}) in parsed.attrs, page
        assert parsed.tags.count("h1") == 1, page
        head = parsed.tags[:parsed.tags.index("body")]  # charts have titles of their own
        assert head.count("title") == 1, page
        assert parsed.hrefs[2] == "#main" and "main" in parsed.ids, page


def test_table_headers_have_scope(site):
    out, _ = site
    for page in out.rglob("*.html"):
        headers = [attrs for tag, attrs in parse(page).attrs if tag == "th"]
        assert all(a.get("scope") in ("col", "row") for a in headers), page


def test_hostile_rep_names_are_escaped_as_text(site):
    out, _ = site
    team = (out / "2026-06" / "team" / "sdr_east" / "index.html").read_text(encoding="utf-8")
    assert "Sam &lt;Sales&gt; &amp; &#34;Co&#34; Lee" in team
    assert "<Sales>" not in team
    assert HOSTILE_NAME in "".join(parse(out / "2026-06/team/sdr_east/index.html").text)
    assert EMOJI_NAME in team


def test_hostile_org_name_is_escaped_in_title(tmp_path):
    scorecard = sample_scorecard(name="<script>alert(1)</script> & Co")
    build_site(scorecard, tmp_path / "s", generated_at=GENERATED)
    index = (tmp_path / "s" / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in index
    title = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co · Sales scorecard"
    assert f"<title>{title}</title>" in index


def test_inactive_rep_is_marked(site):
    out, _ = site
    text = " ".join(parse(out / "2026-06" / "rep" / DANA / "index.html").text)
    assert "inactive" in text


def test_org_page_shows_tiers_cascade_teams_and_history(site):
    out, _ = site
    parsed = parse(out / "index.html")
    headings = [t.strip() for t in parsed.text if t.strip()]
    for heading in ("Results", "Objectives", "Activities", "Cascade · Jun 2026",
                    "Teams · Jun 2026", "History", "Weakest step"):
        assert heading in headings, heading


def test_kpi_definitions_describe_measure_and_filters(site):
    out, _ = site
    text = [t.strip() for t in parse(out / "kpis.html").text]
    for line in ("Sum of Amount", "TaskSubtype = Call", "CallDurationInSeconds ≥ 120",
                 "Type is one of Meeting, Demo", "300 per rep per month",
                 "Team ae_smb: 100 per rep per month", "Lower is better"):
        assert line in text, line


def test_stale_pages_are_removed_on_rebuild(tmp_path):
    out = tmp_path / "site"
    build_site(sample_scorecard(), out, generated_at=GENERATED)
    (out / "2026-06" / "rep" / "old-rep.html").write_text("stale", encoding="utf-8")
    build_site(sample_scorecard(), out, generated_at=GENERATED)
    assert not (out / "2026-06" / "rep" / "old-rep.html").exists()


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_template_error_keeps_the_previous_site(tmp_path):
    out = tmp_path / "site"
    build_site(sample_scorecard(), out, generated_at=GENERATED)
    before = {name: (out / name).read_bytes() for name in files_under(out)}
    broken = tmp_path / "theme"
    broken.mkdir()
    (broken / "rep.html").write_text("{{ page.no_such_field }}", encoding="utf-8")
    with pytest.raises(SiteError) as caught:
        build_site(sample_scorecard(), out, templates_dir=broken)
    assert str(caught.value) == (
        "the output 'html' failed: the site templates failed: "
        "'kpisync.site.viewdata.RepPage object' has no attribute "
        "'no_such_field'"
    )
    assert {name: (out / name).read_bytes() for name in files_under(out)} == before
    assert leftovers(tmp_path) == []


def test_template_syntax_error_names_file_and_line(tmp_path, monkeypatch):
    broken = tmp_path / "theme"
    broken.mkdir()
    (broken / "kpis.html").write_text("line one\n{% if %}\n", encoding="utf-8")
    with pytest.raises(SiteError) as caught:
        build_site(sample_scorecard(), tmp_path / "site", templates_dir=broken)
    assert str(caught.value) == (
        f"the output 'html' failed: the site templates failed: {broken / 'kpis.html'}:2: "
        "Expected an expression, "
        "got 'end of statement block'"
    )
    assert leftovers(tmp_path) == []
    assert not (tmp_path / "site").exists()


def test_write_failure_keeps_the_previous_site(tmp_path, monkeypatch):
    out = tmp_path / "site"
    build_site(sample_scorecard(), out, generated_at=GENERATED)
    before = (out / "index.html").read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("kpisync.site.exports.write_scores_json", disk_full)
    with pytest.raises(SiteError) as caught:
        build_site(sample_scorecard(), out)
    assert str(caught.value) == (
        f"the output 'json' failed: cannot write the site to {out}: "
        "[Errno 28] No space left on device"
    )
    assert (out / "index.html").read_bytes() == before
    assert leftovers(tmp_path) == []


def test_refuses_to_replace_a_directory_that_is_not_a_site(tmp_path):
    precious = tmp_path / "docs"
    precious.mkdir()
    (precious / "thesis.md").write_text("years of work", encoding="utf-8")
    with pytest.raises(SiteError) as caught:
        build_site(sample_scorecard(), precious)
    assert str(caught.value) == (
        f"{precious} is not empty and holds no index.html: refusing to replace it"
        " (choose another --out directory)"
    )
    assert files_under(precious) == {"thesis.md"}


def test_refuses_an_output_path_that_is_a_file(tmp_path):
    (tmp_path / "out").write_text("x", encoding="utf-8")
    with pytest.raises(SiteError) as caught:
        build_site(sample_scorecard(), tmp_path / "out")
    assert str(caught.value) == f"{tmp_path / 'out'} exists and is not a directory"


def test_missing_override_directory_is_reported(tmp_path):
    with pytest.raises(SiteError) as caught:
        build_site(sample_scorecard(), tmp_path / "s", templates_dir=tmp_path / "nope")
    assert str(caught.value) == f"template directory {tmp_path / 'nope'} does not exist"


def test_override_directory_replaces_one_template_and_the_stylesheet(tmp_path):
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "style.css").write_text("body { color: rebeccapurple; }\n", encoding="utf-8")
    (theme / "kpis.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Our KPIs</h1>{% endblock %}',
        encoding="utf-8",
    )
    out = tmp_path / "site"
    build_site(sample_scorecard(), out, templates_dir=theme, generated_at=GENERATED)
    assert (out / "assets" / "style.css").read_text() == "body { color: rebeccapurple; }\n"
    assert "<h1>Our KPIs</h1>" in (out / "kpis.html").read_text(encoding="utf-8")
    assert "Acme &amp; Co" in (out / "index.html").read_text(encoding="utf-8")


def test_template_dir_is_the_source_checkout_templates():
    assert template_dir() == REPO_TEMPLATES


def test_templates_use_no_external_resources():
    for path in REPO_TEMPLATES.iterdir():
        text = path.read_text(encoding="utf-8").replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "http://" not in text and "https://" not in text and "//" + "cdn" not in text, path


TINY_CSV = f"""\
kpi,period_start,period_end,scope,scope_id,scope_name,actual,target,attainment,period_key,unit,on_pace
calls,2026-03-01,2026-03-31,org,org,Tiny Co,4,10,0.4000,2026-03,count,true
calls,2026-03-01,2026-03-31,team,sdr,SDR,4,10,0.4000,2026-03,count,true
calls,2026-03-01,2026-03-31,rep,{ANN},"Ann, ""the"" closer",4,10,0.4000,2026-03,count,true
revenue,2026-03-01,2026-03-31,org,org,Tiny Co,,,,2026-03,currency,
revenue,2026-03-01,2026-03-31,team,sdr,SDR,1250.50,,,2026-03,currency,
revenue,2026-03-01,2026-03-31,rep,{ANN},"Ann, ""the"" closer",1250.50,,,2026-03,currency,
"""


def test_scores_csv_rows_are_exact(tmp_path):
    write_scores_csv(tiny_scorecard(), tmp_path / "scores.csv")
    assert (tmp_path / "scores.csv").read_text(encoding="utf-8") == TINY_CSV


def test_scores_json_document_is_exact(tmp_path):
    write_scores_json(tiny_scorecard(), tmp_path / "scores.json", generated_at=GENERATED)
    raw = (tmp_path / "scores.json").read_text(encoding="utf-8")
    document = json.loads(raw)
    row = {"kpi": "revenue", "period_start": "2026-03-01", "period_end": "2026-03-31",
           "scope": "team", "scope_id": "sdr", "scope_name": "SDR", "actual": 1250.5,
           "target": None, "attainment": None, "period_key": "2026-03", "unit": "currency",
           "on_pace": None}
    assert {k: v for k, v in document.items() if k != "scores"} == {
        "generated_at": "2026-06-17T13:30:00+00:00",
        "as_of": "2026-03-10",
        "org": {"name": "Tiny Co", "currency": "CHF", "timezone": "Europe/Zurich"},
        "periods": [{"key": "2026-03", "label": "Mar 2026", "kind": "month",
                     "start": "2026-03-01", "end": "2026-03-31", "is_current": True,
                     "elapsed": 0.3226}],
    }
    assert len(document["scores"]) == 6
    assert document["scores"][4] == row
    assert '"actual": 1250.50, "target": null, "attainment": null' in raw
    assert '"attainment": 0.4000' in raw


def test_json_numbers_parse_to_the_exact_decimals(tmp_path):
    from decimal import Decimal

    write_scores_json(sample_scorecard(), tmp_path / "scores.json")
    document = json.loads((tmp_path / "scores.json").read_text(), parse_float=Decimal)
    scorecard = sample_scorecard()
    for row in document["scores"]:
        result = scorecard.result(row["kpi"], row["period_key"], row["scope"], row["scope_id"])
        assert row["attainment"] == result.attainment, row


def test_built_site_exports_match_the_writers(site, tmp_path):
    out, _ = site
    write_scores_csv(sample_scorecard(), tmp_path / "direct.csv")
    assert (out / "data" / "scores.csv").read_bytes() == (tmp_path / "direct.csv").read_bytes()


def test_start_server_serves_the_site_on_loopback(site):
    out, _ = site
    server, url = start_server(out)
    try:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "index.html", timeout=5) as response:
            body = response.read().decode("utf-8")
            assert response.status == 200
        assert "<h1>Acme &amp; Co</h1>" in body
    finally:
        server.shutdown()
        server.server_close()


def test_serving_a_missing_directory_is_an_error(tmp_path):
    with pytest.raises(SiteError) as caught:
        start_server(tmp_path / "nowhere")
    assert str(caught.value) == f"{tmp_path / 'nowhere'} is not a directory: nothing to serve"


def test_serving_on_a_busy_port_is_an_error(site):
    out, _ = site
    server, _ = start_server(out)
    port = server.server_address[1]
    try:
        with pytest.raises(SiteError) as caught:
            start_server(out, port=port)
        assert str(caught.value) == f"cannot serve on 127.0.0.1:{port}: Address already in use"
    finally:
        server.shutdown()
        server.server_close()


def test_charts_are_inline_svg_that_parses_as_xml_with_ids_unique_per_page(site):
    out, _ = site
    svg = "{http://www.w3.org/2000/svg}"
    pages = {"index.html": ("chart-spark", "chart-funnel"),
             "2026-06/team/sdr_east/index.html": ("chart-spark", "chart-funnel"),
             f"2026-06/rep/{DANA}/index.html": ("chart-spark", "chart-funnel", "chart-trend")}
    for name, kinds in pages.items():
        html = (out / name).read_text(encoding="utf-8")
        # the charts; the attainment bars are small svgs of their own
        charts = [ET.fromstring(m) for m in re.findall(r'<svg\b[^>]*class="chart\b.*?</svg>',
                                                        html, re.S)]
        classes = {c for chart in charts for c in chart.get("class").split()}
        assert set(kinds) <= classes, name
        for chart in charts:
            assert chart.tag == f"{svg}svg" and chart.get("role") == "img"
            assert chart.find(f"{svg}title").text, name  # every chart names itself
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
