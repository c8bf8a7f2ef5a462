"""The example plugin really installed by pip, then found by `kpisync plugins` and used by
`kpisync build` in a fresh process: the path a user takes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from compute_fixtures import build_store
from plugin_fixtures import EXAMPLE, ROOT, TINY_YAML


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``pip install --no-deps --no-build-isolation --target`` of a copy of the example (a
    build in place would leave egg-info in the source tree); offline, about 5 s."""
    work = tmp_path_factory.mktemp("plugin")
    source = shutil.copytree(EXAMPLE, work / "src")
    target = work / "site-packages"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", "--target", str(target),
                    str(source)], check=True, capture_output=True, timeout=120)
    return target


def kpisync(installed, *args, cwd):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed), str(ROOT)])}
    return subprocess.run([sys.executable, "-m", "kpisync", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_pip_installed_plugin_is_listed(installed, tmp_path):
    result = kpisync(installed, "plugins", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n", 4)[4] == (
        "monday_digest (kpisync-monday-digest 0.1.0) from kpisync_monday_digest.plugin\n"
        "  measure: capped_sum\n"
        "  output: monday_digest\n"
    )


def test_pip_installed_plugin_writes_the_digest_in_a_build(installed, tmp_path):
    (tmp_path / "kpis.yaml").write_text(TINY_YAML + "outputs:\n  monday_digest: {top: 1}\n")
    build_store(tmp_path / "s.duckdb").close()
    result = kpisync(installed, "build", "-c", "kpis.yaml", "--store", "s.duckdb", "-o", "site",
                     "--as-of", "2026-03-10", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "digest" / "monday.md").read_text() == (
        "**Monday digest: Tiny Co, Mar 2026**\n"
        "\n"
        "- Deals won: 1 of 2 (50%)\n"
        "- Capped revenue: $251 of $1,000 (25%)\n"
        "\n"
        "**Top 1**\n"
        "1. Cat: 38%\n"
    )
