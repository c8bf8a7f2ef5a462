"""What the commands share: the common options, the option types that parse durations and
allowances, ``reports_errors`` (a KpisyncError becomes one line and exit 1) and the sync
progress display."""

from __future__ import annotations

import contextlib
import functools
import sys
import traceback
from datetime import date
from pathlib import Path

import click

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
#: a YYYY-MM-DD option's type (its value is a datetime: see ``as_date``)
day_type = click.DateTime(formats=["%Y-%m-%d"])
as_of_option = click.option(
    "--as-of", type=day_type, default=None,
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


#: The options of ``sync`` and ``run`` that shape the read; see ``sync_settings``.
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


def sync_settings(*, full, since, history_start, lookback, formula_refresh, bulk_threshold,
                   api_budget, api_floor):
    """The SyncOptions and QuotaGuard the ``SYNC_OPTIONS`` values say."""
    from kpisync.sync.plan import SyncOptions
    from kpisync.sync.quota import QuotaGuard

    for name, value in (("--since", since), ("--history-start", history_start)):
        if value is not None and value.date() > date.today():
            raise click.BadParameter(f"{value.date()} is in the future", param_hint=name)
    options = SyncOptions(full=full, since=as_date(since), history_start=as_date(history_start),
                          lookback=lookback, formula_refresh=formula_refresh,
                          bulk_threshold=bulk_threshold)
    return options, QuotaGuard(run_budget=api_budget, org_floor=api_floor)


def as_date(value) -> date | None:
    return value.date() if value is not None else None


def reports_errors(command):
    """Print KpisyncError as one line and exit 1; with --debug, show the traceback too. With
    ``--log-format json`` the error is one ``error`` event (``kpisync.log_format``)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KpisyncError as exc:
            debug = root_option("debug")
            if log_format() == "json":
                click.echo(error_line(exc, with_traceback=bool(debug)), err=True)
            else:
                if debug:
                    traceback.print_exc()
                click.secho(f"Error: {exc}", fg="red", err=True)
            sys.exit(1)

    return wrapper


def root_option(name: str):
    """A global option's value (``kpisync --debug``, ``--log-format``); None outside a
    ``kpisync`` invocation (a subcommand invoked on its own)."""
    context = click.get_current_context(silent=True)
    return context.find_root().params.get(name) if context is not None else None


def log_format() -> str:
    """``--log-format``: "text" (the default) or "json"."""
    return root_option("log_format") or "text"


def error_line(exc: KpisyncError, *, with_traceback: bool = False) -> str:
    """The ``error`` event for ``exc``: its message, class and context (a Salesforce error
    code, HTTP status and object; a config's problems one by one)."""
    from kpisync.errors import ConfigError, SalesforceError
    from kpisync.log_format import json_line

    fields: dict = {"message": str(exc), "error": type(exc).__name__}
    if isinstance(exc, ConfigError):
        fields["problems"] = [str(p) for p in exc.problems]
    if isinstance(exc, SalesforceError):
        fields.update({k: v for k, v in (("error_code", exc.error_code), ("status", exc.status),
                                          ("sobject", exc.sobject)) if v is not None})
    if with_traceback:
        fields["traceback"] = traceback.format_exc()
    return json_line("error", level="error", **fields)


def note(text: str) -> None:
    """Something admins should know about the figures, on stderr (a ``note`` event in JSON)."""
    if log_format() == "json":
        from kpisync.log_format import json_line

        click.echo(json_line("note", level="warning", message=text), err=True)
    else:
        click.echo(text, err=True)



engine_url_option = click.option(
    "--engine", "engine_url", default=None, metavar="URL",
    help="Use this engine instead of the local DuckDB store, e.g. postgresql://host/db "
         "(password from PGPASSWORD): sync writes there, build computes there; overrides "
         "kpis.yaml's engine.")


def engine_option(url: str | None):
    """``--engine URL`` as engine settings; a usage error for a URL kpisync cannot use."""
    if url is None:
        return None
    from kpisync.config.engine import EngineSettings, credentials_problem, engine_kind

    try:
        engine_kind(url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--engine") from None
    problem = credentials_problem(url)
    if problem:
        raise click.BadParameter(problem, param_hint="--engine")
    return EngineSettings(url=url)


@contextlib.contextmanager
def sync_progress():
    """Progress on stderr, so stdout keeps only the report (``--json`` stays parseable): a
    redrawn line per object on a terminal, timestamped plain lines in CI logs, JSON events
    with ``--log-format json``. Closed before
    the summary or an error is printed, so neither lands on an open progress line."""
    from kpisync.sync.progress import progress_display

    display = progress_display(sys.stderr, log_format=log_format())
    try:
        yield display
    finally:
        display.close()
