"""``kpisync targets suggest`` output: the suggestions as a kpis.yaml snippet to review and paste.

Each KPI gets the ``target:`` block kpis.yaml takes (``per_rep``, ``overrides`` by team), and
every number carries a comment saying how it was derived, so the reviewer can check it.
"""

from __future__ import annotations

from decimal import Decimal

from kpisync.compute.suggest import WEEKS_PER_PERIOD, KpiSuggestion, Suggestions, TeamSuggestion

_PER = {"month": "a month", "quarter": "a quarter", "fiscal_quarter": "a fiscal quarter",
        "year": "a fiscal year"}


def render(s: Suggestions) -> str:
    lines = _header(s)
    if s.kpis:
        lines.append("kpis:")
    for kpi in s.kpis:
        lines += _kpi_lines(kpi, s)
    return "\n".join(lines)


def _header(s: Suggestions) -> list[str]:
    first, last = s.weeks[0].start, s.weeks[-1].end
    lines = [
        f"# Suggested targets (kpisync targets suggest): per team, the {_nth(s.percentile)} "
        f"percentile of each",
        f"# active rep's weekly actuals over the {len(s.weeks)} complete weeks {first} to "
        f"{last}, x {_factor(s.period)}",
        f"# weeks {_PER.get(s.period, s.period)}, rounded to a whole number (at most 3 "
        f"significant digits).",
        "# Review them, then paste each target: block over that KPI's target in kpis.yaml.",
        "# Overrides by segment, region or rep are not carried over: add back those you keep.",
    ]
    if any(k.direction == "lower" for k in s.kpis):
        lines.append(f"# Where lower is better, the {_nth(100 - s.percentile)} percentile is "
                     f"taken instead.")
    if s.skipped:
        lines.append(f"# Not suggested (averages and ratios): {', '.join(s.skipped)}.")
    if not s.kpis:
        lines.append("# No count or sum KPI has a team with active reps: nothing to suggest.")
    return lines


def _kpi_lines(kpi: KpiSuggestion, s: Suggestions) -> list[str]:
    covered = [t for t in kpi.teams if t.target == kpi.per_rep]
    lines = [f"  - id: {kpi.kpi_id}", "    target:",
             f"      per_rep: {_number(kpi.per_rep)}   # "
             + "; ".join(_derivation(t, kpi, s) for t in covered)]
    if kpi.direction == "lower":
        lines.append("      direction: lower")
    if kpi.overrides:
        lines.append("      overrides:")
    for team in kpi.overrides:
        lines += [f"        - team: {team.team_id}",
                  f"          per_rep: {_number(team.target)}   # {_derivation(team, kpi, s)}"]
    return lines


def _derivation(t: TeamSuggestion, kpi: KpiSuggestion, s: Suggestions) -> str:
    reps = f"{t.reps} rep{'s' if t.reps != 1 else ''}"
    per_period = _number(t.per_period.quantize(Decimal("0.01")))
    return (f"{t.team_id}: {reps} x {len(s.weeks)} weeks, p{kpi.percentile} "
            f"{_number(t.weekly)} a week x {_factor(s.period)} = {per_period}")


def _factor(period: str) -> str:
    weeks, per = WEEKS_PER_PERIOD[period]
    return f"{weeks}/{per}" if per != 1 else str(weeks)


def _nth(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"
