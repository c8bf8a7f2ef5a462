"""``kpisync doctor``: check credentials, API access, quota and the store before a sync."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kpisync.cli.options import (
    AllowanceType,
    config_option,
    env_file_option,
    reports_errors,
    store_option,
)


@click.command()
@config_option
@store_option
@env_file_option
@click.option("--api-floor", type=AllowanceType(), default="20%", show_default=True,
              help="The floor `kpisync sync` keeps (its --api-floor): remaining daily API "
                   "requests at or below it fail the quota check, under twice it warn.")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@reports_errors
def doctor(config_path: Path, store_path: Path, env_file: Path | None, api_floor,
           as_json: bool) -> None:
    """Check what a sync needs: credentials, API version, field access, API quota, the
    store and the age of the last sync.

    Each check prints OK, WARN or FAIL (SKIP when one it needs failed) and what to do;
    exits 1 when any check fails. Costs one API request plus one per synced object.
    """
    from kpisync.config import load_config
    from kpisync.doctor import diagnose
    from kpisync.sync.run import sync_environment

    config = load_config(config_path)
    diagnosis = diagnose(config, store_path, sync_environment(env_file=env_file),
                         api_floor=api_floor)
    click.echo(json.dumps(diagnosis.to_dict(), indent=2) if as_json else diagnosis.summary())
    if diagnosis.failed:
        sys.exit(1)
