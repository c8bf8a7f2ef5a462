"""A ``ConfigDiff`` as Markdown for a pull-request comment (GitHub, GitLab).

One line per fact, in the order a reviewer asks: which KPIs and targets change, then what that
does to the teams and to the reps it moves most ("AE SMB · calls: attainment 82% → 103%").
Names from Salesforce are escaped, so a rep called ``<Sam> *Lee*`` prints as written.
"""

from __future__ import annotations

import re
from decimal import Decimal

from kpisync.diff import Cell, ConfigDiff, KpiChange, Movement
from kpisync.site.formatting import display_attainment, display_value

_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")


def render(d: ConfigDiff) -> str:
    lines = [f"## kpisync diff: `{d.base}` → `{d.head}`", ""]
    if not d.valid:
        return "\n".join([*lines, *_invalid(d)]) + "\n"
    assert d.period is not None and d.as_of is not None
    key, label = d.period
    lines += [f"Scorecard of {_md(label)} (`{key}`) as of {d.as_of.isoformat()}, both configs "
              "computed on the same store.", ""]
    if not (d.added or d.removed or d.changed or d.targets or d.org or d.teams or d.reps):
        lines.append("No change to the KPIs, their targets or any attainment.")
        return "\n".join(lines) + "\n"
    lines += _section("KPIs", [
        *(f"- Added: `{kpi}`" for kpi in d.added),
        *(f"- Removed: `{kpi}`" for kpi in d.removed),
        *(f"- Changed: {_kpi_change(c)}" for c in d.changed),
    ])
    lines += _section("Targets", [f"- {_kpi_change(c)}" for c in d.targets])
    lines += _section("Attainment: org and teams",
                      [f"- {_movement(m, d.currency)}" for m in (*d.org, *d.teams)])
    heading = "Reps most affected"
    if d.reps_moved > len(d.reps):
        heading += f" ({len(d.reps)} of {d.reps_moved})"
    lines += _section(heading, [f"- {_movement(m, d.currency)}" for m in d.reps])
    return "\n".join(lines).rstrip("\n") + "\n"


def _invalid(d: ConfigDiff) -> list[str]:
    lines = []
    for side in d.invalid:
        count = len(side.problems)
        lines += [f"**`{side.label}` does not validate** ({count} problem"
                  f"{'s' if count != 1 else ''}), so the scorecards were not compared:", "",
                  "```text", *side.problems, "```", ""]
    return lines


def _section(title: str, items: list[str]) -> list[str]:
    return [f"### {title}", "", *items, ""] if items else []


def _kpi_change(c: KpiChange) -> str:
    parts = "; ".join(f"{x.name} {_md(x.before)} → {_md(x.after)}" for x in c.changes)
    return f"`{c.kpi_id}` ({_md(c.name)}): {parts}"


def _movement(m: Movement, currency: str) -> str:
    who = _md(m.name) if m.team is None else f"{_md(m.name)} ({_md(m.team)})"
    head = f"{who} · {m.kpi_id}: "

    def value(number: Decimal | None) -> str:
        return display_value(number, m.unit, currency)

    def figures(cell: Cell) -> str:
        return (f"attainment {display_attainment(cell.attainment)} (actual "
                f"{value(cell.actual)}; target {value(cell.target)})")

    def pair(name: str, before: Decimal | None, after: Decimal | None) -> str:
        if before == after:
            return f"{name} {value(after)}"
        return f"{name} {value(before)} → {value(after)}"

    if m.before is None or m.after is None:
        return head + (f"added: {figures(m.after)}" if m.after is not None
                       else f"removed (was {figures(m.before)})" if m.before is not None else "")
    text = (f"attainment {display_attainment(m.before.attainment)} → "
            f"{display_attainment(m.after.attainment)}")
    details = [pair("actual", m.before.actual, m.after.actual),
               pair("target", m.before.target, m.after.target)]
    return f"{head}{text} ({'; '.join(details)})"


def _md(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text)
