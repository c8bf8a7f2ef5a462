"""``kpisync diff``: what a kpis.yaml change does to the scorecard, as a PR comment."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from kpisync.cli.options import DEFAULT_CONFIG, as_date, as_of_option, reports_errors, store_option


@click.command()
@click.argument("paths", nargs=-1, metavar="[BASE] [HEAD]",
                type=click.Path(path_type=Path, dir_okay=False))
@click.option("--base-ref", default=None, metavar="REF",
              help="Read BASE from git: HEAD's file as committed at REF (origin/main); then the "
                   "one PATH given is HEAD.")
@store_option
@as_of_option
@click.option("--period", "period_key", default=None, metavar="KEY",
              help="The period compared (2026-07, 2026-Q3, FY2027-YTD); default: the running "
                   "org.default_period. Both scorecards must show it.")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many of the most affected reps to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@reports_errors
def diff(paths: tuple[Path, ...], base_ref: str | None, store_path: Path, as_of,
         period_key: str | None, top: int, as_json: bool) -> None:
    """Compare two kpis.yaml on the same store: KPIs and targets changed, attainment moved.

    BASE and HEAD are config files; HEAD defaults to ./kpis.yaml (or KPISYNC_CONFIG). With
    --base-ref the base is HEAD's file at that git ref. Prints Markdown for a pull-request
    comment; exits 1 when either config does not validate (the comment says why).
    """
    from kpisync.diff import ConfigSide
    from kpisync.diff import diff as compare
    from kpisync.diff_markdown import render
    from kpisync.store import Store

    default_head = Path(os.environ.get("KPISYNC_CONFIG") or DEFAULT_CONFIG)
    if base_ref is not None:
        if len(paths) > 1:
            raise click.UsageError("with --base-ref, give at most one path: HEAD")
        head_path = paths[0] if paths else default_head
        base = ConfigSide.from_git(base_ref, head_path)
    else:
        if not paths:
            raise click.UsageError("give BASE (and HEAD) config files, or --base-ref REF")
        if len(paths) > 2:
            raise click.UsageError("give at most two paths: BASE and HEAD")
        base = ConfigSide.from_file(paths[0])
        head_path = paths[1] if len(paths) == 2 else default_head
    head = ConfigSide.from_file(head_path)
    with Store.open(store_path, create=False) as store:
        result = compare(base, head, store.connection, as_of=as_date(as_of),
                         period_key=period_key, top=top)
    click.echo(json.dumps(result.to_dict(), indent=2) if as_json else render(result), nl=as_json)
    if not result.valid:
        sys.exit(1)
