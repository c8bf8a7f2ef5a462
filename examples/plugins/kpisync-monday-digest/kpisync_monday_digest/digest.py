"""The digest message: the org's KPIs in the running period, then the best-scored reps."""

from __future__ import annotations

from kpisync.registry import OutputRun
from kpisync.site.formatting import display_attainment, display_value

SUFFIX = {"markdown": ".md", "slack": ".txt"}


def write_digest(run: OutputRun) -> None:
    """Write ``digest/monday.md`` (or ``.txt``) into the site being built."""
    fmt = run.options["format"]
    path = run.root / "digest" / f"monday{SUFFIX[fmt]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(digest_text(run.scorecard, fmt, run.options["top"], run.options["title"]),
                    encoding="utf-8")


def digest_text(scorecard, fmt: str, top: int, title: str) -> str:
    config = scorecard.config
    period = next((p for p in scorecard.shown_periods
                   if p.is_current and p.kind == config.org.default_period),
                  scorecard.shown_periods[0])
    bold = "*" if fmt == "slack" else "**"
    lines = [f"{bold}{title}: {config.org.name}, {period.label}{bold}", ""]
    for kpi in config.kpis:
        result = next((r for r in scorecard.results if r.kpi_id == kpi.id
                       and r.period_key == period.key and r.scope == "org"), None)
        if result is None:
            continue
        value = display_value(result.actual, kpi.unit, config.org.currency)
        against = "" if result.target is None else \
            f" of {display_value(result.target, kpi.unit, config.org.currency)}" \
            f" ({display_attainment(result.attainment)})"
        lines.append(f"• {kpi.name}: {value}{against}" if fmt == "slack"
                     else f"- {kpi.name}: {value}{against}")
    names = {r.id: r.name for r in scorecard.reps}
    ranked = sorted((s for s in scorecard.scores if s.period_key == period.key
                     and s.scope == "rep" and s.value is not None),
                    key=lambda s: (-s.value, names.get(s.scope_id, "")))[:top]
    if ranked:
        lines += ["", f"{bold}Top {len(ranked)}{bold}"]
        lines += [f"{index}. {names.get(s.scope_id, s.scope_id)}: {display_attainment(s.value)}"
                  for index, s in enumerate(ranked, start=1)]
    return "\n".join(lines) + "\n"
