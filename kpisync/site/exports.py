"""scores.csv and scores.json: every KPI x period x scope, exact, for spreadsheets and scripts.

Values are written as exact decimal text at a fixed number of places per unit (counts whole,
money to the cent, percentages, durations, attainment and rates to 4 places), never through a
float, so a column sums to the cent in a spreadsheet. JSON carries the same text as JSON numbers.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from kpisync.compute.model import KpiResult, Scorecard
from kpisync.site import formatting as fmt

#: the required columns first, in this order; the extra ones follow
COLUMNS = (
    "kpi",
    "period_start",
    "period_end",
    "scope",
    "scope_id",
    "scope_name",
    "actual",
    "target",
    "attainment",
    "period_key",
    "unit",
    "on_pace",
)
#: columns whose text is a number (JSON numbers, not strings)
NUMERIC = frozenset({"actual", "target", "attainment"})
_SCOPE_ORDER = {"org": 0, "team": 1, "rep": 2}


def score_rows(scorecard: Scorecard) -> Iterator[dict[str, str | bool | None]]:
    """One row per result, ordered by KPI (as in kpis.yaml), period, then org, teams, reps."""
    config = scorecard.config
    kpis = {k.id: k for k in config.kpis}
    kpi_order = {k.id: i for i, k in enumerate(config.kpis)}
    # Comparison-only periods (shown=False) are not listed, so their results are not exported.
    periods = {p.key: p for p in scorecard.shown_periods}
    period_order = {p.key: i for i, p in enumerate(scorecard.shown_periods)}
    scope_order = {("team", t.id): i for i, t in enumerate(scorecard.teams)}
    scope_order.update({("rep", r.id): i for i, r in enumerate(scorecard.reps)})

    def order(result: KpiResult):
        return (
            kpi_order.get(result.kpi_id, len(kpi_order)),
            period_order.get(result.period_key, len(period_order)),
            _SCOPE_ORDER[result.scope],
            scope_order.get((result.scope, result.scope_id), 0),
            result.scope_id,
        )

    shown = [r for r in scorecard.results if r.period_key in periods]
    if not config.site.rep_pages:  # team-level publishing names no rep, here neither
        shown = [r for r in shown if r.scope != "rep"]
    days = {key: (p.start.isoformat(), p.end.isoformat()) for key, p in periods.items()}
    initials = config.site.rep_names == "initials"
    # A scorecard repeats its values (counts, targets) across thousands of rows: each
    # (value, unit) is written once; equal Decimals are written alike, so this changes nothing.
    texts: dict[tuple[Decimal, str], str | None] = {}

    def exact(value: Decimal | None, unit: str) -> str | None:
        if value is None:
            return None
        text = texts.get((value, unit))
        if text is None:
            text = texts[(value, unit)] = fmt.export_value(value, unit) if unit else \
                fmt.export_ratio(value)
        return text

    for result in sorted(shown, key=order):
        start, end = days[result.period_key]
        unit = kpis[result.kpi_id].unit if result.kpi_id in kpis else "count"
        yield {
            "kpi": result.kpi_id,
            "period_start": start,
            "period_end": end,
            "scope": result.scope,
            "scope_id": result.scope_id,
            "scope_name": fmt.initials(result.scope_name)
            if initials and result.scope == "rep" else result.scope_name,
            "actual": exact(result.actual, unit),
            "target": exact(result.target, unit),
            "attainment": exact(result.attainment, ""),
            "period_key": result.period_key,
            "unit": unit,
            "on_pace": result.on_pace,
        }


def write_scores_csv(scorecard: Scorecard, path: Path) -> None:
    """UTF-8 CSV with a header row; empty cells for unknown values, on_pace as true/false."""
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in score_rows(scorecard):
            writer.writerow([value if isinstance(value, str) else _CSV_CELLS[value]
                             for value in map(row.__getitem__, COLUMNS)])


#: the cells that are not text already: unknown values empty, on_pace as true/false
_CSV_CELLS = {None: "", True: "true", False: "false"}


def write_scores_json(
    scorecard: Scorecard, path: Path, *, generated_at: datetime | None = None
) -> None:
    """{"generated_at", "as_of", "org", "periods", "scores"}; numbers exact, None as null."""
    config = scorecard.config
    header = {
        "generated_at": generated_at.isoformat() if generated_at else None,
        "as_of": scorecard.as_of.isoformat(),
        "org": {
            "name": config.org.name,
            "currency": config.org.currency,
            "timezone": config.org.timezone,
        },
        "periods": [
            {
                "key": p.key,
                "label": p.label,
                "kind": p.kind,
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "is_current": p.is_current,
                "elapsed": Decimal(fmt.export_ratio(p.elapsed)),
            }
            for p in scorecard.shown_periods
        ],
    }
    lines = ["{"]
    for key, value in header.items():
        lines.append(f"  {json.dumps(key)}: {_json(value)},")
    lines.append('  "scores": [')
    lines.append(",\n".join(_json_rows(score_rows(scorecard))))
    lines.append("  ]")
    lines.append("}")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _json_rows(rows: Iterator[dict[str, str | bool | None]]) -> Iterator[str]:
    """Each row as one indented JSON object. A scorecard repeats a few thousand distinct
    strings (KPI ids, days, names) across its rows, so each is encoded once."""
    heads = [(column, f"{json.dumps(column)}: ", column in NUMERIC) for column in COLUMNS]
    literals: dict[object, str] = {None: "null", True: "true", False: "false"}
    strings: dict[str, str] = {}
    for row in rows:
        fields = []
        for column, head, numeric in heads:
            value = row[column]
            if isinstance(value, str):
                text = value if numeric else strings.get(value)
                if text is None:
                    text = strings[value] = json.dumps(value, ensure_ascii=False)
            elif value is None or isinstance(value, bool):
                text = literals[value]
            else:
                text = _json(value)
            fields.append(head + text)
        yield "    {" + ", ".join(fields) + "}"


def _json(value) -> str:
    """JSON text for plain values, with Decimals written exactly (json would need a float)."""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
