"""What this plugin gives kpisync: the ``monday_digest`` output and the ``capped_sum`` measure.

kpisync imports this module through the ``kpisync.plugins`` entry point of pyproject.toml and
calls ``register`` once, with the same registry its own pieces go through.
"""

from __future__ import annotations

from sqlglot import exp

from kpisync.registry import Option, Output, Registry, SqlMeasure
from kpisync_monday_digest.digest import write_digest


def register(registry: Registry) -> None:
    registry.add_output(Output(
        name="monday_digest",
        description="digest/monday.md (or .txt for Slack): the week's headline KPIs",
        write=write_digest,
        options=(
            Option("format", choices=("markdown", "slack"), default="markdown",
                   help="Markdown for email or a wiki, Slack mrkdwn for a channel post"),
            Option("top", "integer", default=3, help="how many reps to name, best score first"),
            Option("title", default="Monday digest", help="the first line of the message"),
        ),
    ))
    registry.add_measure(SqlMeasure(
        name="capped_sum",
        description="the sum of a number field, each record counting at most `cap`",
        value=_capped,
        aggregate=lambda v: exp.cast(
            exp.Coalesce(this=exp.Sum(this=v), expressions=[exp.Literal.number(0)]),
            exp.DataType.build("DECIMAL(38, 4)")),
        additive=True,
        takes_field=True,
        field_types=("int", "double", "currency", "percent"),
        options=(Option("cap", "number", required=True,
                        help="the most one record adds, such as 50000"),),
    ))


def _capped(kpi, field, local_date) -> exp.Expression:
    """LEAST(field, cap): one whale deal cannot carry a rep's quarter."""
    cap = exp.Literal.number(str(kpi.measure.option("cap")))
    return exp.Least(this=field(kpi.measure.field).column, expressions=[cap])
