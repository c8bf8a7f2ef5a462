"""A KPI's ``target:`` (the per-rep number, explicit targets per period kind and per named
period, team totals, its direction, its ramp and overrides by team, segment, region, role or
rep), and the top-level ``ramp:`` and ``pacing:`` keys."""

from __future__ import annotations

import re
from datetime import date

from yaml.nodes import MappingNode, Node

from kpisync.config import readers
from kpisync.config import yamlnodes as yn
from kpisync.config.model import Pacing, PeriodAmounts, Ramp, Target, TargetOverride
from kpisync.config.problems import Problems, suggestion
from kpisync.config.readers import Key
from kpisync.config.refs import Ref

DIRECTIONS = ("higher", "lower")
SCOPES = ("team", "segment", "region", "role", "rep")
#: period kinds an explicit ``per_period`` target may name; year to date is always scaled
TARGET_PERIOD_KINDS = ("week", "month", "quarter", "year", "fiscal_quarter", "fiscal_year")
#: a User Id: key prefix 005, 15 characters (case-sensitive) or 18 (case-safe)
USER_ID = re.compile(r"^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$")
#: the keys periods get: 2026-11, 2026-Q4, FY2027-Q3, FY2027, 2026-W45, 2026, and
#: wk-2026-11-01 for a week that does not start on Monday
PERIOD_KEY = re.compile(
    r"^(?:\d{4}-(?:0[1-9]|1[0-2])|\d{4}-Q[1-4]|FY\d{4}(?:-Q[1-4])?"
    r"|\d{4}-W(?:0[1-9]|[1-4]\d|5[0-3])|\d{4}|wk-\d{4}-\d{2}-\d{2})$"
)
PERIOD_KEY_EXAMPLES = "2026-11, 2026-Q4, FY2027-Q3, FY2027, 2026-W45 or a custom period's id"

_AMOUNT_KEYS = (
    Key("per_period"),
    Key("periods"),
)
TARGET_KEYS = (Key("per_rep"), Key("direction"), Key("overrides"), *_AMOUNT_KEYS,
               Key("team_totals"), Key("ramp"))
OVERRIDE_KEYS = (*(Key(s) for s in SCOPES),
                 Key("per_rep", required=True, hint="the target for these reps, such as 150"),
                 *_AMOUNT_KEYS)
KPI_RAMP_KEYS = (Key("months", required=True, hint="percent of target by month, such as "
                     "[25, 50, 75]; [] for no ramp"),)
RAMP_KEYS = (*KPI_RAMP_KEYS, Key("start_dates"))
PACING_KEYS = (Key("tolerance", required=True, hint="percent either side of expected that "
                   "counts as on pace, such as 10"),)


def target(node: Node, path: str, problems: Problems, refs: list[Ref],
           additive: bool | None = None) -> Target | None:
    """``additive`` (None when the measure is unreadable) decides whether team totals and a
    ramp make sense: both only exist for counts and sums."""
    entries = readers.mapping(node, path, problems, TARGET_KEYS)
    if entries is None:
        return None
    per_rep = direction = ramp = None
    overrides: tuple[TargetOverride, ...] = ()
    team_totals: PeriodAmounts = ()
    line = yn.line_of(node)
    if "per_rep" in entries:
        per_rep = readers.number(entries["per_rep"].value, yn.join(path, "per_rep"), problems)
        line = yn.line_of(entries["per_rep"].value)
    if "direction" in entries:
        direction = readers.choice(entries["direction"].value, yn.join(path, "direction"),
                                   problems, DIRECTIONS)
    if "overrides" in entries:
        overrides = _overrides(entries["overrides"].value, yn.join(path, "overrides"),
                               problems, refs)
    if "team_totals" in entries:
        team_totals = _team_totals(entries["team_totals"], path, problems, refs, additive)
    if "ramp" in entries:
        ramp = _kpi_ramp(entries["ramp"], path, problems, additive)
    per_period, periods = _explicit(entries, path, problems)
    return Target(per_rep=per_rep, direction=direction or "higher",  # type: ignore[arg-type]
                  overrides=overrides, per_period=per_period, periods=periods,
                  team_totals=team_totals, ramp=ramp, line=line)


def _explicit(entries: dict[str, yn.Pair], path: str, problems: Problems
              ) -> tuple[PeriodAmounts, PeriodAmounts]:
    """``per_period`` (by period kind) and ``periods`` (by period key), both optional."""
    per_period: PeriodAmounts = ()
    periods: PeriodAmounts = ()
    if "per_period" in entries:
        per_period = _amounts(entries["per_period"].value, yn.join(path, "per_period"),
                              problems, _period_kind, "{quarter: 850, week: 70}")
    if "periods" in entries:
        periods = _amounts(entries["periods"].value, yn.join(path, "periods"), problems,
                           _period_key, "{2026-Q4: 1000}")
    return per_period, periods


def _amounts(node: Node, path: str, problems: Problems, key_problem, example: str
             ) -> PeriodAmounts:
    """A mapping of name → number; ``key_problem`` returns what is wrong with a name, if
    anything."""
    found = []
    for pair in _free_mapping(node, path, problems, example):
        amount = readers.number(pair.value, yn.join(path, pair.key), problems)
        wrong = key_problem(pair.key)
        if wrong:
            problems.add(pair.key_node, yn.join(path, pair.key), wrong)
        elif amount is not None:
            found.append((pair.key, amount))
    return tuple(found)


def _free_mapping(node: Node, path: str, problems: Problems, example: str) -> list[yn.Pair]:
    if isinstance(node, MappingNode) and node.tag == yn.MAP:
        return yn.pairs(node, path, problems)
    problems.add(node, path, f"expected a mapping such as {example}; got {yn.describe(node)}")
    return []


def _period_kind(key: str) -> str | None:
    if key in TARGET_PERIOD_KINDS:
        return None
    if key == "ytd":
        return ("year to date is not set: it is scaled from the default period's targets "
                f"(expected one of: {', '.join(TARGET_PERIOD_KINDS)})")
    return f"unknown period kind '{key}'" + suggestion(key, TARGET_PERIOD_KINDS)


def _period_key(key: str) -> str | None:
    if PERIOD_KEY.match(key) or readers.IDENTIFIER.match(key):
        return None
    return f"'{key}' is not a period key: expected one such as {PERIOD_KEY_EXAMPLES}"


def _team_totals(pair: yn.Pair, path: str, problems: Problems, refs: list[Ref],
                 additive: bool | None) -> PeriodAmounts:
    own = yn.join(path, "team_totals")
    if additive is False:
        problems.add(pair.key_node, own, "team_totals add up counts and sums; for an average "
                     "or ratio give the team its own target with an override "
                     "{team: ..., per_rep: ...}")
        return ()
    totals = []
    for team in _free_mapping(pair.value, own, problems, "{ae_smb: 5000}"):
        refs.append(Ref("team", team.key, team.key_node, yn.join(own, team.key)))
        amount = readers.number(team.value, yn.join(own, team.key), problems)
        if amount is not None:
            totals.append((team.key, amount))
    return tuple(totals)


def _kpi_ramp(pair: yn.Pair, path: str, problems: Problems, additive: bool | None
              ) -> Ramp | None:
    own = yn.join(path, "ramp")
    if additive is False:
        problems.add(pair.key_node, own, "a ramp scales counts and sums; an average or ratio "
                     "target is the same for new hires")
        return None
    entries = readers.mapping(pair.value, own, problems, RAMP_KEYS)
    if entries is not None and "start_dates" in entries:
        problems.add(entries["start_dates"].key_node, own, "start dates are about people, not "
                     "one KPI: set them once, in the top-level ramp.start_dates")
    if entries is None or "months" not in entries:
        return None
    return Ramp(months=_ramp_months(entries["months"].value, yn.join(own, "months"), problems))


def ramp(node: Node, problems: Problems) -> Ramp | None:
    """The top-level ``ramp:``: months for every count and sum target, and start dates."""
    entries = readers.mapping(node, "ramp", problems, RAMP_KEYS)
    if entries is None or "months" not in entries:
        return None
    months = _ramp_months(entries["months"].value, "ramp.months", problems)
    start_dates: tuple[tuple[str, date], ...] = ()
    if "start_dates" in entries:
        start_dates = _start_dates(entries["start_dates"].value, problems)
    return Ramp(months=months, start_dates=start_dates)


def _ramp_months(node: Node, path: str, problems: Problems) -> tuple:
    items = readers.sequence(node, path, problems, example="[25, 50, 75]")
    months = []
    for index, item in enumerate(items or ()):
        value = readers.number(item, yn.join(path, index), problems)
        if value is not None and value > 100:
            problems.add(item, yn.join(path, index),
                         f"expected a percentage from 0 to 100, got {yn.describe(item)}")
        elif value is not None:
            months.append(value)
    return tuple(months)


def _start_dates(node: Node, problems: Problems) -> tuple[tuple[str, date], ...]:
    path = "ramp.start_dates"
    found = []
    for pair in _free_mapping(node, path, problems, "{jane@x.example: 2026-09-01}"):
        own = yn.join(path, pair.key)
        if "@" not in pair.key and not USER_ID.match(pair.key):
            problems.add(pair.key_node, own, _not_a_rep(pair.key))
            continue
        ok, value = yn.read_scalar(pair.value, own, problems)
        if ok and yn.is_date(value):
            found.append((pair.key, value))
        elif ok:
            problems.add(pair.value, own,
                         f"expected a date such as 2026-09-01, got {yn.describe(pair.value)}")
    return tuple(found)


def pacing(node: Node, problems: Problems) -> Pacing | None:
    entries = readers.mapping(node, "pacing", problems, PACING_KEYS)
    if entries is None or "tolerance" not in entries:
        return None
    tolerance = readers.number(entries["tolerance"].value, "pacing.tolerance", problems)
    if tolerance is not None and tolerance >= 100:
        problems.add(entries["tolerance"].value, "pacing.tolerance",
                     f"expected a percentage below 100, got {tolerance}")
        return None
    return None if tolerance is None else Pacing(tolerance=tolerance)


def _not_a_rep(match: str) -> str:
    return (f"expected a username (with @) or a user Id "
            f"(005 followed by 12 or 15 letters and digits), got '{match}'")


def _overrides(node: Node, path: str, problems: Problems, refs: list[Ref]
               ) -> tuple[TargetOverride, ...]:
    items = readers.sequence(node, path, problems, example="[{team: ae_enterprise, per_rep: 150}]")
    found: list[TargetOverride] = []
    first_line: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items or ()):
        item_path = yn.join(path, index)
        override = _override(item, item_path, problems, refs)
        if override is None:
            continue
        key = (override.scope, override.match)
        if key in first_line:
            problems.add(item, item_path, f"a second override for {override.scope} "
                         f"'{override.match}' (the first is at line {first_line[key]})")
            continue
        first_line[key] = yn.line_of(item)
        found.append(override)
    return tuple(found)


def _override(node: Node, path: str, problems: Problems, refs: list[Ref]
              ) -> TargetOverride | None:
    entries = readers.mapping(node, path, problems, OVERRIDE_KEYS)
    if entries is None:
        return None
    scopes = [entries[s] for s in SCOPES if s in entries]
    if not scopes:
        problems.add(node, path, "an override needs one of team, segment, region, role or "
                                 "rep, saying which reps it applies to")
    for extra in scopes[1:]:
        problems.add(extra.key_node, path, f"an override applies to exactly one of team, "
                     f"segment, region, role or rep; this one also has '{scopes[0].key}'")
    per_rep = None
    if "per_rep" in entries:
        per_rep = readers.number(entries["per_rep"].value, yn.join(path, "per_rep"), problems)
    per_period, periods = _explicit(entries, path, problems)
    if len(scopes) != 1:
        return None
    scope = scopes[0]
    scope_path = yn.join(path, scope.key)
    if scope.key == "team":
        match = readers.identifier(scope.value, scope_path, problems)
    else:
        match = readers.text(scope.value, scope_path, problems)
    if match is None:
        return None
    if scope.key == "rep" and "@" not in match and not USER_ID.match(match):
        problems.add(scope.value, scope_path, _not_a_rep(match))
        return None
    if scope.key in ("team", "segment", "region"):
        refs.append(Ref(scope.key, match, scope.value, scope_path))  # type: ignore[arg-type]
    if per_rep is None:
        return None
    return TargetOverride(scope.key, match, per_rep,  # type: ignore[arg-type]
                          per_period=per_period, periods=periods, line=yn.line_of(node))
