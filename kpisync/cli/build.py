"""``kpisync build``, ``explain`` and ``targets suggest``: compute from the store."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kpisync.cli.options import (
    as_date,
    as_of_option,
    config_option,
    engine_option,
    engine_url_option,
    note,
    out_option,
    reports_errors,
    store_option,
)


@click.command()
@config_option
@store_option
@out_option
@as_of_option
@click.option("--templates", "templates_dir", default=None,
              type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="A directory of templates (and style.css) overriding kpisync's own.")
@engine_url_option
@reports_errors
def build(config_path: Path, store_path: Path, out_dir: Path, as_of,
          templates_dir: Path | None, engine_url: str | None) -> None:
    """Compute every KPI from the store and write the static site."""
    from kpisync.build import build as build_site
    from kpisync.config import load_config

    config = load_config(config_path)
    report = build_site(config, store_path, out_dir, as_of=as_date(as_of),
                        templates_dir=templates_dir, engine=engine_option(engine_url))
    click.echo(report.site.summary)
    note_unassigned(report)


def note_unassigned(report) -> None:
    """What admins should know about the figures: records on no team, periods before the
    synced history."""
    from kpisync.build import history_note, unassigned_note

    for text in (unassigned_note(report.scorecard), history_note(report.scorecard)):
        if text:
            note(text)


@click.command()
@click.argument("kpi_id", metavar="KPI")
@click.option("--rep", default=None, metavar="NAME",
              help="A rep's name, username or user Id (case does not matter).")
@click.option("--team", default=None, metavar="ID", help="A team id of kpis.yaml.")
@click.option("--period", "period_key", default=None, metavar="KEY",
              help="2026-W27, 2026-07, 2026-Q3, 2026, FY2027-Q1, FY2027 or FY2027-YTD; "
                   "default: the running org.default_period.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="How many records to list (the rest are counted).")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@config_option
@store_option
@as_of_option
@engine_url_option
@reports_errors
def explain(kpi_id: str, rep: str | None, team: str | None, period_key: str | None, limit: int,
            as_json: bool, config_path: Path, store_path: Path, as_of,
            engine_url: str | None) -> None:
    """Show how one number is computed: the SQL, the records counted, the target.

    Explains KPI for --rep, --team, or (neither) the whole org.
    """
    from kpisync.build import today_in
    from kpisync.compute.explain import explain as explain_kpi
    from kpisync.config import load_config
    from kpisync.explain_text import as_json as explanation_json
    from kpisync.explain_text import render
    from kpisync.store.select import open_engine

    if rep is not None and team is not None:
        raise click.UsageError("give --rep or --team, not both")
    config = load_config(config_path)
    day = as_date(as_of) or today_in(config)
    with open_engine(engine_option(engine_url) or config.engine, store_path, config) as on:
        explanation = explain_kpi(config, on, kpi_id, period_key=period_key,
                                  as_of=day, rep=rep, team=team, limit=limit)
    if as_json:
        click.echo(json.dumps(explanation_json(explanation), indent=2))
    else:
        click.echo(render(explanation))


@click.group()
def targets() -> None:
    """Work out targets from the store's history."""


@targets.command()
@config_option
@store_option
@as_of_option
@click.option("--weeks", type=click.IntRange(min=1), default=12, show_default=True,
              help="How many complete weeks of history, the running week left out.")
@click.option("--percentile", type=click.IntRange(0, 100), default=80, show_default=True,
              help="Which percentile of the reps' weekly actuals becomes the target.")
@engine_url_option
@reports_errors
def suggest(config_path: Path, store_path: Path, as_of, weeks: int, percentile: int,
            engine_url: str | None) -> None:
    """Propose per-rep targets from history, as a kpis.yaml snippet.

    Per team and count or sum KPI it tracks: the percentile of each active rep's weekly
    actuals, converted to org.default_period. See docs/compute.md, "Suggested targets".
    """
    from kpisync.build import today_in
    from kpisync.compute.suggest import suggest_targets
    from kpisync.config import load_config
    from kpisync.store.select import open_engine
    from kpisync.suggest_yaml import render

    config = load_config(config_path)
    with open_engine(engine_option(engine_url) or config.engine, store_path, config) as on:
        suggestions = suggest_targets(config, on, as_date(as_of) or today_in(config),
                                      weeks=weeks, percentile=percentile)
    click.echo(render(suggestions))
