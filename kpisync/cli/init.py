"""``kpisync init``: write a commented starter kpis.yaml."""

from __future__ import annotations

from pathlib import Path

import click

from kpisync.cli.options import DEFAULT_STORE, reports_errors


@click.command()
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              default="kpis.yaml", envvar="KPISYNC_CONFIG", show_default=True,
              show_envvar=True, help="Where to write the starter.")
@click.option("--store", "store_path", type=click.Path(path_type=Path), default=DEFAULT_STORE,
              envvar="KPISYNC_STORE", show_default=True, show_envvar=True,
              help="A synced store: when it exists, each role with active users becomes a "
                   "team. Only read.")
@click.option("--org-name", default="Your company", show_default=True,
              help="The company name shown on the site.")
@click.option("--timezone", default="UTC", show_default=True,
              help="The org's IANA timezone, such as America/New_York.")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@reports_errors
def init(config_path: Path, store_path: Path, org_name: str, timezone: str, force: bool
         ) -> None:
    """Write a commented starter kpis.yaml that validates as written.

    After `kpisync sync`, its teams are the org's roles (UserRole and User in the store).
    """
    from kpisync.starter import write_starter

    try:
        starter = write_starter(config_path, store_path=store_path, force=force,
                                org_name=org_name, timezone=timezone)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    teams = (f"{len(starter.teams)} teams from the roles in {store_path}" if starter.teams
             else "an example team (run `kpisync sync`, then `kpisync init --force`, for a "
                  "team per role)")
    click.echo(f"Wrote {starter.path}: 5 KPIs, {teams}. Check it with `kpisync validate`.")
