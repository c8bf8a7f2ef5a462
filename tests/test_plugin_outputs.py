"""The HTML site is an output like the exports and plugins' outputs: switched in kpis.yaml, run
inside the same atomic build, named when it fails."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from compute_fixtures import AS_OF, build_store
from plugin_fixtures import BASE_YAML

from kpisync import registry as reg
from kpisync.build import build
from kpisync.cli import main
from kpisync.config import parse_config
from kpisync.errors import ConfigError, PluginError, SiteError
from kpisync.site.outputs import OUTPUTS_MARKER

NO_SITE = BASE_YAML + "outputs:\n  html: false\n"


def files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.fixture
def store(tmp_path):
    build_store(tmp_path / "s.duckdb").close()
    return tmp_path / "s.duckdb"


def test_the_site_is_a_builtin_output_on_by_default(store, tmp_path):
    report = build(parse_config(BASE_YAML), store, tmp_path / "site", as_of=AS_OF)
    assert report.site.outputs == ("html", "csv", "json")
    assert report.index_path == tmp_path / "site" / "index.html"
    assert report.index_path.is_file() and report.site.pages > 0


def test_without_the_site_build_writes_the_exports_only(store, tmp_path):
    report = build(parse_config(NO_SITE), store, tmp_path / "out", as_of=AS_OF)
    assert files_under(tmp_path / "out") == [OUTPUTS_MARKER, "data/scores.csv",
                                             "data/scores.json"]
    assert (report.index_path, report.site.pages, report.site.files) == (None, 0, 2)
    assert report.site.summary == (f"Wrote csv, json to {tmp_path / 'out'} "
                                   "(no HTML site: outputs: html: false)")


def test_an_exports_only_build_replaces_the_previous_one(store, tmp_path):
    out = tmp_path / "out"
    build(parse_config(NO_SITE), store, out, as_of=AS_OF)
    (out / "data" / "old.csv").write_text("stale")
    build(parse_config(NO_SITE + "  json: false\n"), store, out, as_of=AS_OF)
    assert files_under(out) == [OUTPUTS_MARKER, "data/scores.csv"]
    build(parse_config(BASE_YAML), store, out, as_of=AS_OF)  # and the site may replace it
    assert (out / "index.html").is_file() and not (out / OUTPUTS_MARKER).exists()


def test_a_directory_that_no_build_wrote_is_still_refused_without_the_site(store, tmp_path):
    precious = tmp_path / "docs"
    precious.mkdir()
    (precious / "notes.md").write_text("keep")
    with pytest.raises(SiteError) as info:
        build(parse_config(NO_SITE), store, precious, as_of=AS_OF)
    assert str(info.value) == (f"{precious} is not empty and holds no index.html: refusing "
                               "to replace it (choose another --out directory)")
    assert files_under(precious) == ["notes.md"]


def test_cli_build_says_what_it_wrote_without_the_site(store, tmp_path):
    config = tmp_path / "kpis.yaml"
    config.write_text(NO_SITE)
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--store", str(store),
                                       "--out", str(tmp_path / "out"), "--as-of", "2026-03-10"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (f"Wrote csv, json to {tmp_path / 'out'} "
                                             "(no HTML site: outputs: html: false)")


def test_html_takes_no_options_but_enabled():
    with pytest.raises(ConfigError) as info:
        parse_config(BASE_YAML + "outputs:\n  html: {theme: dark}\n")
    assert [str(p) for p in info.value.problems] == [
        "kpis.yaml:24:10: outputs.html: unknown key 'theme' — expected one of: enabled"]


def test_a_failing_output_after_the_site_leaves_the_previous_site_whole(store, tmp_path,
                                                                         monkeypatch):
    """The pages are written before the failing output runs; none of them is published."""
    site = tmp_path / "site"
    build(parse_config(BASE_YAML), store, site, as_of=AS_OF)
    before = {name: (site / name).read_bytes() for name in files_under(site)}
    broken = reg.load_registry(include_plugins=False)
    with broken.loading(reg.Plugin("teams_post", "teams_post.plugin")):
        broken.add_output(reg.Output("teams_post", "", lambda run: 1 / 0))
    with reg.using(broken), pytest.raises(PluginError) as info:
        build(parse_config(BASE_YAML + "outputs:\n  teams_post: true\n"), store, site,
              as_of=AS_OF)
    assert str(info.value) == ("the output 'teams_post' of plugin 'teams_post' failed: "
                               "ZeroDivisionError: division by zero")
    assert {name: (site / name).read_bytes() for name in files_under(site)} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
