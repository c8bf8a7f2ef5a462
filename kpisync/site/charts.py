"""Charts as inline SVG, laid out at build time: a KPI's sparkline, a rep's 12-period trend and
the cascade's funnel.

The site must work offline and without JavaScript, so every coordinate is computed here and
``site_templates/_charts.html`` only prints the strings it is given (no arithmetic in Jinja).
Coordinates are Decimal, rounded half-up to one decimal and written without a trailing ".0", so
the same figures give the same bytes on every machine. Every chart carries a text alternative
written with the site's own number formatting, because a chart is an image to a screen reader.
Colours are never set here: elements carry ``chart-*`` classes (and ``currentColor`` defaults)
that the stylesheet styles, so dark mode and print restyle charts like the rest of the page.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from kpisync.site import formatting as fmt

_TENTH = Decimal("0.1")
_SAFE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
#: average advance of a digit or letter at font-size 1 (system sans-serif), to size margins
_CHAR_WIDTH = Decimal("0.56")
#: units whose axis ticks stay whole (half a call or half a dollar is not a gridline)
_WHOLE_UNITS = frozenset({"count", "currency", "minutes"})


@functools.lru_cache(maxsize=65536)  # charts share their axes: most coordinates repeat
def coord(value: Decimal | int) -> str:
    """A coordinate as SVG text: one decimal, half-up, "12" rather than "12.0", never "-0"."""
    rounded = Decimal(value).quantize(_TENTH, rounding=ROUND_HALF_UP)
    if rounded == rounded.to_integral_value():
        rounded = rounded.quantize(Decimal(1))
    return f"{abs(rounded) if rounded == 0 else rounded:f}"


def chart_id(name: str) -> str:
    """An id safe in HTML and in ``url(#…)``: "chart-" and the name, or a short digest of a name
    that has spaces, quotes or other characters an id cannot hold."""
    if _SAFE_ID.fullmatch(name):
        return f"chart-{name}"
    return "chart-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]


def nice_ticks(low: Decimal, high: Decimal, *, whole: bool = False, intervals: int = 4):
    """Gridline values from a range that includes 0: steps of 1, 2 or 5 × 10ⁿ, about
    ``intervals`` of them, the first at or below ``low`` and the last at or above ``high``.
    ``whole`` keeps the step at least 1. An empty range (all zero) gets the ticks 0 and 1."""
    low, high = min(Decimal(low), Decimal(0)), max(Decimal(high), Decimal(0))
    if low == high:
        high = Decimal(1)
    raw = (high - low) / intervals
    power = Decimal(10) ** raw.adjusted()  # written plainly: 50, not 5E+1
    step = next(m * power for m in (1, 2, 5, 10) if raw <= m * power)
    if whole:
        step = max(step, Decimal(1))
    first = (low / step).to_integral_value(rounding=ROUND_FLOOR)
    last = (high / step).to_integral_value(rounding=ROUND_CEILING)
    return tuple((first + k) * step for k in range(int(last - first) + 1))


def _text_width(text: str, font_size: int) -> Decimal:
    return len(text) * _CHAR_WIDTH * font_size


@dataclass(frozen=True)
class Point:
    """A place in a chart, as SVG text."""

    x: str
    y: str


# --- sparkline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartPoint:
    """One period of a series: its label ("Jun 2026") and value, None when nothing is known."""

    label: str
    value: Decimal | None


@dataclass(frozen=True)
class Sparkline:
    id: str
    title_id: str
    width: str
    height: str
    view_box: str
    #: the line's path, one subpath per run of known values ("" when fewer than two touch)
    path: str
    #: the segment into a period still running, drawn dashed: its value is only to date
    running_path: str
    #: known values with no known neighbour: drawn as dots, a line needs two ends
    dots: tuple[Point, ...]
    #: the latest known value, marked
    last: Point | None
    #: the whole series in words, the chart's text alternative
    text: str


SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120, 32, 3


def sparkline(
    points: Sequence[ChartPoint],
    *,
    title: str,
    unit: str,
    name: str,
    currency: str = "USD",
    noun: str = "month",
    running: bool = False,
) -> Sparkline:
    """A small line of ``points`` (oldest first) scaled to its own range. A None value breaks
    the line (no data is not zero); equal values draw a level line across the middle.
    ``running`` says the last period is not over: the segment into it is dashed and the text
    does not compare a part of a period with a whole one."""
    known = [p.value for p in points if p.value is not None]
    low, high = (min(known), max(known)) if known else (Decimal(0), Decimal(0))
    span_x = Decimal(SPARK_WIDTH - 2 * SPARK_PAD)
    span_y = Decimal(SPARK_HEIGHT - 2 * SPARK_PAD)

    def place(index: int, value: Decimal) -> Point:
        x = (SPARK_PAD + span_x * index / (len(points) - 1)) if len(points) > 1 \
            else Decimal(SPARK_WIDTH) / 2
        y = (SPARK_PAD + span_y * (high - value) / (high - low)) if high != low \
            else Decimal(SPARK_HEIGHT) / 2
        return Point(coord(x), coord(y))

    runs: list[list[Point]] = [[]]
    for index, point in enumerate(points):
        if point.value is None:
            runs.append([])
        else:
            runs[-1].append(place(index, point.value))
    last = next((run[-1] for run in reversed(runs) if run), None)
    running_path = ""
    if running and points[-1].value is not None and len(runs[-1]) > 1:
        before, latest = runs[-1][-2:]
        running_path = f"M{before.x} {before.y}L{latest.x} {latest.y}"
        runs[-1] = runs[-1][:-1]
    path = "".join(
        "M" + "L".join(f"{p.x} {p.y}" for p in run) for run in runs if len(run) > 1
    )
    lone = runs if not running_path else runs[:-1]
    dots = tuple(run[0] for run in lone if len(run) == 1)
    ident = chart_id(name)
    return Sparkline(
        id=ident,
        title_id=f"{ident}-title",
        width=str(SPARK_WIDTH),
        height=str(SPARK_HEIGHT),
        view_box=f"0 0 {SPARK_WIDTH} {SPARK_HEIGHT}",
        path=path,
        running_path=running_path,
        dots=dots,
        last=last,
        text=_series_text(points, title=title, unit=unit, currency=currency, noun=noun,
                          running=running),
    )


def _series_text(points: Sequence[ChartPoint], *, title, unit, currency, noun,
                 running=False) -> str:
    """"Calls over the last 3 months: 120, no data, 150. Latest 150; no data for the previous
    month." — every value in order, then the latest against the one before it."""
    span = f"the last {noun}" if len(points) == 1 else f"the last {len(points)} {noun}s"
    if not any(p.value is not None for p in points):
        return f"{title} over {span}: no data."
    values = ", ".join(
        "no data" if p.value is None else fmt.display_value(p.value, unit, currency)
        for p in points
    )
    if running and points[-1].value is not None:
        latest = fmt.display_value(points[-1].value, unit, currency)
        return f"{title} over {span}: {values}. Latest {latest} so far: this {noun} is running."
    return f"{title} over {span}: {values}. {_change_text(points, unit, currency, noun)}"


def _change_text(points: Sequence[ChartPoint], unit: str, currency: str, noun: str) -> str:
    latest = points[-1].value
    if latest is None:
        return f"No data for the latest {noun}."
    shown = fmt.display_value(latest, unit, currency)
    if len(points) == 1:
        return f"Latest {shown}."
    previous = points[-2].value
    if previous is None:
        return f"Latest {shown}; no data for the previous {noun}."
    if latest == previous:
        return f"Latest {shown}, level with the previous {noun}."
    if previous == 0:
        return f"Latest {shown}, {'up' if latest > 0 else 'down'} from 0 the previous {noun}."
    change = (latest - previous) / abs(previous)
    share = fmt.display_share(abs(change))
    if share == "0%":
        return f"Latest {shown}, about level with the previous {noun}."
    return f"Latest {shown}, {'up' if change > 0 else 'down'} {share} on the previous {noun}."


# --- trend chart ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartPeriod:
    """A period on a chart's axis: its full label for text and tables, and a short one for the
    axis ("Jun"); the short one defaults to the full one."""

    label: str
    short: str = ""


@dataclass(frozen=True)
class Label:
    x: str
    y: str
    text: str


@dataclass(frozen=True)
class Gridline:
    y: str
    x1: str
    x2: str
    label: Label


@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    #: the hover tip: "Jun 2026: 150 (target 140)"
    tip: str


@dataclass(frozen=True)
class TableRow:
    period: str
    actual: str
    target: str


@dataclass(frozen=True)
class TrendChart:
    id: str
    title_id: str
    desc_id: str
    view_box: str
    font_size: str
    title: str
    desc: str
    gridlines: tuple[Gridline, ...]
    #: the zero line the bars stand on
    baseline: Gridline
    bars: tuple[Bar, ...]
    #: a dash above the baseline where a period has no data, so it does not read as zero
    missing: tuple[Label, ...]
    #: the target as a step line, one level per period, broken where a period has none
    target_path: str
    x_labels: tuple[Label, ...]
    #: legend: a bar swatch (x, y) and its text, and the target's swatch line and text
    legend_bar: Point
    legend_actual: Label
    legend_target_path: str
    legend_target: Label | None
    table_caption: str
    table: tuple[TableRow, ...]


TREND_WIDTH, TREND_HEIGHT, TREND_FONT = 400, 200, 10
_TREND_TOP, _TREND_BOTTOM, _TREND_RIGHT = 24, 20, 4


def trend_chart(
    periods: Sequence[ChartPeriod],
    actuals: Sequence[Decimal | None],
    targets: Sequence[Decimal | None],
    *,
    title: str,
    unit: str,
    name: str,
    currency: str = "USD",
    noun: str = "month",
    font_size: int = TREND_FONT,
) -> TrendChart:
    """Actuals as bars and targets as a step line over ``periods`` (oldest first), on an axis
    from 0 (or below, for a negative value) with 1-2-5 gridlines, plus a title, a description
    and the figures as a table for screen readers. ``font_size`` is in the chart's own units
    (the box is 400 wide): a chart shown narrow, as on a phone, wants larger ones."""
    if not len(periods) == len(actuals) == len(targets):
        raise ValueError(
            f"trend_chart needs one actual and one target per period: got {len(periods)} "
            f"periods, {len(actuals)} actuals and {len(targets)} targets"
        )
    shown = [v for v in (*actuals, *targets) if v is not None]
    ticks = nice_ticks(min(shown, default=Decimal(0)), max(shown, default=Decimal(0)),
                       whole=unit in _WHOLE_UNITS)
    tick_labels = [fmt.display_value(t, unit, currency) for t in ticks]
    left = Decimal(6) + max(_text_width(t, font_size) for t in tick_labels)
    right = Decimal(TREND_WIDTH - _TREND_RIGHT)
    top, bottom = Decimal(_TREND_TOP), Decimal(TREND_HEIGHT - _TREND_BOTTOM)
    low, high = ticks[0], ticks[-1]

    def y_of(value: Decimal) -> Decimal:
        return top + (bottom - top) * (high - value) / (high - low)

    def line(value: Decimal, text: str) -> Gridline:
        y = y_of(value)
        return Gridline(coord(y), coord(left), coord(right),
                        Label(coord(left - 4), coord(y + Decimal(font_size) * 35 / 100), text))

    slot = (right - left) / max(len(periods), 1)
    zero = y_of(Decimal(0))
    bars, missing, steps, table = [], [], [], []
    for i, (period, actual, target) in enumerate(zip(periods, actuals, targets, strict=True)):
        start, middle = left + slot * i, left + slot * i + slot / 2
        actual_text = fmt.display_value(actual, unit, currency)
        target_text = fmt.display_value(target, unit, currency)
        table.append(TableRow(period.label, actual_text, target_text))
        if actual is None:
            missing.append(Label(coord(middle), coord(zero - 3), fmt.MISSING))
        else:
            top_y, bottom_y = sorted((y_of(actual), zero))
            tip = f"{period.label}: {actual_text}" + (
                f" (target {target_text})" if target is not None else "")
            bars.append(Bar(coord(start + slot * 15 / 100), coord(top_y), coord(slot * 7 / 10),
                            coord(bottom_y - top_y), tip))
        if target is not None:
            level = coord(y_of(target))
            if i == 0 or targets[i - 1] is None:
                steps.append(f"M{coord(start)} {level}")
            elif targets[i - 1] != target:
                steps.append(f"V{level}")
            else:
                steps.pop()  # the same level goes on: one longer H
            steps.append(f"H{coord(start + slot)}")
    every = _label_step(periods, slot, font_size)
    x_labels = tuple(
        Label(coord(left + slot * i + slot / 2), coord(bottom + 14), p.short or p.label)
        for i, p in enumerate(periods) if (len(periods) - 1 - i) % every == 0
    )
    has_target = any(t is not None for t in targets)
    target_x = left + 64
    ident = chart_id(name)
    return TrendChart(
        id=ident,
        title_id=f"{ident}-title",
        desc_id=f"{ident}-desc",
        view_box=f"0 0 {TREND_WIDTH} {TREND_HEIGHT}",
        font_size=str(font_size),
        title=title,
        desc=_trend_desc(periods, actuals, targets, unit, currency, noun),
        gridlines=tuple(line(t, text) for t, text in zip(ticks, tick_labels, strict=True)),
        baseline=line(Decimal(0), ""),
        bars=tuple(bars),
        missing=tuple(missing),
        target_path="".join(steps),
        x_labels=x_labels,
        legend_bar=Point(coord(left), "6"),
        legend_actual=Label(coord(left + 14), "14", "Actual"),
        legend_target_path=f"M{coord(target_x)} 10H{coord(target_x + 14)}" if has_target else "",
        legend_target=Label(coord(target_x + 18), "14", "Target") if has_target else None,
        table_caption=title,
        table=tuple(table),
    )


def _label_step(periods: Sequence[ChartPeriod], slot: Decimal, font_size: int) -> int:
    """Label every period when the labels fit their slots, else every second (third, …),
    always keeping the latest period labelled."""
    widest = max((_text_width(p.short or p.label, font_size) for p in periods), default=0)
    every = 1
    while slot * every < widest + 4 and every < len(periods):
        every += 1
    return every


def _trend_desc(periods, actuals, targets, unit, currency, noun) -> str:
    if not periods:
        return "No periods to show."
    span = f"{periods[0].label} to {periods[-1].label}" if len(periods) > 1 \
        else periods[0].label
    what = f"Actual per {noun} as bars" + (
        ", target as a line" if any(t is not None for t in targets) else "")
    latest = f"Latest, {periods[-1].label}: {fmt.display_value(actuals[-1], unit, currency)}"
    if actuals[-1] is None:
        latest = f"No data for {periods[-1].label}"
    if targets[-1] is not None:
        latest += f" against a target of {fmt.display_value(targets[-1], unit, currency)}"
    return f"{what}, {span}. {latest}. The figures are in the table that follows."
