"""Targets per rep, team and org, with the reason each one is what it is, and attainment.

Which entry of a KPI's ``target:`` applies to a rep: the most specific override that matches
(rep, then role, then team, then segment, then region), else the KPI's default. For a period,
that entry's explicit target for the period's key (``periods: {2026-Q4: ...}``) wins, then its
target for the period's kind (``per_period: {quarter: ...}``); otherwise the target is scaled.

Scaling, for counts and sums (``compute.scaling``): a quarter gets exactly three monthly
targets, a week is prorated by its business days, and each rep's target is rounded once. Year
to date counts the running default period in full (see ``windows.year_to_date``): its target
is the whole of every default period it touches. New hires are ramped (``compute.ramp``).

Averages, ratios and durations do not add up: their target is the same number at every scope
and period length (a team's is the override for that team, segment or region, if any).

A team's count or sum target is the sum of its reps' unless ``team_totals`` sets it (per default
period, scaled like any other); the org's is the sum of its teams'. A rep has a target only for
the KPIs their team's scorecard tracks, and inactive reps have none: kpisync cannot know from
Salesforce when they left, and charging a team for a departed rep's quota would understate its
attainment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache

from kpisync.compute import ramp as ramps
from kpisync.compute.model import Period, Rep
from kpisync.compute.scaling import (
    Entry,
    Part,
    explicit_source,
    round_target,
    scaled_parts,
    target_span,
)
from kpisync.config.model import Config, Kpi, Org, TargetOverride, Team

_SPECIFICITY = {"rep": 0, "role": 1, "team": 2, "segment": 3, "region": 4}


@dataclass(frozen=True)
class Resolved:
    """A target and, for people, where it came from; and the steps that made it, which
    ``kpisync explain`` prints (so explain cannot tell another story than the engine's). Two
    resolutions are equal when their value and source are."""

    value: Decimal | None
    source: str | None = None
    #: why there is no target: "inactive", "team sdr does not track revenue"
    missing: str | None = field(default=None, compare=False)
    #: a count or sum target's terms, one per default period (or the explicit target), adding
    #: up exactly to the value before it was rounded
    parts: tuple[Part, ...] = field(default=(), compare=False)
    #: a sum's addends, by name: a team's reps, the org's teams (with no target too)
    addends: tuple[tuple[str, Resolved], ...] = field(default=(), compare=False)


def entry_for(kpi: Kpi, team: Team | None, rep: Rep | None) -> Entry | None:
    """The most specific entry for ``rep`` of ``team`` (a typical member when ``rep`` is None;
    the org when ``team`` is None too)."""
    target = kpi.target
    if target is None:
        return None
    matching = [o for o in target.overrides if team is not None and _applies(o, team, rep)]
    if matching:
        best = min(matching, key=lambda o: _SPECIFICITY[o.scope])
        return Entry(best.per_rep, best.per_period, best.periods,
                     f"{best.scope} {best.match} override{_where(best.line)}")
    return Entry(target.per_rep, target.per_period, target.periods,
                 f"default per_rep{_where(target.line)}")


def _where(line: int) -> str:
    return f" (kpis.yaml line {line})" if line else ""


def _applies(override: TargetOverride, team: Team, rep: Rep | None) -> bool:
    if override.scope == "rep":
        return rep is not None and _is_rep(override.match, rep)
    if override.scope == "role":
        return rep is not None and override.match == rep.role
    return override.match == {"team": team.id, "segment": team.segment,
                              "region": team.region}[override.scope]


def _is_rep(match: str, rep: Rep) -> bool:
    if "@" in match:
        return match.lower() == rep.username.lower()
    return match[:15] == rep.id[:15]


# -- one compute's targets ------------------------------------------------------------------
class TargetBook:
    """The targets of one compute. Each rep's target for a KPI and period is worked out once;
    team totals and the org's total (the sum of the teams') reuse them."""

    def __init__(self, config: Config):
        self.config = config
        self._team_of = {team.id: team for team in config.teams}
        self._reps: dict[tuple, Resolved] = {}
        self._teams: dict[tuple, Resolved] = {}
        #: by KPI, rep and the team the rep is placed on: a mover's overrides follow the team
        self._entries: dict[tuple[str, str, str],
                            tuple[Entry | None, ramps.Schedule | None]] = {}
        #: reps sharing an entry (and a ramp start) share its scaled target
        self._scaled: dict[tuple, Resolved] = {}

    def rep(self, kpi: Kpi, rep: Rep, period: Period) -> Resolved:
        """The target of ``rep`` as placed for ``period`` (``rep.team_id`` is the team that
        carries it: see ``membership.placed_in``)."""
        key = (kpi.id, rep.id, rep.team_id, period.key, period.start, period.end)
        if key not in self._reps:
            self._reps[key] = self._rep(kpi, rep, period)
        return self._reps[key]

    def tracks(self, kpi: Kpi, rep: Rep) -> bool:
        """Whether the team ``rep`` is placed on lists ``kpi``: if not, the rep has no target
        for it, whatever kpis.yaml's overrides say."""
        return kpi.id in self._team_of[rep.team_id].kpis

    def _rep(self, kpi: Kpi, rep: Rep, period: Period) -> Resolved:
        config = self.config
        team = self._team_of[rep.team_id]
        if not self.tracks(kpi, rep):
            return _untracked(team.id, kpi.id)
        if not rep.active:
            return _INACTIVE
        placed = (kpi.id, rep.id, team.id)
        if placed not in self._entries:
            self._entries[placed] = (entry_for(kpi, team, rep), ramps.schedule(config, kpi, rep))
        entry, schedule = self._entries[placed]
        if entry is None:
            return Resolved(None, missing="the KPI has no target")
        if not kpi.measure.additive:
            return _fixed(entry, period)
        # an entry's label names it uniquely within its KPI; a KPI's ramp months are fixed
        key = (kpi.id, entry.label, schedule.first_day if schedule else None,
               *_period_id(period))
        if key not in self._scaled:
            self._scaled[key] = _rounded(config.org, entry, period, schedule)
        return self._scaled[key]

    def group(self, kpi: Kpi, reps: Iterable[Rep], period: Period, team: Team | None
              ) -> Resolved:
        """A team's target (``team`` given) or the org's (``team`` None) over ``reps``."""
        if kpi.target is None:
            return Resolved(None)
        if not kpi.measure.additive:
            if team is not None and kpi.id not in team.kpis:
                return _untracked(team.id, kpi.id)
            entry = entry_for(kpi, team, None)
            if entry is None:
                return Resolved(None, missing="the KPI has no target")
            return _fixed(entry, period)
        members = list(reps)
        if team is not None:
            return self._team(kpi, members, period, team)
        totals = tuple((t.name, self._team(kpi, [r for r in members if r.team_id == t.id],
                                           period, t))
                       for t in self.config.teams)
        return _sum(totals, "team")

    def _team(self, kpi: Kpi, members: list[Rep], period: Period, team: Team) -> Resolved:
        key = (kpi.id, team.id, *_period_id(period))
        if key not in self._teams:
            self._teams[key] = self._team_total(kpi, members, period, team)
        return self._teams[key]

    def _team_total(self, kpi: Kpi, members: list[Rep], period: Period, team: Team
                    ) -> Resolved:
        assert kpi.target is not None
        if kpi.id not in team.kpis:
            return _untracked(team.id, kpi.id)
        explicit = dict(kpi.target.team_totals).get(team.id)
        if explicit is not None:
            entry = Entry(explicit, (), (), "explicit team total (team_totals)", "team_totals")
            return _rounded(self.config.org, entry, period, None)
        return _sum(tuple((r.name, self.rep(kpi, r, period)) for r in members), "rep")


def resolve_rep(config: Config, kpi: Kpi, rep: Rep, period: Period) -> Resolved:
    return TargetBook(config).rep(kpi, rep, period)


def resolve_group(config: Config, kpi: Kpi, reps: Iterable[Rep], period: Period,
                  team: Team | None) -> Resolved:
    return TargetBook(config).group(kpi, reps, period, team)


def _rounded(org: Org, entry: Entry, period: Period, schedule: ramps.Schedule | None
             ) -> Resolved:
    found = scaled_parts(org, entry, period, schedule)
    if found.value is None:
        return Resolved(None, missing=f"the {entry.label} has no target for {period.key}")
    how = found.how
    if schedule and _ramped(schedule, org, period):
        how += f"; {schedule.describe()}"
    return Resolved(round_target(found.value), how, parts=found.parts)


def _sum(addends: tuple[tuple[str, Resolved], ...], what: str) -> Resolved:
    """The sum of the addends that have a target (a team's reps, the org's teams)."""
    values = [r.value for _, r in addends if r.value is not None]
    if not values:
        missing = "no rep has a target" if what == "rep" else "no team has a target"
        return Resolved(None, missing=missing, addends=addends)
    return Resolved(sum(values, Decimal(0)), _sum_of(len(values), what), addends=addends)


@cache
def _untracked(team_id: str, kpi_id: str) -> Resolved:
    # shared: most (KPI, rep) cells of a compute are KPIs the rep's team does not track
    return Resolved(None, missing=f"team {team_id} does not track {kpi_id}")


_INACTIVE = Resolved(None, missing="inactive")


def _period_id(period: Period) -> tuple[str, date, date]:
    return period.key, period.start, period.end


def _sum_of(n: int, what: str) -> str:
    return f"sum of 1 {what}'s targets" if n == 1 else f"sum of {n} {what}s' targets"


# -- averages, ratios and durations ---------------------------------------------------------
def _fixed(entry: Entry, period: Period) -> Resolved:
    """A non-additive target: the same number whatever the period's length."""
    for name, amount in ((period.key, entry.for_key(period.key)),
                         (period.kind, entry.for_kind(period.kind))):
        if amount is not None:
            return Resolved(amount, explicit_source(name, entry))
    if entry.per_rep is None:
        return Resolved(None, missing=f"the {entry.label} has no target for {period.key}")
    return Resolved(entry.per_rep, entry.label)


def _ramped(schedule: ramps.Schedule, org: Org, period: Period) -> bool:
    start, end = target_span(period, org)
    return any(s.start <= end and start <= s.end for s in schedule.stretches)


# -- attainment ------------------------------------------------------------------------------
def attainment(kpi: Kpi, actual: Decimal | None, target: Decimal | None) -> Decimal | None:
    """Actual over target, inverted where lower is better; 1 means exactly on target. None
    without both, and for a target of 0 (nothing to measure against)."""
    if actual is None or target is None or target <= 0:
        return None
    if kpi.direction == "lower":
        if actual <= 0:
            return None
        value = target / actual
    else:
        value = actual / target
    return value.quantize(Decimal("0.0001"))
