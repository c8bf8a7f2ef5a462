"""kpisync's own sources, measures and outputs, registered like any plugin's.

The outputs are the HTML site (``html``) and the CSV and JSON exports: each is on unless
kpis.yaml's ``outputs:`` turns it off, and all run inside the same atomic build as plugins'
(``kpisync.site.outputs``)."""

from __future__ import annotations

from kpisync.registry import Output, OutputRun, Registry


def register(registry: Registry) -> None:
    from kpisync.compute.measures import BUILTIN_MEASURES
    from kpisync.sobjects import SOBJECTS

    for source in SOBJECTS.values():
        registry.add_source(source)
    for measure in BUILTIN_MEASURES:
        registry.add_measure(measure)
    registry.add_output(Output("html", "the scorecard site: index.html and every page", _html,
                               default=True))
    registry.add_output(Output("csv", "data/scores.csv: one row per KPI, period and scope", _csv,
                               default=True))
    registry.add_output(Output("json", "data/scores.json: the same rows with periods", _json,
                               default=True))


def _html(run: OutputRun) -> int:
    from kpisync.site.build import render_site

    return render_site(run.scorecard, run.root, generated_at=run.generated_at,
                       templates_dir=run.templates_dir, records=run.records,
                       freshness=run.freshness)


def _csv(run: OutputRun) -> None:
    from kpisync.site import exports
    from kpisync.site.viewdata import CSV_EXPORT

    (run.root / CSV_EXPORT).parent.mkdir(parents=True, exist_ok=True)
    exports.write_scores_csv(run.scorecard, run.root / CSV_EXPORT)


def _json(run: OutputRun) -> None:
    from kpisync.site import exports
    from kpisync.site.viewdata import JSON_EXPORT

    (run.root / JSON_EXPORT).parent.mkdir(parents=True, exist_ok=True)
    exports.write_scores_json(run.scorecard, run.root / JSON_EXPORT,
                              generated_at=run.generated_at)
