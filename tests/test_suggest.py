"""kpisync targets suggest on the tiny org with four weeks of history (suggest_fixtures)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from compute_fixtures import build_store, tiny_config
from suggest_fixtures import AS_OF, WEEKS, add_history

from kpisync.cli import main
from kpisync.compute.suggest import complete_weeks, round_target, suggest_targets
from kpisync.config import load_config
from kpisync.config.model import TargetOverride

TINY_YAML = Path(__file__).resolve().parent / "fixtures" / "config" / "tiny.yaml"

SNIPPET = """\
# Suggested targets (kpisync targets suggest): per team, the 80th percentile of each
# active rep's weekly actuals over the 4 complete weeks 2026-02-09 to 2026-03-08, x 52/12
# weeks a month, rounded to a whole number (at most 3 significant digits).
# Review them, then paste each target: block over that KPI's target in kpis.yaml.
# Overrides by segment, region or rep are not carried over: add back those you keep.
# Not suggested (averages and ratios): win_rate, avg_deal, cycle.
kpis:
  - id: calls
    target:
      per_rep: 20   # sdr: 2 reps x 4 weeks, p80 4.6 a week x 52/12 = 19.93
      overrides:
        - team: ae
          per_rep: 6   # ae: 1 rep x 4 weeks, p80 1.4 a week x 52/12 = 6.07
  - id: conversations
    target:
      per_rep: 7   # sdr: 2 reps x 4 weeks, p80 1.6 a week x 52/12 = 6.93
  - id: opps_created
    target:
      per_rep: 6   # ae: 1 rep x 4 weeks, p80 1.4 a week x 52/12 = 6.07
  - id: revenue
    target:
      per_rep: 2380   # ae: 1 rep x 4 weeks, p80 550.3 a week x 52/12 = 2384.63
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("suggest") / "store.duckdb"
    con = build_store(path)
    add_history(con)
    con.close()
    return path


def suggest(store: Path, *args: str):
    return CliRunner().invoke(
        main, ["targets", "suggest", "-c", str(TINY_YAML), "--store", str(store), "--as-of",
               AS_OF.isoformat(), *args], catch_exceptions=False)


def test_suggest_prints_a_commented_snippet(store):
    result = suggest(store, "--weeks", str(WEEKS))
    assert result.exit_code == 0, result.output
    assert result.output == SNIPPET


def test_snippet_merged_into_the_config_validates(store, tmp_path):
    snippet = yaml.safe_load(suggest(store, "--weeks", str(WEEKS)).output)
    config = yaml.safe_load(TINY_YAML.read_text(encoding="utf-8"))
    proposed = {k["id"]: k["target"] for k in snippet["kpis"]}
    for kpi in config["kpis"]:
        if kpi["id"] in proposed:
            kpi["target"] = proposed[kpi["id"]]
    merged = tmp_path / "kpis.yaml"
    merged.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    result = CliRunner().invoke(main, ["validate", "-c", str(merged)])
    assert result.output == f"{merged}: OK — 9 KPIs, 2 teams, cascade of 4 steps\n"
    target = load_config(merged).kpi("calls").target
    assert (target.per_rep, target.overrides) == (
        Decimal(20), (TargetOverride("team", "ae", Decimal(6)),))


def test_the_percentile_option_changes_the_targets(store):
    result = suggest(store, "--weeks", str(WEEKS), "--percentile", "50")
    # calls sdr: 0 1 2 2 3 4 5 6 -> position 3.5: 2.5 a week -> 10.83 -> 11
    assert "      per_rep: 11   # sdr: 2 reps x 4 weeks, p50 2.5 a week x 52/12 = 10.83" \
        in result.output.splitlines()


def test_lower_is_better_takes_the_low_percentile(store):
    import duckdb

    config = tiny_config()
    calls = config.kpi("calls")
    lower = replace(calls, target=replace(calls.target, direction="lower"))
    config = replace(config, kpis=tuple(lower if k.id == "calls" else k for k in config.kpis))
    with duckdb.connect(str(store)) as con:
        found = suggest_targets(config, con, AS_OF, weeks=WEEKS)
    (suggested,) = [k for k in found.kpis if k.kpi_id == "calls"]
    # calls sdr at p20: 0 1 2 2 3 4 5 6 -> position 1.4: 1.4 a week -> 6.07 -> 6
    assert (suggested.percentile, suggested.teams[0].weekly, suggested.teams[0].target) == (
        20, Decimal("1.4"), Decimal(6))


def test_history_is_the_complete_weeks_before_the_running_one(store):
    import duckdb

    with duckdb.connect(str(store)) as con:
        found = suggest_targets(tiny_config(), con, AS_OF)
    assert (len(found.weeks), found.weeks[0].start, found.weeks[-1].end) == (
        12, date(2025, 12, 15), date(2026, 3, 8))


@pytest.mark.parametrize(
    ("as_of", "week_start", "expected"),
    [
        # a Tuesday, Monday weeks: the running week (from 03-09) is left out
        (date(2026, 3, 10), 0, [(date(2026, 2, 23), date(2026, 3, 1)),
                                (date(2026, 3, 2), date(2026, 3, 8))]),
        # Sunday weeks
        (date(2026, 3, 10), 6, [(date(2026, 2, 22), date(2026, 2, 28)),
                                (date(2026, 3, 1), date(2026, 3, 7))]),
        # on the first day of a week, that week is still running
        (date(2026, 3, 9), 0, [(date(2026, 2, 23), date(2026, 3, 1)),
                               (date(2026, 3, 2), date(2026, 3, 8))]),
    ],
    ids=["monday", "sunday", "first-day"],
)
def test_complete_weeks_follow_org_week_start(as_of, week_start, expected):
    assert [(w.start, w.end) for w in complete_weeks(as_of, week_start, 2)] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.4", "0"), ("0.5", "1"), ("9.53", "10"), ("270.8", "271"), ("999.6", "1000"),
     ("2384.6333", "2380"), ("12345.6", "12300")],
)
def test_round_target_keeps_three_significant_digits(value, expected):
    assert round_target(Decimal(value)) == Decimal(expected)



def test_suggest_without_a_store_creates_none(tmp_path):
    result = suggest(tmp_path / "none.duckdb")
    assert result.exit_code == 1
    assert not (tmp_path / "none.duckdb").exists()
