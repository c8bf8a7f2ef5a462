"""Periods before the synced history show no data, never 0 (compute/history.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from compute_fixtures import ANN, AS_OF, build_store, tiny_config
from sqlglot import exp

from kpisync.build import history_note
from kpisync.compute import compute
from kpisync.compute.history import gaps
from kpisync.compute.model import Period
from kpisync.store.state import STATE_TABLE, table_schema

FEB = "2026-02"
MAR = "2026-03"


def with_history(con, **starts: date):
    """The sync's state table, as a sync bounded by these history starts leaves it."""
    con.execute(exp.Create(this=table_schema(), kind="TABLE").sql(dialect="duckdb"))
    for sobject, day in starts.items():
        con.execute(f"INSERT INTO {STATE_TABLE} (sobject, fields, history_start) "
                    "VALUES (?, '[]', ?)", [sobject, day])
    return con


def test_a_period_partly_before_the_history_start_has_no_actual(tmp_path):
    con = with_history(build_store(tmp_path / "s.duckdb"), Task=date(2026, 2, 15))
    card = compute(tiny_config(), con, AS_OF)
    feb = card.result("calls", FEB, "rep", ANN)
    # Ann has calls in February, but the month is only half synced: no data, not a number
    assert (feb.actual, feb.attainment, feb.before_history) == (None, None, True)
    assert feb.target == Decimal(10)  # the target still stands
    assert card.result("calls", FEB, "org", "org").actual is None
    # the fiscal year to date begins in January: it reaches back too
    assert card.result("calls", "FY2026-YTD", "team", "sdr").before_history
    march = card.result("calls", MAR, "rep", ANN)
    assert not march.before_history and march.actual is not None
    # Opportunity's history is not bounded: its KPIs keep their February figures
    assert not card.result("opps_created", FEB, "org", "org").before_history


def test_ratios_and_formulas_inherit_the_gaps_of_their_parts():
    config = tiny_config()
    periods = (Period("2026-02", "Feb 2026", "month", date(2026, 2, 1), date(2026, 2, 28)),
               Period("2026-03", "Mar 2026", "month", date(2026, 3, 1), date(2026, 3, 31)))
    found = gaps(config, periods, {"Opportunity": date(2026, 3, 1)})
    assert ("win_rate", FEB) in found and ("deals_won", FEB) in found
    assert ("win_rate", MAR) not in found and ("calls", FEB) not in found


def test_build_notes_the_periods_before_the_history(tmp_path):
    con = with_history(build_store(tmp_path / "s.duckdb"), Task=date(2026, 2, 15))
    card = compute(tiny_config(), con, AS_OF)
    assert history_note(card) == (
        "Note: 2 periods begin before the synced history (Task from 2026-02-15) and show no "
        "data: Feb 2026, FY2026 year to date. Run `kpisync sync --history-start 2026-01-01` to "
        "read further back.")


def test_no_note_without_a_history_start(tmp_path):
    card = compute(tiny_config(), build_store(tmp_path / "s.duckdb"), AS_OF)
    assert card.history_starts == ()
    assert history_note(card) is None
    assert not any(r.before_history for r in card.results)
