"""The ``kpisync`` command line: parse options, call a library function, print its result.

Exit codes: 0 success; 1 a config, data or Salesforce error (one line, no traceback unless
--debug); 2 a usage error (click's own); 3 a partial sync (stopped at an API quota guard or
REQUEST_LIMIT_EXCEEDED; what was fetched is stored and the next run resumes).
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import traceback
from datetime import date
from pathlib import Path

import click

from kpisync import __version__
from kpisync.errors import KpisyncError

DEFAULT_CONFIG = "kpis.yaml"
DEFAULT_STORE = ".kpisync/store.duckdb"
DEFAULT_DEMO_STORE = ".kpisync/demo.duckdb"
DEFAULT_OUT = "output"
#: exit code of a sync that stopped at an API quota guard: rerun later to resume
EXIT_PARTIAL = 3

config_option = click.option(
    "-c", "--config", "config_path", type=click.Path(path_type=Path), default=DEFAULT_CONFIG,
    envvar="KPISYNC_CONFIG", show_default=True, show_envvar=True, help="The KPI definitions.",
)
store_option = click.option(
    "--store", "store_path", type=click.Path(path_type=Path), default=DEFAULT_STORE,
    envvar="KPISYNC_STORE", show_default=True, show_envvar=True,
    help="The local DuckDB file synced records live in.",
)
out_option = click.option(
    "-o", "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_OUT,
    show_default=True, help="Where the static site is written.",
)
as_of_option = click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="Score as if today were this day (YYYY-MM-DD); default: today in the org's timezone.",
)
env_file_option = click.option(
    "--env-file", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
    help="Read Salesforce credentials (the SF_* variables; see docs/sync.md) from this file.",
)


class ParsedType(click.ParamType):
    """A text option read by ``parse``, whose ValueError message becomes click's usage error;
    with ``allow_off``, ``off`` means None. Subclasses import what parses lazily, so that
    ``--help`` stays fast."""

    allow_off = False

    def parse(self, text: str):
        raise NotImplementedError

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        if self.allow_off and value.strip().lower() == "off":
            return None
        try:
            return self.parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class AllowanceType(ParsedType):
    """``10%``, ``0.1`` (a share of the org's daily API limit) or ``500`` (requests)."""

    name = "allowance"

    def parse(self, text: str):
        from kpisync.sync.quota import Allowance

        return Allowance.parse(text)


class DurationType(ParsedType):
    """``600s``, ``10m``, ``12h``, ``7d``; with ``allow_off``, also ``off``."""

    name = "duration"

    def __init__(self, allow_off: bool = False):
        self.allow_off = allow_off

    def parse(self, text: str):
        from kpisync.sync.plan import parse_duration

        try:
            return parse_duration(text)
        except ValueError as exc:
            raise ValueError(f"{exc}{' or off' if self.allow_off else ''}") from None


class ThresholdType(ParsedType):
    """A record count, or ``off``."""

    name = "N|off"
    allow_off = True

    def parse(self, text: str):
        if not text.strip().isdigit():
            raise ValueError(f"expected a number of records or off, got {text!r}")
        return int(text)


day_type = click.DateTime(formats=["%Y-%m-%d"])
#: The options of ``sync`` and ``run`` that shape the read; see ``_sync_settings``.
SYNC_OPTIONS = [
    click.option("--full", is_flag=True, help="Resync every object from scratch."),
    click.option("--since", type=day_type, default=None, metavar="DAY",
                 help="Also re-read every record modified since DAY (YYYY-MM-DD, UTC), e.g. "
                      "after a data fix in Salesforce; the store keeps its other rows."),
    click.option("--history-start", type=day_type, default=None, metavar="DAY",
                 help="Read activities and opportunities created since DAY (YYYY-MM-DD). "
                      "Default: 13 months back. An earlier day than before reads them again."),
    click.option("--lookback", type=DurationType(), default="10m", show_default=True,
                 help="How far before the last watermark each incremental read starts, for "
                      "records that commit late (600s, 10m, 1h; 0 for none)."),
    click.option("--formula-refresh", type=DurationType(allow_off=True), default="7d",
                 show_default=True,
                 help="Re-read whole objects whose synced fields are formulas once their last "
                      "full read is this old (formulas change without SystemModstamp); off "
                      "for never."),
    click.option("--bulk-threshold", type=ThresholdType(), default="50000", show_default=True,
                 help="Read the rest of an object through Bulk API 2.0 when its first page "
                      "says more than N records remain; off for REST only."),
    click.option("--api-budget", type=AllowanceType(), default="10%", show_default=True,
                 help="Most API calls this run may make: a share of the org's daily limit (10%, "
                      "0.1) or a number of calls (500). Reaching it stops the sync cleanly "
                      "(exit 3)."),
    click.option("--api-floor", type=AllowanceType(), default="20%", show_default=True,
                 help="Stop (exit 3) once the org's remaining daily API requests are down to "
                      "this share of its limit (20%, 0.2) or this number (5000)."),
]


def sync_options(command):
    """Add ``SYNC_OPTIONS`` to a command."""
    for option in reversed(SYNC_OPTIONS):
        command = option(command)
    return command


def _sync_settings(*, full, since, history_start, lookback, formula_refresh, bulk_threshold,
                   api_budget, api_floor):
    """The SyncOptions and QuotaGuard the ``SYNC_OPTIONS`` values say."""
    from kpisync.sync.plan import SyncOptions
    from kpisync.sync.quota import QuotaGuard

    for name, value in (("--since", since), ("--history-start", history_start)):
        if value is not None and value.date() > date.today():
            raise click.BadParameter(f"{value.date()} is in the future", param_hint=name)
    options = SyncOptions(full=full, since=_as_date(since), history_start=_as_date(history_start),
                          lookback=lookback, formula_refresh=formula_refresh,
                          bulk_threshold=bulk_threshold)
    return options, QuotaGuard(run_budget=api_budget, org_floor=api_floor)


def _as_date(value) -> date | None:
    return value.date() if value is not None else None


def reports_errors(command):
    """Print KpisyncError as one line and exit 1; with --debug, show the traceback too."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KpisyncError as exc:
            if click.get_current_context().find_root().params.get("debug"):
                traceback.print_exc()
            click.secho(f"Error: {exc}", fg="red", err=True)
            sys.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kpisync")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def main(debug: bool) -> None:
    """Turn Salesforce activity into a sales-KPI scorecard website.

    kpis.yaml → sync (Salesforce → local store) → build (compute KPIs → static site).
    """


@main.command()
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


@main.command()
@config_option
@store_option
@env_file_option
@sync_options
@click.option("--dry-run", is_flag=True,
              help="Only estimate the API calls the sync would make (a count per object); "
                   "the store is not written.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the report as JSON on stdout (progress stays on stderr).")
@reports_errors
def sync(config_path: Path, store_path: Path, env_file: Path | None, dry_run: bool,
         as_json: bool, **read) -> None:
    """Pull Salesforce records into the local store (incrementally).

    Exits 3 when the sync stopped at an API quota guard: run it again later to resume.
    """
    from kpisync.config import load_config
    from kpisync.sync.run import estimate_from_env, sync_from_env

    options, quota = _sync_settings(**read)
    config = load_config(config_path)
    if dry_run:
        result = estimate_from_env(config, store_path, env_file=env_file, options=options,
                                   quota=quota)
    else:
        with _progress() as progress:
            result = sync_from_env(config, store_path, env_file=env_file, options=options,
                                   quota=quota, on_progress=progress)
    click.echo(json.dumps(result.to_dict(), indent=2) if as_json else result.summary())
    if not dry_run and result.partial:
        sys.exit(EXIT_PARTIAL)


@main.command()
@config_option
@store_option
@out_option
@as_of_option
@click.option("--templates", "templates_dir", default=None,
              type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="A directory of templates (and style.css) overriding kpisync's own.")
@click.option("--engine", "engine_url", default=None, metavar="URL",
              help="Compute on this engine instead of the store, e.g. "
                   "postgresql://host/db (password from PGPASSWORD); overrides kpis.yaml's "
                   "engine.")
@reports_errors
def build(config_path: Path, store_path: Path, out_dir: Path, as_of,
          templates_dir: Path | None, engine_url: str | None) -> None:
    """Compute every KPI from the store and write the static site."""
    from kpisync.build import build as build_site
    from kpisync.config import load_config

    config = load_config(config_path)
    report = build_site(config, store_path, out_dir, as_of=_as_date(as_of),
                        templates_dir=templates_dir, engine=_engine_option(engine_url))
    click.echo(f"Wrote {report.site.pages} pages to {report.index_path}")
    _note_unassigned(report)


def _engine_option(url: str | None):
    """``--engine URL`` as engine settings; a usage error for a URL kpisync cannot use."""
    if url is None:
        return None
    from kpisync.engines.select import EngineSettings, credentials_problem, engine_kind

    try:
        engine_kind(url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--engine") from None
    problem = credentials_problem(url)
    if problem:
        raise click.BadParameter(problem, param_hint="--engine")
    return EngineSettings(url=url)


def _note_unassigned(report) -> None:
    """What admins should know about the figures: records on no team, periods before the
    synced history."""
    from kpisync.build import history_note, unassigned_note

    for note in (unassigned_note(report.scorecard), history_note(report.scorecard)):
        if note:
            click.echo(note, err=True)


@main.command()
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
@reports_errors
def explain(kpi_id: str, rep: str | None, team: str | None, period_key: str | None, limit: int,
            as_json: bool, config_path: Path, store_path: Path, as_of) -> None:
    """Show how one number is computed: the SQL, the records counted, the target.

    Explains KPI for --rep, --team, or (neither) the whole org.
    """
    from kpisync.build import today_in
    from kpisync.compute.explain import explain as explain_kpi
    from kpisync.config import load_config
    from kpisync.explain_text import as_json as explanation_json
    from kpisync.explain_text import render
    from kpisync.store import Store

    if rep is not None and team is not None:
        raise click.UsageError("give --rep or --team, not both")
    config = load_config(config_path)
    day = _as_date(as_of) or today_in(config)
    with Store.open(store_path, create=False) as store:
        explanation = explain_kpi(config, store.connection, kpi_id, period_key=period_key,
                                  as_of=day, rep=rep, team=team, limit=limit)
    if as_json:
        click.echo(json.dumps(explanation_json(explanation), indent=2))
    else:
        click.echo(render(explanation))


@main.group()
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
@reports_errors
def suggest(config_path: Path, store_path: Path, as_of, weeks: int, percentile: int) -> None:
    """Propose per-rep targets from history, as a kpis.yaml snippet.

    Per team and count or sum KPI it tracks: the percentile of each active rep's weekly
    actuals, converted to org.default_period. See docs/compute.md, "Suggested targets".
    """
    from kpisync.build import today_in
    from kpisync.compute.suggest import suggest_targets
    from kpisync.config import load_config
    from kpisync.store import Store
    from kpisync.suggest_yaml import render

    config = load_config(config_path)
    with Store.open(store_path, create=False) as store:
        suggestions = suggest_targets(config, store.connection, _as_date(as_of) or today_in(config),
                                      weeks=weeks, percentile=percentile)
    click.echo(render(suggestions))


@main.command()
@config_option
@store_option
@out_option
@env_file_option
@as_of_option
@sync_options
@reports_errors
def run(config_path: Path, store_path: Path, out_dir: Path, env_file: Path | None, as_of,
        **read) -> None:
    """sync, then build: the scheduled job.

    A sync stopped at an API quota guard skips the build (a site from half-synced data would
    under-count) and exits 3; the next run resumes the sync.
    """
    from kpisync.build import build as build_site
    from kpisync.config import load_config
    from kpisync.sync.run import sync_from_env

    options, quota = _sync_settings(**read)
    config = load_config(config_path)
    with _progress() as progress:
        report = sync_from_env(config, store_path, env_file=env_file, options=options,
                               quota=quota, on_progress=progress)
    click.echo(report.summary())
    if report.partial:
        click.echo("Skipped the build: the sync is partial.", err=True)
        sys.exit(EXIT_PARTIAL)
    built = build_site(config, store_path, out_dir, as_of=_as_date(as_of))
    click.echo(f"Wrote {built.site.pages} pages to {built.index_path}")
    _note_unassigned(built)


@main.command()
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
                      as_of=_as_date(as_of), seed=seed)
    click.echo(report.summary())
    for line in report.next_commands():
        click.echo(line)
    click.echo(str(report.index_path.resolve()))
    if serve_site:
        _serve(out_dir, port)


@main.command()
@out_option
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@reports_errors
def serve(out_dir: Path, port: int) -> None:
    """Serve the built site on http://127.0.0.1:PORT."""
    _serve(out_dir, port)


@main.command()
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

    org = generate_demo_org(seed=seed, as_of=_as_date(as_of))
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


@main.command()
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


@contextlib.contextmanager
def _progress():
    """Progress on stderr, so stdout keeps only the report (``--json`` stays parseable): a
    redrawn line per object on a terminal, timestamped plain lines in CI logs. Closed before
    the summary or an error is printed, so neither lands on an open progress line."""
    from kpisync.sync.progress import progress_display

    display = progress_display(sys.stderr)
    try:
        yield display
    finally:
        display.close()
