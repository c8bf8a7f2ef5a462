"""Which period a record lands in, computed by the engine in DuckDB: Salesforce DateTimes are
UTC instants put on their New York day (DST included), Date fields are taken as they are; and
the comparison periods the engine adds behind the shown ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from compute_fixtures import AS_OF, CAT, build_store, tiny_config, utc

from kpisync.compute import compute
from kpisync.config.model import CustomPeriod, PeriodView

VIEWS = tuple(PeriodView(kind, 2) for kind in ("week", "quarter", "year", "fiscal_quarter",
                                               "fiscal_year"))


def store_with(path, record):
    """The tiny store with one record of Cat's instead of its own: a Task on ``record`` when
    it is a date, an Opportunity created at ``record`` when it is a UTC datetime."""
    con = build_store(path)
    con.execute("DELETE FROM sf_task")
    con.execute("DELETE FROM sf_opportunity")
    if hasattr(record, "tzinfo"):
        con.execute("INSERT INTO sf_opportunity VALUES ('006Z', ?, 1, false, false, ?, ?, false)",
                    [CAT, record, date(2030, 1, 1)])
    else:
        con.execute("INSERT INTO sf_task VALUES ('00TZ', ?, 'Call', 60, ?, false)", [CAT, record])
    return con


def org_counts(tmp_path, record, as_of, keys):
    config = tiny_config(fiscal_year_start_month=2, views=VIEWS)
    scorecard = compute(config, store_with(tmp_path / "s.duckdb", record), as_of)
    kpi = "calls" if not hasattr(record, "tzinfo") else "opps_created"
    return {key: scorecard.result(kpi, key, "org", "org").actual for key in keys}


@pytest.mark.parametrize(
    ("record", "as_of", "expected"),
    [
        # 2026-04-01 03:30 UTC is 23:30 on 31 March in New York (EDT, UTC-4): the first quarter
        pytest.param(utc(2026, 4, 1, 3, 30), date(2026, 4, 1),
                     {"2026-03": 1, "2026-04": 0, "2026-Q1": 1, "2026-Q2": 0,
                      "FY2027-Q1": 1, "FY2026-Q4": 0}, id="23:30-local-on-quarter-end"),
        pytest.param(utc(2026, 4, 1, 4, 30), date(2026, 4, 1),
                     {"2026-03": 0, "2026-04": 1, "2026-Q1": 0, "2026-Q2": 1},
                     id="00:30-local-after-quarter-end"),
        # a Date is a day, not midnight UTC: 1 April stays in April
        pytest.param(date(2026, 4, 1), date(2026, 4, 1),
                     {"2026-03": 0, "2026-04": 1, "2026-Q1": 0, "2026-Q2": 1},
                     id="date-field-as-is"),
        pytest.param(date(2026, 3, 31), date(2026, 4, 1),
                     {"2026-03": 1, "2026-04": 0, "2026-Q1": 1, "2026-Q2": 0},
                     id="date-field-last-day"),
        # clocks went forward on 8 March: 04:30 UTC on the 9th is 00:30 EDT Monday, week 11
        pytest.param(utc(2026, 3, 9, 4, 30), date(2026, 3, 9),
                     {"2026-W10": 0, "2026-W11": 1}, id="dst-start-monday-00:30"),
        # clocks go back on 1 November, a Sunday and a month's first day
        pytest.param(utc(2026, 11, 1, 3, 59), date(2026, 11, 1),
                     {"2026-10": 1, "2026-11": 0}, id="dst-end-23:59-edt-is-october"),
        pytest.param(utc(2026, 11, 1, 4, 0), date(2026, 11, 1),
                     {"2026-10": 0, "2026-11": 1}, id="dst-end-midnight-edt-is-november"),
        # 04:30 UTC on the 2nd is 23:30 EST on Sunday the 1st: still week 44
        pytest.param(utc(2026, 11, 2, 4, 30), date(2026, 11, 2),
                     {"2026-W44": 1, "2026-W45": 0}, id="after-dst-end-sunday-23:30-est"),
        pytest.param(date(2028, 2, 29), date(2028, 3, 1),
                     {"2028-02": 1, "2028-03": 0, "2028-W09": 1, "2028-W08": 0, "2028-Q1": 1,
                      "2027-Q4": 0, "FY2029-Q1": 1, "FY2028-Q4": 0, "2028": 1, "2027": 0},
                     id="leap-day"),
        # ISO week 53 of 2026 runs Monday 28 Dec to Sunday 3 Jan
        pytest.param(date(2027, 1, 2), date(2027, 1, 3),
                     {"2026-W53": 1, "2026-W52": 0, "2027-01": 1, "2026-12": 0, "2027": 1,
                      "2026": 0}, id="week-53-in-january"),
        pytest.param(date(2026, 12, 31), date(2027, 1, 3),
                     {"2026-W53": 1, "2026-W52": 0, "2027-01": 0, "2026-12": 1},
                     id="week-53-in-december"),
        # a February fiscal year: 31 Jan 2026 ends FY2026, 1 Feb starts FY2027
        pytest.param(date(2026, 1, 31), date(2026, 2, 1),
                     {"FY2026": 1, "FY2027": 0, "FY2026-Q4": 1, "FY2027-Q1": 0,
                      "FY2027-YTD": 0}, id="fiscal-year-last-day"),
        pytest.param(date(2026, 2, 1), date(2026, 2, 1),
                     {"FY2026": 0, "FY2027": 1, "FY2026-Q4": 0, "FY2027-Q1": 1,
                      "FY2027-YTD": 1}, id="fiscal-year-first-day"),
    ],
)
def test_record_lands_in_its_local_period(tmp_path, record, as_of, expected):
    assert org_counts(tmp_path, record, as_of, expected) == expected


def test_sunday_weeks_put_a_sunday_in_the_week_it_starts(tmp_path):
    config = tiny_config(week_start=6, views=(PeriodView("week", 2),))
    scorecard = compute(config, store_with(tmp_path / "s.duckdb", date(2026, 11, 29)),
                        date(2026, 11, 29))
    counts = {p.key: scorecard.result("calls", p.key, "org", "org").actual
              for p in scorecard.shown_periods if p.kind == "week"}
    assert counts == {"wk-2026-11-22": 0, "wk-2026-11-29": 1}


@pytest.fixture(scope="module")
def scorecard(tmp_path_factory):
    config = replace(tiny_config(), custom_periods=(
        CustomPeriod("launch", "Launch fortnight", date(2026, 2, 1), date(2026, 2, 14)),))
    return compute(config, build_store(tmp_path_factory.mktemp("c") / "s.duckdb"), AS_OF)


def test_comparison_gives_previous_and_year_ago_results(scorecard):
    previous, year_ago = scorecard.comparison("calls", "2026-02", "rep", CAT)
    # Cat's one call is on 2026-01-15; nothing a year before February
    assert (previous.period_key, previous.actual, previous.target) == ("2026-01", 1, 4)
    assert (year_ago.period_key, year_ago.actual) == ("2025-02", 0)


def test_previous_of_year_to_date_is_last_year_to_the_same_day(scorecard):
    ytd = next(p for p in scorecard.periods if p.key == "FY2025-YTD")
    assert (ytd.start, ytd.end, ytd.shown) == (date(2025, 1, 1), date(2025, 3, 10), False)


def test_custom_period_compares_with_the_days_before_it(scorecard):
    launch = scorecard.result("opps_created", "launch", "rep", CAT)
    before, _ = scorecard.comparison("opps_created", "launch", "rep", CAT)
    # 006A at 2026-02-01 03:00 UTC is 31 January in New York: before the launch, not in it
    assert (launch.actual, before.period_key, before.actual) == (
        Decimal(2), "launch-previous", Decimal(1))


def test_comparison_periods_are_computed_but_not_in_the_cascade(scorecard):
    hidden = [p.key for p in scorecard.periods if not p.shown]
    assert hidden == ["2026-01", "2025-02", "2025-03", "FY2025-YTD", "launch-previous",
                      "launch-year-ago"]
    assert scorecard.result("calls", "2026-01", "org", "org").actual == 1
    assert scorecard.cascade_for("2026-01", "org", "org") == []
