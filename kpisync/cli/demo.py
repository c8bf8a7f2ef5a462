"""``kpisync demo``, ``serve``, ``emulator`` and ``plugins``: try kpisync without an org."""

from __future__ import annotations

from pathlib import Path

import click

from kpisync.cli.options import (
    DEFAULT_DEMO_STORE,
    as_date,
    as_of_option,
    out_option,
    reports_errors,
)


@click.command()
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path), default=None,
              envvar="KPISYNC_CONFIG", show_envvar=True,
              help="KPI definitions [default: ./kpis.yaml, else the bundled sample].")
@click.option("--store", "store_path", type=click.Path(path_type=Path),
              default=DEFAULT_DEMO_STORE, show_default=True,
              help="Demo store (recreated on every run; never your real store).")
@out_option
@as_of_option
@click.option("--seed", type=int, default=7, show_default=True, help="Demo org generator seed.")
@click.option("--serve", "serve_site", is_flag=True, help="Then serve the site on 127.0.0.1.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port for --serve.")
@reports_errors
def demo(config_path: Path | None, store_path: Path, out_dir: Path, as_of, seed: int,
         serve_site: bool, port: int) -> None:
    """Run the whole pipeline on a generated demo org served by the bundled emulator."""
    from kpisync.demo import run_demo

    report = run_demo(config_path=config_path, store_path=store_path, out_dir=out_dir,
                      as_of=as_date(as_of), seed=seed)
    click.echo(report.summary())
    for line in report.next_commands():
        click.echo(line)
    click.echo(str(report.index_path.resolve()))
    if serve_site:
        _serve(out_dir, port)


@click.command()
@out_option
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@reports_errors
def serve(out_dir: Path, port: int) -> None:
    """Serve the built site on http://127.0.0.1:PORT."""
    _serve(out_dir, port)


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=0,
              help="Port to listen on [default: a free one].")
@click.option("--seed", type=int, default=7, show_default=True, help="Demo org generator seed.")
@as_of_option
@click.option("--state-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where to write the CA certificate [default: a temporary directory].")
@reports_errors
def emulator(port: int, seed: int, as_of, state_dir: Path | None) -> None:
    """Run the bundled Salesforce API emulator with the demo org, until interrupted."""
    from kpisync.emulator import Emulator
    from kpisync.emulator.demo_org import generate_demo_org

    org = generate_demo_org(seed=seed, as_of=as_date(as_of))
    with Emulator(org, port=port, state_dir=state_dir) as emu:
        click.echo(f"Salesforce emulator listening on {emu.url}")
        click.echo(f"  CA certificate: {emu.ca_path}")
        click.echo("  Try:")
        click.echo(f"    export SF_INSTANCE_URL={emu.url}")
        click.echo(f"    export SF_ACCESS_TOKEN='{emu.access_token}'")
        click.echo(f"    export REQUESTS_CA_BUNDLE={emu.ca_path}")
        click.echo("    kpisync run")
        click.echo("Press Ctrl+C to stop.")
        try:
            emu.wait()
        except KeyboardInterrupt:
            click.echo("Stopped.")


@click.command()
@reports_errors
def plugins() -> None:
    """List the installed plugins, their versions and what each provides."""
    from kpisync.plugins import describe

    click.echo(describe())


def _serve(out_dir: Path, port: int) -> None:
    from kpisync.errors import SiteError
    from kpisync.site.serve import serve as serve_dir

    if not (out_dir / "index.html").is_file():
        raise SiteError(f"{out_dir}/index.html does not exist: run `kpisync build` first")
    click.echo(f"Serving {out_dir} on http://127.0.0.1:{port}/ (Ctrl+C to stop)")
    try:
        serve_dir(out_dir, port=port)
    except KeyboardInterrupt:
        click.echo("Stopped.")


