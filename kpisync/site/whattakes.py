"""What a rep (or team) should do next, in words: the reverse funnel ("to reach $200,000 of
Revenue at your rates: 41 Deals won, 96 Opportunities created, ...") and the weakest link of
their cascade against their team's (or the org's) rates.

The figures are the engine's (``ReverseFunnel``, ``WeakestLink``); this module only writes
them as sentences, so a rep reads what to do rather than a table to interpret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpisync.compute.model import ReverseFunnel, Scope, WeakestLink
from kpisync.site import formatting as fmt
from kpisync.site.viewdata import CascadeStepView, FunnelLine, ReverseFunnelView

if TYPE_CHECKING:
    from kpisync.site.views import Site

_WHOSE = {"rep": "your", "team": "the team's", "org": "the org's"}
_REFERENCE = {"rep": "the team's", "team": "the org's"}


def weakest_link_note(link: WeakestLink, step: CascadeStepView, scope: Scope) -> str:
    """"Weakest link: Conversations → Meetings held converts at 18.0% against the team's
    25.0%, 72% of their rate." """
    return (f"Weakest link: {step.from_name} → {step.to_name} converts at "
            f"{fmt.display_rate(link.rate)} against {_REFERENCE.get(scope, 'the')} "
            f"{fmt.display_rate(link.reference_rate)}, {fmt.display_attainment(link.ratio)} "
            "of their rate. Improving this step moves everything after it.")


def reverse_funnel_view(site: Site, funnel: ReverseFunnel) -> ReverseFunnelView:
    """The funnel from the goal back to the first step, as the rep would say it."""
    own = funnel.scope
    goal = _kpi(site, funnel.goal_kpi)
    goal_text = fmt.display_value(funnel.goal_value, goal.unit if goal else "count",
                                  site.currency)
    lines = []
    for step in reversed(funnel.steps):
        name = site.kpi_name(step.kpi_id)
        needed = fmt.MISSING if step.needed is None else f"{step.needed:,}"
        rate = ""
        if step.rate_used is not None and step.rate_source is not None:
            whose = "your rate" if step.rate_source == own else \
                f"{_WHOSE[step.rate_source]} rate"
            nxt = site.kpi_name(_next_step(funnel, step.kpi_id))
            rate = f"converting to {nxt} at {fmt.display_rate(step.rate_used)} ({whose})"
        lines.append(FunnelLine(kpi_name=name, needed=needed, rate=rate))
    known = [f"{line.needed} {line.kpi_name}" for line in lines if line.needed != fmt.MISSING]
    whose_rates = "your rates" if own == "rep" else f"{_WHOSE[own]} rates"
    sentence = f"To reach {goal_text} of {goal.name if goal else funnel.goal_kpi} at " \
               f"{whose_rates}: {', '.join(known)}." if known else ""
    note = ""
    if funnel.per_deal is not None:
        deal = fmt.display_money(funnel.per_deal, site.currency)
        source = "your" if funnel.per_deal_source == own else _WHOSE.get(
            funnel.per_deal_source or "org", "the org's")
        note = f"One deal is worth {deal} ({source} average deal size)."
    if any(line.needed == fmt.MISSING for line in lines):
        note = (note + " " if note else "") + \
            "Steps shown as — have no conversion rate to work back through yet."
    return ReverseFunnelView(sentence=sentence, lines=tuple(lines), note=note)


def _next_step(funnel: ReverseFunnel, kpi_id: str) -> str:
    ids = [s.kpi_id for s in funnel.steps]
    index = ids.index(kpi_id)
    return ids[index + 1] if index + 1 < len(ids) else kpi_id


def _kpi(site: Site, kpi_id: str):
    try:
        return site.config.kpi(kpi_id)
    except KeyError:
        return None
