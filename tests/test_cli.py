"""The CLI wiring: exit codes, one-line errors, and the commands end to end on the emulator."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpisync import __version__
from kpisync.cli import main
from kpisync.emulator import Emulator
from kpisync.emulator.demo_org import generate_demo_org
from kpisync.sync.plan import months_before

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "kpis.yaml"
AS_OF = "2026-06-17"


def invoke(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output == f"kpisync, version {__version__}\n"


def test_validate_ok():
    result = invoke("validate", "-c", str(SAMPLE))
    assert result.exit_code == 0
    assert result.output == f"{SAMPLE}: OK — 13 KPIs, 4 teams, cascade of 5 steps\n"


def test_validate_reports_every_problem_with_location_and_exits_1(tmp_path):
    bad = tmp_path / "kpis.yaml"
    bad.write_text(SAMPLE.read_text().replace("timezone: America/New_York",
                                              "timezone: America/NewYork")
                   .replace("    tier: activities", "    teir: activities", 1))
    result = invoke("validate", "-c", str(bad))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{bad}:" in result.output
    assert "org.timezone: 'America/NewYork' is not an IANA timezone — did you mean " \
           "'America/New_York'?" in result.output
    assert "unknown key 'teir' — did you mean 'tier'?" in result.output


def test_config_path_from_environment(tmp_path):
    result = invoke("validate", env={"KPISYNC_CONFIG": str(tmp_path / "missing.yaml")})
    assert result.exit_code == 1
    assert result.output == (
        "Error: 1 problem in the config:\n"
        f"  {tmp_path / 'missing.yaml'}:1:1: no such file; create it (see docs/config.md) "
        "or pass -c/--config with its path\n"
        "Validation failed at the schema stage (schema: failed, semantics: skipped, online: "
        "skipped, dry run: skipped).\n"
    )


def test_usage_error_exits_2():
    result = invoke("build", "--as-of", "yesterday")
    assert result.exit_code == 2


def test_build_without_a_synced_store_says_to_sync(tmp_path):
    result = invoke("build", "-c", str(SAMPLE), "--store", str(tmp_path / "s.duckdb"),
                    "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.output == (
        f"Error: there is no store at {tmp_path / 's.duckdb'}: run `kpisync sync` first, or "
        "point --store (or KPISYNC_STORE) at the store the sync wrote\n"
    )
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []  # no empty store left behind


def test_build_on_a_store_without_users_names_the_store(tmp_path):
    from kpisync.store import Store

    Store.open(tmp_path / "s.duckdb").close()
    result = invoke("build", "-c", str(SAMPLE), "--store", str(tmp_path / "s.duckdb"),
                    "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.output == (
        f"Error: the store {tmp_path / 's.duckdb'} has no Salesforce users yet: run "
        "`kpisync sync` first\n"
    )
    assert not (tmp_path / "out").exists()


def test_debug_shows_the_traceback(tmp_path):
    result = invoke("--debug", "build", "-c", str(SAMPLE), "--store", str(tmp_path / "s.duckdb"))
    assert result.exit_code == 1
    assert "Traceback" in result.output


def test_sync_without_credentials_names_the_variables(tmp_path):
    env = {k: "" for k in ("SF_INSTANCE_URL", "SF_ACCESS_TOKEN", "SF_LOGIN_URL", "SF_CLIENT_ID",
                           "SF_CLIENT_SECRET", "SF_USERNAME", "SF_PASSWORD",
                           "SF_PRIVATE_KEY", "SF_PRIVATE_KEY_FILE")}
    result = invoke("sync", "-c", str(SAMPLE), "--store", str(tmp_path / "s.duckdb"), env=env)
    assert result.exit_code == 1
    assert "access token: missing SF_INSTANCE_URL, SF_ACCESS_TOKEN" in result.output


@pytest.mark.e2e
def test_run_against_the_emulator_with_requests_ca_bundle(tmp_path):
    """The README's real-org path: SF_INSTANCE_URL + SF_ACCESS_TOKEN, and the emulator's CA
    trusted through REQUESTS_CA_BUNDLE, exactly as a user's CI would do it."""
    org = generate_demo_org(seed=3, as_of=date.fromisoformat(AS_OF), scale=0.1)
    with Emulator(org) as emulator:
        env = {"SF_INSTANCE_URL": emulator.url, "SF_ACCESS_TOKEN": emulator.access_token,
               "REQUESTS_CA_BUNDLE": str(emulator.ca_path)}
        result = invoke("run", "-c", str(SAMPLE), "--store", str(tmp_path / "s.duckdb"),
                        "-o", str(tmp_path / "out"), "--as-of", AS_OF, env=env)
        assert result.exit_code == 0, result.output
        assert emulator.access_token not in result.output
    assert f"to {tmp_path / 'out' / 'index.html'}" in result.output
    with (tmp_path / "out" / "data" / "scores.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {r["scope"] for r in rows} == {"rep", "team", "org"}


def test_untrusted_certificate_fails_at_once_naming_the_url_and_the_bundle(tmp_path):
    """A CA bundle without the emulator's CA (the machine's own, as many CIs set it) is a
    configuration problem, not a dropped connection: one attempt, and advice that helps."""
    import certifi

    org = generate_demo_org(seed=3, as_of=date.fromisoformat(AS_OF), scale=0.05)
    with Emulator(org) as emulator:
        env = {"SF_INSTANCE_URL": emulator.url, "SF_ACCESS_TOKEN": emulator.access_token,
               "REQUESTS_CA_BUNDLE": certifi.where()}
        result = invoke("sync", "-c", str(SAMPLE), "--store", str(tmp_path / "s.duckdb"),
                        "--json", env=env)
        calls, url = emulator.api_calls, emulator.url
    assert result.exit_code == 1
    error = result.output.strip().splitlines()[-1]
    assert error.startswith(f"Error: the TLS certificate of {url}/services/data/")
    assert "could not be verified for " in error
    assert f"REQUESTS_CA_BUNDLE is {certifi.where()}: point it at a CA bundle" in error
    assert "gave up after" not in error
    assert calls == 0  # the handshake failed: nothing reached the emulator


@pytest.mark.e2e
def test_demo_command_builds_the_site(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./kpis.yaml here: the printed command must name -c
    result = invoke("demo", "--store", str(tmp_path / "demo.duckdb"), "-o", str(tmp_path / "out"),
                    "--as-of", AS_OF, "-c", str(SAMPLE))
    assert result.exit_code == 0, result.output
    summary, rebuild, browse, index = result.output.strip().splitlines()[-4:]
    assert summary.startswith("Demo: synced ")
    assert "13 KPIs for 33 reps in 4 teams" in summary
    assert index == str((tmp_path / "out" / "index.html").resolve())
    assert Path(index).is_file()
    store, out = tmp_path / "demo.duckdb", tmp_path / "out"
    assert rebuild == (f"Rebuild from the demo store: kpisync build -c {SAMPLE} --store {store} "
                       f"-o {out} --as-of {AS_OF}")
    assert browse == f"Browse the site: kpisync serve -o {out}"
    # the printed command works as printed
    again = invoke(*rebuild.split(": ", 1)[1].split()[1:])
    assert again.exit_code == 0, again.output
    assert "before the synced history" not in again.output
    # a year earlier, the window reaches back before the demo's 13 months of history
    earlier = invoke(*rebuild.split(": ", 1)[1].split()[1:-1], "2025-07-15")
    assert earlier.exit_code == 0, earlier.output
    note = next(line for line in earlier.stderr.splitlines() if "synced history" in line)
    assert note.startswith("Note: ")
    assert "(Event from 2025-05-17, Opportunity from 2025-05-17, Task from 2025-05-17)" in note
    assert "May 2025" in note and "Jun 2025" not in note


@pytest.mark.e2e
def test_emulator_command_prints_url_ca_and_token_then_serves(tmp_path):
    """`kpisync emulator` in its own process: what it prints is enough to query it."""
    import os
    import signal
    import subprocess
    import sys

    import requests

    process = subprocess.Popen(
        [sys.executable, "-m", "kpisync", "emulator", "--port", "0", "--as-of", AS_OF,
         "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(5)]
        url = lines[0].split()[-1]
        ca = lines[1].split()[-1]
        token = lines[4].split("=", 1)[1].strip().strip("'")
        assert url.startswith("https://127.0.0.1:")
        answer = requests.get(
            f"{url}/services/data/v60.0/query", params={"q": "SELECT COUNT() FROM User"},
            headers={"Authorization": f"Bearer {token}"}, verify=ca, timeout=30,
        )
        assert answer.status_code == 200
        assert answer.json()["totalSize"] > 30
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert process.returncode == 0
    assert os.path.exists(ca)


@pytest.mark.e2e
def test_sync_bulk_threshold_reads_big_objects_through_bulk_api(tmp_path):
    org = generate_demo_org(seed=3, as_of=date.today(), scale=0.05)
    with Emulator(org, bulk_polls_to_complete=0) as emulator:
        env = {"SF_INSTANCE_URL": emulator.url, "SF_ACCESS_TOKEN": emulator.access_token,
               "REQUESTS_CA_BUNDLE": str(emulator.ca_path)}
        result = CliRunner().invoke(
            main, ["sync", "-c", str(SAMPLE), "--store", str(tmp_path / "s.duckdb"),
                   "--bulk-threshold", "1000", "--json"], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        bulk_calls = [r for r in emulator.requests if "/jobs/query" in r]
    assert any(r.startswith("POST ") for r in bulk_calls)
    assert "\r" not in result.stderr and "\x1b" not in result.stderr
    since = months_before(date.today(), 13).isoformat()
    report = json.loads(result.stdout)
    assert report["objects"]["Task"]["fetched"] == sum(
        1 for t in org.records("Task") if t["CreatedDate"] >= since
    )
