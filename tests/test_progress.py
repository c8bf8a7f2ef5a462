"""The sync progress display: redrawn lines on a terminal, throttled plain lines elsewhere."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpisync.cli import main
from kpisync.emulator import Emulator
from kpisync.emulator.demo_org import generate_demo_org
from kpisync.sync.progress import progress_display
from kpisync.sync.report import ProgressEvent

SAMPLE = Path(__file__).resolve().parent.parent / "kpis.yaml"
START = datetime(2026, 11, 23, 9, 40, 0, tzinfo=UTC)


class FakeClock:
    """Stands still until a test moves it."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def make(tty: bool | None, stream: io.StringIO | None = None, interval: float = 10.0):
    stream = io.StringIO() if stream is None else stream
    clock = FakeClock()
    return progress_display(stream, tty=tty, clock=clock, interval=interval), stream, clock


def feed(display, clock, *steps: tuple[float, str, int, int, int]) -> None:
    """Each step: seconds to wait, then the event (sobject, fetched, pages, total)."""
    for seconds, sobject, fetched, pages, total in steps:
        clock.advance(seconds)
        display(ProgressEvent(sobject, fetched, pages, total))


def test_terminal_redraws_one_line_per_object_and_ends_it_on_the_last_page():
    display, out, clock = make(tty=True)
    feed(display, clock, (2, "Task", 4_000, 2, 12_345), (2, "Task", 12_345, 7, 12_345),
         (1, "Event", 300, 1, 300))
    assert out.getvalue() == (
        "\rTask: 4,000 of 12,345 records, 2 pages, 2,000 rec/s"
        "\rTask: 12,345 of 12,345 records, 7 pages, 3,086 rec/s\n"
        "\rEvent: 300 of 300 records, 1 page, 300 rec/s\n"
    )


def test_terminal_pads_over_a_longer_previous_line():
    display, out, clock = make(tty=True)
    feed(display, clock, (1, "Task", 2_000, 1, 9_000), (19, "Task", 4_000, 2, 9_000))
    assert out.getvalue() == (
        "\rTask: 2,000 of 9,000 records, 1 page, 2,000 rec/s"
        "\rTask: 4,000 of 9,000 records, 2 pages, 200 rec/s "
    )


def test_terminal_ends_an_unfinished_line_when_the_next_object_starts():
    display, out, clock = make(tty=True)
    feed(display, clock, (1, "Task", 2_000, 1, 9_000), (1, "Event", 10, 1, 10))
    assert out.getvalue() == (
        "\rTask: 2,000 of 9,000 records, 1 page, 2,000 rec/s\n"
        "\rEvent: 10 of 10 records, 1 page, 10 rec/s\n"
    )


def test_terminal_close_ends_a_line_left_open_by_a_stopped_sync():
    display, out, clock = make(tty=True)
    feed(display, clock, (1, "Task", 2_000, 1, 9_000))
    display.close()
    assert out.getvalue() == "\rTask: 2,000 of 9,000 records, 1 page, 2,000 rec/s\n"


def test_plain_lines_are_timestamped_and_throttled_with_the_final_line_kept():
    display, out, clock = make(tty=False)
    feed(display, clock, (2, "Task", 4_000, 2, 12_345), (1.5, "Task", 6_000, 3, 12_345),
         (1.5, "Task", 8_000, 4, 12_345), (1, "Task", 12_345, 7, 12_345))
    assert out.getvalue() == (
        "2026-11-23T09:40:02Z Task: 4,000 of 12,345 records, 2 pages, 2,000 rec/s\n"
        "2026-11-23T09:40:06Z Task: 12,345 of 12,345 records, 7 pages, 2,058 rec/s\n"
    )


def test_plain_line_is_written_again_once_the_interval_has_passed():
    display, out, clock = make(tty=False, interval=5)
    feed(display, clock, (1, "Task", 2_000, 1, 9_000), (4, "Task", 4_000, 2, 9_000),
         (1, "Task", 6_000, 3, 9_000))
    assert out.getvalue() == (
        "2026-11-23T09:40:01Z Task: 2,000 of 9,000 records, 1 page, 2,000 rec/s\n"
        "2026-11-23T09:40:06Z Task: 6,000 of 9,000 records, 3 pages, 1,000 rec/s\n"
    )


def test_plain_line_held_back_is_written_when_the_next_object_starts():
    display, out, clock = make(tty=False)
    feed(display, clock, (1, "Task", 2_000, 1, 9_000), (1, "Task", 4_000, 2, 9_000),
         (2, "Event", 10, 1, 10))
    assert out.getvalue() == (
        "2026-11-23T09:40:01Z Task: 2,000 of 9,000 records, 1 page, 2,000 rec/s\n"
        "2026-11-23T09:40:02Z Task: 4,000 of 9,000 records, 2 pages, 2,000 rec/s\n"
        "2026-11-23T09:40:04Z Event: 10 of 10 records, 1 page, 5 rec/s\n"
    )


def test_plain_close_writes_the_line_held_back_by_a_stopped_sync():
    display, out, clock = make(tty=False)
    feed(display, clock, (1, "Task", 2_000, 1, 9_000), (1, "Task", 4_000, 2, 9_000))
    display.close()
    assert out.getvalue().splitlines()[-1] == (
        "2026-11-23T09:40:02Z Task: 4,000 of 9,000 records, 2 pages, 2,000 rec/s")


def test_plain_output_has_no_control_characters():
    display, out, clock = make(tty=False, interval=0)
    feed(display, clock, (1, "User", 0, 1, 0), (1, "Task", 2_000, 1, 9_000),
         (1, "Task", 4_000, 2, 9_000), (1, "Task", 9_000, 5, 9_000))
    display.close()
    text = out.getvalue()
    assert text.count("\n") == 4
    assert "\r" not in text
    assert "\x1b" not in text


def test_rate_is_left_out_before_any_time_has_passed():
    display, out, clock = make(tty=False)
    feed(display, clock, (0, "UserRole", 7, 1, 7))
    assert out.getvalue() == "2026-11-23T09:40:00Z UserRole: 7 of 7 records, 1 page\n"


@pytest.mark.parametrize(("stream", "expected"), [
    (TerminalStream(), "\rUserRole: 7 of 7 records, 1 page, 7 rec/s\n"),
    (io.StringIO(), "2026-11-23T09:40:01Z UserRole: 7 of 7 records, 1 page, 7 rec/s\n"),
], ids=["terminal", "not-a-terminal"])
def test_tty_defaults_to_what_the_stream_says(stream, expected):
    display, out, clock = make(tty=None, stream=stream)
    feed(display, clock, (1, "UserRole", 7, 1, 7))
    assert out.getvalue() == expected


@pytest.mark.e2e
def test_sync_under_clirunner_writes_plain_progress_lines(tmp_path):
    org = generate_demo_org(seed=3, as_of=date(2026, 6, 17), scale=0.05)
    with Emulator(org) as emulator:
        env = {"SF_INSTANCE_URL": emulator.url, "SF_ACCESS_TOKEN": emulator.access_token,
               "REQUESTS_CA_BUNDLE": str(emulator.ca_path)}
        result = CliRunner().invoke(
            main, ["sync", "-c", str(SAMPLE), "--store", str(tmp_path / "s.duckdb")],
            env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "\r" not in result.output
    assert "\x1b" not in result.output
    line = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (\w+): ([\d,]+) of ([\d,]+) records, "
                      r"\d+ pages?(, [\d,]+ rec/s)?")
    matches = [line.fullmatch(text) for text in result.stderr.splitlines()]
    assert all(matches), result.stderr
    finals = [m.group(1) for m in matches if m.group(2) == m.group(3)]
    assert finals == ["User", "UserRole", "Task", "Event", "Opportunity"]
