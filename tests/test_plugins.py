"""The registry: kpisync's own pieces go through it, clashes are reported, broken plugins named."""

from __future__ import annotations

import pytest

from kpisync import plugins
from kpisync.compute.measures import BUILTIN_MEASURES
from kpisync.errors import KpisyncError
from kpisync.sobjects import TASK


def test_builtins_register_sources_and_measures():
    registry = plugins.load_registry(include_plugins=False)
    assert set(registry.sources) == {
        "User", "UserRole", "Task", "Event", "Opportunity", "OpportunityHistory", "Account"
    }
    assert set(registry.measures) == {m.name for m in BUILTIN_MEASURES}
    assert set(registry.outputs) == {"csv", "json"}


def test_registering_a_name_twice_is_an_error():
    registry = plugins.Registry()
    registry.add_source(TASK)
    with pytest.raises(KpisyncError) as info:
        registry.add_source(TASK)
    assert str(info.value) == "two plugins register the source 'Task'; uninstall one of them"


class FakeEntryPoint:
    def __init__(self, name, value, module):
        self.name, self.value, self._module = name, value, module

    def load(self):
        if isinstance(self._module, Exception):
            raise self._module
        return self._module


def test_third_party_plugin_is_loaded_after_builtins(monkeypatch):
    class Module:
        @staticmethod
        def register(registry):
            registry.add_output(plugins.Output("parquet", "Parquet", lambda s, d, t: None))

    eps = [
        FakeEntryPoint("core", plugins.BUILTINS, None),
        FakeEntryPoint("pq", "pq.plugin", Module),
    ]
    monkeypatch.setattr(plugins, "entry_points", lambda group: eps)
    registry = plugins.load_registry()
    assert "parquet" in registry.outputs
    assert "Task" in registry.sources


def test_broken_plugin_is_named(monkeypatch):
    eps = [FakeEntryPoint("median", "kpisync_median.plugin", ImportError("No module named 'x'"))]
    monkeypatch.setattr(plugins, "entry_points", lambda group: eps)
    with pytest.raises(KpisyncError) as info:
        plugins.load_registry()
    assert str(info.value) == (
        "plugin 'median' (kpisync_median.plugin) failed to load: No module named 'x'"
    )


def test_plugin_output_is_written_inside_the_atomic_build(monkeypatch, tmp_path):
    from scorecards import sample_scorecard

    from kpisync.site import build_site

    registry = plugins.load_registry(include_plugins=False)
    def marker(card, root, at):
        (root / "marker.txt").write_text(card.config.org.name)

    registry.add_output(plugins.Output("marker", "a file", marker))
    monkeypatch.setattr(plugins, "registry", lambda: registry)
    monkeypatch.setattr("kpisync.site.build.registry", lambda: registry)
    scorecard = sample_scorecard()
    build_site(scorecard, tmp_path / "site")
    assert (tmp_path / "site" / "marker.txt").read_text() == scorecard.config.org.name
    assert (tmp_path / "site" / "data" / "scores.csv").is_file()
