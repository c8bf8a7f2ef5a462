"""kpis.yaml → Config: the sample loads, and every mistake an admin can make is reported once,
located to the character, with what would be right."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpisync.config import load_config, parse_config
from kpisync.config.model import (
    CascadeOptions,
    CohortStep,
    Filter,
    Measure,
    MemberSelector,
    Scoring,
    TargetOverride,
)
from kpisync.errors import ConfigError
from kpisync.sobjects import SYSTEM_FIELDS, USER_FIELDS, USER_ROLE_FIELDS

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "config"

# Lines 1-16; snippets below are appended from line 17 on, so their positions are fixed.
BASE = """\
org:
  name: Test Co
  timezone: UTC
teams:
  - id: sdr
    name: SDR
    members: {roles: [SDR]}
    kpis: [calls]
kpis:
  - id: calls
    name: Calls
    tier: activities
    type: leading
    unit: count
    source: Task
    measure: count
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    return [str(p) for p in caught.value.problems]


# ---------------------------------------------------------------- the sample and fixtures


def test_sample_kpis_yaml_loads():
    config = load_config(ROOT / "kpis.yaml")
    assert config.org.timezone == "America/New_York"
    assert config.org.fiscal_year_start_month == 2
    assert [t.id for t in config.teams] == ["sdr_east", "sdr_west", "ae_smb", "ae_enterprise"]
    assert config.cascade == (
        "calls", "conversations", "meetings_held", "opportunities_created", "deals_won"
    )
    assert config.cascade_options == CascadeOptions(
        min_sample=20, goal="closed_won_revenue", per_deal="average_deal_size")


def test_sample_defines_the_kpis_the_demo_needs():
    config = load_config(ROOT / "kpis.yaml")
    assert {k.id for k in config.kpis} == {
        "calls", "emails", "conversations", "meetings_booked", "meetings_held",
        "opportunities_created", "pipeline_created", "deals_won", "deals_closed",
        "closed_won_revenue", "win_rate", "average_deal_size", "sales_cycle_length",
    }


def test_sample_teams_show_three_to_four_kpis():
    config = load_config(ROOT / "kpis.yaml")
    assert all(3 <= len(team.kpis) <= 4 for team in config.teams)


def test_sample_meetings_held_reads_the_custom_checkbox():
    kpi = load_config(ROOT / "kpis.yaml").kpi("meetings_held")
    assert kpi.filters == (Filter("Type", "eq", "Meeting"), Filter("Meeting_Held__c", "eq", True))
    assert kpi.date_field == "ActivityDate"


def test_sample_sales_cycle_is_lower_is_better_days():
    kpi = load_config(ROOT / "kpis.yaml").kpi("sales_cycle_length")
    assert (kpi.unit, kpi.direction) == ("days", "lower")
    assert kpi.measure == Measure("duration", start_field="CreatedDate", end_field="CloseDate")


def test_minimal_config_gets_documented_defaults():
    config = load_config(FIXTURES / "minimal.yaml")
    assert (config.org.fiscal_year_start_month, config.org.currency, config.org.default_period,
            config.org.window) == (1, "USD", "month", 4)
    kpi = config.kpi("calls")
    assert (kpi.date_field, kpi.credit_field, kpi.target, kpi.line) == (
        "ActivityDate", "OwnerId", None, 12)


def test_load_config_keeps_the_given_path():
    config = load_config(FIXTURES / "minimal.yaml")
    assert config.path == FIXTURES / "minimal.yaml"


def test_every_problem_is_reported_at_once():
    path = FIXTURES / "many_problems.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).splitlines() == [
        "6 problems in the config:",
        f"  {path}:4:13: org.timezone: 'America/NewYork' is not an IANA timezone"
        " — did you mean 'America/New_York'?",
        f"  {path}:5:13: org.currency: expected a 3-letter ISO 4217 currency code in capitals"
        " such as USD or EUR, got 'usd' — did you mean 'USD'?",
        f"  {path}:11:19: teams[sdr].kpis[1]: 'meetings' is not a defined KPI"
        " — expected one of: calls, won",
        f"  {path}:20:5: kpis[calls]: unknown key 'taget' — did you mean 'target'?",
        f"  {path}:30:7: kpis[won].where.CloseDte: Opportunity has no field 'CloseDte'"
        " — did you mean 'CloseDate'?",
        f"  {path}:32:16: kpis[won].target.per_rep: expected a number, got 'ten'",
    ]


# ---------------------------------------------------------------- broken snippets

KPI_SNIPPETS = [
    pytest.param(
        "    taget: {per_rep: 3}\n",
        ["kpis.yaml:17:5: kpis[calls]: unknown key 'taget' — did you mean 'target'?"],
        id="unknown-key-did-you-mean",
    ),
    pytest.param(
        "    colour: red\n",
        ["kpis.yaml:17:5: kpis[calls]: unknown key 'colour' — expected one of: id, name, "
         "description, tier, type, unit, source, measure, where, date, credit, target"],
        id="unknown-key-lists-choices",
    ),
    pytest.param(
        "    name: Calls again\n",
        ["kpis.yaml:17:5: kpis[calls].name: duplicate key 'name' (first at line 11); "
         "YAML would silently keep only the last one"],
        id="duplicate-yaml-key",
    ),
    pytest.param(
        "    target: {per_rep: ten}\n",
        ["kpis.yaml:17:23: kpis[calls].target.per_rep: expected a number, got 'ten'"],
        id="per-rep-not-a-number",
    ),
    pytest.param(
        "    target: {per_rep: -5}\n",
        ["kpis.yaml:17:23: kpis[calls].target.per_rep: expected a number >= 0, got -5"],
        id="per-rep-negative",
    ),
    pytest.param(
        "    target: {per_rep: 5, direction: down}\n",
        ["kpis.yaml:17:37: kpis[calls].target.direction: expected one of: higher, lower; "
         "got 'down'"],
        id="bad-direction",
    ),
    pytest.param(
        "    where: {CallDurationInSecond: {gte: 120}}\n",
        ["kpis.yaml:17:13: kpis[calls].where.CallDurationInSecond: Task has no field "
         "'CallDurationInSecond' — did you mean 'CallDurationInSeconds'?"],
        id="field-did-you-mean",
    ),
    pytest.param(
        "    where: {Wibble: 1}\n",
        ["kpis.yaml:17:13: kpis[calls].where.Wibble: Task has no field 'Wibble' "
         "(custom fields end in __c)"],
        id="field-unknown-no-suggestion",
    ),
    pytest.param(
        "    where: {Type: 1}\n",
        ["kpis.yaml:17:19: kpis[calls].where.Type: expected a string, got 1: "
         "write '1' in quotes if that is the value"],
        id="picklist-given-a-number",
    ),
    pytest.param(
        "    where: {TaskSubtype: yes}\n",
        ["kpis.yaml:17:26: kpis[calls].where.TaskSubtype: expected a string, got yes, "
         "which YAML reads as true/false: write 'yes' in quotes"],
        id="yaml11-boolean-on-string-field",
    ),
    pytest.param(
        "    where: {IsClosed: 'true'}\n",
        ["kpis.yaml:17:23: kpis[calls].where.IsClosed: expected true or false, got 'true'"],
        id="boolean-field-given-text",
    ),
    pytest.param(
        "    where: {CallDurationInSeconds: {gte: '120'}}\n",
        ["kpis.yaml:17:42: kpis[calls].where.CallDurationInSeconds.gte: expected a number, "
         "got '120'"],
        id="numeric-field-given-text",
    ),
    pytest.param(
        "    where: {CallDurationInSeconds: {matches: [1, 2]}}\n",
        ["kpis.yaml:17:37: kpis[calls].where.CallDurationInSeconds: unknown operator 'matches' "
         "— expected one of: eq, ne, gt, gte, lt, lte, in, not_in, between, is_null, "
         "is_not_null, starts_with, contains"],
        id="unknown-operator",
    ),
    pytest.param(
        "    where: {ActivityDate: {gte: 2026-02-30}}\n",
        ["kpis.yaml:17:33: kpis[calls].where.ActivityDate.gte: cannot read 2026-02-30: "
         "day is out of range for month"],
        id="impossible-date",
    ),
    pytest.param(
        "    where: {ActivityDate: {gte: 'last month'}}\n",
        ["kpis.yaml:17:33: kpis[calls].where.ActivityDate.gte: expected a date such as "
         "2026-01-31, got 'last month'"],
        id="date-field-given-text",
    ),
    pytest.param(
        "    where: {CompletedDateTime: {gte: 2026-01-31T09:00:00}}\n",
        ["kpis.yaml:17:38: kpis[calls].where.CompletedDateTime.gte: a date and time needs a "
         "timezone, such as 2026-01-31T09:00:00Z; got 2026-01-31T09:00:00"],
        id="datetime-without-timezone",
    ),
    pytest.param(
        "    where: {IsClosed: {gt: true}}\n",
        ["kpis.yaml:17:24: kpis[calls].where.IsClosed.gt: IsClosed is a boolean field and "
         "cannot be compared with gt: use eq or ne"],
        id="ordering-a-boolean",
    ),
    pytest.param(
        "    where: {Type: {in: Call}}\n",
        ["kpis.yaml:17:24: kpis[calls].where.Type.in: expected a list, such as [Call, Email]; "
         "got 'Call'"],
        id="in-needs-a-list",
    ),
    pytest.param(
        "    where: {Type: {in: []}}\n",
        ["kpis.yaml:17:24: kpis[calls].where.Type.in: expected at least one value in the list"],
        id="in-needs-values",
    ),
    pytest.param(
        "    where: {Type: {is_null: maybe}}\n",
        ["kpis.yaml:17:29: kpis[calls].where.Type.is_null: expected true or false, got 'maybe'"],
        id="is-null-needs-a-boolean",
    ),
    pytest.param(
        "    where: {Subject: }\n",
        ["kpis.yaml:17:21: kpis[calls].where.Subject: expected a value, got nothing — to keep "
         "records where the field is empty write {is_null: true}"],
        id="filter-without-value",
    ),
    pytest.param(
        "    where: {Acount.Type: Customer}\n",
        ["kpis.yaml:17:13: kpis[calls].where.Acount.Type: Task has no lookup 'Acount' — did you "
         "mean 'Account'? (lookups from Task: Account, Owner)"],
        id="unknown-lookup-suggests-closest",
    ),
    pytest.param(
        "    where: {Owner.Role.Name: SDR}\n",
        ["kpis.yaml:17:13: kpis[calls].where.Owner.Role.Name: Owner (User) has no lookup 'Role' "
         "— did you mean 'UserRole'? (lookups from User: Manager, UserRole)"],
        id="unknown-second-lookup-names-the-path",
    ),
    pytest.param(
        "    where: {Owner.UserRole.Name.X: SDR}\n",
        ["kpis.yaml:17:13: kpis[calls].where.Owner.UserRole.Name.X: Owner.UserRole (UserRole) has "
         "no lookup 'Name' (kpisync follows no lookup from UserRole)"],
        id="lookup-from-reference-data-without-lookups",
    ),
    pytest.param(
        "    where: {Account.Tpye: Customer}\n",
        ["kpis.yaml:17:13: kpis[calls].where.Account.Tpye: Account has no field 'Tpye' — did you "
         "mean 'Type'? (Account fields: AccountSource, AnnualRevenue, BillingCity, "
         "BillingCountry, BillingState, CreatedById, CreatedDate, Id, Industry, IsDeleted, "
         "LastModifiedById, LastModifiedDate, Name, NumberOfEmployees, OwnerId, Ownership, "
         "ParentId, Phone, Rating, SystemModstamp, Type, Website, or a custom field ending "
         "in __c)"],
        id="unknown-lookup-field-lists-the-fields",
    ),
    pytest.param(
        "    where: {Owner.UserRole.Nme: SDR}\n",
        ["kpis.yaml:17:13: kpis[calls].where.Owner.UserRole.Nme: Owner.UserRole (UserRole) has no "
         "field 'Nme' — did you mean 'Name'? (UserRole fields: DeveloperName, Id, "
         "LastModifiedDate, Name, ParentRoleId, SystemModstamp, or a custom field ending in "
         "__c)"],
        id="unknown-field-at-the-end-of-two-lookups",
    ),
    pytest.param(
        "    where: {Account.NumberOfEmployees: {gte: many}}\n",
        ["kpis.yaml:17:46: kpis[calls].where.Account.NumberOfEmployees.gte: expected a number, "
         "got 'many'"],
        id="lookup-filter-value-checked-against-final-type",
    ),
    pytest.param(
        "    where: {Owner.IsActive: {gt: true}}\n",
        ["kpis.yaml:17:30: kpis[calls].where.Owner.IsActive.gt: Owner.IsActive is a boolean "
         "field and cannot be compared with gt: use eq or ne"],
        id="lookup-boolean-is-unordered",
    ),
    pytest.param(
        "    where: {Owner..Name: Ann}\n",
        ["kpis.yaml:17:13: kpis[calls].where.Owner..Name: 'Owner..Name' is not a field API name "
         "(letters, digits and _, such as CloseDate or Region__c)"],
        id="empty-lookup-segment",
    ),
    pytest.param(
        "    credit: Account.Name\n",
        ["kpis.yaml:17:13: kpis[calls].credit: Task.Account.Name is a string field; credit needs "
         "a user lookup (reference) field"],
        id="credit-through-lookup-needs-a-reference",
    ),
    pytest.param(
        "    date: [ActivityDate]\n",
        ["kpis.yaml:17:11: kpis[calls].date: a list of date fields needs at least two, tried in "
         "order, such as [ActivityDate, CreatedDate]; for one field write date: ActivityDate"],
        id="date-list-of-one",
    ),
    pytest.param(
        "    date: [ActivityDate, ActivityDate]\n",
        ["kpis.yaml:17:26: kpis[calls].date[1]: ActivityDate is already in the list; each date "
         "field is tried once"],
        id="date-list-repeats-a-field",
    ),
    pytest.param(
        "    date: [ActivityDate, Subject]\n",
        ["kpis.yaml:17:26: kpis[calls].date[1]: Task.Subject is a string field; date needs a "
         "date or datetime field"],
        id="date-fallback-wrong-type",
    ),
    pytest.param(
        "    date: [ActivityDate, CreatedDat]\n",
        ["kpis.yaml:17:26: kpis[calls].date[1]: Task has no field 'CreatedDat' — did you mean "
         "'CreatedDate'?"],
        id="date-fallback-misspelt",
    ),
    pytest.param(
        "    date: Subject\n",
        ["kpis.yaml:17:11: kpis[calls].date: Task.Subject is a string field; date needs a date "
         "or datetime field"],
        id="date-field-wrong-type",
    ),
    pytest.param(
        "    credit: ActivityDate\n",
        ["kpis.yaml:17:13: kpis[calls].credit: Task.ActivityDate is a date field; credit needs "
         "a user lookup (reference) field"],
        id="credit-field-wrong-type",
    ),
    pytest.param(
        "    credit: Opportunity.OwnerId\n",
        ["kpis.yaml:17:13: kpis[calls].credit: Opportunity.OwnerId is only for "
         "OpportunityHistory; Task records have their own OwnerId"],
        id="parent-owner-on-task",
    ),
]


@pytest.mark.parametrize(("snippet", "expected"), KPI_SNIPPETS)
def test_kpi_snippet_problem(snippet, expected):
    assert problems(BASE + snippet) == expected


def test_sum_over_a_lookup_needs_a_number_field():
    text = BASE.replace("measure: count", "measure: {sum: Account.Name}")
    assert problems(text) == [
        "kpis.yaml:16:20: kpis[calls].measure.sum: Task.Account.Name is a string field; sum "
        "needs a number (int, double, currency or percent) field"]


def second_kpi(*lines: str, kpi_id: str = "other") -> str:
    """BASE plus a second KPI starting at line 17 (its first own line is 18)."""
    return BASE + f"  - id: {kpi_id}\n" + "".join(f"    {line}\n" for line in lines)


COMPLETE = ("name: Other", "tier: results", "type: lagging", "unit: count")

SECOND_KPI_SNIPPETS = [
    pytest.param(
        second_kpi("name: Other", "type: lagging", "unit: count", "source: Task",
                   "measure: count"),
        ["kpis.yaml:17:5: kpis[other]: missing required key 'tier' "
         "(one of: results, objectives, activities)"],
        id="missing-required-key",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "measure: count"),
        ["kpis.yaml:17:5: kpis[other]: missing required key 'source' "
         "(one of: Task, Event, Opportunity, OpportunityHistory)"],
        id="missing-source",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Tasks", "measure: count"),
        ["kpis.yaml:22:13: kpis[other].source: expected one of: Task, Event, Opportunity, "
         "OpportunityHistory; got 'Tasks' — did you mean 'Task'?"],
        id="source-did-you-mean",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Opportunity", "measure: {sum: StageName}"),
        ["kpis.yaml:23:20: kpis[other].measure.sum: Opportunity.StageName is a picklist field; "
         "sum needs a number (int, double, currency or percent) field"],
        id="sum-of-text",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Opportunity", "measure: sum"),
        ["kpis.yaml:23:14: kpis[other].measure: sum needs more: write measure: {sum: Amount}"],
        id="sum-without-field",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Opportunity", "measure: {summ: Amount}"),
        ["kpis.yaml:23:15: kpis[other].measure: unknown measure 'summ' — did you mean 'sum'?"],
        id="measure-did-you-mean",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Opportunity", "measure: {sum: Amount, average: Amount}"),
        ["kpis.yaml:23:14: kpis[other].measure: expected count or one mapping such as "
         "{sum: Amount}; got 2 entries"],
        id="two-measures",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Opportunity",
                   "measure: {duration: {from: CreatedDate, to: CloseDate}}"),
        ["kpis.yaml:21:11: kpis[other].unit: a duration is measured in days or minutes, "
         "got 'count'"],
        id="duration-unit",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Opportunity",
                   "measure: {duration: {from: CreatedDate, to: Amount}}"),
        ["kpis.yaml:21:11: kpis[other].unit: a duration is measured in days or minutes, "
         "got 'count'",
         "kpis.yaml:23:49: kpis[other].measure.duration.to: Opportunity.Amount is a currency "
         "field; a duration needs a date or datetime field"],
        id="duration-of-amount",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "measure: {ratio: {numerator: calls, denominator: dials}}"),
        ["kpis.yaml:22:54: kpis[other].measure.ratio.denominator: 'dials' is not a defined KPI "
         "— did you mean 'calls'?"],
        id="ratio-undefined-part",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "measure: {ratio: {numerator: other, denominator: calls}}"),
        ["kpis.yaml:22:34: kpis[other].measure.ratio.numerator: 'other' is this KPI itself; "
         "a ratio divides two other KPIs"],
        id="ratio-self-reference",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Task",
                   "measure: {ratio: {numerator: calls, denominator: calls}}"),
        ["kpis.yaml:22:5: kpis[other].source: a ratio KPI divides two other KPIs and takes no "
         "source: set it on those KPIs instead"],
        id="ratio-with-source",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Task", "measure: count",
                   "target: {overrides: [{team: sdrs, per_rep: 1}]}"),
        ["kpis.yaml:24:33: kpis[other].target.overrides[0].team: 'sdrs' is not a defined team "
         "— did you mean 'sdr'?"],
        id="override-unknown-team",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Task", "measure: count",
                   "target: {overrides: [{segment: SMB, per_rep: 1}]}"),
        ["kpis.yaml:24:36: kpis[other].target.overrides[0].segment: 'SMB' is not a segment of "
         "any team (there are none)"],
        id="override-unused-segment",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Task", "measure: count",
                   "target: {overrides: [{team: sdr, rep: ann@x.example, per_rep: 1}]}"),
        ["kpis.yaml:24:38: kpis[other].target.overrides[0]: an override applies to exactly one "
         "of team, segment, region, role or rep; this one also has 'team'"],
        id="override-two-scopes",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Task", "measure: count",
                   "target: {overrides: [{rep: ann, per_rep: 1}]}"),
        ["kpis.yaml:24:32: kpis[other].target.overrides[0].rep: expected a username (with @) or "
         "a user Id (005 followed by 12 or 15 letters and digits), got 'ann'"],
        id="override-rep-shape",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Task", "measure: count", kpi_id="calls"),
        ["kpis.yaml:17:9: kpis[1].id: duplicate KPI id 'calls' (first defined at line 10)"],
        id="duplicate-kpi-id",
    ),
    pytest.param(
        second_kpi(*COMPLETE, "source: Task", "measure: count", kpi_id="Deals-Won"),
        ["kpis.yaml:17:9: kpis[1].id: expected an id of lowercase letters, digits and _ that "
         "starts with a letter, got 'Deals-Won' — did you mean 'deals_won'?"],
        id="bad-kpi-id",
    ),
]


def test_a_kpi_without_an_id_is_named_by_its_place():
    text = BASE + "".join(f"  {'-' if i == 0 else ' '} {line}\n" for i, line in enumerate(
        ("name: Other", "tier: results", "type: lagging", "unit: count", "source: Task",
         "measure: count", "target: {per_rep: ten}")))
    assert problems(text) == [
        "kpis.yaml:17:5: kpis[1]: missing required key 'id' (a lowercase id such as calls)",
        "kpis.yaml:23:23: kpis[1].target.per_rep: expected a number, got 'ten'",
    ]


def test_a_repeated_id_names_the_first_by_id_and_the_repeat_by_its_place():
    text = second_kpi(*COMPLETE, "source: Task", "measure: count", "target: {per_rep: ten}",
                      kpi_id="calls").replace("    measure: count\n  - id: calls",
                                              "    measure: {sum: Subject}\n  - id: calls")
    assert problems(text) == [
        "kpis.yaml:16:20: kpis[calls].measure.sum: Task.Subject is a string field; sum needs "
        "a number (int, double, currency or percent) field",
        "kpis.yaml:17:9: kpis[1].id: duplicate KPI id 'calls' (first defined at line 10)",
        "kpis.yaml:24:23: kpis[1].target.per_rep: expected a number, got 'ten'",
    ]


@pytest.mark.parametrize(("text", "expected"), SECOND_KPI_SNIPPETS)
def test_second_kpi_problem(text, expected):
    assert problems(text) == expected


def test_ratio_of_a_ratio_is_refused():
    text = second_kpi(*COMPLETE, "measure: {ratio: {numerator: calls, denominator: calls}}") + \
        "  - id: third\n" + "".join(f"    {line}\n" for line in COMPLETE) + \
        "    measure: {ratio: {numerator: other, denominator: calls}}\n"
    assert problems(text) == [
        "kpis.yaml:28:34: kpis[third].measure.ratio.numerator: 'other' is itself a ratio; use "
        "KPIs that count, sum, average or time records",
    ]


ORG_SNIPPETS = [
    pytest.param("  timezone: America/NewYork\n",
                 "kpis.yaml:3:13: org.timezone: 'America/NewYork' is not an IANA timezone — "
                 "did you mean 'America/New_York'?", id="timezone-did-you-mean"),
    pytest.param("  timezone: Mars/Olympus_Mons\n",
                 "kpis.yaml:3:13: org.timezone: 'Mars/Olympus_Mons' is not an IANA timezone "
                 "such as America/New_York or UTC", id="timezone-unknown"),
    pytest.param("  timezone: UTC\n  fiscal_year_start_month: 13\n",
                 "kpis.yaml:4:28: org.fiscal_year_start_month: expected a whole number from 1 "
                 "to 12, got 13", id="fiscal-month-range"),
    pytest.param("  timezone: UTC\n  window: 2.5\n",
                 "kpis.yaml:4:11: org.window: expected a whole number from 1 to 24, got 2.5",
                 id="window-fraction"),
    pytest.param("  timezone: UTC\n  default_period: weekly\n",
                 "kpis.yaml:4:19: org.default_period: expected one of: week, month, quarter, "
                 "year, fiscal_quarter, fiscal_year; got 'weekly' — did you mean 'week'?",
                 id="period-unknown"),
    pytest.param("  timezone: UTC\n  currency: US$\n",
                 "kpis.yaml:4:13: org.currency: expected a 3-letter ISO 4217 currency code in "
                 "capitals such as USD or EUR, got 'US$'", id="currency-shape"),
]


@pytest.mark.parametrize(("org_tail", "expected"), ORG_SNIPPETS)
def test_org_problem(org_tail, expected):
    text = BASE.replace("  timezone: UTC\n", org_tail)
    assert problems(text) == [expected]


TEAM_SNIPPETS = [
    pytest.param("    members: {roles: [SDR]}\n", "    members: {}\n",
                 ["kpis.yaml:7:14: teams[sdr].members: expected at least one rule: roles, "
                  "user_ids, usernames or where"], id="members-without-rules"),
    pytest.param("    members: {roles: [SDR]}\n", "    members: {roles: []}\n",
                 ["kpis.yaml:7:14: teams[sdr].members: every rule is empty, so nobody is on "
                  "this team: list at least one role, user Id, username or User field"],
                 id="members-all-empty"),
    pytest.param("    members: {roles: [SDR]}\n", "    members: {user_ids: [005ABC]}\n",
                 ["kpis.yaml:7:26: teams[sdr].members.user_ids[0]: expected a user Id (005 "
                  "followed by 12 or 15 letters and digits), got '005ABC'"], id="bad-user-id"),
    pytest.param("    members: {roles: [SDR]}\n", "    members: {where: {Departmnt: Sales}}\n",
                 ["kpis.yaml:7:23: teams[sdr].members.where.Departmnt: User has no field "
                  "'Departmnt' — did you mean 'Department'?"], id="member-field-did-you-mean"),
    pytest.param("    members: {roles: [SDR]}\n", "    members: {rols: [SDR]}\n",
                 ["kpis.yaml:7:14: teams[sdr].members: expected at least one rule: roles, "
                  "user_ids, usernames or where",
                  "kpis.yaml:7:15: teams[sdr].members: unknown key 'rols' — did you mean "
                  "'roles'?"], id="members-key-typo"),
    pytest.param("    kpis: [calls]\n", "    kpis: [calls, calls]\n",
                 ["kpis.yaml:8:19: teams[sdr].kpis[1]: 'calls' is listed twice (first at "
                  "line 8)"], id="kpi-listed-twice"),
    pytest.param("    kpis: [calls]\n", "    kpis: [cals]\n",
                 ["kpis.yaml:8:12: teams[sdr].kpis[0]: 'cals' is not a defined KPI — did you "
                  "mean 'calls'?"], id="team-kpi-did-you-mean"),
    pytest.param("    kpis: [calls]\n", "    kpis: []\n",
                 ["kpis.yaml:8:11: teams[sdr].kpis: expected at least one KPI id"],
                 id="team-without-kpis"),
    pytest.param("    kpis: [calls]\n", "    kpis: [calls, a, b, c, d, e, f]\n",
                 ["kpis.yaml:8:11: teams[sdr].kpis: a team shows at most 6 KPIs, got 7; 3-4 "
                  "keeps a scorecard focused",
                  *(f"kpis.yaml:8:{col}: teams[sdr].kpis[{i}]: '{k}' is not a defined KPI — "
                    "expected one of: calls"
                    for i, (col, k) in enumerate(zip((19, 22, 25, 28, 31, 34), "abcdef",
                                                     strict=True), start=1))],
                 id="too-many-kpis"),
]


@pytest.mark.parametrize(("old", "new", "expected"), TEAM_SNIPPETS)
def test_team_problem(old, new, expected):
    assert problems(BASE.replace(old, new)) == expected


def test_duplicate_team_id_says_where_the_first_is():
    text = BASE.replace("kpis:\n  - id: calls", "  - id: sdr\n    name: SDR 2\n"
                        "    members: {roles: [SDR 2]}\n    kpis: [calls]\nkpis:\n  - id: calls")
    assert problems(text) == [
        "kpis.yaml:9:9: teams[1].id: duplicate team id 'sdr' (first defined at line 5)",
    ]


def test_a_team_with_an_invalid_id_is_named_by_its_place():
    text = BASE.replace("  - id: sdr\n", "  - id: SDR East\n").replace(
        "members: {roles: [SDR]}", "members: {roles: []}")
    assert problems(text) == [
        "kpis.yaml:5:9: teams[0].id: expected an id of lowercase letters, digits and _ that "
        "starts with a letter, got 'SDR East' — did you mean 'sdr_east'?",
        "kpis.yaml:7:14: teams[0].members: every rule is empty, so nobody is on this team: "
        "list at least one role, user Id, username or User field",
    ]


CASCADE_SNIPPETS = [
    pytest.param("cascade: [calls]\n",
                 ["kpis.yaml:17:10: cascade: a cascade needs at least two KPIs, got 1"],
                 id="cascade-too-short"),
    pytest.param("cascade: [calls, calls]\n",
                 ["kpis.yaml:17:18: cascade[1]: 'calls' is already in the cascade (at line 17)",
                  ], id="cascade-repeats"),
    pytest.param("cascade: [calls, revenue]\n",
                 ["kpis.yaml:17:18: cascade[1]: 'revenue' is not a defined KPI — expected one "
                  "of: calls"], id="cascade-undefined"),
]


@pytest.mark.parametrize(("snippet", "expected"), CASCADE_SNIPPETS)
def test_cascade_problem(snippet, expected):
    assert problems(BASE + snippet) == expected


# ---------------------------------------------------------------- cohorts and stages

# Lines 17-31 add an Opportunity and an Event KPI; a cascade snippet starts on line 32 and its
# first cohort step is on line 35.
COHORT_BASE = BASE + """\
  - id: opps
    name: Opportunities
    tier: objectives
    type: leading
    unit: count
    source: Opportunity
    measure: count
    date: CreatedDate
  - id: meetings
    name: Meetings
    tier: activities
    type: leading
    unit: count
    source: Event
    measure: count
"""


def with_cohort(*steps: str) -> str:
    items = "".join(f"    - {step}\n" for step in steps)
    return COHORT_BASE + f"cascade:\n  steps: [calls, opps]\n  cohorts:\n{items}"


def test_cascade_mapping_form_reads_steps_and_cohorts():
    config = parse_config(with_cohort("{from: calls, to: opps, within_days: 30}"))
    assert config.cascade == ("calls", "opps")
    assert config.cohorts == (CohortStep(
        from_kpi="calls", to_kpi="opps", within_days=30, match="account",
        from_field="AccountId", to_field="AccountId", line=35),)


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        pytest.param("account", ("account", "AccountId", "AccountId"), id="account"),
        pytest.param("{from: WhatId, to: Id}", ("fields", "WhatId", "Id"), id="field-pair"),
        pytest.param("{from: AccountId, to: Account.Id}", ("fields", "AccountId", "Account.Id"),
                     id="field-through-a-lookup"),
    ],
)
def test_cohort_match_names_the_key_on_each_side(match, expected):
    (step,) = parse_config(with_cohort(
        f"{{from: calls, to: opps, within_days: 7, match: {match}}}")).cohorts
    assert (step.match, step.from_field, step.to_field) == expected


def test_cohort_match_who_is_the_whoid_of_activities():
    (step,) = parse_config(with_cohort(
        "{from: calls, to: meetings, within_days: 14, match: who}")).cohorts
    assert (step.match, step.from_field, step.to_field) == ("who", "WhoId", "WhoId")


def test_cohort_on_opportunity_history_reads_the_account_through_the_opportunity():
    text = BASE.replace("source: Task\n    measure: count",
                        "source: OpportunityHistory\n    measure: count") + \
        COHORT_BASE[len(BASE):] + "cascade:\n  steps: [calls, opps]\n  cohorts:\n" \
        "    - {from: meetings, to: calls, within_days: 30}\n"
    (step,) = parse_config(text).cohorts
    assert step.to_field == "Opportunity.AccountId"
    required = parse_config(text).required_fields
    assert "OpportunityId" in required["OpportunityHistory"]
    assert "AccountId" in required["Opportunity"]


def test_cohort_keys_are_required_fields():
    config = parse_config(with_cohort("{from: calls, to: opps, within_days: 30}"))
    assert "AccountId" in config.required_fields["Task"]
    assert "AccountId" in config.required_fields["Opportunity"]


COHORT_SNIPPETS = [
    pytest.param(["{from: calls, to: opps, within_days: 30, match: who}"],
                 ["kpis.yaml:35:55: cascade.cohorts[0].match: who needs records with a WhoId "
                  "(Task or Event); 'opps' reads Opportunity — match on account, or on a pair "
                  "of fields such as {from: WhatId, to: AccountId}"], id="who-on-opportunity"),
    pytest.param(["{from: calls, to: opps, within_days: 30, match: acount}"],
                 ["kpis.yaml:35:55: cascade.cohorts[0].match: expected account, who or a pair "
                  "of fields such as {from: WhatId, to: AccountId}; got 'acount' — did you "
                  "mean 'account'?"], id="match-typo"),
    pytest.param(["{from: calls, to: opps, within_days: 30, match: {from: WhatIdd, "
                  "to: AccountId}}"],
                 ["kpis.yaml:35:62: cascade.cohorts[0].match.from: Task has no field 'WhatIdd' "
                  "— did you mean 'WhatId'?"], id="match-field-typo"),
    pytest.param(["{from: calls, to: opps, within_days: 30, match: {from: Subject, "
                  "to: AccountId}}"],
                 ["kpis.yaml:35:62: cascade.cohorts[0].match.from: Task.Subject is a string "
                  "field; match needs a reference or id field"], id="match-field-not-a-key"),
    pytest.param(["{from: calls, to: opps, within_days: 30, match: {from: WhatId}}"],
                 ["kpis.yaml:35:55: cascade.cohorts[0].match: missing required key 'to' (a "
                  "field of the conversion KPI's records, such as AccountId)"],
                 id="match-pair-half"),
    pytest.param(["{from: calls, to: opps, within_days: 0}"],
                 ["kpis.yaml:35:44: cascade.cohorts[0].within_days: expected a whole number "
                  "from 1 to 366, got 0"], id="window-zero"),
    pytest.param(["{from: calls, to: calls, within_days: 30}"],
                 ["kpis.yaml:35:25: cascade.cohorts[0].to: 'calls' is also the base KPI; a "
                  "cohort step converts one KPI into another"], id="into-itself"),
    pytest.param(["{from: calls, to: deals, within_days: 30}"],
                 ["kpis.yaml:35:25: cascade.cohorts[0].to: 'deals' is not a defined KPI — did "
                  "you mean 'calls'?"], id="undefined-kpi"),
    pytest.param(["{from: calls, to: opps}"],
                 ["kpis.yaml:35:7: cascade.cohorts[0]: missing required key 'within_days' (how "
                  "many days after a base record a conversion still counts, such as 30)"],
                 id="no-window"),
    pytest.param(["{from: calls, to: opps, within_days: 30}",
                  "{from: calls, to: opps, within_days: 7}"],
                 ["kpis.yaml:36:7: cascade.cohorts[1]: calls to opps is already a cohort step "
                  "(at line 35)"], id="repeated-pair"),
]


@pytest.mark.parametrize(("steps", "expected"), COHORT_SNIPPETS)
def test_cohort_problem(steps, expected):
    assert problems(with_cohort(*steps)) == expected


def test_cascade_mapping_needs_steps():
    assert problems(COHORT_BASE + "cascade:\n  stepz: [calls, opps]\n") == [
        "kpis.yaml:33:3: cascade: unknown key 'stepz' — did you mean 'steps'?",
        "kpis.yaml:33:3: cascade: missing required key 'steps' (the funnel's KPI ids, first "
        "activity to closed deal, such as [calls, conversations, meetings_held, deals_won])",
    ]


def test_stages_are_read_in_funnel_order():
    config = parse_config(BASE + "stages: [Prospecting, Proposal/Price Quote, Closed Won]\n")
    assert config.stages == ("Prospecting", "Proposal/Price Quote", "Closed Won")
    assert config.required_fields["OpportunityHistory"] == tuple(sorted(
        {*SYSTEM_FIELDS, "CreatedDate", "OpportunityId", "StageName"}))
    assert config.required_fields["Opportunity"] == tuple(sorted(
        {*SYSTEM_FIELDS, "OwnerId", "Amount", "CreatedDate", "CloseDate", "IsClosed", "IsWon"}))


def test_without_stages_nothing_extra_is_fetched():
    config = parse_config(BASE)
    assert (config.stages, set(config.required_fields)) == ((), {"User", "UserRole", "Task"})


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        pytest.param("stages: []\n", "kpis.yaml:17:9: stages: expected at least one stage "
                     "name, in funnel order, such as [Prospecting, Qualification, Closed Won]",
                     id="empty"),
        pytest.param("stages: [Prospecting, Qualification, Prospecting]\n",
                     "kpis.yaml:17:38: stages[2]: 'Prospecting' is already in stages (at line "
                     "17)", id="repeated"),
        pytest.param("stages: [1, 'Closed Won']\n", "kpis.yaml:17:10: stages[0]: expected a "
                     "stage name, got 1: write '1' in quotes if that is the value",
                     id="not-a-name"),
        pytest.param("stages: Prospecting\n", "kpis.yaml:17:9: stages: expected a list, such "
                     "as [Prospecting, Qualification, Closed Won]; got 'Prospecting'",
                     id="not-a-list"),
    ],
)
def test_stages_problem(snippet, expected):
    assert problems(BASE + snippet) == [expected]


# Lines 1-39: BASE and three more KPIs; the cascade snippets start on line 40.
FUNNEL_BASE = BASE + """\
  - id: deals_won
    name: Deals won
    tier: results
    type: lagging
    unit: count
    source: Opportunity
    measure: count
    target: {per_rep: 2}
  - id: revenue
    name: Revenue
    tier: results
    type: lagging
    unit: currency
    source: Opportunity
    measure: {sum: Amount}
    target: {per_rep: 1000}
  - id: deal_size
    name: Deal size
    tier: objectives
    type: lagging
    unit: currency
    source: Opportunity
    measure: {average: Amount}
"""


def test_cascade_mapping_form_reads_steps_and_options():
    config = parse_config(FUNNEL_BASE + "cascade:\n  steps: [calls, deals_won]\n"
                          "  min_sample: 5\n  goal: {kpi: revenue, per_deal: deal_size}\n")
    assert config.cascade == ("calls", "deals_won")
    assert config.cascade_options == CascadeOptions(min_sample=5, goal="revenue",
                                                    per_deal="deal_size")


def test_cascade_list_form_has_default_options():
    config = parse_config(FUNNEL_BASE + "cascade: [calls, deals_won]\n")
    assert config.cascade_options == CascadeOptions(min_sample=20, goal=None, per_deal=None)


def test_cascade_goal_may_be_a_step_without_per_deal():
    config = parse_config(FUNNEL_BASE + "cascade: {steps: [calls, deals_won], "
                          "goal: {kpi: deals_won}}\n")
    assert config.cascade_options.goal == "deals_won"
    assert config.cascade_options.per_deal is None


CASCADE_MAPPING_SNIPPETS = [
    pytest.param("cascade: {steps: [calls, calls]}\n",
                 ["kpis.yaml:40:26: cascade.steps[1]: 'calls' is already in the cascade (at "
                  "line 40)"], id="steps-repeat"),
    pytest.param("cascade: {min_sample: 5}\n",
                 ["kpis.yaml:40:10: cascade: missing required key 'steps' (the funnel's KPI "
                  "ids, first activity to closed deal, such as [calls, conversations, "
                  "meetings_held, deals_won])"], id="steps-missing"),
    pytest.param("cascade: {step: [calls, deals_won]}\n",
                 ["kpis.yaml:40:10: cascade: missing required key 'steps' (the funnel's KPI "
                  "ids, first activity to closed deal, such as [calls, conversations, "
                  "meetings_held, deals_won])",
                  "kpis.yaml:40:11: cascade: unknown key 'step' — did you mean 'steps'?"],
                 id="steps-typo"),
    pytest.param("cascade: {steps: [calls, deals_won], min_sample: 0}\n",
                 ["kpis.yaml:40:50: cascade.min_sample: expected a whole number from 1 to "
                  "100000, got 0"], id="min-sample-zero"),
    pytest.param("cascade: {steps: [calls, deals_won], goal: revenue}\n",
                 ["kpis.yaml:40:44: cascade.goal: expected a mapping with keys kpi, per_deal; "
                  "got 'revenue'"], id="goal-not-a-mapping"),
    pytest.param("cascade: {steps: [calls, deals_won], goal: {kip: deals_won}}\n",
                 ["kpis.yaml:40:44: cascade.goal: missing required key 'kpi' (the KPI whose "
                  "target the reverse funnel works back from, such as closed_won_revenue)",
                  "kpis.yaml:40:45: cascade.goal: unknown key 'kip' — did you mean 'kpi'?"],
                 id="goal-key-typo"),
    pytest.param("cascade: {steps: [calls, deals_won], goal: {kpi: revenu, per_deal: x}}\n",
                 ["kpis.yaml:40:50: cascade.goal.kpi: 'revenu' is not a defined KPI — did you "
                  "mean 'revenue'?",
                  "kpis.yaml:40:68: cascade.goal.per_deal: 'x' is not a defined KPI — "
                  "expected one of: calls, deal_size, deals_won, revenue"],
                 id="goal-undefined"),
    pytest.param("cascade: {steps: [calls, deals_won], goal: {kpi: revenue}}\n",
                 ["kpis.yaml:40:50: cascade.goal.kpi: 'revenue' is not a step of the cascade: "
                  "add per_deal (the value of one deal, such as average_deal_size) to turn it "
                  "into 'deals_won'"], id="goal-needs-per-deal"),
    pytest.param("cascade: {steps: [calls, deals_won], goal: {kpi: deals_won, "
                 "per_deal: deal_size}}\n",
                 ["kpis.yaml:40:71: cascade.goal.per_deal: not needed: 'deals_won' is a step "
                  "of the cascade; remove per_deal"], id="per-deal-not-needed"),
    pytest.param("cascade: {steps: [calls, deals_won], goal: {kpi: calls}}\n",
                 ["kpis.yaml:40:50: cascade.goal.kpi: 'calls' has no target, so the reverse "
                  "funnel has nothing to work back from: give it a target"],
                 id="goal-without-target"),
    pytest.param("cascade: {steps: [calls, deals_won], goal: {kpi: deal_size, "
                 "per_deal: deal_size}}\n",
                 ["kpis.yaml:40:50: cascade.goal.kpi: 'deal_size' is an average; the goal must "
                  "count or sum records (deals won, closed-won revenue)"],
                 id="goal-not-additive"),
    pytest.param("cascade: calls\n",
                 ["kpis.yaml:40:10: cascade: expected a list of KPI ids, such as [calls, "
                  "conversations, meetings_held, deals_won], or a mapping with steps, "
                  "min_sample, goal and cohorts; got 'calls'"], id="cascade-scalar"),
]


@pytest.mark.parametrize(("snippet", "expected"), CASCADE_MAPPING_SNIPPETS)
def test_cascade_mapping_problem(snippet, expected):
    assert problems(FUNNEL_BASE + snippet) == expected


def test_scoring_reads_weights_and_cap():
    config = parse_config(BASE + "scoring: {weights: {results: 60, activities: 40}, cap: 120}\n")
    assert config.scoring == Scoring(
        weights=(("results", Decimal(60)), ("objectives", Decimal(0)),
                 ("activities", Decimal(40))),
        cap=Decimal(120),
    )


def test_scoring_defaults_to_50_30_20_capped_at_150():
    assert parse_config(BASE).scoring == Scoring(
        weights=(("results", Decimal(50)), ("objectives", Decimal(30)),
                 ("activities", Decimal(20))),
        cap=Decimal(150),
    )


SCORING_SNIPPETS = [
    pytest.param("scoring: {weights: {results: 50, objectives: 30}}\n",
                 ["kpis.yaml:17:20: scoring.weights: the weights are percentages and must add "
                  "up to 100; results 50, objectives 30 add up to 80"], id="weights-sum"),
    pytest.param("scoring: {weights: {result: 50, objectives: 50}}\n",
                 ["kpis.yaml:17:20: scoring.weights: the weights are percentages and must add "
                  "up to 100; objectives 50 add up to 50",
                  "kpis.yaml:17:21: scoring.weights: unknown key 'result' — did you mean "
                  "'results'?"], id="weights-tier-typo"),
    pytest.param("scoring: {weights: {results: lots, objectives: 100}}\n",
                 ["kpis.yaml:17:30: scoring.weights.results: expected a number, got 'lots'"],
                 id="weight-not-a-number"),
    pytest.param("scoring: {cap: 80}\n",
                 ["kpis.yaml:17:16: scoring.cap: expected a percentage of target of at least "
                  "100, such as 150, got 80: a lower cap would keep a rep on target from "
                  "scoring 100 %"], id="cap-below-100"),
    pytest.param("scoring: {weigths: {results: 100}}\n",
                 ["kpis.yaml:17:11: scoring: unknown key 'weigths' — did you mean 'weights'?"],
                 id="scoring-key-typo"),
    pytest.param("scoring: [results]\n",
                 ["kpis.yaml:17:10: scoring: expected a mapping with keys weights, cap; got "
                  "a list"], id="scoring-not-a-mapping"),
]


@pytest.mark.parametrize(("snippet", "expected"), SCORING_SNIPPETS)
def test_scoring_problem(snippet, expected):
    assert problems(BASE + snippet) == expected


# ---------------------------------------------------------------- unreadable input


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", "kpis.yaml:1:1: the file is empty; it needs org, teams and kpis "
                         "(see docs/config.md)", id="empty"),
        pytest.param("# only a comment\n", "kpis.yaml:1:1: the file is empty; it needs org, "
                     "teams and kpis (see docs/config.md)", id="only-comment"),
        pytest.param("org:\n  name: [Test\n", "kpis.yaml:3:1: invalid YAML: while parsing a "
                     "flow sequence, expected ',' or ']', but got '<stream end>'",
                     id="unclosed-bracket"),
        pytest.param("org:\n\tname: x\n", "kpis.yaml:2:1: tabs are not allowed in YAML; use "
                     "spaces", id="tab-indent"),
        pytest.param("org:\n  name:\tx\n", "kpis.yaml:2:8: tabs are not allowed in YAML; use "
                     "spaces", id="tab-after-colon"),
        pytest.param("org: *nowhere\n", "kpis.yaml:1:6: invalid YAML: found undefined alias "
                     "'nowhere'", id="undefined-alias"),
        pytest.param("org: \x07\n", "kpis.yaml:1:6: invalid YAML: the character U+0007 is not "
                     "allowed in a YAML file", id="control-character"),
        pytest.param("[" * 3000, "kpis.yaml:1:1: invalid YAML: nested too deeply to read",
                     id="deep-nesting"),
        pytest.param("- org\n", "kpis.yaml:1:1: expected a mapping with keys org, objects, "
                     "teams, kpis, cascade, periods, ramp, pacing, stages, scoring, site, "
                     "engine, mapping, plugins, outputs, store_sources; got a list",
                     id="top-level-list"),
    ],
)
def test_unreadable_text(text, expected):
    assert problems(text) == [expected]


def test_missing_file(tmp_path):
    path = tmp_path / "kpis.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:1:1: no such file; create it (see docs/config.md) or pass -c/--config "
        "with its path",
    ]


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path}:1:1: is a directory, not a config file",
    ]


def test_invalid_utf8_points_at_the_byte(tmp_path):
    path = tmp_path / "kpis.yaml"
    path.write_bytes(BASE.encode().replace(b"Test Co", b"Test \xe9 Co"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:2:14: not valid UTF-8 (byte 0xe9); save the file as UTF-8",
    ]


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "kpis.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert load_config(path).org.name == "Test Co"


def test_unsupported_yaml_tag_is_named():
    text = BASE.replace("name: Test Co", "name: !!binary aGVsbG8=")
    assert problems(text) == [
        "kpis.yaml:2:9: org.name: expected a string, got 'aGVsbG8=' tagged !!binary, which "
        "kpisync does not read",
    ]


def test_recursive_alias_is_reported_not_looped():
    text = BASE.replace("members: {roles: [SDR]}", "members: &m {roles: [SDR], where: *m}")
    assert problems(text) == [
        "kpis.yaml:7:18: teams[sdr].members.where.roles: User has no field 'roles' "
        "(custom fields end in __c)",
        "kpis.yaml:7:32: teams[sdr].members.where.where: User has no field 'where' "
        "(custom fields end in __c)",
    ]


# ---------------------------------------------------------------- values and derivations


def test_decimal_targets_are_exact():
    config = parse_config(BASE + "    target: {per_rep: 0.1, overrides: [{team: sdr, "
                                 "per_rep: 1234567.89}]}\n")
    target = config.kpi("calls").target
    assert target.per_rep == Decimal("0.1")
    assert str(target.per_rep) == "0.1"
    assert target.overrides == (TargetOverride("team", "sdr", Decimal("1234567.89")),)


def test_filter_values_keep_their_types():
    config = parse_config(
        BASE
        + "    where:\n"
        + "      CallDurationInSeconds: {gte: 120, lt: 3600.5}\n"
        + "      ActivityDate: {gte: 2026-01-01, lt: '2026-07-01'}\n"
        + "      CompletedDateTime: {gte: 2026-01-01T09:00:00Z}\n"
        + "      Type: {in: [Call, 'Outbound Call'], not_in: [Email]}\n"
        + "      IsClosed: true\n"
        + "      CallObject: {is_null: false}\n"
        + "      Score__c: {gte: 2.5}\n"
    )
    assert config.kpi("calls").filters == (
        Filter("CallDurationInSeconds", "gte", 120),
        Filter("CallDurationInSeconds", "lt", Decimal("3600.5")),
        Filter("ActivityDate", "gte", date(2026, 1, 1)),
        Filter("ActivityDate", "lt", date(2026, 7, 1)),
        Filter("CompletedDateTime", "gte", datetime(2026, 1, 1, 9, tzinfo=UTC)),
        Filter("Type", "in", ("Call", "Outbound Call")),
        Filter("Type", "not_in", ("Email",)),
        Filter("IsClosed", "eq", True),
        Filter("CallObject", "is_null", False),
        Filter("Score__c", "gte", Decimal("2.5")),
    )


def test_members_where_takes_text_and_booleans():
    text = BASE.replace("members: {roles: [SDR]}",
                        "members: {where: {Department: Sales Development, IsActive: true}}")
    team = parse_config(text).team("sdr")
    assert team.members == MemberSelector(
        where=(("Department", "Sales Development"), ("IsActive", True)))


def test_merge_keys_share_settings():
    text = BASE + "    target: &t {per_rep: 5, direction: lower}\n" + \
        "  - id: emails\n    <<: &common {tier: activities, type: leading, unit: count}\n" + \
        "    name: Emails\n    source: Task\n    measure: count\n    target: {<<: *t}\n"
    kpi = parse_config(text).kpi("emails")
    assert (kpi.tier, kpi.target.per_rep, kpi.direction) == ("activities", Decimal(5), "lower")


def test_required_fields_cover_filters_measures_dates_and_owner():
    """The sample turns site.record_labels on: Subject and Name are read for the drill-through
    pages, and nothing else is read that no KPI uses."""
    config = load_config(ROOT / "kpis.yaml")
    assert config.site.record_labels
    assert config.required_fields["Task"] == tuple(sorted(
        {*SYSTEM_FIELDS, "OwnerId", "ActivityDate", "TaskSubtype", "CallDurationInSeconds",
         "Subject"}))
    assert config.required_fields["Event"] == tuple(sorted(
        {*SYSTEM_FIELDS, "OwnerId", "ActivityDate", "CreatedDate", "Type", "Meeting_Held__c",
         "Subject"}))
    assert config.required_fields["Opportunity"] == tuple(sorted(
        {*SYSTEM_FIELDS, "OwnerId", "Amount", "CloseDate", "CreatedDate", "IsClosed", "IsWon",
         "Name"}))


@pytest.mark.parametrize("site", ["", "site: {record_labels: false}\n",
                                  "site: {record_labels: true, drill_through: false}\n",
                                  "site: {record_labels: true, rep_pages: false}\n"])
def test_record_labels_are_read_only_when_asked_for_and_shown(site):
    """Off by default (subject lines may name customers); on, they are read only for pages
    that exist."""
    text = (ROOT / "kpis.yaml").read_text(encoding="utf-8").replace(
        "site:\n  record_labels: true\n", site)
    config = parse_config(text)
    assert "Subject" not in config.required_fields["Task"]
    assert "Name" not in config.required_fields["Opportunity"]


def test_required_fields_always_include_users_and_roles():
    config = load_config(FIXTURES / "minimal.yaml")
    assert config.required_fields["User"] == tuple(sorted(USER_FIELDS))
    assert config.required_fields["UserRole"] == tuple(sorted(USER_ROLE_FIELDS))
    assert set(config.required_fields) == {"User", "UserRole", "Task"}


def test_required_fields_follow_opportunity_history_to_its_opportunity():
    config = load_config(FIXTURES / "opportunity_history.yaml")
    assert config.required_fields["OpportunityHistory"] == tuple(sorted(
        {*SYSTEM_FIELDS, "CreatedDate", "OpportunityId", "StageName"}))
    assert config.required_fields["Opportunity"] == tuple(sorted({*SYSTEM_FIELDS, "OwnerId"}))
    assert config.kpi("proposals").credit_field == "Opportunity.OwnerId"


def test_lookup_filters_parse_with_the_final_fields_type():
    text = BASE + "    where: {Account.Type: Customer, Owner.UserRole.Name: {in: [SDR]},\n" \
                  "            Account.NumberOfEmployees: {gte: 50}}\n"
    assert parse_config(text).kpi("calls").filters == (
        Filter("Account.Type", "eq", "Customer"),
        Filter("Owner.UserRole.Name", "in", ("SDR",)),
        Filter("Account.NumberOfEmployees", "gte", 50),
    )


def test_required_fields_follow_lookups_to_account_user_and_role():
    text = BASE + "    where: {Account.Industry: Banking, Owner.UserRole.DeveloperName: SDR,\n" \
                  "            Owner.Division: East}\n"
    required = parse_config(text).required_fields
    assert required["Account"] == ("Id", "Industry", "SystemModstamp")
    assert {"AccountId", "OwnerId"} <= set(required["Task"])
    assert {"Division", "UserRoleId"} <= set(required["User"])
    assert "DeveloperName" in required["UserRole"]


def test_account_is_required_only_when_a_kpi_uses_it():
    assert "Account" not in parse_config(BASE).required_fields


def test_date_list_keeps_the_first_and_its_fallbacks():
    kpi = parse_config(BASE + "    date: [ActivityDate, CreatedDate]\n").kpi("calls")
    assert (kpi.date_field, kpi.date_fallbacks) == ("ActivityDate", ("CreatedDate",))
    assert "CreatedDate" in parse_config(
        BASE + "    date: [ActivityDate, CreatedDate]\n").required_fields["Task"]


def test_single_date_has_no_fallbacks():
    kpi = parse_config(BASE + "    date: ActivityDate\n").kpi("calls")
    assert (kpi.date_field, kpi.date_fallbacks) == ("ActivityDate", ())


def test_required_fields_add_user_fields_used_by_teams():
    text = BASE.replace("members: {roles: [SDR]}", "members: {where: {Region__c: East}}")
    assert "Region__c" in parse_config(text).required_fields["User"]


# ---------------------------------------------------------------- fuzzing


def _outcome(text: str) -> None:
    try:
        parse_config(text)
    except ConfigError as exc:
        assert exc.problems
        assert all(p.line >= 1 and p.column >= 1 for p in exc.problems)
        assert [(p.line, p.column) for p in exc.problems] == sorted(
            (p.line, p.column) for p in exc.problems)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_raises_only_config_error(text):
    _outcome(text)


_VOCABULARY = st.sampled_from([
    "org", "teams", "kpis", "cascade", "id", "name", "timezone", "members", "roles", "where",
    "source", "measure", "target", "per_rep", "overrides", "team", "segment", "rep", "ratio",
    "numerator", "denominator", "sum", "duration", "from", "to", "in", "gte", "is_null", "tier",
    "unit", "type", "date", "credit", "Amount", "TaskSubtype", "IsWon", "Task", "Opportunity",
    "calls", "count", "UTC", "window", "Opportunity.OwnerId", "OpportunityHistory", "<<",
    "scoring", "weights", "cap", "results", "steps", "min_sample", "goal", "kpi", "per_deal",
])
_SCALARS = st.one_of(
    _VOCABULARY, st.integers(-5, 30), st.booleans(), st.none(), st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True), st.dates(),
)
_YAMLISH = st.recursive(
    _SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(_VOCABULARY, children, max_size=6)),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["org", "teams", "kpis", "cascade", "scoring"]),
                       _YAMLISH))
def test_arbitrary_yaml_structures_raise_only_config_error(document):
    _outcome(yaml.safe_dump(document))


_SAMPLE_LINES = (ROOT / "kpis.yaml").read_text(encoding="utf-8").splitlines(keepends=True)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(_SAMPLE_LINES) - 1), st.sampled_from(
    ["", "  x: 1\n", "- \n", "    <<: *nope\n", ": :\n", "    date: [\n", "  - ~\n", "&a b\n"]))
def test_sample_with_a_line_replaced_raises_only_config_error(index, replacement):
    lines = list(_SAMPLE_LINES)
    lines[index] = replacement
    _outcome("".join(lines))


# ---------------------------------------------------------------- docs parity


def test_docs_describe_every_key():
    from kpisync.config.cascade import CASCADE_KEYS, GOAL_KEYS
    from kpisync.config.cohorts import COHORT_KEYS, MATCH_KEYS
    from kpisync.config.engine import ENGINE_KEYS
    from kpisync.config.kpis import KPI_KEYS
    from kpisync.config.scoring import SCORING_KEYS, WEIGHT_KEYS
    from kpisync.config.targets import OVERRIDE_KEYS, PACING_KEYS, RAMP_KEYS, TARGET_KEYS
    from kpisync.config.teams import MEMBER_KEYS, TEAM_KEYS
    from kpisync.config.validate import ORG_KEYS, TOP_KEYS

    docs = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    keys = {k.name for group in (TOP_KEYS, ORG_KEYS, TEAM_KEYS, MEMBER_KEYS, KPI_KEYS,
                                 TARGET_KEYS, OVERRIDE_KEYS, RAMP_KEYS, PACING_KEYS,
                                 CASCADE_KEYS, GOAL_KEYS, COHORT_KEYS, MATCH_KEYS,
                                 SCORING_KEYS, WEIGHT_KEYS, ENGINE_KEYS) for k in group}
    assert sorted(k for k in keys if f"`{k}`" not in docs) == []
