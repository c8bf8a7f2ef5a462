"""``kpisync explain`` output: an Explanation as plain text for people, or as JSON.

Numbers are printed exactly (Decimal, no float), attainment as a percentage with up to two
decimals; nothing here computes a number the Explanation does not already hold.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from kpisync.compute.explain import Explanation, Query, TargetTerm

_PERIOD_NAMES = {"month": "month", "quarter": "quarter", "fiscal_quarter": "fiscal quarter",
                 "year": "fiscal year"}


def render(e: Explanation) -> str:
    """The explanation as the lines ``kpisync explain`` prints."""
    lines = [_heading(e), ""]
    for query in e.queries:
        lines += [*_query_lines(query), ""]
    lines.append(f"Actual: {_actual(e)}")
    lines += _target_lines(e)
    lines.append(f"Attainment: {_attainment(e)}")
    return "\n".join(lines)


def _heading(e: Explanation) -> str:
    who = {"rep": f"rep {e.scope_name} ({e.scope_id}, team {e.team_id})",
           "team": f"team {e.scope_name} ({e.scope_id})",
           "org": f"the org ({e.scope_name})"}[e.scope]
    p = e.period
    return f"{e.kpi.id} ({e.kpi.name}) for {who}, {p.key} ({p.label}: {p.start} to {p.end})"


def _query_lines(q: Query) -> list[str]:
    lines = [f"SQL for {q.kpi_id}:", *(f"  {line}" for line in q.sql.splitlines())]
    if q.params:
        lines.append("Parameters: " + ", ".join(f"${k} = {_literal(v)}"
                                                for k, v in q.params.items()))
    lines += ["", f"Records counted for {q.kpi_id}: {q.record_count} (Id, local day, value, rep)"]
    width = max((len(r.id) for r in q.records), default=0)
    lines += [f"  {r.id:<{width}}  {r.day}  {_literal(r.value)}  {r.rep}" for r in q.records]
    rest = q.record_count - len(q.records)
    if rest:
        lines.append(f"  … and {rest} more (--limit shows more)")
    return lines


#: how each built-in measure turns the listed records into the actual
_FOLDS = {"count": "the number of records", "sum": "the sum of their values",
          "average": "the average of their values", "duration": "the average of their values",
          "distinct_count": "the number of distinct values",
          "median": "the middle one of their values", "min": "the smallest of their values",
          "max": "the largest of their values"}


def _actual(e: Explanation) -> str:
    if e.kpi.measure.kind != "ratio":
        if e.actual is None:
            return "none (no records to measure)"
        fold = _FOLDS.get(e.kpi.measure.kind)
        return f"{_number(e.actual)}, {fold}" if fold else _number(e.actual)
    numerator, denominator = e.queries
    scale = " × 100" if e.kpi.unit == "percent" else ""
    formula = f"{numerator.kpi_id} ÷ {denominator.kpi_id}{scale}"
    if e.actual is None:
        return f"none ({formula}, and {denominator.kpi_id} is {_number(denominator.actual)})"
    return (f"{formula} = {_number(numerator.actual)} ÷ {_number(denominator.actual)}{scale} "
            f"= {_number(e.actual)}")


def _target_lines(e: Explanation) -> list[str]:
    if e.kpi.target is None or (e.kpi.target.per_rep is None and not e.kpi.target.overrides):
        return ["Target: none (the KPI has no target: per_rep in kpis.yaml)"]
    if e.target is None:
        head = "Target: none"
    elif e.target_is_sum:
        head = f"Target: {_number(e.target)}, the sum of the reps' targets"
    elif not e.kpi.measure.additive:
        head = (f"Target: {_number(e.target)} (averages and ratios keep one target at every "
                f"scope and period)")
    else:
        head = f"Target: {_number(e.target)}"
    return [head, *(f"  {_term(t, e.target_period)}" for t in e.target_terms)]


def _term(t: TargetTerm, default_period: str) -> str:
    if t.per_period is None:
        return f"{t.who}: none ({t.source})"
    if t.multiplier == 1 and t.per_period == t.target:
        return f"{t.who}: {_number(t.per_period)} ({t.source})"
    name = _PERIOD_NAMES.get(default_period, default_period)
    plural = "s" if t.multiplier != 1 else ""
    return (f"{t.who}: {_number(t.per_period)} per {name} ({t.source}) × {t.multiplier} "
            f"{name}{plural} = {_number(t.target)}")


def _attainment(e: Explanation) -> str:
    lower = e.kpi.direction == "lower"
    if e.target is None:
        return "none (no target)"
    if e.actual is None:
        return "none (no actual)"
    if e.attainment is None:
        zero = "actual" if lower else "target"
        return f"none (the {zero} is 0)"
    if lower:
        formula = f"target ÷ actual (lower is better) = {_number(e.target)} ÷ {_number(e.actual)}"
    else:
        formula = f"actual ÷ target = {_number(e.actual)} ÷ {_number(e.target)}"
    return f"{formula} = {_percent(e.attainment)}"


def _number(value: Decimal | None) -> str:
    if value is None:
        return "none"
    return f"{value.normalize():f}"


def _percent(share: Decimal) -> str:
    return f"{(share * 100).quantize(Decimal('0.01')).normalize():f}%"


def _literal(value: Any) -> str:
    """A bound value or a record's value as SQL would spell it."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, date):
        return f"'{value.isoformat()}'"
    return str(value)


def as_json(e: Explanation) -> dict[str, Any]:
    """The explanation as JSON-ready data: numbers as exact strings, dates as ISO days."""
    return {
        "kpi": e.kpi.id,
        "period": {"key": e.period.key, "label": e.period.label,
                   "start": e.period.start.isoformat(), "end": e.period.end.isoformat()},
        "scope": e.scope,
        "scope_id": e.scope_id,
        "scope_name": e.scope_name,
        "queries": [_query_json(q) for q in e.queries],
        "actual": _text(e.actual),
        "target": _text(e.target),
        "attainment": _text(e.attainment),
        "target_period": e.target_period,
        "target_is_sum": e.target_is_sum,
        "target_terms": [
            {"who": t.who, "per_period": _text(t.per_period), "source": t.source,
             "multiplier": t.multiplier, "target": _text(t.target)}
            for t in e.target_terms
        ],
    }


def _query_json(q: Query) -> dict[str, Any]:
    return {
        "kpi": q.kpi_id,
        "sql": q.sql,
        "params": {k: _json_value(v) for k, v in q.params.items()},
        "record_count": q.record_count,
        "records": [{"id": r.id, "day": r.day.isoformat(), "value": _json_value(r.value),
                     "rep": r.rep} for r in q.records],
        "actual": _text(q.actual),
    }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else _number(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
