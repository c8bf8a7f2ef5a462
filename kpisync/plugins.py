"""Extension points: sources, measures and outputs, registered the same way by kpisync and plugins.

A plugin is an installed package that declares an entry point in the ``kpisync`` group pointing
at a module with a ``register(registry)`` function::

    [project.entry-points.kpisync]
    my_plugin = "my_package.kpisync_plugin"

kpisync's own pieces live in ``kpisync.builtins`` and go through the same ``register`` call, so a
plugin can do anything the core does, and a name clash is reported instead of silently shadowing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from kpisync.errors import KpisyncError

if TYPE_CHECKING:
    from kpisync.compute.measures import SqlMeasure
    from kpisync.compute.model import Scorecard
    from kpisync.sobjects import SObject

ENTRY_POINT_GROUP = "kpisync"
BUILTINS = "kpisync.builtins"


@dataclass(frozen=True)
class Output:
    """Something ``kpisync build`` writes from a scorecard into the site directory.

    ``write(scorecard, site_root, generated_at)`` runs inside the atomic build: it writes into
    the staging copy of the site, so a failing output leaves the published site untouched.
    """

    name: str
    description: str
    write: Callable[[Scorecard, Path, datetime], object]


@dataclass
class Registry:
    sources: dict[str, SObject] = field(default_factory=dict)
    measures: dict[str, SqlMeasure] = field(default_factory=dict)
    outputs: dict[str, Output] = field(default_factory=dict)

    def add_source(self, source: SObject) -> None:
        self._add(self.sources, "source", source.name, source)

    def add_measure(self, measure: SqlMeasure) -> None:
        self._add(self.measures, "measure", measure.name, measure)

    def add_output(self, output: Output) -> None:
        self._add(self.outputs, "output", output.name, output)

    @staticmethod
    def _add(table: dict, kind: str, name: str, item: object) -> None:
        if name in table:
            raise KpisyncError(f"two plugins register the {kind} {name!r}; uninstall one of them")
        table[name] = item


def load_registry(*, include_plugins: bool = True) -> Registry:
    """kpisync's built-in pieces, then every installed plugin's."""
    import importlib

    registry = Registry()
    importlib.import_module(BUILTINS).register(registry)
    if include_plugins:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.value == BUILTINS:
                continue
            try:
                module = ep.load()
                module.register(registry)
            except KpisyncError:
                raise
            except Exception as exc:  # a broken plugin must not look like a kpisync bug
                raise KpisyncError(
                    f"plugin {ep.name!r} ({ep.value}) failed to load: {exc}"
                ) from exc
    return registry


@cache
def registry() -> Registry:
    """The process-wide registry, loaded once."""
    return load_registry()
