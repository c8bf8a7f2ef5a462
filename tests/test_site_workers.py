"""Rendering on several processes: the same bytes as one process, and failures that read and
clean up exactly as they do there."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scorecards import sample_scorecard
from test_site_drill import sam_calls

from kpisync.errors import PluginError, SiteError
from kpisync.site import build_site, workers

GENERATED = datetime(2026, 6, 17, 13, 30, tzinfo=UTC)

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="rendering processes are forked (Linux)")


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture
def forced(monkeypatch):
    """Every site rendered by three processes."""
    monkeypatch.setattr("kpisync.site.build.worker_count", lambda jobs: 3)


def test_small_sites_render_in_one_process():
    assert workers.worker_count(workers.PARALLEL_MIN_JOBS - 1) == 1


def test_processes_write_the_same_site_as_one_process(tmp_path, monkeypatch):
    build_site(sample_scorecard(), tmp_path / "one", generated_at=GENERATED,
               records=(sam_calls(),))
    monkeypatch.setattr("kpisync.site.build.worker_count", lambda jobs: 3)  # after the first
    report = build_site(sample_scorecard(), tmp_path / "three", generated_at=GENERATED,
                        records=(sam_calls(),))
    assert files_of(tmp_path / "three") == files_of(tmp_path / "one")
    assert report.pages == sum(1 for name in files_of(tmp_path / "one") if name.endswith(".html"))


@pytest.mark.parametrize("template", ["rep.html", "kpis.html"],
                         ids=["rep-pages-in-every-process", "kpis-page-in-a-worker"])
def test_a_template_error_in_any_process_keeps_the_previous_site(tmp_path, forced, template):
    out = tmp_path / "site"
    build_site(sample_scorecard(), out, generated_at=GENERATED)
    before = files_of(out)
    broken = tmp_path / "theme"
    broken.mkdir()
    (broken / template).write_text("{{ page.no_such_field }}", encoding="utf-8")
    with pytest.raises(SiteError) as caught:
        build_site(sample_scorecard(), out, templates_dir=broken)
    assert str(caught.value).startswith("the output 'html' failed: the site templates failed: ")
    assert str(caught.value).endswith("object' has no attribute 'no_such_field'")
    assert files_of(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_crash_in_a_worker_names_its_traceback(tmp_path, forced, monkeypatch):
    def broken_rep_page(site, rep):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("kpisync.site.pages.rep_page", broken_rep_page)
    with pytest.raises(PluginError) as caught:
        build_site(sample_scorecard(), tmp_path / "site", generated_at=GENERATED)
    # the worker's error reaches the build, which names the output it broke
    assert str(caught.value).startswith("the output 'html' of plugin 'core' failed: ")
    assert "a bug" in str(caught.value)
    assert not (tmp_path / "site").exists()
