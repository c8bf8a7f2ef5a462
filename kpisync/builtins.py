"""kpisync's own sources, measures and outputs, registered like any plugin's."""

from __future__ import annotations

from kpisync.plugins import Registry


def register(registry: Registry) -> None:
    from kpisync.compute.measures import BUILTIN_MEASURES
    from kpisync.sobjects import SOBJECTS

    for source in SOBJECTS.values():
        registry.add_source(source)
    for measure in BUILTIN_MEASURES:
        registry.add_measure(measure)
