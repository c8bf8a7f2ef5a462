"""kpisync's own sources, measures and outputs, registered like any plugin's."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from kpisync.plugins import Output, Registry


def register(registry: Registry) -> None:
    from kpisync.compute.measures import BUILTIN_MEASURES
    from kpisync.sobjects import SOBJECTS

    for source in SOBJECTS.values():
        registry.add_source(source)
    for measure in BUILTIN_MEASURES:
        registry.add_measure(measure)
    registry.add_output(Output("csv", "data/scores.csv: one row per KPI, period and scope", _csv))
    registry.add_output(Output("json", "data/scores.json: the same rows with periods", _json))


def _csv(scorecard, root: Path, generated_at: datetime) -> None:
    from kpisync.site import exports
    from kpisync.site.viewdata import CSV_EXPORT

    (root / CSV_EXPORT).parent.mkdir(parents=True, exist_ok=True)
    exports.write_scores_csv(scorecard, root / CSV_EXPORT)


def _json(scorecard, root: Path, generated_at: datetime) -> None:
    from kpisync.site import exports
    from kpisync.site.viewdata import JSON_EXPORT

    (root / JSON_EXPORT).parent.mkdir(parents=True, exist_ok=True)
    exports.write_scores_json(scorecard, root / JSON_EXPORT, generated_at=generated_at)
