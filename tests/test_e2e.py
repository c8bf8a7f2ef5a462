"""End to end: emulator → real sync (simple-salesforce over HTTPS) → store → compute → site.

The expected numbers are computed here, independently, in plain Python straight from the
generated demo records, and compared with scores.csv and with the rendered pages.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kpisync.build import build
from kpisync.config import load_config
from kpisync.emulator import Emulator
from kpisync.emulator.demo_org import generate_demo_org
from kpisync.store import Store
from kpisync.sync.auth import Credentials
from kpisync.sync.client import SalesforceClient
from kpisync.sync.jobs import sync
from kpisync.sync.plan import SyncOptions

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 6, 17)
SEED = 11
TZ = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Sync the demo org through the emulator once, and build the site from it."""
    workdir = tmp_path_factory.mktemp("e2e")
    config = load_config(ROOT / "kpis.yaml")
    org = generate_demo_org(seed=SEED, as_of=AS_OF)
    with Emulator(org) as emulator:
        credentials = Credentials(
            instance_url=emulator.url, access_token=emulator.access_token,
            ca_bundle=emulator.ca_path,
        )
        with Store.open(workdir / "store.duckdb") as store:
            report = sync(config, store, SalesforceClient(credentials),
                          SyncOptions(history_start=date(2025, 5, 1)))
        url = emulator.url
    built = build(config, workdir / "store.duckdb", workdir / "out", as_of=AS_OF)
    return org, config, report, built, workdir / "out", url


def live(org, sobject):
    return [r for r in org.records(sobject) if not r.get("IsDeleted")]


def local_day(stamp: str) -> date:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(TZ).date()


def in_month(day: date, year: int, month: int) -> bool:
    return (day.year, day.month) == (year, month)


def scores(out: Path) -> dict[tuple[str, str, str, str], dict[str, str]]:
    with (out / "data" / "scores.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {(r["kpi"], r["period_start"], r["scope"], r["scope_id"]): r for r in rows}


def reps_of(org, role: str) -> list[dict]:
    roles = {r["Id"]: r["Name"] for r in org.records("UserRole")}
    return [u for u in org.records("User") if roles.get(u["UserRoleId"]) == role]


def test_sync_fetched_every_live_and_deleted_record(demo):
    org, _, report, _, _, _ = demo
    assert report.objects["Task"].fetched == sum(
        1 for r in org.records("Task") if r["CreatedDate"] >= "2025-05-01"
    )
    assert report.objects["User"].fetched == len(org.records("User"))


def test_calls_per_rep_match_records(demo):
    org, _, _, _, out, _ = demo
    rows = scores(out)
    calls = Counter(
        t["OwnerId"] for t in live(org, "Task")
        if t["TaskSubtype"] == "Call" and in_month(date.fromisoformat(t["ActivityDate"]), 2026, 5)
    )
    for rep in reps_of(org, "SDR East"):
        row = rows[("calls", "2026-05-01", "rep", rep["Id"])]
        assert Decimal(row["actual"]) == calls[rep["Id"]], rep["Name"]


def test_conversations_team_total_matches_records(demo):
    org, _, _, _, out, _ = demo
    team = {u["Id"] for u in reps_of(org, "SDR West")}
    expected = sum(
        1 for t in live(org, "Task")
        if t["OwnerId"] in team and t["TaskSubtype"] == "Call"
        and (t["CallDurationInSeconds"] or 0) >= 120
        and in_month(date.fromisoformat(t["ActivityDate"]), 2026, 6)
    )
    row = scores(out)[("conversations", "2026-06-01", "team", "sdr_west")]
    assert Decimal(row["actual"]) == expected


def test_pipeline_created_uses_local_created_day(demo):
    org, _, _, _, out, _ = demo
    team = {u["Id"] for u in reps_of(org, "AE SMB")}
    expected = sum(
        (Decimal(str(o["Amount"])) for o in live(org, "Opportunity")
         if o["OwnerId"] in team and o["Amount"] is not None
         and in_month(local_day(o["CreatedDate"]), 2026, 4)),
        Decimal(0),
    )
    row = scores(out)[("pipeline_created", "2026-04-01", "team", "ae_smb")]
    assert Decimal(row["actual"]) == expected


def test_win_rate_for_the_org_year_to_date(demo):
    org, config, _, _, out, _ = demo
    scored = {u["Id"] for t in ("SDR East", "SDR West", "AE SMB", "AE Enterprise")
              for u in reps_of(org, t)}
    fy_start = date(2026, config.org.fiscal_year_start_month, 1)
    closed = [o for o in live(org, "Opportunity")
              if o["IsClosed"] and o["OwnerId"] in scored
              and fy_start <= date.fromisoformat(o["CloseDate"]) <= AS_OF]
    won = sum(1 for o in closed if o["IsWon"])
    expected = (Decimal(won) * 100 / len(closed)).quantize(Decimal("0.0001"))
    row = scores(out)[("win_rate", fy_start.isoformat(), "org", "org")]
    assert Decimal(row["actual"]) == expected


class TextOf(HTMLParser):
    """The text a person reads on a page, entities decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)

    @classmethod
    def read(cls, path: Path) -> str:
        parser = cls()
        parser.feed(path.read_text(encoding="utf-8"))
        return " ".join(" ".join(parser.parts).split())


def test_records_link_to_the_org_the_store_was_synced_from(demo):
    """kpis.yaml names no site.salesforce_url: the sync recorded the org's address, and each
    drill-through record links to <that address>/<Id>."""
    org, config, _, _, out, url = demo
    assert config.site.salesforce_url is None
    rep = reps_of(org, "SDR East")[0]
    page = (out / "2026-06" / "rep" / rep["Id"] / "records.html").read_text(encoding="utf-8")
    call = next(t for t in live(org, "Task") if t["OwnerId"] == rep["Id"]
                and t["TaskSubtype"] == "Call" and t["ActivityDate"].startswith("2026-06-0"))
    assert f'href="{url.rstrip("/")}/{call["Id"]}"' in page


@pytest.mark.parametrize("role", ["SDR East", "SDR West"])
def test_rep_pages_show_each_rep_and_their_calls(demo, role):
    org, _, _, _, out, _ = demo
    rows = scores(out)
    for rep in reps_of(org, role):
        text = TextOf.read(out / "2026-06" / "rep" / rep["Id"] / "index.html")
        assert " ".join(rep["Name"].split()) in text
        actual = int(Decimal(rows[("calls", "2026-06-01", "rep", rep["Id"])]["actual"]))
        assert f"{actual:,}" in text


@pytest.mark.browser
def test_demo_site_in_chromium_every_link_between_pages_works(demo, browser):
    """output/index.html of the synced demo org, opened from file:// in headless chromium:
    follow every link between pages; each loads styled, with one h1 and no errors."""
    from test_site_browser import assert_all_pages_good, crawl

    _, _, _, built, out, _ = demo
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        seen = crawl(context.new_page(), (out / "index.html").as_uri())
    finally:
        context.close()
    # every page but 404.html, which no link leads to (the host serves it)
    assert_all_pages_good(seen, expected_pages=built.site.pages - 1)
