"""The result cells of one compute: actual, target, attainment, pace and ranks per KPI x period
x scope, made a KPI and period at a time.

A scorecard has a cell for every KPI, period and scope: 13 KPIs x 19 periods x 505 scopes is
125,000 cells, most of them a rep's actual for a KPI the rep's team does not score. Per cell,
only what differs is worked out: the KPI's and period's facts (additive, before the history,
which teams track the KPI, whether the period runs) once per KPI and period, targets through
``TargetBook``'s caches, pace only in running periods. The cells are frozen as ``KpiResult``s
once the period's ranks are known (the ranks need every rep's attainment).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from functools import lru_cache

from kpisync.compute import formulas, history, ranking, targets
from kpisync.compute.model import KpiResult, Period, Rep, defaults, frozen
from kpisync.compute.pacing import pacing
from kpisync.config.model import Config, Kpi

# (kpi_id, period_key, scope, scope_id) -> actual
Actuals = dict[tuple[str, str, str, str], Decimal | None]
#: who a cell is for: (scope, scope id, name, the rep as placed / the team's or org's reps
#: as placed, the team's config); see ``engine._scopes``
ScopeRow = tuple

#: every KpiResult field at its default; a cell starts from these
_DEFAULTS = defaults(KpiResult)
#: what `_shown` gives for a value it has not normalized yet
_UNSEEN = object()


class Cells:
    """One compute's result cells. ``scopes`` lists, per period key, who the period's cells
    are for, in the order the results list them."""

    def __init__(self, config: Config, periods: tuple[Period, ...],
                 scopes: dict[str, list[ScopeRow]], actuals: Actuals, as_of: date,
                 book: targets.TargetBook, reps: list[Rep], gaps: history.Gaps = frozenset()):
        self.config, self.periods, self.scopes, self.actuals = config, periods, scopes, actuals
        self.as_of, self.book, self.gaps = as_of, book, gaps
        self.reps = {rep.id: rep for rep in reps}
        self._rep_indexes: dict[str, dict[str, int]] = {}
        #: actual -> normalize(actual); keyed by value, as normalize's own cache
        self._shown: dict[Decimal | None, Decimal | None] = {None: None}

    def of(self, kpi: Kpi) -> list[KpiResult]:
        """The KPI's cells, period by period, each period's scopes in ``scopes`` order."""
        tracking = frozenset(team.id for team in self.config.teams if kpi.id in team.kpis)
        found: list[KpiResult] = []
        for period in self.periods:
            found += self._period(kpi, period, tracking)
        return found

    def _period(self, kpi: Kpi, period: Period, tracking: frozenset[str]) -> list[KpiResult]:
        kpi_id, period_key = kpi.id, period.key
        before_history = (kpi_id, period_key) in self.gaps
        # no records: zero calls, not an unknown number of calls (but no value before the
        # synced history, and none for an average of nothing)
        zero = Decimal(0) if kpi.measure.additive and not before_history else None
        start = dict(_DEFAULTS, kpi_id=kpi_id, period_key=period_key,
                     before_history=before_history)
        actuals, book, shown = self.actuals, self.book, self._shown
        paced = _Paced(self.config, kpi, period, self.as_of) if period.is_current else None
        cells: list[dict] = []
        attainments: dict[str, Decimal] = {}
        for scope, scope_id, scope_name, who, team in self.scopes[period_key]:
            actual = actuals.get((kpi_id, period_key, scope, scope_id))
            if actual is None:
                actual = zero
            normal = shown.get(actual, _UNSEEN)  # normalize(actual), inlined: once per cell
            if normal is _UNSEEN:
                normal = shown[actual] = normalize(actual)
            cell = {**start, "scope": scope, "scope_id": scope_id, "scope_name": scope_name,
                    "actual": normal}
            cells.append(cell)
            if scope == "rep":
                if who is None or who.team_id not in tracking:
                    continue  # most rep cells: a KPI the rep's team does not score
                resolved = book.rep(kpi, who, period)
            else:
                resolved = book.group(kpi, who, period, team)
            target = resolved.value
            cell["target"] = normalize(target)
            cell["attainment"] = attained = targets.attainment(kpi, actual, target)
            cell["target_source"] = resolved.source
            if scope == "rep" and attained is not None:
                attainments[scope_id] = attained
            if paced is not None:  # closed periods (most cells) have no pace to work out
                cell.update(paced.of(actual, target))
        ranks = ranking.rank_reps(attainments, self.reps, running=period.is_current)
        for scope_id, (in_team, in_org) in ranks.items():
            # a rep has one cell per KPI and period: its index in the period's scope list
            cell = cells[self._rep_index(period_key)[scope_id]]
            cell["rank_in_team"], cell["rank_in_org"] = in_team, in_org
        return [frozen(KpiResult, cell) for cell in cells]

    def _rep_index(self, period_key: str) -> dict[str, int]:
        """Where each rep's cell is in the period's cells (their row in ``scopes``)."""
        if period_key not in self._rep_indexes:
            self._rep_indexes[period_key] = {
                row[1]: i for i, row in enumerate(self.scopes[period_key]) if row[0] == "rep"}
        return self._rep_indexes[period_key]

    def formula_results(self, results: Iterable[KpiResult]) -> list[KpiResult]:
        """Formula KPIs' results, each formula after those it uses (see compute/formulas.py);
        their actuals join ``actuals``."""
        ordered = formulas.evaluation_order(self.config.kpis)
        if not ordered:
            return []
        index = {(r.kpi_id, r.period_key, r.scope, r.scope_id): r for r in results}
        keys = [(period.key, scope[0], scope[1]) for period in self.periods
                for scope in self.scopes[period.key]]
        found: list[KpiResult] = []
        for kpi in ordered:
            self.actuals.update(formulas.formula_actuals(kpi, keys, index))
            for result in self.of(kpi):
                index[(kpi.id, result.period_key, result.scope, result.scope_id)] = result
                found.append(result)
        return found


class _Paced:
    """The pace fields of a running period's cells for one KPI. Reps of a team share targets
    and many share an actual, and ``pacing`` (exact fractions) depends on nothing else: each
    (actual, target) is worked out once. Keyed by value: the fields are normalized, so 3 and
    3.0000 give the same ones."""

    def __init__(self, config: Config, kpi: Kpi, period: Period, as_of: date):
        self.config, self.kpi, self.period, self.as_of = config, kpi, period, as_of
        self._found: dict[tuple[Decimal | None, Decimal | None], dict] = {}

    def of(self, actual: Decimal | None, target: Decimal | None) -> dict:
        key = (actual, target)
        if key not in self._found:
            progress = pacing(self.config, self.kpi, self.period, self.as_of, actual, target)
            self._found[key] = dict(on_pace=progress.on_pace,
                                    expected=normalize(progress.expected), pace=progress.pace,
                                    projected=normalize(progress.projected))
        return self._found[key]


def normalize(value: Decimal | None) -> Decimal | None:
    """Drop trailing zeros DuckDB's DECIMAL(38,4) adds, keeping the value exact."""
    return None if value is None else _normalized(value)


@lru_cache(maxsize=1 << 16)
def _normalized(value: Decimal) -> Decimal:
    # cached: a compute normalizes a few hundred thousand values, most of them repeats. Equal
    # values (1, 1.0000) normalize alike, so sharing their cache entry is exact.
    value = Decimal(value)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
