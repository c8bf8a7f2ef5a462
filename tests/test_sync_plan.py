"""Where each read starts (``kpisync.sync.plan``): checkpoints, lookback, --since, re-reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kpisync.config import parse_config
from kpisync.config.required import ObjectPlan, plan_objects
from kpisync.store import SyncState
from kpisync.sync.plan import (
    Lower,
    ReadStart,
    SyncOptions,
    missing_fields_message,
    parse_duration,
    read_start,
    where,
)

NOW = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
HISTORY = date(2025, 1, 10)
WATERMARK = datetime(2026, 2, 10, 6, 0, tzinfo=UTC)
TASK = ObjectPlan("Task", ("Id", "SystemModstamp", "IsDeleted", "OwnerId"), measurable=True)
USER = ObjectPlan("User", ("Id", "SystemModstamp", "Name"), measurable=False)


def state(plan=TASK, **changes):
    """A finished read of ``plan`` six hours ago, fully read a day ago."""
    values = dict(watermark=WATERMARK, watermark_id="00T9", fields=plan.fields,
                  last_full_sync=NOW - timedelta(days=1), complete=True,
                  history_start=HISTORY if plan.measurable else None)
    values.update(changes)
    return SyncState(plan.sobject, **values)


def start(saved, plan=TASK, history_start=HISTORY, fields_added=False, **options):
    return read_start(plan, saved, SyncOptions(**options), now=NOW, history_start=history_start,
                      fields_added=fields_added)


def test_first_sync_reads_everything():
    assert start(None) == ReadStart(None, "first sync")


def test_after_a_finished_read_starts_a_lookback_before_the_watermark():
    assert start(state()) == ReadStart(Lower(WATERMARK - timedelta(minutes=10)))


def test_lookback_is_configurable():
    assert start(state(), lookback=timedelta(hours=1)).lower == Lower(WATERMARK
                                                                     - timedelta(hours=1))


def test_zero_lookback_starts_exactly_after_the_checkpoint():
    assert start(state(), lookback=timedelta(0)) == ReadStart(Lower(WATERMARK, "00T9"))


def test_an_interrupted_read_resumes_exactly_after_the_checkpoint_without_lookback():
    # so that a run with a small API budget always moves forward
    assert start(state(complete=False)) == ReadStart(Lower(WATERMARK, "00T9"))


def test_an_interrupted_full_read_resumes_as_a_full_read():
    resumed = start(state(complete=False, full_read_started=NOW - timedelta(hours=1)))
    assert resumed == ReadStart(Lower(WATERMARK, "00T9"), "resumed re-read")
    assert resumed.full


def test_a_full_read_reset_before_its_first_page_starts_again():
    assert start(state(watermark=None, watermark_id=None, complete=False,
                       full_read_started=NOW)) == ReadStart(None, "re-read")


def test_a_finished_read_of_an_empty_object_reads_it_again_without_calling_it_full():
    assert start(state(watermark=None, watermark_id=None)) == ReadStart(None, None)


def test_since_moves_the_start_back():
    assert start(state(), since=date(2026, 2, 1)) == ReadStart(
        Lower(datetime(2026, 2, 1, tzinfo=UTC)))


def test_since_never_moves_the_start_forward():
    older = datetime(2026, 2, 5, 6, 0, tzinfo=UTC)
    assert start(state(watermark=older), since=date(2026, 2, 10)).lower == Lower(
        older - timedelta(minutes=10))


def test_since_on_an_interrupted_read_includes_the_checkpoint_second():
    at_watermark = datetime(2026, 2, 10, tzinfo=UTC)
    saved = state(watermark=at_watermark, complete=False)
    assert start(saved, since=date(2026, 2, 10)).lower == Lower(at_watermark)


@pytest.mark.parametrize(
    ("saved", "kwargs", "reason"),
    [
        (state(), {"full": True}, "--full"),
        (state(), {"fields_added": True}, "fields added"),
        (state(fields=("Id", "SystemModstamp")), {}, "fields added"),
        (state(), {"history_start": date(2024, 1, 1)}, "earlier history start"),
        (state(formula_fields=("Weighted__c",), last_full_sync=NOW - timedelta(days=7)), {},
         "formula refresh"),
        (state(formula_fields=("Weighted__c",), last_full_sync=None), {}, "formula refresh"),
    ],
    ids=["full", "columns-added", "fields-added", "earlier-history", "formula-refresh-due",
         "formula-never-fully-read"],
)
def test_full_read_reasons(saved, kwargs, reason):
    assert start(saved, **kwargs) == ReadStart(None, reason)


@pytest.mark.parametrize(
    ("saved", "kwargs"),
    [
        (state(), {"history_start": date(2025, 6, 1)}),
        (state(plan=USER), {"plan": USER, "history_start": date(2020, 1, 1)}),
        (state(formula_fields=("Weighted__c",), last_full_sync=NOW - timedelta(days=6)), {}),
        (state(formula_fields=("Weighted__c",)), {"formula_refresh": None}),
        (state(formula_fields=("Weighted__c",), last_full_sync=None, complete=False), {}),
    ],
    ids=["later-history", "objects-without-history", "formula-refresh-not-due",
         "formula-refresh-off", "no-refresh-while-a-read-is-interrupted"],
)
def test_incremental_reads(saved, kwargs):
    assert not start(saved, **kwargs).full


def test_where_combines_history_lower_and_upper_bounds():
    upper = datetime(2026, 2, 1, tzinfo=UTC)
    assert where(TASK, HISTORY, Lower(WATERMARK, "00T9"), upper) == (
        "(CreatedDate >= 2025-01-10T00:00:00Z) AND ((SystemModstamp > 2026-02-10T06:00:00Z) OR "
        "((SystemModstamp = 2026-02-10T06:00:00Z) AND (Id > '00T9'))) AND "
        "(SystemModstamp < 2026-02-01T00:00:00Z)")
    assert where(USER, HISTORY, None) is None
    assert where(USER, HISTORY, Lower(WATERMARK)) == "SystemModstamp >= 2026-02-10T06:00:00Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("600", timedelta(seconds=600)), ("600s", timedelta(seconds=600)),
     ("10m", timedelta(minutes=10)), ("12h", timedelta(hours=12)), (" 7D ", timedelta(days=7)),
     ("0", timedelta(0))],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "ten minutes", "-5m", "1.5h", "5w"])
def test_parse_duration_refuses_what_it_cannot_read(text):
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    assert str(info.value) == (
        f"expected a duration such as 600s, 10m, 12h or 7d, got {text!r}")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"lookback": timedelta(seconds=-1)}, "lookback must not be negative, got -1 day, 23:59:59"),
     ({"formula_refresh": timedelta(0)}, "formula_refresh must be positive, got 0:00:00"),
     ({"bulk_threshold": -1}, "bulk_threshold must be 0 or more, got -1")],
    ids=["negative-lookback", "zero-formula-refresh", "negative-threshold"],
)
def test_sync_options_refuse_impossible_values(kwargs, message):
    with pytest.raises(ValueError) as info:
        SyncOptions(**kwargs)
    assert str(info.value) == message


# --- objects reached through lookups --------------------------------------------------------

LOOKUP_YAML = """\
org: {name: Acme, timezone: UTC}
teams:
  - {id: sales, name: Sales, members: {roles: [AE]}, kpis: [calls]}
kpis:
  - id: calls
    name: Calls
    tier: activities
    type: leading
    unit: count
    source: Task
    measure: count
    where: {Account.Industry: Banking, Owner.FirstName: Ann}
"""


def test_lookup_fields_are_fetched_on_the_object_at_the_end_of_the_path():
    plans = {p.sobject: p for p in plan_objects(parse_config(LOOKUP_YAML))}
    assert plans["Account"] == ObjectPlan(
        "Account", ("Id", "SystemModstamp", "OwnerId", "Industry"), measurable=False)
    assert "FirstName" in plans["User"].fields
    assert {"AccountId", "OwnerId"} <= set(plans["Task"].fields)


def test_a_missing_lookup_field_names_the_kpi_that_needs_it():
    assert missing_fields_message(parse_config(LOOKUP_YAML), "Account", ["Industry"]) == (
        "Account has no field 'Industry' (used by KPI 'calls'); check the field's API name "
        "and that the sync user can see it (field-level security)")
