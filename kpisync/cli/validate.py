"""``kpisync validate``: check kpis.yaml in stages (schema, semantics, online, dry run) and
report in the format a person or a CI system reads."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kpisync.cli.options import (
    as_date,
    as_of_option,
    config_option,
    env_file_option,
    reports_errors,
)
from kpisync.validation.formats import FORMATS


@click.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people; github for GitHub Actions annotations on the pull "
                   "request's lines; json for other CI systems; sarif for code scanning.")
@click.option("--online", is_flag=True,
              help="Also describe every object and field the KPIs use against the org, with "
                   "the credentials `kpisync sync` reads (SF_* variables or --env-file).")
@click.option("--dry-run/--no-dry-run", "dry_run", default=True, show_default=True,
              help="Run every KPI's generated SQL on an empty in-memory store.")
@env_file_option
@as_of_option
@reports_errors
def validate(config_path: Path, fmt: str, online: bool, dry_run: bool, env_file: Path | None,
             as_of) -> None:
    """Check kpis.yaml: schema, semantics, --online against the org, then a dry run.

    Every problem is reported at once, located as file:line:column, with the stage that
    found it. Warnings (a target no team uses) are printed too; they do not change the exit
    code. Exits 1 when there is any problem, in every format.
    """
    from kpisync.validation import validate_file
    from kpisync.validation.formats import render
    from kpisync.validation.online import client_from_env

    report = validate_file(
        config_path, online=online, dry_run=dry_run,
        connect=lambda: client_from_env(env_file=env_file),
        as_of=as_date(as_of),
    )
    # text keeps stdout for the OK line; machine formats always write the whole document there
    click.echo(render(report, fmt), nl=False, err=fmt == "text" and not report.ok)
    if not report.ok:
        sys.exit(1)
