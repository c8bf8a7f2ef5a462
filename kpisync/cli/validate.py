"""``kpisync validate``: check kpis.yaml without touching Salesforce."""

from __future__ import annotations

from pathlib import Path

import click

from kpisync.cli.options import config_option, reports_errors


@click.command()
@config_option
@click.option("--online", is_flag=True,
              help="Also check that the tables and columns kpis.yaml reads exist on its "
                   "engine (a PostgreSQL server).")
@reports_errors
def validate(config_path: Path, online: bool) -> None:
    """Check kpis.yaml without touching Salesforce.

    Warnings (a target no team uses) are printed too; they do not change the exit code.
    """
    from kpisync.config import load_config

    config = load_config(config_path)
    if online:
        check_online_tables(config)
    for warning in config.warnings:
        click.echo(str(warning))
    count = len(config.warnings)
    warned = f"; {count} warning{'s' if count != 1 else ''}" if count else ""
    click.echo(
        f"{config_path}: OK — {len(config.kpis)} KPIs, {len(config.teams)} teams, "
        f"cascade of {len(config.cascade)} steps{warned}"
    )


def check_online_tables(config) -> None:
    """``--online``: every mapped table and column on the engine, or ConfigError naming each
    one missing at its line."""
    from kpisync.engines.mapping import check_online
    from kpisync.errors import ConfigError

    problems = check_online(config)
    if problems is None:
        click.echo("online: nothing to check: kpis.yaml has no engine: section (the sync "
                   "checks its local store itself)")
    elif problems:
        raise ConfigError(problems)
    else:
        click.echo(f"online: every table and column kpis.yaml reads is on {config.engine.url}")
