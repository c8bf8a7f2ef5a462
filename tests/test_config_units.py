"""``unit: days`` and ``unit: minutes`` only where the values are that length of time: a
duration measure, or a field that holds it (see kpisync.config.units)."""

from __future__ import annotations

import pytest
from test_config import problems, second_kpi

from kpisync.config import parse_config

WHERE_TIME_FITS = ("days and minutes fit a duration measure, such as {duration: {from: "
                   "CreatedDate, to: CloseDate}}, or a field that holds them "
                   "(Event.DurationInMinutes holds minutes)")


def timed(unit: str, source: str, measure: str) -> str:
    """BASE plus KPI 'other' whose unit is on line 21, column 11."""
    return second_kpi("name: Other", "tier: results", "type: lagging", f"unit: {unit}",
                      f"source: {source}", f"measure: {measure}")


@pytest.mark.parametrize(
    ("unit", "source", "measure", "expected"),
    [
        pytest.param("days", "Opportunity", "{sum: Amount}",
                     "unit: days is a length of time, and Opportunity.Amount is a currency "
                     f"field, not one: use unit: currency; {WHERE_TIME_FITS}", id="sum-of-money"),
        pytest.param("minutes", "Opportunity", "{average: Probability}",
                     "unit: minutes is a length of time, and Opportunity.Probability is a "
                     f"percent field, not one: use unit: percent; {WHERE_TIME_FITS}",
                     id="average-of-percent"),
        pytest.param("days", "Opportunity", "{max: Account.NumberOfEmployees}",
                     "unit: days is a length of time, and Opportunity.Account.NumberOfEmployees "
                     f"is an int field, not one: use unit: count; {WHERE_TIME_FITS}",
                     id="number-through-a-lookup"),
        pytest.param("days", "Task", "count",
                     "unit: days is a length of time, and a count is a number of records: use "
                     f"unit: count; {WHERE_TIME_FITS}", id="count"),
        pytest.param("minutes", "Task", "{distinct_count: WhatId}",
                     "unit: minutes is a length of time, and a count is a number of records: "
                     f"use unit: count; {WHERE_TIME_FITS}", id="distinct-count"),
        pytest.param("days", "Event", "{average: DurationInMinutes}",
                     "unit: days does not fit Event.DurationInMinutes, which holds minutes: use "
                     "unit: minutes (kpisync shows a field's values as they are, it does not "
                     "convert them)", id="minutes-field-in-days"),
        pytest.param("minutes", "Task", "{average: CallDurationInSeconds}",
                     "unit: minutes does not fit Task.CallDurationInSeconds, which holds "
                     "seconds: kpisync has no seconds unit and does not convert a field's "
                     "values, so use unit: count to show the seconds as a number",
                     id="seconds-field-in-minutes"),
    ],
)
def test_a_length_of_time_unit_needs_a_length_of_time(unit, source, measure, expected):
    assert problems(timed(unit, source, measure)) == [f"kpis.yaml:21:11: kpis[other].unit: "
                                                      f"{expected}"]


@pytest.mark.parametrize(
    ("unit", "source", "measure"),
    [
        pytest.param("minutes", "Event", "{average: DurationInMinutes}", id="minutes-field"),
        pytest.param("days", "Opportunity", "{average: Days_Open__c}", id="custom-field"),
        pytest.param("days", "Opportunity", "{duration: {from: CreatedDate, to: CloseDate}}",
                     id="duration-days"),
        pytest.param("minutes", "Event",
                     "{duration: {from: StartDateTime, to: EndDateTime}}", id="duration-minutes"),
        pytest.param("count", "Task", "{average: CallDurationInSeconds}", id="seconds-as-count"),
        pytest.param("currency", "Opportunity", "{sum: Amount}", id="money"),
    ],
)
def test_units_that_fit_are_accepted(unit, source, measure):
    assert parse_config(timed(unit, source, measure)).kpi("other").unit == unit


def test_only_one_problem_when_the_measure_itself_is_broken():
    assert problems(timed("days", "Opportunity", "{sum: Amout}")) == [
        "kpis.yaml:23:20: kpis[other].measure.sum: Opportunity has no field 'Amout' — did you "
        "mean 'Amount'?"]
