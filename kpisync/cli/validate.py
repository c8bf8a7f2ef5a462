"""``kpisync validate``: check kpis.yaml without touching Salesforce."""

from __future__ import annotations

from pathlib import Path

import click

from kpisync.cli.options import config_option, reports_errors


@click.command()
@config_option
@reports_errors
def validate(config_path: Path) -> None:
    """Check kpis.yaml without touching Salesforce.

    Warnings (a target no team uses) are printed too; they do not change the exit code.
    """
    from kpisync.config import load_config

    config = load_config(config_path)
    for warning in config.warnings:
        click.echo(str(warning))
    count = len(config.warnings)
    warned = f"; {count} warning{'s' if count != 1 else ''}" if count else ""
    click.echo(
        f"{config_path}: OK — {len(config.kpis)} KPIs, {len(config.teams)} teams, "
        f"cascade of {len(config.cascade)} steps{warned}"
    )

