"""The site's view layer: formatting, status rules, the weakest cascade step, words for config."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from scorecards import AS_OF, DANA, PERIODS, SAM, sample_config, sample_scorecard

from kpisync.compute.model import KpiResult, Period, Scorecard
from kpisync.config.model import Filter, Kpi, Measure, Target, TargetOverride
from kpisync.site import build_site
from kpisync.site import formatting as fmt
from kpisync.site.definitions import filter_words, measure_words, override_lines, target_words
from kpisync.site.page_views import org_page, rep_page, team_page
from kpisync.site.rules import describe_focus, focus_period, status_of, weakest_step
from kpisync.site.viewdata import Figure, Status, page_name, relative_to
from kpisync.site.views import Site

D = Decimal
GENERATED = datetime(2026, 6, 17, 13, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "unit", "currency", "expected"),
    [
        (D(1234), "count", "USD", "1,234"),
        (D(0), "count", "USD", "0"),
        (D("3.25"), "count", "USD", "3.3"),
        (D("12300"), "currency", "USD", "$12,300"),
        (D("12300.49"), "currency", "USD", "$12,300"),
        (D("0.5"), "currency", "USD", "$1"),
        (D("-1500"), "currency", "USD", "-$1,500"),
        (D("-0.2"), "currency", "USD", "$0"),
        (D("9876543.21"), "currency", "EUR", "€9,876,543"),
        (D("250"), "currency", "GBP", "£250"),
        (D("12300"), "currency", "CHF", "12,300 CHF"),
        (D("12300"), "currency", "jpy", "12,300 JPY"),
        (D("31.5"), "percent", "USD", "31.5%"),
        (D("31.25"), "percent", "USD", "31.3%"),
        (D("50"), "percent", "USD", "50.0%"),
        (D("42.25"), "days", "USD", "42.3 days"),
        (D("12.4"), "minutes", "USD", "12 min"),
        (D("1440"), "minutes", "USD", "1,440 min"),
        (D("1E+3"), "count", "USD", "1,000"),
        (None, "count", "USD", "—"),
        (None, "currency", "EUR", "—"),
    ],
    ids=lambda v: str(v),
)
def test_display_value(value, unit, currency, expected):
    assert fmt.display_value(value, unit, currency) == expected


@pytest.mark.parametrize(
    ("attainment", "expected"),
    [(D("0.87"), "87%"), (D("0.8750"), "88%"), (D("1"), "100%"), (D("12.5"), "1,250%"),
     (D("0"), "0%"), (None, "—")],
    ids=["87", "half-up", "100", "thousands", "zero", "none"],
)
def test_display_attainment(attainment, expected):
    assert fmt.display_attainment(attainment) == expected


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(D("0.125"), "12.5%"), (D("0.17625"), "17.6%"), (D("1.5"), "150.0%"), (None, "—")],
    ids=["eighth", "rounded", "above-one", "none"],
)
def test_display_rate(rate, expected):
    assert fmt.display_rate(rate) == expected


@pytest.mark.parametrize(
    ("attainment", "expected"),
    [(D("0.875"), "87.5%"), (D("1.3"), "100.0%"), (D("-0.2"), "0%"), (D(0), "0%"),
     (None, "0%"), (D("0.33333"), "33.3%")],
    ids=["inside", "clamped-high", "clamped-low", "zero", "none", "rounded"],
)
def test_bar_width_is_clamped(attainment, expected):
    assert fmt.bar_width(attainment) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [(D(12), "count", "12"), (D("12.00"), "count", "12"), (D("3.5"), "count", "3.5000"),
     (D("1250.5"), "currency", "1250.50"), (D("0.005"), "currency", "0.01"),
     (D("31.25"), "percent", "31.2500"), (D("42.1"), "days", "42.1000"),
     (D("1E+6"), "currency", "1000000.00"), (None, "count", None)],
    ids=["count", "count-trailing-zeros", "average-count", "money", "money-half-up", "percent",
         "days", "exponent", "none"],
)
def test_export_value_is_exact_text(value, unit, expected):
    assert fmt.export_value(value, unit) == expected


def test_display_range_and_dates():
    assert fmt.display_range(date(2026, 6, 1), date(2026, 6, 30)) == "1 Jun – 30 Jun 2026"
    assert fmt.display_range(date(2025, 11, 1), date(2026, 1, 31)) == "1 Nov 2025 – 31 Jan 2026"


ONE = D(1)


def result(target, attainment, on_pace=None, actual=ONE) -> KpiResult:
    return KpiResult("calls", "p", "rep", "r", "Rep", actual, target, attainment, on_pace)


CLOSED = PERIODS[0]
RUNNING = PERIODS[2]


@pytest.mark.parametrize(
    ("res", "period", "key", "label"),
    [
        (None, RUNNING, "no-data", "No data"),
        (result(None, None), RUNNING, "no-target", "No target"),
        (result(D(10), None, actual=None), RUNNING, "no-data", "No data"),
        (result(D(10), D("1.0000"), True), RUNNING, "met", "Met"),
        (result(D(10), D("1.2"), None), CLOSED, "met", "Met"),
        (result(D(10), D("0.6"), True), RUNNING, "on-pace", "On pace"),
        (result(D(10), D("0.6"), False), RUNNING, "behind", "Behind"),
        (result(D(10), D("0.9999"), None), CLOSED, "missed", "Missed"),
    ],
    ids=["missing", "no-target", "no-actual", "met-running", "met-closed", "on-pace", "behind",
         "missed-closed"],
)
def test_status_rules(res, period, key, label):
    status = status_of(res, period)
    assert (status.key, status.label) == (key, label)


@pytest.mark.parametrize(
    ("rates", "expected"),
    [
        ([D("0.5"), D("0.2"), D("0.4")], 1),
        ([D("0.2"), D("0.5"), D("0.2")], 0),
        ([None, D("0.3"), D("0.1")], 2),
        ([D("0.3"), None], None),
        ([None, None], None),
        ([], None),
    ],
    ids=["lowest", "first-of-tie", "skips-unknown", "single-rate", "no-rates", "no-steps"],
)
def test_weakest_step(rates, expected):
    assert weakest_step(rates) == expected


def test_focus_period_is_the_running_period_not_year_to_date():
    assert focus_period(PERIODS).key == "2026-06"


def test_focus_period_falls_back_to_the_latest_closed_period():
    closed = tuple(Period(p.key, p.label, p.kind, p.start, p.end) for p in PERIODS)
    assert focus_period(closed).key == "2026-06"


def test_focus_describes_progress_of_a_running_period():
    focus = describe_focus(RUNNING, AS_OF)
    assert (focus.label, focus.dates, focus.progress) == (
        "Jun 2026", "1 Jun – 30 Jun 2026", "Day 17 of 30 · 57% elapsed"
    )


def test_focus_of_a_closed_period_says_closed():
    assert describe_focus(CLOSED, AS_OF).progress == "Closed"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Filter("TaskSubtype", "eq", "Call"), "TaskSubtype = Call"),
        (Filter("CallDurationInSeconds", "gte", 120), "CallDurationInSeconds ≥ 120"),
        (Filter("Amount", "lt", D("1000.50")), "Amount < 1000.50"),
        (Filter("StageName", "ne", "Closed Lost"), "StageName ≠ Closed Lost"),
        (Filter("IsWon", "eq", True), "IsWon = true"),
        (Filter("CloseDate", "lte", date(2026, 3, 31)), "CloseDate ≤ 2026-03-31"),
        (Filter("Type", "in", ("Meeting", "Demo")), "Type is one of Meeting, Demo"),
        (Filter("Type", "not_in", ("Email",)), "Type is none of Email"),
        (Filter("Amount", "is_null", True), "Amount is empty"),
        (Filter("Amount", "is_null", False), "Amount is not empty"),
    ],
    ids=["eq", "gte", "lt-decimal", "ne", "bool", "date", "in", "not-in", "null", "not-null"],
)
def test_filter_words(condition, expected):
    assert filter_words(condition) == expected


def kpi(measure, unit="count", source="Task", target=None) -> Kpi:
    return Kpi(id="k", name="K", tier="activities", type="leading", unit=unit, measure=measure,
               source=source, target=target)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (kpi(Measure("count")), "Count of Task records"),
        (kpi(Measure("sum", field="Amount"), "currency"), "Sum of Amount"),
        (kpi(Measure("average", field="Amount"), "currency"), "Average of Amount"),
        (kpi(Measure("distinct_count", field="WhoId")), "Number of distinct WhoId values"),
        (kpi(Measure("ratio", numerator="deals_won", denominator="deals_closed"), "percent",
             None), "Deals won ÷ Deals closed × 100"),
        (kpi(Measure("duration", start_field="CreatedDate", end_field="CloseDate"), "days"),
         "Average time from CreatedDate to CloseDate, in days"),
    ],
    ids=["count", "sum", "average", "distinct", "ratio-percent", "duration"],
)
def test_measure_words(item, expected):
    names = {"deals_won": "Deals won", "deals_closed": "Deals closed"}
    assert measure_words(item, names) == expected


def test_target_words_for_additive_and_non_additive_kpis():
    config = sample_config()
    assert target_words(config.kpi("calls"), config) == "300 per rep per month"
    assert target_words(config.kpi("win_rate"), config) == "30.0% for every rep, team and the org"
    assert target_words(config.kpi("deals_closed"), config) == "No target"


def test_override_lines_in_config_order():
    config = sample_config()
    item = kpi(Measure("sum", field="Amount"), "currency", target=Target(
        D(1000), overrides=(TargetOverride("rep", "bob@x.example", D(500)),
                            TargetOverride("region", "EMEA", D(800)))))
    assert override_lines(item, config) == (
        "Rep bob@x.example: $500 per rep per month",
        "Region EMEA: $800 per rep per month",
    )


def test_override_lines_list_explicit_period_targets_and_team_totals():
    config = sample_config()
    item = kpi(Measure("count"), "count", target=Target(
        D(300), per_period=(("quarter", D(850)),), periods=(("2026-Q4", D(1000)),),
        team_totals=(("sdr_east", D(5000)),),
        overrides=(TargetOverride("role", "SDR East", D(250), per_period=(("week", D(60)),)),)))
    assert override_lines(item, config) == (
        "Role SDR East: 250 per rep per month; every week: 60",
        "Every quarter: 850 per rep",
        "2026-Q4: 1,000 per rep",
        "Team total sdr_east: 5,000 per month",
    )


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [("0055g00000A1sAmAAB", "0055g00000A1sAmAAB"), ("sdr_east", "sdr_east"),
     ("../etc/passwd", "etc-passwd-e96c47ea"), ("Team A/B", "Team-A-B-c3c68778")],
    ids=["salesforce-id", "config-id", "traversal", "spaces-and-slash"],
)
def test_page_name_is_safe(identifier, expected):
    assert page_name(identifier) == expected


def test_relative_links_from_a_sub_page():
    rel = relative_to("teams/sdr_east.html")
    assert rel("index.html") == "../index.html"
    assert rel("kpis.html#kpi-calls") == "../kpis.html#kpi-calls"
    assert relative_to("index.html")("reps/005.html") == "reps/005.html"


def test_org_cards_cover_every_kpi_grouped_by_tier():
    page = org_page(Site(sample_scorecard(), GENERATED))
    assert [(t.label, [c.kpi_id for c in t.cards]) for t in page.scope.tiers] == [
        ("Results", ["deals_won", "deals_closed", "revenue"]),
        ("Objectives", ["opps_created", "pipeline", "win_rate", "cycle"]),
        ("Activities", ["calls", "conversations", "meetings"]),
    ]


def test_card_text_is_formatted_in_views():
    scorecard = sample_scorecard()
    card = org_page(Site(scorecard, GENERATED)).scope.tiers[0].cards[2]
    revenue = scorecard.result("revenue", "2026-06", "org", "org")
    assert (card.name, card.target_line, card.figure.actual) == (
        "Revenue", "Target $160,000", fmt.display_money(revenue.actual, "USD")
    )
    assert card.figure.bar == fmt.bar_width(revenue.attainment)
    assert card.ytd_label == "FY2026 year to date"


def test_card_without_target_says_so():
    card = org_page(Site(sample_scorecard(), GENERATED)).scope.tiers[0].cards[1]
    assert (card.kpi_id, card.target_line, card.figure.status.key, card.figure.scored) == (
        "deals_closed", "No target", "no-target", False
    )


def untracked_deals_won() -> Scorecard:
    """The sample as compute makes it: deals_won has a target, but no team lists it, so no
    scope has a target for it."""
    scorecard = sample_scorecard()
    results = tuple(replace(r, target=None, attainment=None, on_pace=None)
                    if r.kpi_id == "deals_won" else r for r in scorecard.results)
    return replace(scorecard, results=results)


def test_no_target_says_no_team_tracks_a_kpi_whose_target_nothing_uses():
    page = org_page(Site(untracked_deals_won(), GENERATED))
    card = next(c for c in page.scope.tiers[0].cards if c.kpi_id == "deals_won")
    assert (card.target_line, card.figure.status.key, card.figure.reason) == (
        "No target", "no-target", "no team tracks this KPI")
    row = next(r for r in page.scope.history.rows if r.link.text == "Deals won")
    assert [cell.meta for cell in row.cells] == ["No target · no team tracks this KPI"] * 4


def test_no_target_gives_no_reason_for_a_kpi_without_a_target():
    card = org_page(Site(untracked_deals_won(), GENERATED)).scope.tiers[0].cards[1]
    assert (card.kpi_id, card.figure.status.key, card.figure.reason) == (
        "deals_closed", "no-target", "")


def test_the_reason_is_printed_next_to_the_status(tmp_path):
    build_site(untracked_deals_won(), tmp_path, generated_at=GENERATED)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert ('<span class="status status-no-target">No target</span>\n'
            '    <span class="status-reason muted">no team tracks this KPI</span>') in index
    assert index.count("no team tracks this KPI") == 1 + 4  # the card and its history row


def test_lower_is_better_kpi_is_noted_on_its_card():
    card = org_page(Site(sample_scorecard(), GENERATED)).scope.tiers[1].cards[3]
    assert (card.kpi_id, card.direction_note) == ("cycle", "Lower is better")


def test_cascade_marks_the_lowest_rate_as_weakest():
    scorecard = sample_scorecard()
    cascade = org_page(Site(scorecard, GENERATED)).scope.cascade
    steps = scorecard.cascade_for("2026-06", "org", "org")
    lowest = min(range(len(steps)), key=lambda i: steps[i].rate)
    assert [s.weakest for s in cascade.steps] == [i == lowest for i in range(len(steps))]
    weak = cascade.steps[lowest]
    assert cascade.weakest_note == (
        f"Weakest step: {weak.from_name} → {weak.to_name}, converting at {weak.rate}."
    )


def test_team_cascade_shows_only_steps_between_kpis_the_team_tracks():
    scorecard = sample_scorecard()
    site = Site(scorecard, GENERATED)
    sdr = next(t for t in scorecard.teams if t.id == "sdr_east")
    steps = team_page(site, sdr).scope.cascade.steps
    # the SDR team tracks calls → conversations → meetings → opps_created, not deals_won
    assert [(s.from_name, s.to_name) for s in steps] == [
        (site.kpi_name(a), site.kpi_name(b))
        for a, b in (("calls", "conversations"), ("conversations", "meetings"),
                     ("meetings", "opps_created"))
    ]
    ae = next(t for t in scorecard.teams if t.id == "ae_smb")
    assert team_page(site, ae).scope.cascade is None  # opps_created alone: no step to show


def test_team_page_lists_reps_with_inactive_marked():
    scorecard = sample_scorecard()
    page = team_page(Site(scorecard, GENERATED), scorecard.teams[0])
    # by name, the order a reader expects before any sorting
    assert [(r.link.href, r.inactive) for r in page.reps] == [
        (f"../../rep/{DANA}/index.html", True),
        (f"../../rep/{SAM}/index.html", False),
        ("../../rep/0055g00000A1zOeAAB/index.html", False),
    ]
    assert [k.text for k in page.kpi_heads] == [
        "Calls", "Conversations", "Meetings held", "Opportunities created"
    ]


def test_rep_page_of_an_inactive_rep():
    scorecard = sample_scorecard()
    dana = next(r for r in scorecard.reps if r.id == DANA)
    page = rep_page(Site(scorecard, GENERATED), dana)
    assert page.inactive
    assert [f"{f.label}: {f.value}" for f in page.facts] == [
        "Team: SDR East", "Role: SDR East", "Salesforce user: dana@acme.example",
        "Status: Inactive",
    ]
    assert [c.text for c in page.frame.breadcrumbs] == ["Acme & Co", "SDR East"]


def test_team_row_headline_is_the_first_lagging_kpi():
    scorecard = sample_scorecard()
    rows = org_page(Site(scorecard, GENERATED)).teams
    assert [(r.link.text, r.headline_kpi, r.segment) for r in rows] == [
        ("SDR East", "Calls", "—"), ("AE SMB", "Win rate", "SMB")
    ]


def test_footer_shows_generation_time_in_the_org_timezone():
    frame = org_page(Site(sample_scorecard(), GENERATED)).frame
    assert frame.generated == "17 Jun 2026, 09:30 EDT"
    assert frame.version.startswith("kpisync ")


@pytest.mark.parametrize(
    ("attainment", "status", "expected"),
    [("87%", ("behind", "Behind"), "87% · Behind"), ("—", ("no-target", "No target"), "No target")],
    ids=["scored", "unscored"],
)
def test_figure_meta_line(attainment, status, expected):
    figure = Figure("1", "2", attainment, "0%", Status(*status), scored=attainment != "—")
    assert figure.meta == expected


def test_figure_meta_line_carries_the_reason():
    figure = Figure("1", "—", "—", "0%", Status("no-target", "No target"),
                    reason="no team tracks this KPI")
    assert figure.meta == "No target · no team tracks this KPI"
