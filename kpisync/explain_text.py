"""``kpisync explain`` output: an Explanation as plain text for people, or as JSON.

Numbers are printed exactly (Decimal, no float), attainment as a percentage with up to two
decimals; nothing here computes a number the Explanation does not already hold.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from kpisync.compute.explain import Explanation, Query
from kpisync.compute.scaling import Part, round_target
from kpisync.compute.targets import Resolved


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
    team = f"team {e.team_id}" if e.team_id else "on no team"
    who = {"rep": f"rep {e.scope_name} ({e.scope_id}, {team})",
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
    if e.kpi.target is None or (e.kpi.target.per_rep is None and not e.kpi.target.overrides
                                and not e.kpi.target.per_period and not e.kpi.target.periods):
        return ["Target: none (the KPI has no target: per_rep in kpis.yaml)"]
    lines = [f"Target: {_resolution(e.derivation)}"]
    if e.derivation.value is not None and not e.kpi.measure.additive:
        lines.append("  (averages and ratios keep one target at every scope and period)")
    return lines + _steps(e.derivation, "  ")


def _resolution(r: Resolved) -> str:
    """A target and where it came from: "30 (default per_rep (kpis.yaml line 12) × 3 months)"."""
    if r.value is None:
        return f"none ({r.missing or 'no target'})"
    return f"{_number(r.value)} ({r.source})" if r.source else _number(r.value)


def _steps(r: Resolved, indent: str) -> list[str]:
    """The addends of a sum (each with its own steps), or the terms of a scaled target."""
    lines = []
    for name, addend in r.addends:
        lines += [f"{indent}{name}: {_resolution(addend)}", *_steps(addend, indent + "  ")]
    if len(r.parts) == 1 and not _factor(r.parts[0]):
        return lines  # the whole of one period's target: the source says it all
    return lines + [f"{indent}{_part(p)}" for p in r.parts]


def _part(p: Part) -> str:
    """"2026-06: 300 (per_rep) × 2/22 business days = 27.2727": a term, to 4 places (the
    target is their exact sum, rounded once)."""
    factor = _factor(p)
    text = f"{p.key}: {_number(p.amount)} ({p.written_as}){factor}"
    return f"{text} = {_number(round_target(p.value))}" if factor else text


def _factor(p: Part) -> str:
    unit = "calendar days" if p.calendar else "business days"
    if not p.days:
        return f" × 0/{p.of_days} {unit}"
    if len(p.days) == 1:
        days, share = p.days[0]
        ramp = f" × {_share_percent(share)}" if share != 1 else ""
        whole = "" if days == p.of_days else f" × {days}/{p.of_days} {unit}"
        if ramp and not whole:
            whole = f" of {days} {unit}"
        return ramp + whole
    terms = " + ".join(f"{days} × {_share_percent(share)}" for days, share in p.days)
    return f" × ({terms})/{p.of_days} {unit}"


def _share_percent(share: Fraction) -> str:
    percent = Decimal(share.numerator * 100) / Decimal(share.denominator)
    return f"{_number(percent.quantize(Decimal('0.01')))}%"


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
        "derivation": _resolved_json(e.derivation),
    }


def _resolved_json(r: Resolved) -> dict[str, Any]:
    return {
        "value": _text(r.value),
        "source": r.source,
        "missing": r.missing,
        "parts": [
            {"key": p.key, "start": p.start.isoformat(), "end": p.end.isoformat(),
             "amount": _number(p.amount), "written_as": p.written_as,
             "days": [[days, _number(Decimal(s.numerator) / Decimal(s.denominator))]
                      for days, s in p.days],
             "of_days": p.of_days, "calendar": p.calendar,
             "value": _number(round_target(p.value))}
            for p in r.parts
        ],
        "addends": [{"name": name, **_resolved_json(a)} for name, a in r.addends],
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
