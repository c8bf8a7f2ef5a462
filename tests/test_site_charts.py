"""Charts: geometry checked by hand on small inputs, ticks, text alternatives, and the macros
rendering well-formed, escaped SVG through the site's own jinja2 environment."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal as D

import pytest

from kpisync.site.build import environment
from kpisync.site.charts import (
    ChartPeriod,
    ChartPoint,
    Point,
    TableRow,
    chart_id,
    coord,
    nice_ticks,
    sparkline,
    trend_chart,
)
from kpisync.site.funnel_chart import FunnelStage, FunnelStep, funnel

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert('x')</script> & \"Co\""
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def spark(*values, unit="count", title="Calls"):
    points = [ChartPoint(MONTHS[i], None if v is None else D(v)) for i, v in enumerate(values)]
    return sparkline(points, title=title, unit=unit, name="calls")


def months(count):
    return [ChartPeriod(f"{m} 2026", m) for m in MONTHS[:count]]


def stage(name, value, unit="count"):
    return FunnelStage(name, None if value is None else D(value), unit)


def cascade_steps():
    """Calls → Conversations → Meetings, then (Conversations → Meetings untracked) Opps → Won."""
    calls, convs, meets = stage("Calls", 1200), stage("Conversations", 300), stage("Meetings", 60)
    return [
        FunnelStep(calls, convs, D("0.25")),
        FunnelStep(convs, meets, D("0.2")),
        FunnelStep(stage("Opps", 30), stage("Won", 8), D("0.2667")),
    ]


def render(macro, chart):
    return str(getattr(environment().get_template("_charts.html").module, macro)(chart))


def parse(markup):
    return ET.fromstring(f"<div>{markup}</div>")


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(D("3"), "3"), (D("16.25"), "16.3"), (D("2.64"), "2.6"), (D("-0.04"), "0"), (D("12.0"), "12"),
     (D("-7.55"), "-7.6")],
    ids=["whole", "half-up", "down", "no-minus-zero", "no-trailing-zero", "negative"],
)
def test_coordinates_round_half_up_to_one_decimal(value, text):
    assert coord(value) == text


@pytest.mark.parametrize(
    ("low", "high", "whole", "ticks"),
    [
        ("0", "150", True, ["0", "50", "100", "150"]),
        ("0", "7", True, ["0", "2", "4", "6", "8"]),
        ("0", "1", False, ["0", "0.5", "1"]),
        ("0", "1", True, ["0", "1"]),
        ("0", "0", True, ["0", "1"]),
        ("0", "0.03", False, ["0", "0.01", "0.02", "0.03"]),
        ("0", "1234", True, ["0", "500", "1000", "1500"]),
        ("-30", "70", True, ["-50", "0", "50", "100"]),
    ],
    ids=["150", "7", "fraction", "whole-step-floor", "all-zero", "small", "thousands", "negative"],
)
def test_ticks_are_one_two_five_steps_covering_zero_and_the_data(low, high, whole, ticks):
    assert nice_ticks(D(low), D(high), whole=whole) == tuple(D(t) for t in ticks)


def test_ticks_are_written_plainly_not_in_exponent_form():
    assert [str(t) for t in nice_ticks(D(0), D(150), whole=True)] == ["0", "50", "100", "150"]


def test_chart_ids_keep_safe_names_and_digest_others():
    assert chart_id("calls-trend") == "chart-calls-trend"
    hostile = chart_id(HOSTILE)
    assert hostile.startswith("chart-") and len(hostile) == 16 and hostile[6:].isalnum()
    assert chart_id(HOSTILE) == hostile
    assert chart_id("won deals") != chart_id("won_deals")


# --- sparkline -------------------------------------------------------------------------------


def test_sparkline_three_points_span_the_box():
    # x: 3 + 114·i/2 = 3, 60, 117; y: 3 + 26·(10 − v)/10 = 29, 16, 3
    s = spark(0, 5, 10)
    assert (s.path, s.dots, s.last) == ("M3 29L60 16L117 3", (), Point("117", "3"))
    assert (s.view_box, s.width, s.height) == ("0 0 120 32", "120", "32")


def test_sparkline_breaks_at_no_data_and_dots_a_lone_value():
    # x: 3, 41, 79, 117; range 10..30 → y 29, (gap), 16, 3; the lone first value is a dot
    s = spark(10, None, 20, 30)
    assert s.path == "M79 16L117 3"
    assert s.dots == (Point("3", "29"),)
    assert s.last == Point("117", "3")


def test_sparkline_never_draws_no_data_as_zero():
    s = spark(10, None, 10)
    assert s.path == ""
    assert s.dots == (Point("3", "16"), Point("117", "16"))


def test_sparkline_of_equal_values_is_level_across_the_middle():
    assert spark(5, 5, 5).path == "M3 16L60 16L117 16"


def test_sparkline_of_one_point_is_a_centred_marker():
    s = spark(7)
    assert (s.path, s.dots, s.last) == ("", (Point("60", "16"),), Point("60", "16"))
    assert s.text == "Calls over the last month: 7. Latest 7."


def test_sparkline_with_no_data_draws_nothing_and_says_so():
    s = spark(None, None)
    assert (s.path, s.dots, s.last) == ("", (), None)
    assert s.text == "Calls over the last 2 months: no data."


def test_sparkline_of_a_running_period_dashes_only_the_segment_into_it():
    points = [ChartPoint(m, D(v)) for m, v in zip(MONTHS, (0, 5, 10), strict=False)]
    s = sparkline(points, title="Calls", unit="count", name="calls", running=True)
    assert (s.path, s.running_path, s.dots) == ("M3 29L60 16", "M60 16L117 3", ())
    assert s.text == ("Calls over the last 3 months: 0, 5, 10. "
                      "Latest 10 so far: this month is running.")


def test_sparkline_of_a_running_period_after_a_gap_is_a_dot():
    points = [ChartPoint(m, v) for m, v in zip(MONTHS, (D(10), None, D(20)), strict=False)]
    s = sparkline(points, title="Calls", unit="count", name="calls", running=True)
    assert (s.path, s.running_path) == ("", "")
    assert s.dots == (Point("3", "29"), Point("117", "3"))


def test_sparkline_marks_the_latest_known_value_when_the_last_period_is_empty():
    assert spark(1, 2, None).last == Point("60", "3")


def test_sparkline_text_lists_every_value_and_the_change():
    s = spark(120, 135, None, 140, 135, 150)
    assert s.text == (
        "Calls over the last 6 months: 120, 135, no data, 140, 135, 150. "
        "Latest 150, up 11% on the previous month."
    )


@pytest.mark.parametrize(
    ("values", "ending"),
    [
        ((200, 150), "Latest 150, down 25% on the previous month."),
        ((150, 150), "Latest 150, level with the previous month."),
        ((1000, 1001), "Latest 1,001, about level with the previous month."),
        ((0, 4), "Latest 4, up from 0 the previous month."),
        ((None, 4), "Latest 4; no data for the previous month."),
        ((4, None), "No data for the latest month."),
    ],
    ids=["down", "level", "about-level", "from-zero", "no-previous", "no-latest"],
)
def test_sparkline_text_compares_the_latest_with_the_previous_period(values, ending):
    assert spark(*values).text.endswith(ending)


def test_sparkline_text_uses_the_site_number_formatting():
    s = sparkline([ChartPoint("May", D("1200.4")), ChartPoint("Jun", D("12300"))],
                  title="Revenue", unit="currency", name="rev", currency="EUR", noun="quarter")
    assert s.text == (
        "Revenue over the last 2 quarters: €1,200, €12,300. "
        "Latest €12,300, up 925% on the previous quarter."
    )


# --- trend chart -----------------------------------------------------------------------------


def small_trend(**overrides):
    args = dict(title="Calls by month", unit="count", name="calls-trend")
    return trend_chart(months(2), [D(10), None], [None, D(20)], **(args | overrides))


def test_trend_chart_geometry_by_hand():
    # ticks 0..20 by 5; widest tick "20" = 2 × 5.6 → left 17.2; slot (396 − 17.2)/2 = 189.4;
    # y = 24 + 156·(20 − v)/20: 10 → 102, 20 → 24, 0 → 180
    c = small_trend()
    assert [g.label.text for g in c.gridlines] == ["0", "5", "10", "15", "20"]
    assert [g.y for g in c.gridlines] == ["180", "141", "102", "63", "24"]
    assert (c.gridlines[0].x1, c.gridlines[0].x2) == ("17.2", "396")
    assert (c.gridlines[0].label.x, c.gridlines[0].label.y) == ("13.2", "183.5")
    assert c.baseline.y == "180"
    (bar,) = c.bars
    assert (bar.x, bar.y, bar.width, bar.height) == ("45.6", "102", "132.6", "78")
    assert bar.tip == "Jan 2026: 10"
    assert [(m.x, m.y, m.text) for m in c.missing] == [("301.3", "177", "—")]
    assert c.target_path == "M206.6 24H396"
    assert [(label.x, label.y, label.text) for label in c.x_labels] == [
        ("111.9", "194", "Jan"), ("301.3", "194", "Feb")]


def test_trend_chart_target_is_one_step_line_broken_where_no_target():
    c = trend_chart(months(4), [D(1)] * 4, [D(10), D(10), None, D(20)],
                    title="t", unit="count", name="t")
    # ticks 0..20 by 5, left 17.2, slot 94.7; y(10) = 102, y(20) = 24
    assert c.target_path == "M17.2 102H206.6M301.3 24H396"
    c = trend_chart(months(2), [D(1)] * 2, [D(10), D(20)], title="t", unit="count", name="t")
    assert c.target_path == "M17.2 102H206.6V24H396"


def test_trend_chart_draws_negative_bars_down_from_zero():
    c = trend_chart(months(2), [D(-30), D(70)], [None, None], title="t", unit="count", name="t")
    assert [g.label.text for g in c.gridlines] == ["-50", "0", "50", "100"]
    below, above = c.bars
    assert below.y == c.baseline.y == "128"
    assert (below.height, above.y, above.height) == ("31.2", "55.2", "72.8")
    assert c.target_path == "" and c.legend_target is None


def test_trend_chart_thins_period_labels_that_do_not_fit_keeping_the_latest():
    periods = [ChartPeriod(f"2026-{i:02}") for i in range(1, 13)]
    c = trend_chart(periods, [D(100)] * 12, [None] * 12, title="t", unit="count", name="t")
    # a 7-character label needs 43.2; slots are (396 − 22.8)/12 = 31.1 wide → every second
    assert [label.text for label in c.x_labels] == [f"2026-{i:02}" for i in range(2, 13, 2)]
    assert len(trend_chart(months(12), [D(100)] * 12, [None] * 12, title="t", unit="count",
                           name="t").x_labels) == 12


def test_trend_chart_text_alternative_and_table():
    c = small_trend()
    assert c.desc == (
        "Actual per month as bars, target as a line, Jan 2026 to Feb 2026. "
        "No data for Feb 2026 against a target of 20. The figures are in the table that follows."
    )
    assert c.table == (TableRow("Jan 2026", "10", "—"), TableRow("Feb 2026", "—", "20"))
    c = trend_chart(months(1), [D(1500)], [None], title="Won", unit="currency", name="w")
    assert c.desc.startswith("Actual per month as bars, Jan 2026. Latest, Jan 2026: $1,500. ")


def test_trend_chart_needs_one_value_per_period():
    with pytest.raises(ValueError, match="got 2 periods, 1 actuals and 2 targets"):
        trend_chart(months(2), [D(1)], [D(1), D(2)], title="t", unit="count", name="t")


def test_trend_chart_bytes_do_not_depend_on_how_a_decimal_is_written():
    one = render("trend_chart", trend_chart(months(2), [D("150"), D("90")], [D("100")] * 2,
                                            title="t", unit="count", name="t"))
    other = render("trend_chart", trend_chart(months(2), [D("150.00"), D("90.0")],
                                              [D("1E+2")] * 2, title="t", unit="count", name="t"))
    assert one == other


# --- funnel ----------------------------------------------------------------------------------


def test_funnel_geometry_by_hand():
    f = funnel(cascade_steps(), weakest=1, title="Cascade", name="cascade")
    assert [r.name.text for r in f.rows] == ["Calls", "Conversations", "Meetings", "Opps", "Won"]
    # widths: 396 × value / 1200; each block 48 high from y = 4; bars 14 below the block top
    assert [r.bar.width for r in f.rows] == ["396", "99", "19.8", "9.9", "2.6"]
    assert [r.bar.y for r in f.rows] == ["18", "66", "114", "162", "210"]
    assert [(r.count.x, r.count.y, r.count.text) for r in f.rows[:2]] == [
        ("398", "14", "1,200"), ("398", "62", "300")]
    assert f.view_box == "0 0 400 230"
    assert [link.label.y for link in f.links] == ["47", "95", "143", "191"]


def test_funnel_names_the_weakest_step_in_words_and_hatches_its_bar():
    f = funnel(cascade_steps(), weakest=1, title="Cascade", name="cascade")
    assert [(link.label.text, link.weak, link.gap) for link in f.links] == [
        ("↓ 25.0% to Conversations", False, False),
        ("↓ 20.0% to Meetings · weakest step", True, False),
        ("…", False, True),
        ("↓ 26.7% to Won", False, False),
    ]
    assert [r.weak for r in f.rows] == [False, False, True, False, False]
    assert f.pattern_url == "url(#chart-cascade-hatch)"


def test_funnel_after_a_gap_hatches_the_right_bar():
    f = funnel(cascade_steps(), weakest=2, title="Cascade", name="cascade")
    assert [r.weak for r in f.rows] == [False, False, False, False, True]


def test_funnel_text_alternative():
    f = funnel(cascade_steps(), weakest=1, title="Cascade", name="cascade")
    assert f.desc == (
        "Calls 1,200 to Conversations 300: 25.0%. Conversations 300 to Meetings 60: 20.0%. "
        "Opps 30 to Won 8: 26.7%. Weakest step: Conversations to Meetings, at 20.0%."
    )


def test_funnel_without_data_draws_no_bar_and_says_no_data():
    f = funnel([FunnelStep(stage("Calls", 0), stage("Meetings", None), None)], weakest=None,
               title="c", name="c")
    assert [(r.bar, r.count.text) for r in f.rows] == [(None, "0"), (None, "no data")]
    assert f.links[0].label.text == "↓ — to Meetings"
    assert f.desc == "Calls 0 to Meetings (no data): —."


def test_funnel_keeps_a_tiny_stage_visible_and_scales_each_unit_apart():
    f = funnel([FunnelStep(stage("Calls", 1000), stage("Won", 1), D("0.001")),
                FunnelStep(stage("Won", 1), stage("Revenue", 5000, "currency"), None)],
               weakest=None, title="c", name="c")
    assert [r.bar.width for r in f.rows] == ["396", "2", "396"]
    assert f.rows[2].count.text == "$5,000"


def test_funnel_rejects_a_weakest_step_it_does_not_have():
    with pytest.raises(ValueError, match="weakest step 3 is not one of the 3 steps"):
        funnel(cascade_steps(), weakest=3, title="c", name="c")


# --- macros ----------------------------------------------------------------------------------


def all_charts(label=HOSTILE):
    points = [ChartPoint(label, D(3)), ChartPoint("Feb", None), ChartPoint("Mar", D(4))]
    periods = [ChartPeriod(label, label), ChartPeriod("Feb 2026", "Feb")]
    hostile = [FunnelStep(stage(label, 10), stage("Won", 2), D("0.2")),
               FunnelStep(stage("Won", 2), stage("Paid", 1), D("0.5"))]
    return (
        sparkline(points, title=label, unit="count", name=label),
        trend_chart(periods, [D(3), None], [D(5), D(5)], title=label, unit="count", name="t"),
        funnel(hostile, weakest=0, title=label, name="f"),
    )


@pytest.mark.parametrize("macro", ["sparkline", "trend_chart", "funnel"])
def test_macros_render_well_formed_svg_named_by_their_title(macro):
    chart = dict(zip(["sparkline", "trend_chart", "funnel"], all_charts("Calls"), strict=True))
    root = parse(render(macro, chart[macro]))
    svg = root.find(f".//{SVG}svg")
    assert svg.get("role") == "img"
    ids = {el.get("id") for el in svg.iter() if el.get("id")}
    assert set(svg.get("aria-labelledby").split()) <= ids
    assert svg.find(f"{SVG}title").text.startswith("Calls")


@pytest.mark.parametrize("macro", ["sparkline", "trend_chart", "funnel"])
def test_hostile_labels_are_escaped_text(macro):
    chart = dict(zip(["sparkline", "trend_chart", "funnel"], all_charts(), strict=True))
    markup = render(macro, chart[macro])
    assert "<script>" not in markup
    root = parse(markup)
    assert not [el for el in root.iter() if el.tag.endswith("script")]
    texts = [el.text for el in root.iter() if el.text]
    assert any(HOSTILE in text for text in texts)


def test_trend_chart_macro_carries_the_data_table():
    root = parse(render("trend_chart", small_trend()))
    table = root.find(".//table")
    assert table.get("class") == "visually-hidden"
    assert [[cell.text for cell in row] for row in table.iter("tr")] == [
        ["Period", "Actual", "Target"], ["Jan 2026", "10", "—"], ["Feb 2026", "—", "20"]]
    assert len(root.findall(f".//{SVG}rect[@class='chart-actual']")) == 2  # one bar + legend


def test_funnel_macro_hatches_the_weak_bar_with_its_pattern():
    root = parse(render("funnel", funnel(cascade_steps(), weakest=1, title="c", name="cascade")))
    assert root.find(f".//{SVG}pattern").get("id") == "chart-cascade-hatch"
    (hatch,) = root.findall(f".//{SVG}rect[@class='chart-hatch']")
    assert hatch.get("fill") == "url(#chart-cascade-hatch)"
    weak = root.find(f".//{SVG}text[@class='chart-rate chart-weak']")
    assert weak.text == "↓ 20.0% to Meetings · weakest step"


def test_macros_set_no_colour_only_classes_and_current_color():
    markup = "".join(render(m, c) for m, c in zip(
        ["sparkline", "trend_chart", "funnel"], all_charts("Calls"), strict=True))
    assert "#" not in markup.replace("url(#chart-f-hatch)", "")
    assert 'style="' not in markup


@pytest.mark.parametrize("index", [0, 1, 2], ids=["sparkline", "trend_chart", "funnel"])
def test_rendering_is_byte_identical(index):
    macro = ["sparkline", "trend_chart", "funnel"][index]
    assert render(macro, all_charts()[index]) == render(macro, all_charts()[index])
