"""``kpisync diff``: what a change to kpis.yaml does to the scorecard, for a pull request.

Both configs are computed by the same ``kpisync.compute.compute`` on the same store and the
same day, so every difference comes from the config and none from the data. The result is
plain data (``ConfigDiff``); ``kpisync.diff_markdown`` renders it for a PR comment and
``ConfigDiff.to_dict`` for ``--json``.

Each side is loaded and computed before the next one is loaded: what a config declares under
``objects:`` is known process-wide while it is the config in use, so computing the base after
loading the head could read the head's objects.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from kpisync.compute import Scorecard, compute
from kpisync.compute.model import KpiResult, Period, Scope
from kpisync.config import load_config, parse_config
from kpisync.config.model import Config, Kpi, Target
from kpisync.errors import ComputeError, ConfigError, ConfigProblem

#: Kpi fields compared as "properties"; ``target`` is compared field by field on its own and
#: ``line`` (where the KPI is written) is no change to the scorecard
KPI_PROPERTIES = tuple(f.name for f in fields(Kpi) if f.name not in ("id", "target", "line"))
TARGET_PROPERTIES = tuple(f.name for f in fields(Target) if f.name != "line")
DEFAULT_TOP = 10

Loader = Callable[[], Config]


@dataclass(frozen=True)
class ConfigSide:
    """One config of the comparison: how to read it and what to call it in messages."""

    #: "kpis.yaml", "origin/main:kpis.yaml"
    label: str
    load: Loader

    @classmethod
    def from_file(cls, path: Path) -> ConfigSide:
        return cls(str(path), lambda: load_config(path))

    @classmethod
    def from_git(cls, ref: str, path: Path) -> ConfigSide:
        """``path`` as committed at ``ref`` (``git show REF:./PATH`` in the file's directory,
        so the path is the working tree's whichever directory git runs from)."""
        label = f"{ref}:{path}"
        return cls(label, lambda: parse_config(read_from_git(ref, path), label))


def read_from_git(ref: str, path: Path) -> str:
    """The text of ``path`` at ``ref``; ConfigError (located at ``REF:PATH``) when git cannot
    show it: no git, not a repository, an unknown ref, or no such file at that ref."""
    where = f"{ref}:{path}"
    directory = path.parent if str(path.parent) else Path(".")
    try:
        shown = subprocess.run(["git", "show", f"{ref}:./{path.name}"], cwd=directory,
                               capture_output=True, check=False)
    except FileNotFoundError:
        raise _unreadable(where, "git is not installed; pass the base config as a file") \
            from None
    except NotADirectoryError:
        raise _unreadable(where, f"{directory} is not a directory") from None
    if shown.returncode != 0:
        reason = shown.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _unreadable(where, f"git cannot show it: {reason[-1] if reason else 'failed'}")
    try:
        return shown.stdout.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _unreadable(where, "not valid UTF-8") from None


def _unreadable(where: str, message: str) -> ConfigError:
    return ConfigError([ConfigProblem(where, 1, 1, "", message)])


@dataclass(frozen=True)
class Change:
    """One property of a KPI or of its target, before and after (as written for people)."""

    name: str
    before: str
    after: str


@dataclass(frozen=True)
class KpiChange:
    kpi_id: str
    name: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Cell:
    """A scorecard cell's numbers; attainment 1 means on target."""

    actual: Decimal | None
    target: Decimal | None
    attainment: Decimal | None


@dataclass(frozen=True)
class Movement:
    """How one KPI moves for one team, rep or the org in the compared period; ``before`` or
    ``after`` is None where that side has no such cell (a KPI or a rep added or removed)."""

    kpi_id: str
    kpi_name: str
    #: the KPI's unit (the head's), for showing its figures
    unit: str
    scope: Scope
    scope_id: str
    #: the team's, rep's or org's name
    name: str
    #: for a rep: the name of their team
    team: str | None
    before: Cell | None
    after: Cell | None

    @property
    def swing(self) -> Decimal:
        """How far attainment moved, for ranking reps: a cell gaining or losing its
        attainment moves by the attainment it has."""
        old = self.before.attainment if self.before else None
        new = self.after.attainment if self.after else None
        return abs((new or Decimal(0)) - (old or Decimal(0)))


@dataclass(frozen=True)
class SideProblems:
    """A config that did not load, with every problem ``kpisync validate`` would print."""

    label: str
    problems: tuple[str, ...]


@dataclass(frozen=True)
class ConfigDiff:
    base: str
    head: str
    as_of: date | None = None
    #: the head org's currency, for currency KPIs' figures
    currency: str = "USD"
    #: the compared period (key, label); None when a config did not load
    period: tuple[str, str] | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[KpiChange, ...] = ()
    targets: tuple[KpiChange, ...] = ()
    org: tuple[Movement, ...] = ()
    teams: tuple[Movement, ...] = ()
    #: the ``top`` reps' movements with the largest swing in attainment
    reps: tuple[Movement, ...] = ()
    #: reps whose figures moved, ``reps`` included
    reps_moved: int = 0
    #: configs that did not load: then nothing was computed
    invalid: tuple[SideProblems, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.invalid

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.base, "head": self.head, "valid": self.valid,
            "invalid": [{"config": s.label, "problems": list(s.problems)} for s in self.invalid],
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "period": {"key": self.period[0], "label": self.period[1]} if self.period else None,
            "kpis": {"added": list(self.added), "removed": list(self.removed),
                     "changed": [_change_json(c) for c in self.changed]},
            "targets": [_change_json(c) for c in self.targets],
            "org": [_movement_json(m) for m in self.org],
            "teams": [_movement_json(m) for m in self.teams],
            "reps": [_movement_json(m) for m in self.reps],
            "reps_moved": self.reps_moved,
        }


def diff(base: ConfigSide, head: ConfigSide, con, *, as_of: date | None = None,
         period_key: str | None = None, top: int = DEFAULT_TOP) -> ConfigDiff:
    """Compare ``base`` and ``head`` on the store behind ``con`` (a DuckDB connection or an
    engine), as of ``as_of`` (default: today in the org's timezone), in the period
    ``period_key`` (default: the head's running ``org.default_period``).

    A config that does not load makes an invalid ConfigDiff listing its problems (both sides'
    when both fail). Raises ComputeError for a period either scorecard lacks.
    """
    from kpisync.build import today_in

    cards: list[Scorecard] = []
    invalid: list[SideProblems] = []
    for side in (base, head):
        try:
            config = side.load()
        except ConfigError as exc:
            invalid.append(SideProblems(side.label, tuple(str(p) for p in exc.problems)))
            continue
        if not invalid:  # nothing is compared once a side failed, but both are validated
            as_of = as_of or today_in(config)
            cards.append(compute(config, con, as_of))
    if invalid:
        return ConfigDiff(base.label, head.label, invalid=tuple(invalid))
    before, after = cards
    before_ids, after_ids = _ids(before.config), _ids(after.config)
    period = _period(before, after, period_key)
    moved = _movements(before, after, period.key)
    reps = sorted((m for m in moved if m.scope == "rep"),
                  key=lambda m: (-m.swing, m.name, m.kpi_id))
    return ConfigDiff(
        base.label, head.label, as_of=after.as_of, currency=after.config.org.currency,
        period=(period.key, period.label),
        added=tuple(k.id for k in after.config.kpis if k.id not in before_ids),
        removed=tuple(k.id for k in before.config.kpis if k.id not in after_ids),
        changed=tuple(_kpi_changes(before.config, after.config, KPI_PROPERTIES, _changes)),
        targets=tuple(_kpi_changes(before.config, after.config, TARGET_PROPERTIES, _targets)),
        org=tuple(m for m in moved if m.scope == "org"),
        teams=tuple(m for m in moved if m.scope == "team"),
        reps=tuple(reps[:top]), reps_moved=len(reps),
    )


def _ids(config: Config) -> set[str]:
    return {k.id for k in config.kpis}


def _period(before: Scorecard, after: Scorecard, key: str | None) -> Period:
    """The compared period, which both scorecards must have computed."""
    if key is None:
        org = after.config.org
        found = next((p for p in after.periods if p.is_current and p.kind == org.default_period),
                     None)
        if found is None:
            raise ComputeError(f"the head scorecard has no running {org.default_period}; "
                               "pass --period")
        key = found.key
    chosen = []
    for side, card in (("base", before), ("head", after)):
        period = next((p for p in card.periods if p.key.upper() == key.strip().upper()), None)
        if period is None:
            keys = ", ".join(p.key for p in card.shown_periods)
            raise ComputeError(f"the {side} scorecard has no period {key!r} (its periods: "
                               f"{keys}); pass --period with one of both scorecards' periods")
        chosen.append(period)
    return chosen[1]


def _kpi_changes(before: Config, after: Config, names: tuple[str, ...],
                 compare: Callable[[Kpi, Kpi, tuple[str, ...]], list[Change]]
                 ) -> Iterable[KpiChange]:
    old = {k.id: k for k in before.kpis}
    for kpi in after.kpis:
        if kpi.id in old:
            changes = compare(old[kpi.id], kpi, names)
            if changes:
                yield KpiChange(kpi.id, kpi.name, tuple(changes))


def _targets(old: Kpi, new: Kpi, names: tuple[str, ...]) -> list[Change]:
    if old.target == new.target:
        return []
    if old.target is None or new.target is None:
        return [Change("target", _describe_target(old.target), _describe_target(new.target))]
    return _changes(old.target, new.target, names)


def _changes(old: object, new: object, names: tuple[str, ...]) -> list[Change]:
    return [Change(name, _show(getattr(old, name)), _show(getattr(new, name)))
            for name in names if getattr(old, name) != getattr(new, name)]


def _describe_target(target: Target | None) -> str:
    if target is None:
        return "none"
    return f"per_rep {_show(target.per_rep)}" if target.per_rep is not None else "set"


def _show(value: object) -> str:
    """A property's value for people: scalars as written, structures summarised."""
    if value is None or value == ():
        return "none"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, str | int | bool | date):
        return str(value)
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    if isinstance(value, tuple):
        return f"{len(value)} item{'s' if len(value) != 1 else ''}"
    kind = getattr(value, "kind", None)  # a Measure
    return str(kind) if kind is not None else type(value).__name__


def _movements(before: Scorecard, after: Scorecard, period_key: str) -> list[Movement]:
    """Every team, rep and org cell of ``period_key`` whose numbers differ, or that only one
    side has. Teams and reps count on the KPIs their team shows (on either side), the org on
    every KPI."""
    old, new = _cells(before, period_key), _cells(after, period_key)
    kpis = {k.id: k for k in (*before.config.kpis, *after.config.kpis)}
    teams = {t.id: t.name for t in (*before.teams, *after.teams)}
    #: a rep's team, the head's where both sides have the rep
    rep_teams = {r.id: r.team_id for r in (*before.reps, *after.reps)}
    shown = _shown_kpis(before) | _shown_kpis(after)
    moved = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: (k[1], k[2], k[0])):
        kpi_id, scope, scope_id = key
        if scope != "org" and (kpi_id, scope, scope_id) not in shown:
            continue
        a, b = old.get(key), new.get(key)
        if a is not None and b is not None and _cell(a) == _cell(b):
            continue
        result = b or a
        assert result is not None
        team = teams.get(rep_teams.get(scope_id)) if scope == "rep" else None
        kpi = kpis[kpi_id]
        moved.append(Movement(kpi_id, kpi.name, kpi.unit, scope, scope_id, result.scope_name,
                              team, _cell(a) if a else None, _cell(b) if b else None))
    return moved


def _cells(card: Scorecard, period_key: str) -> dict[tuple[str, str, str], KpiResult]:
    return {(r.kpi_id, r.scope, r.scope_id): r for r in card.results
            if r.period_key == period_key}


def _shown_kpis(card: Scorecard) -> set[tuple[str, str, str]]:
    """(KPI, scope, id) for every KPI a team shows, on the team and on its reps."""
    by_team = {t.id: t.kpi_ids for t in card.teams}
    return ({(kpi_id, "team", team_id) for team_id, kpis in by_team.items() for kpi_id in kpis}
            | {(kpi_id, "rep", rep.id) for rep in card.reps
               for kpi_id in by_team.get(rep.team_id, ())})


def _cell(result: KpiResult) -> Cell:
    return Cell(result.actual, result.target, result.attainment)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def _cell_json(cell: Cell | None) -> dict[str, str | None] | None:
    if cell is None:
        return None
    return {"actual": _text(cell.actual), "target": _text(cell.target),
            "attainment": _text(cell.attainment)}


def _movement_json(m: Movement) -> dict[str, Any]:
    return {"kpi": m.kpi_id, "unit": m.unit, "scope": m.scope, "id": m.scope_id, "name": m.name,
            "team": m.team, "before": _cell_json(m.before), "after": _cell_json(m.after)}


def _change_json(c: KpiChange) -> dict[str, Any]:
    return {"kpi": c.kpi_id, "name": c.name,
            "changes": [{"property": x.name, "before": x.before, "after": x.after}
                        for x in c.changes]}
