"""``kpisync sync`` and ``kpisync run``: pull Salesforce into the store (and build)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kpisync.cli.build import note_unassigned
from kpisync.cli.options import (
    EXIT_PARTIAL,
    as_date,
    as_of_option,
    config_option,
    engine_option,
    engine_url_option,
    env_file_option,
    note,
    out_option,
    reports_errors,
    store_option,
    sync_options,
    sync_progress,
    sync_settings,
)


@click.command()
@config_option
@store_option
@engine_url_option
@env_file_option
@sync_options
@click.option("--dry-run", is_flag=True,
              help="Print the SOQL each object would be read with and estimate the API "
                   "calls (a count per object); touches nothing, the store is only read.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the report as JSON on stdout (progress stays on stderr).")
@reports_errors
def sync(config_path: Path, store_path: Path, engine_url: str | None, env_file: Path | None,
         dry_run: bool, as_json: bool, **read) -> None:
    """Pull Salesforce records into the local store (incrementally).

    Exits 3 when the sync stopped at an API quota guard: run it again later to resume.
    """
    from kpisync.config import load_config
    from kpisync.sync.run import estimate_from_env, sync_from_env

    options, quota = sync_settings(**read)
    engine = engine_option(engine_url)
    config = load_config(config_path)
    if dry_run:
        result = estimate_from_env(config, store_path, env_file=env_file, options=options,
                                   quota=quota, engine=engine)
    else:
        with sync_progress() as progress:
            result = sync_from_env(config, store_path, env_file=env_file, options=options,
                                   quota=quota, on_progress=progress, engine=engine)
    click.echo(json.dumps(result.to_dict(), indent=2) if as_json else result.summary())
    if not dry_run and result.partial:
        sys.exit(EXIT_PARTIAL)


@click.command()
@config_option
@store_option
@engine_url_option
@out_option
@env_file_option
@as_of_option
@sync_options
@reports_errors
def run(config_path: Path, store_path: Path, engine_url: str | None, out_dir: Path,
        env_file: Path | None, as_of, **read) -> None:
    """sync, then build: the scheduled job.

    A sync stopped at an API quota guard skips the build (a site from half-synced data would
    under-count) and exits 3; the next run resumes the sync.
    """
    from kpisync.build import build as build_site
    from kpisync.config import load_config
    from kpisync.sync.run import sync_from_env

    options, quota = sync_settings(**read)
    engine = engine_option(engine_url)
    config = load_config(config_path)
    with sync_progress() as progress:
        report = sync_from_env(config, store_path, env_file=env_file, options=options,
                               quota=quota, on_progress=progress, engine=engine)
    click.echo(report.summary())
    if report.partial:
        note("Skipped the build: the sync is partial.")
        sys.exit(EXIT_PARTIAL)
    built = build_site(config, store_path, out_dir, as_of=as_date(as_of), engine=engine)
    click.echo(built.site.summary)
    note_unassigned(built)
