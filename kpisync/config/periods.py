"""The org's calendar and the periods kpis.yaml asks for: ``org.week_start``, ``org.workdays``,
``org.holidays``, ``org.windows``, ``org.views``, ``org.comparisons``, and the top-level
``periods:`` list.

Each reader records what is wrong and what would be right, and returns what it could read, so
``validate`` reports every problem at once (see docs/config.md, "Calendar and periods").
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode

from kpisync.config import readers
from kpisync.config import yamlnodes as yn
from kpisync.config.model import (
    COMPARISONS,
    DAY_NAMES,
    PERIOD_KINDS,
    CustomPeriod,
    PeriodView,
)
from kpisync.config.problems import Problems, did_you_mean
from kpisync.config.readers import Key

#: the most periods of one kind a window or view may show (as ``org.window``)
MAX_WINDOW = 24
MAX_TRAILING_DAYS = 732

ORG_CALENDAR_KEYS = (
    Key("week_start"),
    Key("workdays"),
    Key("holidays"),
    Key("windows"),
    Key("views"),
    Key("comparisons"),
)
PERIOD_KEYS = (
    Key("id", True, "a lowercase id such as spring_campaign"),
    Key("name", True, "the name shown on the site"),
    Key("start", True, "the first day, such as 2026-03-01"),
    Key("end", True, "the last day, such as 2026-05-31"),
)
WINDOW_WORDS = ("current", "year_to_date")
WINDOW_KEYS = (Key("previous"), Key("trailing_days"))
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def org_calendar(entries: dict[str, yn.Pair], problems: Problems) -> dict[str, Any]:
    """``Org`` field values for the calendar keys present in ``entries``; None for a value that
    could not be read (so the caller knows the org is broken)."""
    values: dict[str, Any] = {}
    if "week_start" in entries:
        day = readers.choice(entries["week_start"].value, "org.week_start", problems, DAY_NAMES)
        values["week_start"] = None if day is None else DAY_NAMES.index(day)
    if "workdays" in entries:
        values["workdays"] = _workdays(entries["workdays"].value, problems)
    if "holidays" in entries:
        values["holidays"] = _holidays(entries["holidays"].value, problems)
    if "windows" in entries:
        if "window" in entries:
            problems.add(entries["windows"].key_node, "org.windows",
                         "give either window or windows, not both: 'window: 4' is "
                         "'windows: [current, {previous: 3}, year_to_date]'")
        values.update(_windows(entries["windows"].value, problems))
    if "comparisons" in entries:
        values["comparisons"] = _comparisons(entries["comparisons"].value, problems)
    if "views" in entries:
        default = _scalar_text(entries.get("default_period"), "month")
        values["views"] = _views(entries["views"].value, problems, default)
    return values


def _workdays(node: Node, problems: Problems) -> tuple[int, ...] | None:
    items = readers.sequence(node, "org.workdays", problems,
                             example="[monday, tuesday, wednesday, thursday, friday]")
    if items is None:
        return None
    if not items:
        problems.add(node, "org.workdays", "expected at least one working day")
        return None
    days = _distinct(items, "org.workdays", problems,
                     lambda item, path: readers.choice(item, path, problems, DAY_NAMES))
    return tuple(sorted(DAY_NAMES.index(d) for d in days))


def _holidays(node: Node, problems: Problems) -> tuple[date, ...] | None:
    items = readers.sequence(node, "org.holidays", problems, example="[2026-12-25, 2027-01-01]")
    if items is None:
        return None
    return tuple(sorted(_distinct(items, "org.holidays", problems,
                                  lambda item, path: read_date(item, path, problems))))


def _comparisons(node: Node, problems: Problems) -> tuple[str, ...] | None:
    items = readers.sequence(node, "org.comparisons", problems, example="[previous, year_ago]")
    if items is None:
        return None
    found = _distinct(items, "org.comparisons", problems,
                      lambda item, path: readers.choice(item, path, problems, COMPARISONS))
    return tuple(c for c in COMPARISONS if c in found)


def _windows(node: Node, problems: Problems) -> dict[str, Any]:
    """``windows: [current, {previous: 3}, year_to_date, {trailing_days: 90}]`` as the
    ``window``, ``year_to_date`` and ``trailing_days`` fields of ``Org``."""
    items = readers.sequence(node, "org.windows", problems,
                             example="[current, {previous: 3}, year_to_date]")
    if items is None:
        return {"window": None}
    found = _distinct(items, "org.windows", problems,
                      lambda item, path: _window_item(item, path, problems),
                      key=_window_name)
    if "current" not in found:
        problems.add(node, "org.windows",
                     "windows must include current: the site leads with the running period")
    counted = [item for item in found if isinstance(item, tuple)]
    return {
        "window": 1 + next((n for kind, n in counted if kind == "previous"), 0),
        "year_to_date": "year_to_date" in found,
        "trailing_days": tuple(n for kind, n in counted if kind == "trailing_days"),
    }


def _window_name(item: Any) -> str:
    """What makes a window entry a repeat: one ``previous``, one of each trailing length."""
    if isinstance(item, str) or item[0] == "previous":
        return item if isinstance(item, str) else "previous"
    return f"trailing_days: {item[1]}"


def _window_item(node: Node, path: str, problems: Problems) -> Any:
    """'current', 'year_to_date', ('previous', N) or ('trailing_days', N); None if unreadable.
    Two ``previous`` entries count as duplicates whatever their N."""
    if isinstance(node, ScalarNode) and node.tag == yn.STR and node.value in WINDOW_WORDS:
        return node.value
    if not isinstance(node, MappingNode):
        close = did_you_mean(node.value, WINDOW_WORDS) if isinstance(node, ScalarNode) \
            else None
        problems.add(node, path, "expected current, year_to_date, {previous: N} or "
                                 f"{{trailing_days: N}}; got {yn.describe(node)}"
                                 + (f" — did you mean '{close}'?" if close else ""))
        return None
    entries = readers.mapping(node, path, problems, WINDOW_KEYS)
    if entries is None or len(entries) != 1:
        if _not_one_key(node, entries):
            problems.add(node, path, "expected one key, previous or trailing_days, such as "
                                     "{previous: 3}")
        return None
    (key, pair), = entries.items()
    high = MAX_WINDOW - 1 if key == "previous" else MAX_TRAILING_DAYS
    count = readers.integer(pair.value, yn.join(path, key), problems, 1, high)
    if count is None:
        return None
    return ("previous", count) if key == "previous" else ("trailing_days", count)


def _views(node: Node, problems: Problems, default_period: str) -> tuple[PeriodView, ...] | None:
    """``views: [quarter, {fiscal_year: 3}]``: the running period of each kind and the ones
    before it (one before unless a count is given)."""
    items = readers.sequence(node, "org.views", problems, example="[quarter, {fiscal_year: 3}]")
    if items is None:
        return None
    views = _distinct(items, "org.views", problems,
                      lambda item, path: _view(item, path, problems, default_period),
                      key=lambda view: view.kind)
    return tuple(views)


def _view(node: Node, path: str, problems: Problems, default_period: str) -> Any:
    if isinstance(node, MappingNode):
        entries = readers.mapping(node, path, problems, tuple(Key(k) for k in PERIOD_KINDS))
        if entries is None or len(entries) != 1:
            if _not_one_key(node, entries):
                problems.add(node, path, "expected one period kind with a count, such as "
                                         "{quarter: 4}")
            return None
        (kind, pair), = entries.items()
        count = readers.integer(pair.value, yn.join(path, kind), problems, 1, MAX_WINDOW)
        key_node = pair.key_node
    else:
        kind = readers.choice(node, path, problems, PERIOD_KINDS)
        count, key_node = 2, node
    if kind == default_period:
        problems.add(key_node, path, f"'{kind}' is org.default_period, already shown: set how "
                                     "many with org.window or org.windows")
        return None
    if kind is None or count is None:
        return None
    return PeriodView(kind, count)  # type: ignore[arg-type]


def _not_one_key(node: MappingNode, entries: dict[str, yn.Pair] | None) -> bool:
    """Two known keys, or none at all; a lone unknown key is reported as unknown already."""
    return entries is not None and (len(entries) > 1 or not node.value)


def custom_periods(node: Node, problems: Problems) -> tuple[CustomPeriod, ...]:
    """The top-level ``periods:`` list of named date ranges."""
    items = readers.sequence(node, "periods", problems,
                             example="'- {id: spring_campaign, name: Spring campaign, "
                                     "start: 2026-03-01, end: 2026-05-31}'")
    first: dict[str, Node] = {}
    found = []
    for index, item in enumerate(items or ()):
        path = yn.join("periods", index)
        entries = readers.mapping(item, path, problems, PERIOD_KEYS)
        if entries is None:
            continue
        period = _custom_period(entries, path, problems)
        if period is None:
            continue
        id_node = entries["id"].value
        if period.id in first:
            problems.add(id_node, f"{path}.id", f"duplicate period id '{period.id}' (first "
                                                f"defined at line {yn.line_of(first[period.id])})")
            continue
        first[period.id] = id_node
        found.append(period)
    return tuple(found)


def _custom_period(entries: dict[str, yn.Pair], path: str, problems: Problems
                   ) -> CustomPeriod | None:
    def read(key, reader):
        return reader(entries[key].value, yn.join(path, key), problems) if key in entries \
            else None

    period_id = read("id", readers.identifier)
    name = read("name", readers.text)
    start = read("start", read_date)
    end = read("end", read_date)
    if start is not None and end is not None and end < start:
        problems.add(entries["end"].value, f"{path}.end",
                     f"ends on {end.isoformat()}, before it starts on {start.isoformat()}")
        return None
    if period_id is None or name is None or start is None or end is None:
        return None
    return CustomPeriod(id=period_id, name=name, start=start, end=end)


def read_date(node: Node, path: str, problems: Problems) -> date | None:
    """A day written as YYYY-MM-DD, bare or quoted."""
    ok, value = yn.read_scalar(node, path, problems)
    if not ok:
        return None
    if yn.is_date(value):
        return value  # type: ignore[return-value]
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            problems.add(node, path, f"'{value}' is not a date: {exc}")
            return None
    problems.add(node, path, f"expected a date such as 2026-12-25 (YYYY-MM-DD), "
                             f"got {yn.describe(node)}")
    return None


def _distinct(items: list[Node], path: str, problems: Problems, read, key=str) -> list:
    """The values ``read`` gets from ``items``; a second value with the same ``key`` is
    reported and left out."""
    first: dict[str, Node] = {}
    found = []
    for index, item in enumerate(items):
        value = read(item, yn.join(path, index))
        if value is None:
            continue
        name = str(key(value))
        if name in first:
            problems.add(item, yn.join(path, index),
                         f"'{name}' is already listed (at line {yn.line_of(first[name])})")
            continue
        first[name] = item
        found.append(value)
    return found


def _scalar_text(pair: yn.Pair | None, default: str) -> str:
    if pair is not None and isinstance(pair.value, ScalarNode):
        return pair.value.value
    return default

