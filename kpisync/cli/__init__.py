"""The ``kpisync`` command line: parse options, call a library function, print its result.

Exit codes: 0 success; 1 a config, data or Salesforce error (one line, no traceback unless
--debug); 2 a usage error (click's own); 3 a partial sync (stopped at an API quota guard or
REQUEST_LIMIT_EXCEEDED; what was fetched is stored and the next run resumes).
"""

from __future__ import annotations

import click

from kpisync import __version__
from kpisync.cli.build import build, explain, targets
from kpisync.cli.demo import demo, emulator, plugins, serve
from kpisync.cli.diff import diff
from kpisync.cli.doctor import doctor
from kpisync.cli.init import init
from kpisync.cli.schema import schema
from kpisync.cli.sync import run, sync
from kpisync.cli.validate import validate
from kpisync.log_format import LOG_FORMATS


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kpisync")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("--log-format", type=click.Choice(LOG_FORMATS), default="text",
              envvar="KPISYNC_LOG_FORMAT", show_default=True, show_envvar=True,
              help="How stderr is written: text for people, or json (one object per line: "
                   "progress, notes, errors, logs) for log collectors. stdout is unchanged.")
@click.pass_context
def main(ctx: click.Context, debug: bool, log_format: str) -> None:
    """Turn Salesforce activity into a sales-KPI scorecard website.

    kpis.yaml → sync (Salesforce → local store) → build (compute KPIs → static site).
    """
    if log_format == "json":
        from kpisync.log_format import log_as_json, stop_logging_as_json

        handler = log_as_json()
        ctx.call_on_close(lambda: stop_logging_as_json(handler))


for command in (init, validate, schema, sync, build, run, explain, targets, diff, doctor, demo,
                serve, emulator, plugins):
    main.add_command(command)
