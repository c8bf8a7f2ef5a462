"""Formula KPIs: arithmetic over other KPIs' results and targets, per scope and period.

``open_pipeline / (target(closed_won_revenue) - closed_won_revenue)`` for the AE team in March
reads the team's March open pipeline, its March revenue target and its March revenue, exactly
as the scorecard shows them. So a formula is evaluated after the KPIs it uses have their
results (targets included), in dependency order: formulas may use ratios and other formulas.

Arithmetic is Decimal. A missing operand (an average of no records, a KPI without a target) or a
division by zero makes the cell "no value" (None): never 0, never an error, because a coverage
of 0 would read as "no pipeline at all".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from kpisync.compute.model import KpiResult
from kpisync.config.formulas import Arithmetic, Negative, Number, TargetOf, Term, Value
from kpisync.config.model import Kpi
from kpisync.errors import ComputeError

#: (period_key, scope, scope_id): one cell of the scorecard
Cell = tuple[str, str, str]
Results = Mapping[tuple[str, str, str, str], KpiResult]
#: formulas are rounded like ratios, to 4 places
QUANTUM = Decimal("0.0001")


def evaluation_order(kpis: Iterable[Kpi]) -> list[Kpi]:
    """The formula KPIs, each after the formulas it uses."""
    formulas = {k.id: k for k in kpis if k.measure.kind == "formula"}
    ordered: list[Kpi] = []
    state: dict[str, str] = {}

    def visit(kpi_id: str, chain: tuple[str, ...]) -> None:
        if state.get(kpi_id) == "done":
            return
        if state.get(kpi_id) == "visiting":
            loop = " → ".join((*chain, kpi_id))
            raise ComputeError(f"formula KPIs depend on each other in a cycle ({loop})")
        state[kpi_id] = "visiting"
        for used in _formula(formulas[kpi_id]).kpi_ids:
            if used in formulas:
                visit(used, (*chain, kpi_id))
        state[kpi_id] = "done"
        ordered.append(formulas[kpi_id])

    for kpi_id in formulas:
        visit(kpi_id, ())
    return ordered


def formula_actuals(kpi: Kpi, cells: Iterable[Cell], results: Results
                    ) -> dict[tuple[str, str, str, str], Decimal | None]:
    """The formula's value in every cell, from the results of the KPIs it uses."""
    root = _formula(kpi).root
    actuals: dict[tuple[str, str, str, str], Decimal | None] = {}
    for period_key, scope, scope_id in cells:

        def result(kpi_id: str) -> KpiResult | None:
            return results.get((kpi_id, period_key, scope, scope_id))  # noqa: B023

        value = evaluate(root, result)
        actuals[(kpi.id, period_key, scope, scope_id)] = (
            None if value is None else value.quantize(QUANTUM)
        )
    return actuals


def evaluate(term: Term, result: Callable[[str], KpiResult | None]) -> Decimal | None:
    """One cell's value; ``result`` gives a used KPI's result in that cell (None: none)."""
    if isinstance(term, Number):
        return term.value
    if isinstance(term, Value | TargetOf):
        found = result(term.kpi_id)
        if found is None:
            return None
        return found.actual if isinstance(term, Value) else found.target
    if isinstance(term, Negative):
        operand = evaluate(term.operand, result)
        return None if operand is None else -operand
    return _arithmetic(term, result)


def _arithmetic(term: Arithmetic, result: Callable[[str], KpiResult | None]) -> Decimal | None:
    left, right = evaluate(term.left, result), evaluate(term.right, result)
    if left is None or right is None:
        return None
    if term.op == "+":
        return left + right
    if term.op == "-":
        return left - right
    if term.op == "*":
        return left * right
    return None if right == 0 else left / right


def _formula(kpi: Kpi):
    if kpi.measure.formula is None:
        raise ComputeError(f"KPI '{kpi.id}' (kpis.yaml line {kpi.line}) is a formula KPI "
                           "without a formula")
    return kpi.measure.formula
