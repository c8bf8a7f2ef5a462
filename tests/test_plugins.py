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
        "User", "UserRole", "Task", "Event", "Opportunity", "OpportunityHistory"
    }
    assert set(registry.measures) == {m.name for m in BUILTIN_MEASURES}


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
            registry.add_output(plugins.Output("parquet", "scores as Parquet", lambda s, d: None))

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
