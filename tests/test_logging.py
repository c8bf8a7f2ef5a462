"""--log-format json: every stderr line is one JSON object (progress, notes, errors, logs);
stdout stays as in text mode."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpisync.cli import main
from kpisync.emulator import Emulator
from kpisync.emulator.demo_org import generate_demo_org
from kpisync.log_format import json_line, log_as_json, stop_logging_as_json
from kpisync.sync.progress import progress_display
from kpisync.sync.report import ProgressEvent

SAMPLE = Path(__file__).resolve().parent.parent / "kpis.yaml"
ORG = generate_demo_org(seed=3, as_of=date(2026, 6, 17), scale=0.05)
START = datetime(2026, 11, 23, 9, 40, 0, tzinfo=UTC)
FIRST_KEYS = ["timestamp", "level", "event"]


def events(stderr: str) -> list[dict]:
    """Every stderr line as JSON: a line that does not parse fails the test."""
    parsed = [json.loads(line) for line in stderr.splitlines()]
    for event in parsed:
        assert list(event)[:3] == FIRST_KEYS, event
        assert datetime.strptime(event["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
    return parsed


def emulator_env(emulator) -> dict[str, str]:
    return {"SF_INSTANCE_URL": emulator.url, "SF_ACCESS_TOKEN": emulator.access_token,
            "REQUESTS_CA_BUNDLE": str(emulator.ca_path)}


@pytest.mark.e2e
def test_sync_progress_is_json_and_stdout_keeps_the_report(tmp_path):
    with Emulator(ORG) as emulator:
        result = CliRunner().invoke(
            main, ["--log-format", "json", "sync", "-c", str(SAMPLE), "--store",
                   str(tmp_path / "s.duckdb"), "--json"],
            env=emulator_env(emulator), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    progress = [e for e in events(result.stderr) if e["event"] == "sync.progress"]
    finals = {e["sobject"]: e for e in progress if e["fetched"] == e["total"]}
    assert list(finals) == list(report["objects"])
    task = finals["Task"]
    assert (task["level"], task["fetched"], task["pages"]) == (
        "info", report["objects"]["Task"]["fetched"], report["objects"]["Task"]["pages"])
    assert set(task) == {*FIRST_KEYS, "sobject", "fetched", "total", "pages",
                         "records_per_second"}


@pytest.mark.e2e
def test_a_partial_run_notes_the_skipped_build_as_json(tmp_path):
    with Emulator(ORG) as emulator:
        result = CliRunner().invoke(
            main, ["--log-format", "json", "run", "-c", str(SAMPLE), "--store",
                   str(tmp_path / "s.duckdb"), "-o", str(tmp_path / "out"), "--api-budget", "5"],
            env=emulator_env(emulator), catch_exceptions=False)
    assert result.exit_code == 3, result.output
    notes = [e for e in events(result.stderr) if e["event"] == "note"]
    assert notes == [{"timestamp": notes[0]["timestamp"], "level": "warning", "event": "note",
                      "message": "Skipped the build: the sync is partial."}]
    assert "Stopped early: run budget reached" in result.stdout


def test_an_error_is_one_json_line(tmp_path):
    store = tmp_path / "missing.duckdb"
    result = CliRunner().invoke(main, ["--log-format", "json", "build", "-c", str(SAMPLE),
                                       "--store", str(store), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    (error,) = events(result.stderr)
    assert error == {"timestamp": error["timestamp"], "level": "error", "event": "error",
                     "message": f"there is no store at {store}: run `kpisync sync` first, or "
                                "point --store (or KPISYNC_STORE) at the store the sync wrote",
                     "error": "StoreError"}
    assert result.stdout == ""


def test_config_problems_are_listed_and_the_env_var_selects_json(tmp_path):
    config = tmp_path / "kpis.yaml"
    config.write_text(SAMPLE.read_text().replace("timezone: America/New_York",
                                                 "timezone: Mars/Olympus"))
    result = CliRunner().invoke(main, ["build", "-c", str(config), "--store",
                                       str(tmp_path / "s.duckdb")],
                                env={"KPISYNC_LOG_FORMAT": "json"})
    assert result.exit_code == 1
    (error,) = events(result.stderr)
    assert (error["error"], len(error["problems"])) == ("ConfigError", 1)
    assert error["problems"] == [f"{config}:18:13: org.timezone: 'Mars/Olympus' is not an IANA "
                                 "timezone such as America/New_York or UTC"]


@pytest.mark.e2e
def test_a_salesforce_error_carries_its_code_and_status(tmp_path):
    with Emulator(ORG) as emulator:
        env = {**emulator_env(emulator), "SF_ACCESS_TOKEN": "00Dwrong!token"}
        result = CliRunner().invoke(
            main, ["--log-format", "json", "--debug", "sync", "-c", str(SAMPLE), "--store",
                   str(tmp_path / "s.duckdb")], env=env)
    assert result.exit_code == 1
    (error,) = [e for e in events(result.stderr) if e["event"] == "error"]
    assert (error["error"], error["error_code"], error["status"]) == (
        "AuthenticationError", "INVALID_SESSION_ID", 401)
    assert "00Dwrong!token" not in result.stderr
    assert error["traceback"].startswith("Traceback (most recent call last):")


def test_text_is_the_default(tmp_path):
    result = CliRunner().invoke(main, ["build", "-c", str(SAMPLE), "--store",
                                       str(tmp_path / "missing.duckdb")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: there is no store at ")


def test_progress_lines_as_json_keep_the_plain_throttle():
    stream, now = io.StringIO(), [START]
    display = progress_display(stream, tty=True, clock=lambda: now[0], interval=10,
                               log_format="json")
    for seconds, fetched, pages in ((2, 2_000, 1), (2, 4_000, 2), (2, 5_000, 3)):
        now[0] += timedelta(seconds=seconds)
        display(ProgressEvent("Task", fetched, pages, 5_000))
    display.close()
    assert [json.loads(line) for line in stream.getvalue().splitlines()] == [
        {"timestamp": "2026-11-23T09:40:02.000Z", "level": "info", "event": "sync.progress",
         "sobject": "Task", "fetched": 2_000, "total": 5_000, "pages": 1,
         "records_per_second": 1_000},
        # the 4,000 line is held back by the throttle; the last page always shows
        {"timestamp": "2026-11-23T09:40:06.000Z", "level": "info", "event": "sync.progress",
         "sobject": "Task", "fetched": 5_000, "total": 5_000, "pages": 3,
         "records_per_second": 833},
    ]


def test_kpisync_log_records_become_log_events(capsys):
    handler = log_as_json()
    try:
        logging.getLogger("kpisync.sync.auth").info("requesting an access token with %s",
                                                    "JWT bearer")
        logging.getLogger("kpisync.sync.client").debug("not at INFO: left out")
    finally:
        stop_logging_as_json(handler)
    (event,) = events(capsys.readouterr().err)
    assert {k: event[k] for k in ("level", "event", "logger", "message")} == {
        "level": "info", "event": "log", "logger": "kpisync.sync.auth",
        "message": "requesting an access token with JWT bearer"}


def test_values_json_cannot_hold_are_written_as_text():
    from decimal import Decimal

    assert json_line("x", at=START, amount=Decimal("1.50"), day=date(2026, 1, 2)) == (
        '{"timestamp": "2026-11-23T09:40:00.000Z", "level": "info", "event": "x", '
        '"amount": "1.50", "day": "2026-01-02"}')
