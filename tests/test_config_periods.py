"""kpis.yaml's calendar: org.week_start, workdays, holidays, windows, views and the top-level
periods list, read into Org and Config, and every mistake reported with file:line:col."""

from __future__ import annotations

from datetime import date

import pytest
from test_config import BASE, problems

from kpisync.config import parse_config
from kpisync.config.model import CustomPeriod, PeriodView


def with_org(*lines: str) -> str:
    """BASE with ``lines`` added to org, from line 4 on."""
    added = "".join(f"  {line}\n" for line in lines)
    return BASE.replace("  timezone: UTC\n", "  timezone: UTC\n" + added)


def test_calendar_defaults_are_monday_weeks_and_weekdays():
    org = parse_config(BASE).org
    assert (org.week_start, org.workdays, org.holidays) == (0, (0, 1, 2, 3, 4), ())
    assert (org.window, org.year_to_date, org.trailing_days, org.views) == (4, True, (), ())


def test_calendar_keys_are_read_into_org():
    org = parse_config(with_org(
        "week_start: sunday",
        "workdays: [sunday, monday, tuesday, wednesday, thursday]",
        'holidays: [2026-12-25, "2026-01-01"]',
    )).org
    assert org.week_start == 6
    assert org.workdays == (0, 1, 2, 3, 6)
    assert org.holidays == (date(2026, 1, 1), date(2026, 12, 25))


def test_windows_replace_window_and_can_drop_year_to_date():
    org = parse_config(with_org("windows: [current, {previous: 2}, {trailing_days: 90}, "
                                "{trailing_days: 30}]")).org
    assert (org.window, org.year_to_date, org.trailing_days) == (3, False, (90, 30))


def test_current_alone_is_a_window_of_one():
    org = parse_config(with_org("windows: [year_to_date, current]")).org
    assert (org.window, org.year_to_date) == (1, True)


def test_views_default_to_current_and_previous():
    org = parse_config(with_org("views: [quarter, {fiscal_year: 3}, week]")).org
    assert org.views == (PeriodView("quarter", 2), PeriodView("fiscal_year", 3),
                         PeriodView("week", 2))


def test_comparisons_can_be_narrowed_or_turned_off():
    assert parse_config(BASE).org.comparisons == ("previous", "year_ago")
    assert parse_config(with_org("comparisons: [year_ago]")).org.comparisons == ("year_ago",)
    assert parse_config(with_org("comparisons: []")).org.comparisons == ()


def test_custom_periods_are_read_in_order():
    config = parse_config(BASE + "periods:\n"
                          "  - {id: spring, name: Spring campaign, start: 2026-03-01, "
                          "end: 2026-05-31}\n"
                          "  - {id: one_day, name: Launch day, start: '2026-06-01', "
                          "end: 2026-06-01}\n")
    assert config.custom_periods == (
        CustomPeriod("spring", "Spring campaign", date(2026, 3, 1), date(2026, 5, 31)),
        CustomPeriod("one_day", "Launch day", date(2026, 6, 1), date(2026, 6, 1)),
    )


def test_year_still_reads_as_a_default_period():
    assert parse_config(with_org("default_period: year")).org.default_period == "year"


ORG_CALENDAR_SNIPPETS = [
    pytest.param(("week_start: Sunday",),
                 "kpis.yaml:4:15: org.week_start: expected one of: monday, tuesday, wednesday, "
                 "thursday, friday, saturday, sunday; got 'Sunday' — did you mean 'sunday'?",
                 id="week-start-capital"),
    pytest.param(("week_start: 0",),
                 "kpis.yaml:4:15: org.week_start: expected one of: monday, tuesday, wednesday, "
                 "thursday, friday, saturday, sunday; got 0", id="week-start-number"),
    pytest.param(("workdays: [monday, munday]",),
                 "kpis.yaml:4:22: org.workdays[1]: expected one of: monday, tuesday, wednesday, "
                 "thursday, friday, saturday, sunday; got 'munday' — did you mean 'sunday'?",
                 id="workday-typo"),
    pytest.param(("workdays: [monday, monday]",),
                 "kpis.yaml:4:22: org.workdays[1]: 'monday' is already listed (at line 4)",
                 id="workday-twice"),
    pytest.param(("workdays: []",),
                 "kpis.yaml:4:13: org.workdays: expected at least one working day",
                 id="workdays-empty"),
    pytest.param(("workdays: monday",),
                 "kpis.yaml:4:13: org.workdays: expected a list, such as [monday, tuesday, "
                 "wednesday, thursday, friday]; got 'monday'", id="workdays-not-a-list"),
    pytest.param(("holidays: [2026-12-25, 2026-12-25]",),
                 "kpis.yaml:4:26: org.holidays[1]: '2026-12-25' is already listed (at line 4)",
                 id="holiday-twice"),
    pytest.param(("holidays: [25/12/2026]",),
                 "kpis.yaml:4:14: org.holidays[0]: expected a date such as 2026-12-25 "
                 "(YYYY-MM-DD), got '25/12/2026'", id="holiday-format"),
    pytest.param(('holidays: ["2026-02-30"]',),
                 "kpis.yaml:4:14: org.holidays[0]: '2026-02-30' is not a date: day is out of "
                 "range for month", id="holiday-no-such-day"),
    pytest.param(("windows: [current, ytd]",),
                 "kpis.yaml:4:22: org.windows[1]: expected current, year_to_date, {previous: N} "
                 "or {trailing_days: N}; got 'ytd'", id="window-unknown-word"),
    pytest.param(("windows: [current, year_to_dat]",),
                 "kpis.yaml:4:22: org.windows[1]: expected current, year_to_date, {previous: N} "
                 "or {trailing_days: N}; got 'year_to_dat' — did you mean 'year_to_date'?",
                 id="window-typo"),
    pytest.param(("windows: [{previous: 3}]",),
                 "kpis.yaml:4:12: org.windows: windows must include current: the site leads "
                 "with the running period", id="window-without-current"),
    pytest.param(("windows: [current, {previous: 0}]",),
                 "kpis.yaml:4:33: org.windows[1].previous: expected a whole number from 1 to 23, "
                 "got 0", id="window-previous-zero"),
    pytest.param(("windows: [current, {previous: 2}, {previous: 3}]",),
                 "kpis.yaml:4:37: org.windows[2]: 'previous' is already listed (at line 4)",
                 id="window-previous-twice"),
    pytest.param(("windows: [current, {trailing_days: 90}, {trailing_days: 90}]",),
                 "kpis.yaml:4:43: org.windows[2]: 'trailing_days: 90' is already listed (at "
                 "line 4)", id="window-trailing-twice"),
    pytest.param(("windows: [current, {trailing_days: 90, previous: 2}]",),
                 "kpis.yaml:4:22: org.windows[1]: expected one key, previous or trailing_days, "
                 "such as {previous: 3}", id="window-two-keys"),
    pytest.param(("windows: [current, {trailing: 90}]",),
                 "kpis.yaml:4:23: org.windows[1]: unknown key 'trailing' — did you mean "
                 "'trailing_days'?", id="window-unknown-key"),
    pytest.param(("window: 3", "windows: [current]"),
                 "kpis.yaml:5:3: org.windows: give either window or windows, not both: "
                 "'window: 4' is 'windows: [current, {previous: 3}, year_to_date]'",
                 id="window-and-windows"),
    pytest.param(("comparisons: [last_year]",),
                 "kpis.yaml:4:17: org.comparisons[0]: expected one of: previous, year_ago; got "
                 "'last_year'", id="comparison-unknown"),
    pytest.param(("views: [month]",),
                 "kpis.yaml:4:11: org.views[0]: 'month' is org.default_period, already shown: "
                 "set how many with org.window or org.windows", id="view-of-default-period"),
    pytest.param(("views: [quarter, {quarter: 3}]",),
                 "kpis.yaml:4:20: org.views[1]: 'quarter' is already listed (at line 4)",
                 id="view-twice"),
    pytest.param(("views: [{quarter: 25}]",),
                 "kpis.yaml:4:21: org.views[0].quarter: expected a whole number from 1 to 24, "
                 "got 25", id="view-count-range"),
    pytest.param(("views: [fiscal_yaer]",),
                 "kpis.yaml:4:11: org.views[0]: expected one of: week, month, quarter, year, "
                 "fiscal_quarter, fiscal_year; got 'fiscal_yaer' — did you mean 'fiscal_year'?",
                 id="view-typo"),
]


@pytest.mark.parametrize(("lines", "expected"), ORG_CALENDAR_SNIPPETS)
def test_org_calendar_problem(lines, expected):
    assert problems(with_org(*lines)) == [expected]


PERIOD_SNIPPETS = [
    pytest.param("  - {id: Spring, name: Spring, start: 2026-03-01, end: 2026-05-31}\n",
                 ["kpis.yaml:18:10: periods[0].id: expected an id of lowercase letters, digits "
                  "and _ that starts with a letter, got 'Spring' — did you mean 'spring'?"],
                 id="id-format"),
    pytest.param("  - {id: spring, name: Spring, start: 2026-05-31, end: 2026-03-01}\n",
                 ["kpis.yaml:18:56: periods[0].end: ends on 2026-03-01, before it starts on "
                  "2026-05-31"], id="end-before-start"),
    pytest.param("  - {id: spring, name: Spring, start: 1 March, end: 2026-05-31}\n",
                 ["kpis.yaml:18:39: periods[0].start: expected a date such as 2026-12-25 "
                  "(YYYY-MM-DD), got '1 March'"], id="date-format"),
    pytest.param("  - {id: spring, name: Spring, start: 2026-03-01}\n",
                 ["kpis.yaml:18:5: periods[0]: missing required key 'end' (the last day, such "
                  "as 2026-05-31)"], id="missing-end"),
    pytest.param("  - {id: spring, name: Spring, start: 2026-03-01, end: 2026-05-31}\n"
                 "  - {id: spring, name: Spring 2, start: 2026-03-01, end: 2026-05-31}\n",
                 ["kpis.yaml:19:10: periods[1].id: duplicate period id 'spring' (first defined "
                  "at line 18)"], id="duplicate-id"),
    pytest.param("  - {id: spring, name: Spring, start: 2026-03-01, ends: 2026-05-31}\n",
                 ["kpis.yaml:18:5: periods[0]: missing required key 'end' (the last day, such "
                  "as 2026-05-31)",
                  "kpis.yaml:18:51: periods[0]: unknown key 'ends' — did you mean 'end'?"],
                 id="misspelt-key"),
]


@pytest.mark.parametrize(("items", "expected"), PERIOD_SNIPPETS)
def test_custom_period_problem(items, expected):
    assert problems(BASE + "periods:\n" + items) == expected


def test_periods_must_be_a_list():
    assert problems(BASE + "periods: {id: spring}\n") == [
        "kpis.yaml:17:10: periods: expected a list, such as '- {id: spring_campaign, name: "
        "Spring campaign, start: 2026-03-01, end: 2026-05-31}'; got a mapping",
    ]


def test_docs_describe_every_period_key():
    from test_config import ROOT

    from kpisync.config.periods import ORG_CALENDAR_KEYS, PERIOD_KEYS

    docs = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    words = [k.name for k in (*ORG_CALENDAR_KEYS, *PERIOD_KEYS)]
    words += ["current", "previous", "year_to_date", "trailing_days", "year_ago"]
    assert sorted(w for w in words if f"`{w}`" not in docs) == []
