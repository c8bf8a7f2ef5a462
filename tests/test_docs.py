"""The docs stay true: README's commands, CI running them, every command documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpisync.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", README, flags=re.S)[:2]


def test_readme_opens_with_demo_then_test_command():
    demo, tests = readme_commands()
    assert demo.endswith("kpisync demo")
    assert tests.endswith("python -m pytest")
    assert README.index(demo) < README.index("kpisync turns")


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_commands()[1] in ci
    assert "set -euo pipefail" in ci
    assert ci.index("apt-get update") < ci.index("apt-get install -y chromium")
    assert "KPISYNC_REQUIRE_BROWSER=1" in ci


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_and_is_in_the_readme(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert f"`kpisync {command}" in README


@pytest.mark.parametrize("doc", sorted(set(re.findall(r"\]\((docs/[^)#]+)", README))))
def test_linked_docs_exist(doc):
    assert (ROOT / doc).is_file()


@pytest.mark.parametrize(
    "option", sorted({opt for param in main.commands["sync"].params for opt in param.opts
                      if opt.startswith("--") and opt != "--help"}))
def test_every_sync_option_is_documented(option):
    docs = README + (ROOT / "docs" / "sync.md").read_text(encoding="utf-8")
    assert re.search(rf"`(-\w/)?{option}\b", docs), f"{option}: not in README or docs/sync.md"
