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
from kpisync.cli.init import init
from kpisync.cli.schema import schema
from kpisync.cli.sync import run, sync
from kpisync.cli.validate import validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kpisync")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def main(debug: bool) -> None:
    """Turn Salesforce activity into a sales-KPI scorecard website.

    kpis.yaml → sync (Salesforce → local store) → build (compute KPIs → static site).
    """


for command in (validate, sync, build, run, explain, targets, demo, serve, emulator, plugins):
    main.add_command(command)
for command in (init, schema):  # issue 12's config tooling
    main.add_command(command)
