"""kpisync explain on the tiny org (compute_fixtures): the numbers are the scorecard's, and the
text says how they were reached."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from compute_fixtures import ANN, AS_OF, CAT, DAN, build_store, tiny_config

from kpisync.cli import main
from kpisync.compute import compute
from kpisync.compute.explain import explain
from kpisync.compute.measures import BUILTIN_MEASURES
from kpisync.compute.period_keys import resolve_period
from kpisync.compute.sql import compile_kpi
from kpisync.config import load_config
from kpisync.config.model import DatedMember, Ramp, Target, TargetOverride
from kpisync.errors import ComputeError
from kpisync.explain_text import render

TINY_YAML = Path(__file__).resolve().parent / "fixtures" / "config" / "tiny.yaml"
TASK_COLUMNS = {"OwnerId": "string", "TaskSubtype": "string", "CallDurationInSeconds": "number",
                "ActivityDate": "date", "IsDeleted": "boolean"}
OPP_COLUMNS = {"OwnerId": "string", "Amount": "number", "IsClosed": "boolean",
               "IsWon": "boolean", "CreatedDate": "datetime", "CloseDate": "date",
               "IsDeleted": "boolean"}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("explain") / "store.duckdb"
    build_store(path).close()
    return path


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    con = build_store(tmp_path_factory.mktemp("explain-lib") / "store.duckdb")
    yield con
    con.close()


def run(store: Path, *args: str):
    return CliRunner().invoke(
        main, ["explain", *args, "-c", str(TINY_YAML), "--store", str(store), "--as-of",
               AS_OF.isoformat()], catch_exceptions=False)


def sql_block(kpi_id: str) -> str:
    """The KPI query as explain prints it (indented), from the compiler itself."""
    kpi = tiny_config().kpi(kpi_id)
    measure = next(m for m in BUILTIN_MEASURES if m.name == kpi.measure.kind)
    columns = {"Task": TASK_COLUMNS, "Opportunity": OPP_COLUMNS}
    sql = compile_kpi(kpi, measure=measure, columns=columns, timezone="America/New_York").sql
    return "\n".join(f"  {line}" for line in sql.splitlines())


def test_tiny_yaml_is_the_tiny_config():
    loaded = load_config(TINY_YAML)
    expected = tiny_config()
    assert (loaded.org, loaded.teams, loaded.cascade) == (expected.org, expected.teams,
                                                          expected.cascade)
    assert tuple(replace(k, line=0) for k in loaded.kpis) == expected.kpis


@pytest.fixture(scope="module")
def scorecard(con):
    return compute(tiny_config(), con, AS_OF)


#: every scope kind and period, on reps with and without targets, active and not
CELLS = [("2026-02", "rep", ANN), ("2026-02", "rep", DAN), ("2026-03", "rep", CAT),
         ("FY2026-YTD", "team", "sdr"), ("2026-02", "team", "ae"), ("FY2026-YTD", "org", "org")]


@pytest.mark.parametrize("kpi_id", [k.id for k in tiny_config().kpis])
def test_explained_numbers_are_the_scorecards(con, scorecard, kpi_id):
    for period_key, scope, scope_id in CELLS:
        asked = {"rep": {"rep": scope_id}, "team": {"team": scope_id}, "org": {}}[scope]
        e = explain(tiny_config(), con, kpi_id, period_key=period_key, as_of=AS_OF, **asked)
        cell = scorecard.result(kpi_id, period_key, scope, scope_id)
        assert (e.actual, e.target, e.attainment) == (cell.actual, cell.target,
                                                      cell.attainment), (period_key, scope_id)


def test_listed_records_add_up_to_a_count_actual(con):
    e = explain(tiny_config(), con, "calls", period_key="FY2026-YTD", as_of=AS_OF, team="sdr")
    (query,) = e.queries
    assert [(r.id, r.day, r.rep) for r in query.records] == [
        ("00T1", date(2026, 2, 3), "Ann"), ("00T2", date(2026, 2, 4), "Ann"),
        ("00T8", date(2026, 2, 20), "Dan"), ("00T3", date(2026, 3, 2), "Ann"),
        ("00T6", date(2026, 3, 5), "Bob"), ("00T7", date(2026, 3, 6), "Bob"),
    ]
    assert query.record_count == len(query.records) == e.actual


def test_a_period_outside_the_window_scales_the_target(con):
    e = explain(tiny_config(), con, "calls", period_key="2026-Q1", as_of=AS_OF, rep="Ann")
    assert (e.period.start, e.period.end, e.period.is_current) == (
        date(2026, 1, 1), date(2026, 3, 31), True)
    assert (e.actual, e.target) == (Decimal(3), Decimal(30))
    assert [(p.key, p.amount, p.value) for p in e.derivation.parts] == [
        ("2026-01", Decimal(10), 10), ("2026-02", Decimal(10), 10), ("2026-03", Decimal(10), 10)]


@pytest.mark.parametrize(
    ("key", "fiscal_start", "expected"),
    [
        ("2026-02", 1, ("2026-02", "month", date(2026, 2, 1), date(2026, 2, 28), False)),
        ("2025-q4", 1, ("2025-Q4", "quarter", date(2025, 10, 1), date(2025, 12, 31), False)),
        ("FY2027-Q1", 2, ("FY2027-Q1", "fiscal_quarter", date(2026, 2, 1), date(2026, 4, 30),
                          True)),
        ("FY2026", 2, ("FY2026", "fiscal_year", date(2025, 2, 1), date(2026, 1, 31), False)),
        ("2025", 2, ("2025", "year", date(2025, 1, 1), date(2025, 12, 31), False)),
        ("2026-W09", 1, ("2026-W09", "week", date(2026, 2, 23), date(2026, 3, 1), False)),
        ("2026-w11", 1, ("2026-W11", "week", date(2026, 3, 9), date(2026, 3, 15), True)),
        ("FY2026-YTD", 1, ("FY2026-YTD", "ytd", date(2026, 1, 1), AS_OF, True)),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_period_keys_resolve_in_the_org_calendar(key, fiscal_start, expected):
    org = tiny_config(fiscal_year_start_month=fiscal_start).org
    p = resolve_period(org, key, AS_OF)
    assert (p.key, p.kind, p.start, p.end, p.is_current) == expected


def test_a_period_not_started_is_refused():
    with pytest.raises(ComputeError) as info:
        resolve_period(tiny_config().org, "2026-Q3", AS_OF)
    assert str(info.value) == ("period '2026-Q3' starts on 2026-07-01, after the as-of day "
                               "2026-03-10: nothing has happened in it yet")


def test_explain_rep(store):
    result = run(store, "calls", "--rep", "ann", "--period", "2026-02")
    assert result.exit_code == 0, result.output
    assert result.output == f"""\
calls (Calls) for rep Ann (005A, team sdr), 2026-02 (Feb 2026: 2026-02-01 to 2026-02-28)

SQL for calls:
{sql_block("calls")}
Parameters: $p1 = 'Call'

Records counted for calls: 2 (Id, local day, value, rep)
  00T1  2026-02-03  1  Ann
  00T2  2026-02-04  1  Ann

Actual: 2, the number of records
Target: 10 (default per_rep (kpis.yaml line 34))
Attainment: actual ÷ target = 2 ÷ 10 = 20%
"""


def test_explain_team_sums_rep_targets_and_counts_the_records_not_listed(store):
    result = run(store, "conversations", "--team", "sdr", "--period", "2026-02", "--limit", "1")
    assert result.exit_code == 0, result.output
    assert result.output == f"""\
conversations (Conversations) for team SDR (sdr), 2026-02 (Feb 2026: 2026-02-01 to 2026-02-28)

SQL for conversations:
{sql_block("conversations")}
Parameters: $p1 = 'Call', $p2 = 120

Records counted for conversations: 2 (Id, local day, value, rep)
  00T2  2026-02-04  1  Ann
  … and 1 more (--limit shows more)

Actual: 2, the number of records
Target: 8 (sum of 2 reps' targets)
  Ann: 3 (default per_rep (kpis.yaml line 51))
  Bob: 5 (rep bob@tiny.example override (kpis.yaml line 53))
  Dan: none (inactive)
Attainment: actual ÷ target = 2 ÷ 8 = 25%
"""


def test_explain_org_year_to_date(store):
    result = run(store, "revenue", "--period", "FY2026-YTD")
    assert result.exit_code == 0, result.output
    assert result.output == f"""\
revenue (Revenue) for the org (Tiny Co), FY2026-YTD (FY2026 year to date: 2026-01-01 to 2026-03-10)

SQL for revenue:
{sql_block("revenue")}
Parameters: $p1 = TRUE

Records counted for revenue: 2 (Id, local day, value, rep)
  006A  2026-02-11  1000  Cat
  006B  2026-03-02  250.5  Cat

Actual: 1250.5, the sum of their values
Target: 3000 (sum of 1 team's targets)
  SDR: none (team sdr does not track revenue)
  AE: 3000 (sum of 1 rep's targets)
    Cat: 3000 (default per_rep (kpis.yaml line 78) × 3 months)
      2026-01: 1000 (per_rep)
      2026-02: 1000 (per_rep)
      2026-03: 1000 (per_rep)
Attainment: actual ÷ target = 1250.5 ÷ 3000 = 41.68%
"""


def test_explain_ratio_shows_both_parts(store):
    result = run(store, "win_rate", "--rep", "005C", "--period", "2026-03")
    assert result.exit_code == 0, result.output
    assert result.output == f"""\
win_rate (Win rate) for rep Cat (005C, team ae), 2026-03 (Mar 2026: 2026-03-01 to 2026-03-31)

SQL for deals_won:
{sql_block("deals_won")}
Parameters: $p1 = TRUE

Records counted for deals_won: 1 (Id, local day, value, rep)
  006B  2026-03-02  1  Cat

SQL for deals_closed:
{sql_block("deals_closed")}
Parameters: $p1 = TRUE

Records counted for deals_closed: 2 (Id, local day, value, rep)
  006B  2026-03-02  1  Cat
  006C  2026-03-04  1  Cat

Actual: deals_won ÷ deals_closed × 100 = 1 ÷ 2 × 100 = 50
Target: 50 (default per_rep (kpis.yaml line 108))
  (averages and ratios keep one target at every scope and period)
Attainment: actual ÷ target = 50 ÷ 50 = 100%
"""


def test_explain_lower_is_better_inverts_attainment(store):
    result = run(store, "cycle", "--rep", "cat@tiny.example", "--period", "2026-02")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-4:] == [
        "Actual: 11, the average of their values",
        "Target: 20 (default per_rep (kpis.yaml line 134))",
        "  (averages and ratios keep one target at every scope and period)",
        "Attainment: target ÷ actual (lower is better) = 20 ÷ 11 = 181.82%",
    ]


def test_explain_ratio_with_zero_denominator_has_no_value(store):
    result = run(store, "win_rate", "--rep", "Ann", "--period", "2026-03")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-3:] == [
        "Actual: none (deals_won ÷ deals_closed × 100, and deals_closed is 0)",
        "Target: none (team sdr does not track win_rate)",
        "Attainment: none (no target)",
    ]


def test_explain_json(store):
    result = run(store, "calls", "--team", "ae", "--period", "2026-01", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["actual"], data["target"], data["attainment"]) == ("1", "4", "0.25")
    assert data["queries"][0]["records"] == [
        {"id": "00TA", "day": "2026-01-15", "value": 1, "rep": "Cat"}]
    cat_january = {"value": "4", "source": "team ae override (kpis.yaml line 36)",
                   "missing": None, "addends": [],
                   "parts": [{"key": "2026-01", "start": "2026-01-01", "end": "2026-01-31",
                              "amount": "4", "written_as": "per_rep", "days": [[22, "1"]],
                              "of_days": 22, "calendar": False, "value": "4"}]}
    assert data["derivation"] == {"value": "4", "source": "sum of 1 rep's targets",
                                  "missing": None, "parts": [],
                                  "addends": [{"name": "Cat", **cat_january}]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cals"], "unknown KPI 'cals' — did you mean 'calls'?"),
        (["calls", "--team", "sdrs"], "unknown team 'sdrs' — did you mean 'sdr'?"),
        (["calls", "--rep", "Anne"], "no rep 'Anne' on any team (by name, username or Id); "
                                     "close matches: Ann (ann@tiny.example)"),
        (["calls", "--rep", "Meg"], "no rep 'Meg' on any team (by name, username or Id)"),
        (["calls", "--period", "2026-13"],
         "unknown period '2026-13': the window has 2026-02, 2026-03, FY2026-YTD; other periods "
         "are named like 2026-W27, 2026-07, 2026-Q3, 2026, FY2027-Q1 or FY2027"),
    ],
    ids=["kpi", "team", "rep", "rep-not-on-a-team", "period"],
)
def test_explain_lookup_errors_are_one_line(store, args, message):
    result = run(store, *args)
    assert result.exit_code == 1
    assert result.output == f"Error: {message}\n"


def test_explain_ambiguous_rep_lists_the_matches(tmp_path):
    con = build_store(tmp_path / "s.duckdb")
    con.execute("INSERT INTO sf_user VALUES ('005E', 'ann2@tiny.example', 'Ann', true, '00E1')")
    con.close()
    result = run(tmp_path / "s.duckdb", "calls", "--rep", "ANN")
    assert result.exit_code == 1
    assert result.output == ("Error: 'ANN' is 2 reps: Ann (ann@tiny.example, 005A), "
                             "Ann (ann2@tiny.example, 005E); give a username or Id\n")


def test_explain_rep_and_team_together_is_a_usage_error(store):
    result = run(store, "calls", "--rep", "Ann", "--team", "sdr")
    assert result.exit_code == 2
    assert "give --rep or --team, not both" in result.output


def test_explain_defaults_to_the_running_period(store):
    result = run(store, "calls", "--rep", "Ann")
    assert result.output.splitlines()[0] == (
        "calls (Calls) for rep Ann (005A, team sdr), 2026-03 (Mar 2026: 2026-03-01 to 2026-03-31)")


def test_explain_without_a_store_creates_none(tmp_path):
    result = run(tmp_path / "none.duckdb", "calls")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: there is no store at {tmp_path / 'none.duckdb'}: run `kpisync sync` first, or "
        "point --store (or KPISYNC_STORE) at the store the sync wrote\n")
    assert not (tmp_path / "none.duckdb").exists()


# -- the target's derivation is the TargetBook's --------------------------------------------
def target_lines(config, con, kpi_id, period_key, **who) -> list[str]:
    """The Target lines explain prints, after checking its target is the scorecard's (for the
    window's periods)."""
    e = explain(config, con, kpi_id, period_key=period_key, as_of=AS_OF, **who)
    if period_key in (FEB, MAR, "FY2026-YTD"):
        scope, scope_id = (("rep", e.scope_id) if "rep" in who else
                           ("team", who["team"]) if "team" in who else ("org", "org"))
        cell = compute(config, con, AS_OF).result(kpi_id, period_key, scope, scope_id)
        assert (e.target, e.derivation.source) == (cell.target, cell.target_source)
    lines = render(e).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Target:"))
    return [render(e).splitlines()[0], *lines[start:-1]]


FEB, MAR = "2026-02", "2026-03"


def with_calls_target(config, target):
    return replace(config, kpis=tuple(replace(k, target=target) if k.id == "calls" else k
                                      for k in config.kpis))


def test_explain_names_the_segment_override_and_each_month_it_adds_up(con):
    smb = TargetOverride("segment", "SMB", Decimal(3), line=41)
    config = replace(tiny_config(), kpis=tuple(
        replace(k, target=Target(Decimal(2), overrides=(smb,))) if k.id == "opps_created"
        else k for k in tiny_config().kpis))
    # year to date counts March in full: three monthly targets of 3
    assert target_lines(config, con, "opps_created", "FY2026-YTD", rep="Cat")[1:] == [
        "Target: 9 (segment SMB override (kpis.yaml line 41) × 3 months)",
        "  2026-01: 3 (per_rep)",
        "  2026-02: 3 (per_rep)",
        "  2026-03: 3 (per_rep)",
    ]


def test_explain_shows_a_new_hires_ramp_day_by_day(con):
    # Ann starts on Wednesday 4 March at 50 %: 2 of March's 22 business days before her first
    # day carry nothing, the other 20 half: 10 × 10/22 = 4.5455
    ramp = Ramp(months=(Decimal(50),), start_dates=(("ann@tiny.example", date(2026, 3, 4)),))
    config = replace(tiny_config(), ramp=ramp)
    assert target_lines(config, con, "calls", MAR, rep="Ann")[1:] == [
        "Target: 4.5455 (default per_rep; new-hire ramp from 2026-03-04)",
        "  2026-03: 10 (per_rep) × (2 × 0% + 20 × 50%)/22 business days = 4.5455",
    ]
    assert target_lines(config, con, "calls", MAR, team="sdr")[1:] == [
        "Target: 14.5455 (sum of 2 reps' targets)",
        "  Ann: 4.5455 (default per_rep; new-hire ramp from 2026-03-04)",
        "    2026-03: 10 (per_rep) × (2 × 0% + 20 × 50%)/22 business days = 4.5455",
        "  Bob: 10 (default per_rep)",
        "  Dan: none (inactive)",
    ]


def test_explain_of_a_past_period_uses_the_team_the_rep_was_on_at_its_end(con):
    # Bob is on SDR (by role) until he joins AE on 1 March: February's target is SDR's
    # override, March's AE's
    moved = DatedMember("username", "bob@tiny.example", date(2026, 3, 1), None, 9)
    config = with_calls_target(tiny_config(), Target(Decimal(10), overrides=(
        TargetOverride("team", "sdr", Decimal(8), line=42),
        TargetOverride("team", "ae", Decimal(4), line=43))))
    teams = tuple(replace(t, members=replace(t.members, dated=(moved,))) if t.id == "ae" else t
                  for t in config.teams)
    config = replace(config, teams=teams)
    feb = target_lines(config, con, "calls", FEB, rep="Bob")
    assert feb[0].startswith("calls (Calls) for rep Bob (005B, team sdr), 2026-02")
    assert feb[1:] == ["Target: 8 (team sdr override (kpis.yaml line 42))"]
    mar = target_lines(config, con, "calls", MAR, rep="Bob")
    assert mar[0].startswith("calls (Calls) for rep Bob (005B, team ae), 2026-03")
    assert mar[1:] == ["Target: 4 (team ae override (kpis.yaml line 43))"]
    assert target_lines(config, con, "calls", FEB, team="sdr")[1:] == [
        "Target: 16 (sum of 2 reps' targets)",
        "  Ann: 8 (team sdr override (kpis.yaml line 42))",
        "  Dan: none (inactive)",
        # listed with his team of the as-of day, AE, but placed on SDR for February
        "  Bob: 8 (team sdr override (kpis.yaml line 42))",
    ]
    assert target_lines(config, con, "calls", FEB, team="ae")[1:] == [
        "Target: 4 (sum of 1 rep's targets)",
        "  Cat: 4 (team ae override (kpis.yaml line 43))",
    ]


def test_explain_prorates_a_week_by_the_business_days_of_each_month(con):
    # Mon 29 Dec 2025 to Sun 4 Jan 2026: 3 of December's 23 business days and 2 of January's
    # 22: 10 × 3/23 + 10 × 2/22 = 560/253 = 2.2134
    assert target_lines(tiny_config(), con, "calls", "2026-W01", rep="Ann")[1:] == [
        "Target: 2.2134 (default per_rep, prorated by business days)",
        "  2025-12: 10 (per_rep) × 3/23 business days = 1.3043",
        "  2026-01: 10 (per_rep) × 2/22 business days = 0.9091",
    ]
