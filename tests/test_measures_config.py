"""kpis.yaml errors for the measures, filter operators, groups and formulas: each located to
the character with what would be right (see tests/test_config.py for the BASE file)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from test_config import BASE, COMPLETE, problems, second_kpi

from kpisync.config import parse_config
from kpisync.config.formulas import Arithmetic, Number, TargetOf, Value
from kpisync.config.model import Filter, FilterGroup, Measure


def third_kpi(*lines: str) -> str:
    """A third KPI, id third, starting at line 25 after ``second_kpi``'s 8 lines."""
    return "  - id: third\n" + "".join(f"    {line}\n" for line in lines)


PROBLEMS = [
    pytest.param(
        BASE + "    where: {CallDurationInSeconds: {between: [300, 60]}}\n",
        ["kpis.yaml:17:46: kpis[calls].where.CallDurationInSeconds.between: the low end 300 is "
         "above the high end 60: write [low, high]"],
        id="between-reversed",
    ),
    pytest.param(
        BASE + "    where: {ActivityDate: {between: [2026-01-01]}}\n",
        ["kpis.yaml:17:37: kpis[calls].where.ActivityDate.between: expected two values [low, "
         "high], such as [60, 300]; got 1"],
        id="between-one-value",
    ),
    pytest.param(
        BASE + "    where: {CallDurationInSeconds: {between: 60}}\n",
        ["kpis.yaml:17:46: kpis[calls].where.CallDurationInSeconds.between: expected a list, "
         "such as [60, 300]; got 60"],
        id="between-not-a-list",
    ),
    pytest.param(
        BASE + "    where: {IsClosed: {between: [false, true]}}\n",
        ["kpis.yaml:17:24: kpis[calls].where.IsClosed.between: IsClosed is a boolean field and "
         "cannot be compared with between: use eq or ne"],
        id="between-a-boolean",
    ),
    pytest.param(
        BASE + "    where: {Score__c: {between: [1, high]}}\n",
        ["kpis.yaml:17:33: kpis[calls].where.Score__c.between: 1 and 'high' cannot be compared: "
         "give two numbers, two dates or two texts"],
        id="between-uncomparable",
    ),
    pytest.param(
        BASE + "    where: {CallDurationInSeconds: {starts_with: '12'}}\n",
        ["kpis.yaml:17:37: kpis[calls].where.CallDurationInSeconds.starts_with: "
         "CallDurationInSeconds is an int field; starts_with looks into text fields "
         "(string, picklist, textarea, ...)"],
        id="starts-with-a-number-field",
    ),
    pytest.param(
        BASE + "    where: {Subject: {contains: 50}}\n",
        ["kpis.yaml:17:33: kpis[calls].where.Subject.contains: expected the text to look for, "
         "got 50: write '50' in quotes if that is the value"],
        id="contains-needs-text",
    ),
    pytest.param(
        BASE + "    where: {Subject: {is_not_null: yes please}}\n",
        ["kpis.yaml:17:36: kpis[calls].where.Subject.is_not_null: expected true or false, got "
         "'yes please'"],
        id="is-not-null-needs-a-boolean",
    ),
    pytest.param(
        BASE + "    where: {any: {Subject: x}}\n",
        ["kpis.yaml:17:18: kpis[calls].where.any: expected a list, such as "
         "[{CallDurationInSeconds: {gte: 120}}, {CallDisposition: Connected}]; got a mapping"],
        id="group-needs-a-list",
    ),
    pytest.param(
        BASE + "    where: {any: []}\n",
        ["kpis.yaml:17:18: kpis[calls].where.any: expected at least one condition in the list, "
         "such as [{CallDurationInSeconds: {gte: 120}}, {CallDisposition: Connected}]"],
        id="group-needs-items",
    ),
    pytest.param(
        BASE + "    where:\n      any:\n        - CallDurationInSeconds: {gte: 120}\n"
        "        - Subjekt: Demo\n",
        ["kpis.yaml:20:11: kpis[calls].where.any[1].Subjekt: Task has no field 'Subjekt' — did "
         "you mean 'Subject'?"],
        id="group-item-broken",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Task", "measure: {median: Subject}"),
        ["kpis.yaml:23:23: kpis[other].measure.median: Task.Subject is a string field; median "
         "needs a number (int, double, currency or percent) field"],
        id="median-of-text",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Task", "measure: {max: ActivityDate}"),
        ["kpis.yaml:23:20: kpis[other].measure.max: Task.ActivityDate is a date field; max "
         "needs a number (int, double, currency or percent) field"],
        id="max-of-date",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Task", "measure: min"),
        ["kpis.yaml:23:14: kpis[other].measure: min needs more: write measure: {min: Amount}"],
        id="min-needs-field",
    ),
    pytest.param(
        second_kpi(*COMPLETE,
                   'measure: {formula: "calls / (target(calls) - calls"}'),
        ["kpis.yaml:22:33: kpis[other].measure.formula: cannot read the formula: '(' was never "
         "closed — a formula uses numbers, KPI ids, target(kpi_id), + - * / and parentheses"],
        id="formula-syntax",
    ),
    pytest.param(
        second_kpi(*COMPLETE, 'measure: {formula: "calls * * 2"}'),
        ["kpis.yaml:22:33: kpis[other].measure.formula: cannot read the formula: invalid syntax "
         "— a formula uses numbers, KPI ids, target(kpi_id), + - * / and parentheses"],
        id="formula-syntax-trailing",
    ),
    pytest.param(
        second_kpi(*COMPLETE, 'measure: {formula: "calls / target(cals)"}'),
        ["kpis.yaml:22:40: kpis[other].measure.formula: 'cals' is not a defined KPI — did you "
         "mean 'calls'?"],
        id="formula-unknown-kpi",
    ),
    pytest.param(
        second_kpi(*COMPLETE, 'measure: {formula: "other + calls"}'),
        ["kpis.yaml:22:25: kpis[other].measure.formula: 'other' is this KPI itself; a formula "
         "combines other KPIs"],
        id="formula-itself",
    ),
    pytest.param(
        second_kpi(*COMPLETE, 'measure: {formula: "calls ** 2"}'),
        ["kpis.yaml:22:25: kpis[other].measure.formula: the operator '**' is not allowed — a "
         "formula uses numbers, KPI ids, target(kpi_id), + - * / and parentheses"],
        id="formula-power",
    ),
    pytest.param(
        second_kpi(*COMPLETE, 'measure: {formula: "max(calls, 1)"}'),
        ["kpis.yaml:22:25: kpis[other].measure.formula: a function call is not allowed — a "
         "formula uses numbers, KPI ids, target(kpi_id), + - * / and parentheses"],
        id="formula-function",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "measure: {formula: \"calls + 'a'\"}"),
        ["kpis.yaml:22:33: kpis[other].measure.formula: the value 'a' is not allowed — a "
         "formula uses numbers, KPI ids, target(kpi_id), + - * / and parentheses"],
        id="formula-text",
    ),
    pytest.param(
        second_kpi(*COMPLETE, 'measure: {formula: "target(calls, 2)"}'),
        ["kpis.yaml:22:25: kpis[other].measure.formula: target() takes one KPI id, such as "
         "target(closed_won_revenue)"],
        id="formula-target-args",
    ),
    pytest.param(
        second_kpi(*COMPLETE, 'measure: {formula: "Calls + 1"}'),
        ["kpis.yaml:22:25: kpis[other].measure.formula: 'Calls' is not a KPI id (lowercase "
         "letters, digits and _)"],
        id="formula-bad-id",
    ),
    pytest.param(
        second_kpi(*COMPLETE, 'measure: {formula: "calls.value"}'),
        ["kpis.yaml:22:25: kpis[other].measure.formula: 'calls.value' is not allowed — a "
         "formula uses numbers, KPI ids, target(kpi_id), + - * / and parentheses"],
        id="formula-attribute",
    ),
    pytest.param(
        second_kpi(*COMPLETE, 'measure: {formula: [calls]}'),
        ["kpis.yaml:22:24: kpis[other].measure.formula: expected a formula of numbers, KPI ids, "
         "target(kpi_id), + - * / and parentheses, got a list"],
        id="formula-not-text",
    ),
    pytest.param(
        second_kpi(*COMPLETE, 'measure: {formula: "calls * 2"}',
                   "where: {Subject: x}"),
        ["kpis.yaml:23:5: kpis[other].where: a formula KPI combines other KPIs and takes no "
         "where: set it on those KPIs instead"],
        id="formula-takes-no-where",
    ),
    pytest.param(
        second_kpi(*COMPLETE, 'measure: {formula: "calls * 2"}')
        + third_kpi(*COMPLETE, "measure: {ratio: {numerator: other, denominator: calls}}"),
        ["kpis.yaml:28:34: kpis[third].measure.ratio.numerator: 'other' is a formula; use KPIs "
         "that count, sum, average or time records (or write the division as a formula)"],
        id="formula-in-ratio",
    ),
    pytest.param(
        second_kpi(*COMPLETE, 'measure: {formula: "third + 1"}')
        + third_kpi(*COMPLETE, "measure: {formula: other * 2}"),
        ["kpis.yaml:22:24: kpis[other].measure.formula: the formula of 'other' depends on "
         "itself (other → third → other); a formula can only use KPIs that do not use it"],
        id="formula-cycle",
    ),
    pytest.param(
        second_kpi(*COMPLETE, 'measure: {formula: calls / dials}'),
        ["kpis.yaml:22:32: kpis[other].measure.formula: 'dials' is not a defined KPI — did you "
         "mean 'calls'?"],
        id="formula-plain-column",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "measure: {formula: 'calls / dials'}"),
        ["kpis.yaml:22:33: kpis[other].measure.formula: 'dials' is not a defined KPI — did you "
         "mean 'calls'?"],
        id="formula-single-quoted",
    ),
]

@pytest.mark.parametrize(("text", "expected"), PROBLEMS)
def test_problem(text, expected):
    assert problems(text) == expected


def test_groups_nest_and_single_items_stay_plain():
    config = parse_config(
        BASE
        + "    where:\n"
        + "      TaskSubtype: Call\n"
        + "      any:\n"
        + "        - CallDurationInSeconds: {gte: 120}\n"
        + "        - {CallDisposition: {starts_with: Connected}, Subject: {contains: demo}}\n"
    )
    assert config.kpi("calls").filters == (
        Filter("TaskSubtype", "eq", "Call"),
        FilterGroup("any", (
            Filter("CallDurationInSeconds", "gte", 120),
            FilterGroup("all", (Filter("CallDisposition", "starts_with", "Connected"),
                                Filter("Subject", "contains", "demo"))),
        )),
    )
    assert [f.line for f in config.kpi("calls").conditions] == [18, 20, 21, 21]


def test_new_operators_keep_their_values():
    config = parse_config(
        BASE + "    where:\n"
        + "      CallDurationInSeconds: {between: [60, 300.5]}\n"
        + "      ActivityDate: {between: [2026-01-01, 2026-03-31]}\n"
        + "      CallObject: {is_not_null: true}\n"
    )
    assert config.kpi("calls").filters == (
        Filter("CallDurationInSeconds", "between", (60, Decimal("300.5"))),
        Filter("ActivityDate", "between", (date(2026, 1, 1), date(2026, 3, 31))),
        Filter("CallObject", "is_not_null", True),
    )


def test_required_fields_include_fields_inside_groups():
    config = parse_config(
        BASE + "    where: {any: [{CallDisposition: Connected}, {all: [{Subject: x}]}]}\n"
    )
    assert {"CallDisposition", "Subject"} <= set(config.required_fields["Task"])


def test_median_min_max_read_their_field():
    text = second_kpi(*COMPLETE, "source: Opportunity", "measure: {median: Amount}")
    assert parse_config(text).kpi("other").measure == Measure("median", field="Amount")


def test_formula_is_parsed_into_terms_with_exact_numbers():
    text = second_kpi(*COMPLETE,
                      'measure: {formula: "calls / (target(calls) - calls) * 0.1"}')
    formula = parse_config(text).kpi("other").measure.formula
    assert formula.root == Arithmetic(
        "*",
        Arithmetic("/", Value("calls"), Arithmetic("-", TargetOf("calls"), Value("calls"))),
        Number(Decimal("0.1")),
    )
    assert formula.kpi_ids == ("calls",)


def test_formula_may_use_ratios_and_other_formulas():
    text = (second_kpi(*COMPLETE, "measure: {ratio: {numerator: calls, denominator: calls}}")
            + third_kpi(*COMPLETE, "measure: {formula: other * 100 - fourth}")
            + "  - id: fourth\n"
            + "".join(f"    {line}\n" for line in (*COMPLETE, "measure: {formula: calls + 1}")))
    assert parse_config(text).kpi("third").measure.formula.kpi_ids == ("other", "fourth")
