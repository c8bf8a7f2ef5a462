"""The cascade as a funnel chart: one horizontal bar per KPI of the cascade, the conversion
rate written between each bar and the next, and the weakest step named in words and hatched,
so it stands out without colour (and in print).

Input mirrors the engine's cascade steps (``kpisync.compute.model.CascadeStep``): a scope may
track only some steps, so consecutive steps that share a KPI share a bar and a step that does
not continue the one before starts a new bar after an ellipsis, rather than inventing a rate
between two KPIs the cascade does not link. Geometry and ids as in ``kpisync.site.charts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from kpisync.site import formatting as fmt
from kpisync.site.charts import Bar, Label, chart_id, coord

FUNNEL_WIDTH, FUNNEL_FONT = 400, 10
#: a stage's block: its label line, then its bar; then the gap holding the conversion text
_LABEL_BASE, _BAR_TOP, _BAR_HEIGHT, _BLOCK, _GAP, _PAD = 10, 14, 14, 30, 18, 4


@dataclass(frozen=True)
class FunnelStage:
    """One KPI of the cascade: name, actual (None when unknown) and unit."""

    name: str
    value: Decimal | None
    unit: str = "count"


@dataclass(frozen=True)
class FunnelStep:
    """One conversion, as the engine computed it (rate None when the source is 0 or unknown)."""

    source: FunnelStage
    target: FunnelStage
    rate: Decimal | None


@dataclass(frozen=True)
class FunnelRow:
    name: Label
    count: Label
    #: None when the value is unknown or zero: nothing to draw
    bar: Bar | None
    #: the stage the weakest step converts into: its bar is hatched
    weak: bool


@dataclass(frozen=True)
class FunnelLink:
    """The text between two bars: a conversion ("↓ 25.0% to Meetings") or, between two steps
    that do not chain, an ellipsis (``gap``)."""

    label: Label
    weak: bool
    gap: bool


@dataclass(frozen=True)
class Funnel:
    id: str
    title_id: str
    desc_id: str
    pattern_id: str
    #: ``url(#…)`` of the hatch pattern, ready for a fill attribute
    pattern_url: str
    view_box: str
    font_size: str
    title: str
    desc: str
    rows: tuple[FunnelRow, ...]
    links: tuple[FunnelLink, ...]


def funnel(
    steps: Sequence[FunnelStep],
    *,
    weakest: int | None,
    title: str,
    name: str,
    currency: str = "USD",
) -> Funnel:
    """Bars for the stages of ``steps`` (in cascade order), each as wide as its value against
    the largest value of the same unit. ``weakest`` is the index in ``steps`` of the step to
    call out (the caller's rule, e.g. the lowest rate), or None."""
    if weakest is not None and not 0 <= weakest < len(steps):
        raise ValueError(f"weakest step {weakest} is not one of the {len(steps)} steps")
    stages: list[FunnelStage] = []
    links: list[tuple[str, bool, bool]] = []  # text, weak, gap: the link above stages[i + 1]
    for index, step in enumerate(steps):
        if stages and stages[-1] != step.source:
            links.append(("…", False, True))
        if not stages or stages[-1] != step.source:
            stages.append(step.source)
        text = f"↓ {fmt.display_rate(step.rate)} to {step.target.name}"
        weak = index == weakest
        links.append((text + " · weakest step" if weak else text, weak, False))
        stages.append(step.target)
    widest: dict[str, Decimal] = {}
    for stage in stages:
        if stage.value is not None and stage.value > 0:
            widest[stage.unit] = max(widest.get(stage.unit, stage.value), stage.value)
    weak_stage = _weak_stage_index(weakest, links)
    rows = tuple(
        _row(i, stage, widest.get(stage.unit), i == weak_stage, currency)
        for i, stage in enumerate(stages)
    )
    link_views = tuple(
        FunnelLink(Label("2", coord(_top(i) + _BLOCK + 13), text), weak, gap)
        for i, (text, weak, gap) in enumerate(links)
    )
    ident = chart_id(name)
    height = _top(len(stages)) - _GAP + _PAD if stages else 2 * _PAD
    return Funnel(
        id=ident,
        title_id=f"{ident}-title",
        desc_id=f"{ident}-desc",
        pattern_id=f"{ident}-hatch",
        pattern_url=f"url(#{ident}-hatch)",
        view_box=f"0 0 {FUNNEL_WIDTH} {height}",
        font_size=str(FUNNEL_FONT),
        title=title,
        desc=_describe(steps, weakest, currency),
        rows=rows,
        links=link_views,
    )


def _top(index: int) -> int:
    return _PAD + index * (_BLOCK + _GAP)


def _weak_stage_index(weakest: int | None, links) -> int | None:
    """The row a weakest step converts into: one row per non-gap link, plus the first row."""
    if weakest is None:
        return None
    conversions = [i for i, (_, _, gap) in enumerate(links) if not gap]
    return conversions[weakest] + 1


def _row(index: int, stage: FunnelStage, widest: Decimal | None, weak: bool, currency: str):
    top = _top(index)
    count = "no data" if stage.value is None else fmt.display_value(stage.value, stage.unit,
                                                                    currency)
    bar = None
    if widest is not None and stage.value is not None and stage.value > 0:
        width = max(Decimal(FUNNEL_WIDTH - 4) * stage.value / widest, Decimal(2))
        bar = Bar("2", str(top + _BAR_TOP), coord(width), str(_BAR_HEIGHT),
                  f"{stage.name}: {count}")
    return FunnelRow(
        name=Label("2", str(top + _LABEL_BASE), stage.name),
        count=Label(str(FUNNEL_WIDTH - 2), str(top + _LABEL_BASE), count),
        bar=bar,
        weak=weak,
    )


def _describe(steps: Sequence[FunnelStep], weakest: int | None, currency: str) -> str:
    """Every step in words, then the weakest: the funnel's text alternative."""
    if not steps:
        return "No cascade steps to show."

    def figure(stage: FunnelStage) -> str:
        if stage.value is None:
            return f"{stage.name} (no data)"
        return f"{stage.name} {fmt.display_value(stage.value, stage.unit, currency)}"

    sentences = [
        f"{figure(s.source)} to {figure(s.target)}: {fmt.display_rate(s.rate)}." for s in steps
    ]
    if weakest is not None:
        step = steps[weakest]
        sentences.append(f"Weakest step: {step.source.name} to {step.target.name}, "
                         f"at {fmt.display_rate(step.rate)}.")
    return " ".join(sentences)
