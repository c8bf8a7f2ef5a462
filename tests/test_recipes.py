"""The KPI recipes of docs/recipes/: each one loads as a complete kpis.yaml and computes a
sensible figure, on the generated demo org where it has the data, else on a small hand-built
store whose figures are computed by hand.

The demo org (docs/demo-org.md) has no Leads, no "Proactive Idea" tasks and no reply
sentiment on emails, so lead_response_time, proactive_ideas and positive_reply_rate are
checked on the hand-built store. May 2026 is the last complete month before the as-of day.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kpisync.compute import compute
from kpisync.compute.model import Scorecard
from kpisync.config import load_config
from kpisync.emulator.demo_org import OrgData, generate_demo_org
from kpisync.store import Store

ROOT = Path(__file__).resolve().parent.parent
RECIPES = ROOT / "docs" / "recipes"
AS_OF = date(2026, 6, 17)
MAY = "2026-05"
TZ = ZoneInfo("America/New_York")
DEMO_OBJECTS = ("UserRole", "User", "Account", "Task", "Event", "Opportunity",
                "OpportunityHistory")
ON_DEMO_ORG = {"calls", "conversations", "meetings_held", "opportunities_created",
               "pipeline_generated", "win_rate", "average_deal_size", "sales_cycle_length",
               "stage_conversion"}
ON_HAND_BUILT_STORE = {"proactive_ideas", "positive_reply_rate", "lead_response_time"}


@pytest.fixture(scope="session")
def demo_org() -> OrgData:
    # A quarter of the demo's activity: the same 36 users, ~35,000 Tasks, a few seconds.
    return generate_demo_org(seed=7, as_of=AS_OF, scale=0.25)


@pytest.fixture(scope="session")
def demo_store(demo_org, tmp_path_factory) -> Path:
    """The demo org's records in a store, as a sync of every field would leave them."""
    path = tmp_path_factory.mktemp("recipes") / "demo.duckdb"
    with Store.open(path) as store:
        for sobject in DEMO_OBJECTS:
            store.ensure_table(sobject, demo_org.fields(sobject))
            store.upsert(sobject, demo_org.records(sobject))
    return path


def scorecard(recipe: str, store_path: Path) -> Scorecard:
    config = load_config(RECIPES / f"{recipe}.yaml")
    with Store.open(store_path) as store:
        return compute(config, store.connection, AS_OF)


def team_may(card: Scorecard, kpi_id: str) -> Decimal | None:
    (team,) = card.teams
    return card.result(kpi_id, MAY, "team", team.id).actual


def local_day(stamp: str) -> date:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(TZ).date()


def in_may(day: date | str | None) -> bool:
    return day is not None and str(day).startswith(MAY)


def members(org: OrgData, *roles: str) -> set[str]:
    role_ids = {r["Id"] for r in org.records("UserRole") if r["Name"] in roles}
    return {u["Id"] for u in org.records("User") if u["UserRoleId"] in role_ids}


def live(org: OrgData, sobject: str) -> list[dict]:
    return [r for r in org.records(sobject) if not r.get("IsDeleted")]


SDRS = ("SDR East", "SDR West")
AES = ("AE SMB", "AE Enterprise")


def test_every_recipe_is_tested_and_explained():
    names = {p.stem for p in RECIPES.glob("*.yaml")}
    assert names == ON_DEMO_ORG | ON_HAND_BUILT_STORE
    guide = (ROOT / "docs" / "recipes.md").read_text(encoding="utf-8")
    assert [n for n in sorted(names) if f"(recipes/{n}.yaml)" not in guide] == []


@pytest.mark.parametrize("recipe", sorted(ON_DEMO_ORG | ON_HAND_BUILT_STORE))
def test_recipe_is_a_valid_config_without_warnings(recipe):
    assert load_config(RECIPES / f"{recipe}.yaml").warnings == ()


# ---- on the demo org ----

def test_calls_counts_both_subtype_and_type(demo_org, demo_store):
    sdrs = members(demo_org, *SDRS)
    expected = sum(1 for t in live(demo_org, "Task")
                   if t["OwnerId"] in sdrs and in_may(t["ActivityDate"])
                   and "Call" in (t["TaskSubtype"], t["Type"]))
    assert expected > 500
    assert team_may(scorecard("calls", demo_store), "calls") == expected


def test_conversations_are_the_connected_share_of_calls(demo_store):
    calls = team_may(scorecard("calls", demo_store), "calls")
    conversations = team_may(scorecard("conversations", demo_store), "conversations")
    # docs/demo-org.md: each rep connects 27-43% of calls
    assert Decimal("0.25") < conversations / calls < Decimal("0.45")


def test_meetings_held_leaves_out_no_shows(demo_org, demo_store):
    aes = members(demo_org, *AES)
    meetings = [e for e in live(demo_org, "Event") if e["OwnerId"] in aes
                and e["Type"] == "Meeting" and in_may(e["ActivityDate"])]
    held = sum(1 for e in meetings if e["Meeting_Held__c"])
    assert 0 < held < len(meetings)
    assert team_may(scorecard("meetings_held", demo_store), "meetings_held") == held


def test_opportunities_created_credit_the_creator(demo_org, demo_store):
    aes = members(demo_org, *AES)
    created = [o for o in live(demo_org, "Opportunity")
               if o["CreatedById"] in aes and in_may(local_day(o["CreatedDate"]))]
    assert len(created) > 10
    card = scorecard("opportunities_created", demo_store)
    assert team_may(card, "opportunities_created") == len(created)


def test_pipeline_generated_sums_the_amounts_opened(demo_org, demo_store):
    aes = members(demo_org, *AES)
    amounts = [Decimal(str(o["Amount"])) for o in live(demo_org, "Opportunity")
               if o["OwnerId"] in aes and in_may(local_day(o["CreatedDate"]))
               and o["Amount"] is not None]
    assert team_may(scorecard("pipeline_generated", demo_store), "pipeline_generated") == \
        sum(amounts) > 100_000


def test_win_rate_is_won_over_closed_in_percent(demo_store):
    card = scorecard("win_rate", demo_store)
    won, closed = team_may(card, "deals_won"), team_may(card, "deals_closed")
    rate = team_may(card, "win_rate")
    assert closed > won > 0
    assert abs(rate - 100 * won / closed) < Decimal("0.001")
    assert 10 < rate < 50  # docs/demo-org.md: 25-35% by AE


def test_average_deal_size_is_between_smb_and_enterprise_sizes(demo_store):
    average = team_may(scorecard("average_deal_size", demo_store), "average_deal_size")
    assert 5_000 < average < 400_000  # docs/demo-org.md: SMB 5,000-40,000, Enterprise to 400,000


def test_sales_cycle_length_is_in_days(demo_store):
    days = team_may(scorecard("sales_cycle_length", demo_store), "sales_cycle_length")
    assert 15 <= days <= 150  # docs/demo-org.md: won deals take 15-60 (SMB) or 45-150 days


def test_stage_conversion_covers_every_step(demo_store):
    card = scorecard("stage_conversion", demo_store)
    steps = [c for c in card.stages.conversions
             if c.period_key == MAY and c.scope == "org"]
    assert [c.from_stage for c in steps] == list(card.config.stages[:-1])
    assert all(c.reached > 0 and Decimal(0) < c.rate <= 1 for c in steps), steps
    assert team_may(card, "proposals") > 0


# ---- on a hand-built store: the demo org lacks these fields ----

def _task(number: int, owner: str, day: str, **fields) -> dict:
    return {"Id": f"00T{number:015d}", "IsDeleted": False, "OwnerId": owner,
            "CreatedDate": f"{day}T15:00:00.000+0000", "SystemModstamp": f"{day}T15:00:00.000+0000",
            "ActivityDate": day, "Status": "Completed", **fields}


def _lead(number: int, owner: str, created: str, touched: str | None, source: str) -> dict:
    return {"Id": f"00Q{number:015d}", "IsDeleted": False, "OwnerId": owner,
            "CreatedDate": created, "SystemModstamp": created, "LeadSource": source,
            "First_Touch__c": touched}


@pytest.fixture(scope="module")
def hand_built(demo_org, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The demo org's users, with a few Tasks and Leads whose figures are worked out below."""
    people = {
        "sdr_a": sorted(members(demo_org, "SDR East"))[0],
        "sdr_b": sorted(members(demo_org, "SDR West"))[0],
        "ae": sorted(members(demo_org, "AE SMB"))[0],
    }
    a, b, ae = people["sdr_a"], people["sdr_b"], people["ae"]
    email = {"TaskSubtype": "Email", "Type": "Email"}
    tasks = [
        # sdr_a: 4 emails in May, 1 answered positively → 25 %
        _task(1, a, "2026-05-04", **email, Reply_Sentiment__c="Positive"),
        _task(2, a, "2026-05-05", **email, Reply_Sentiment__c="Negative"),
        _task(3, a, "2026-05-06", **email),
        _task(4, a, "2026-05-07", **email, Reply_Sentiment__c="Neutral"),
        _task(5, a, "2026-04-30", **email, Reply_Sentiment__c="Positive"),  # April
        # sdr_b: 2 emails, 1 positive → 50 %; team: 2 of 6 → 33.33 %
        _task(6, b, "2026-05-11", **email, Reply_Sentiment__c="Positive"),
        _task(7, b, "2026-05-12", **email),
        # the AE: 2 proactive ideas sent in May; a planned one and a call do not count
        _task(8, ae, "2026-05-13", TaskSubtype="Email", Type="Proactive Idea"),
        _task(9, ae, "2026-05-20", TaskSubtype="Call", Type="Proactive Idea"),
        _task(10, ae, "2026-05-21", TaskSubtype="Email", Type="Proactive Idea",
              Status="Not Started"),
        _task(11, ae, "2026-05-22", TaskSubtype="Call", Type="Call"),
    ]
    leads = [
        # sdr_a: inbound leads answered in 30 and 90 minutes → 60
        _lead(1, a, "2026-05-04T13:00:00.000+0000", "2026-05-04T13:30:00.000+0000", "Web"),
        _lead(2, a, "2026-05-05T14:00:00.000+0000", "2026-05-05T15:30:00.000+0000",
              "Phone Inquiry"),
        _lead(3, a, "2026-05-06T14:00:00.000+0000", None, "Web"),  # not touched yet
        _lead(4, a, "2026-05-07T14:00:00.000+0000", "2026-05-08T00:00:00.000+0000",
              "Purchased List"),  # not inbound
        # sdr_b: 20 minutes; team: (30 + 90 + 20) / 3 → 46.67
        _lead(5, b, "2026-05-11T16:00:00.000+0000", "2026-05-11T16:20:00.000+0000", "Web"),
    ]
    path = tmp_path_factory.mktemp("recipes") / "hand.duckdb"
    with Store.open(path) as store:
        for sobject in ("UserRole", "User"):
            store.ensure_table(sobject, demo_org.fields(sobject))
            store.upsert(sobject, demo_org.records(sobject))
        store.ensure_table("Task", {**demo_org.fields("Task"), "Reply_Sentiment__c": "picklist"})
        store.upsert("Task", tasks)
        store.ensure_table("Lead", {"Id": "id", "IsDeleted": "boolean", "OwnerId": "reference",
                                    "CreatedDate": "datetime", "SystemModstamp": "datetime",
                                    "LeadSource": "picklist", "First_Touch__c": "datetime"})
        store.upsert("Lead", leads)
    return path, people


def rep_may(card: Scorecard, kpi_id: str, rep_id: str) -> Decimal | None:
    return card.result(kpi_id, MAY, "rep", rep_id).actual


@pytest.mark.parametrize(("recipe", "by_rep", "team"), [
    # worked out beside the records in hand_built
    ("positive_reply_rate", {"sdr_a": 25, "sdr_b": 50}, "33.33"),
    ("proactive_ideas", {"ae": 2}, "2.00"),
    ("lead_response_time", {"sdr_a": 60, "sdr_b": 20}, "46.67"),
], ids=["positive_reply_rate", "proactive_ideas", "lead_response_time"])
def test_recipe_on_hand_built_store(hand_built, recipe, by_rep, team):
    path, people = hand_built
    card = scorecard(recipe, path)
    assert {who: rep_may(card, recipe, people[who]) for who in by_rep} == by_rep
    assert team_may(card, recipe).quantize(Decimal("0.01")) == Decimal(team)
