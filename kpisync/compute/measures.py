"""Measures: how a KPI turns the records that pass its filters into one number per scope.

Each measure is two small sqlglot builders, a per-record value and its aggregate, so the same
definition compiles for DuckDB today and PostgreSQL or Spark later. kpisync's own measures are
registered from here exactly as a plugin's would be (see ``kpisync.registry``). Ratio and
formula KPIs are not SQL measures: they combine other KPIs' results (see
``kpisync.compute.engine`` and ``kpisync.compute.formulas``).

Only counts and sums add up across reps. Median, min and max are order statistics: a team's
median is the median of all its reps' records, which no combination of the reps' medians gives,
so every scope is aggregated from its own records (GROUPING SETS does exactly that).
"""

from __future__ import annotations

from sqlglot import exp

# The measure types live in kpisync.registry, below every stage that reads them.
from kpisync.registry import FieldRef, FieldResolver, LocalDate, SqlMeasure

__all__ = ["BUILTIN_MEASURES", "RESULT_TYPE", "FieldRef", "FieldResolver", "LocalDate",
           "SqlMeasure"]

#: the DECIMAL type aggregates are cast to, so averages come back exact enough for money
RESULT_TYPE = exp.DataType.build("DECIMAL(38, 4)")


def _count_value(kpi, field, local_date) -> exp.Expression:
    return exp.Literal.number(1)


def _field_value(kpi, field, local_date) -> exp.Expression:
    return field(kpi.measure.field).column


def _duration_value(kpi, field, local_date) -> exp.Expression:
    start = field(kpi.measure.start_field)
    end = field(kpi.measure.end_field)
    if kpi.unit == "minutes":
        # Minutes need both ends as instants; a date-only field counts from its local midnight.
        # Both ends truncated to the minute: the minute marks crossed, as DuckDB's date_diff
        # counts them, on every engine (PostgreSQL's transpiled form divides elapsed seconds).
        return exp.DateDiff(this=_minute(end), expression=_minute(start), unit=exp.var("MINUTE"))
    return exp.DateDiff(this=local_date(end), expression=local_date(start), unit=exp.var("DAY"))


def _minute(ref: FieldRef) -> exp.Expression:
    return exp.TimestampTrunc(this=_as_timestamp(ref), unit=exp.var("MINUTE"))


def _as_timestamp(ref: FieldRef) -> exp.Expression:
    if ref.sf_type == "datetime":
        return ref.column
    return exp.cast(ref.column, "TIMESTAMP")


def _decimal(agg: exp.Expression) -> exp.Expression:
    return exp.cast(agg, RESULT_TYPE)


def _over_field(name: str, function: type[exp.Func]) -> SqlMeasure:
    """A non-additive measure folding one field with one SQL aggregate (AVG, MEDIAN, ...):
    each scope's value comes from its own records, never from its reps' values."""
    return SqlMeasure(
        name=name,
        value=_field_value,
        aggregate=lambda v: _decimal(function(this=v)),
        additive=False,
    )


BUILTIN_MEASURES: tuple[SqlMeasure, ...] = (
    SqlMeasure(
        name="count",
        value=_count_value,
        aggregate=lambda v: _decimal(exp.Count(this=v)),
        additive=True,
    ),
    SqlMeasure(
        name="sum",
        value=_field_value,
        # A rep whose records all lack an Amount has created no pipeline value: 0, not unknown.
        aggregate=lambda v: _decimal(
            exp.Coalesce(this=exp.Sum(this=v), expressions=[exp.Literal.number(0)])
        ),
        additive=True,
    ),
    _over_field("average", exp.Avg),
    # The middle value, halfway between the two middle ones for an even number of records
    # (MEDIAN in DuckDB, PERCENTILE_CONT(0.5) in PostgreSQL); records without a value are
    # left out, and a scope with none has no median (None), not 0.
    _over_field("median", exp.Median),
    _over_field("min", exp.Min),
    _over_field("max", exp.Max),
    SqlMeasure(
        name="distinct_count",
        value=_field_value,
        aggregate=lambda v: _decimal(exp.Count(this=exp.Distinct(expressions=[v]))),
        additive=False,
    ),
    SqlMeasure(
        name="duration",
        value=_duration_value,
        aggregate=lambda v: _decimal(exp.Avg(this=v)),
        additive=False,
    ),
)
