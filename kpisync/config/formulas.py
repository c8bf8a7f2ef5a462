"""``measure: {formula: "open_pipeline / (target(closed_won_revenue) - closed_won_revenue)"}``:
arithmetic over other KPIs' values and targets, read into a small tree, never evaluated as code.

The text is parsed with Python's own ``ast`` (so precedence, parentheses and error columns are
Python's), then every node is checked against a tiny grammar: numbers, KPI ids,
``target(kpi_id)``, ``+ - * /``, unary minus and parentheses. Anything else (calls, powers,
attributes, comparisons, strings) is refused with the column where it starts. Evaluating the
tree is ``kpisync.compute.formulas``'s job.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from yaml import Mark
from yaml.nodes import Node, ScalarNode

from kpisync.config import readers
from kpisync.config import yamlnodes as yn
from kpisync.config.problems import Problems, semantic
from kpisync.config.refs import Ref

TARGET_FUNCTION = "target"
GRAMMAR = "numbers, KPI ids, target(kpi_id), + - * / and parentheses"
Operator = Literal["+", "-", "*", "/"]
_OPERATORS: dict[type, Operator] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


@dataclass(frozen=True)
class Number:
    value: Decimal


@dataclass(frozen=True)
class Value:
    """The KPI's actual in the same scope and period."""

    kpi_id: str


@dataclass(frozen=True)
class TargetOf:
    """The KPI's target in the same scope and period."""

    kpi_id: str


@dataclass(frozen=True)
class Negative:
    operand: Term


@dataclass(frozen=True)
class Arithmetic:
    op: Operator
    left: Term
    right: Term


Term = Number | Value | TargetOf | Negative | Arithmetic


@dataclass(frozen=True)
class Formula:
    """A parsed formula and the text it came from (shown on the definitions page)."""

    text: str
    root: Term

    @property
    def kpi_ids(self) -> tuple[str, ...]:
        """The KPIs it reads, values or targets, each once in order of appearance."""
        return tuple(dict.fromkeys(t.kpi_id for t in _walk(self.root)
                                   if isinstance(t, Value | TargetOf)))


def _walk(term: Term) -> Iterator[Term]:
    yield term
    if isinstance(term, Negative):
        yield from _walk(term.operand)
    elif isinstance(term, Arithmetic):
        yield from _walk(term.left)
        yield from _walk(term.right)


def parse_formula(node: Node, path: str, problems: Problems, kpi_id: str | None,
                  refs: list[Ref]) -> Formula | None:
    """The formula in ``node``, its KPI ids added to ``refs`` so that unknown ones are
    reported with a did-you-mean once the whole file is read."""
    text = readers.text(node, path, problems, what=f"a formula of {GRAMMAR}")
    if text is None:
        return None
    where = _Locator(node, text)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        column = (exc.offset or 1) - 1 + (len(text) - len(text.lstrip()))
        problems.add(where.at(column), path, f"cannot read the formula: {exc.msg} — a formula "
                                             f"uses {GRAMMAR}")
        return None
    reader = _Reader(where, path, problems, text)
    root = reader.term(tree.body)
    if root is None or reader.failed:
        return None
    for ref_id, column in reader.ids:
        if ref_id == kpi_id:
            problems.add(where.at(column), path, f"'{kpi_id}' is this KPI itself; a formula "
                                                 "combines other KPIs")
            return None
        refs.append(Ref("kpi", ref_id, where.at(column), path))
    return Formula(text, root)


class _Locator:
    """Turns a column of the formula text into a node located there in kpis.yaml, so errors
    point at the offending id, not at the start of the formula."""

    def __init__(self, node: Node, text: str):
        self.node = node
        # A one-line scalar starts at its first character, or one past its opening quote;
        # inside a block scalar (| or >) columns are not worth guessing: point at its start.
        style = node.style if isinstance(node, ScalarNode) else None
        self.offset = {None: 0, "'": 1, '"': 1}.get(style)
        if "\n" in text or node.start_mark.line != node.end_mark.line:
            self.offset = None

    def at(self, column: int) -> Node:
        if self.offset is None:
            return self.node
        start = self.node.start_mark
        mark = Mark(start.name, start.index + self.offset + column, start.line,
                    start.column + self.offset + column, None, None)
        return ScalarNode(yn.STR, "", mark, mark)


class _Reader:
    """ast nodes → Terms, reporting every node outside the grammar."""

    def __init__(self, where: _Locator, path: str, problems: Problems, text: str):
        self.where, self.path, self.problems = where, path, problems
        #: ast columns count from the first non-blank character
        self.code, self.indent = text.strip(), len(text) - len(text.lstrip())
        self.ids: list[tuple[str, int]] = []
        self.failed = False

    def term(self, node: ast.expr) -> Term | None:
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left, right = self.term(node.left), self.term(node.right)
            if left is None or right is None:
                return None
            return Arithmetic(_OPERATORS[type(node.op)], left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.term(node.operand)
            if operand is None or isinstance(node.op, ast.UAdd):
                return operand
            return Negative(operand)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
                and not isinstance(node.value, bool):
            return self._number(node)
        if isinstance(node, ast.Name):
            return Value(self._id(node.id, node))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == TARGET_FUNCTION:
            return self._target(node)
        return self._refuse(node, f"{self._what(node)} is not allowed — a formula uses "
                                  f"{GRAMMAR}")

    def _number(self, node: ast.Constant) -> Number | None:
        # The written digits, not the float Python read: 0.1 stays exactly 0.1.
        try:
            return Number(Decimal(self._source(node).replace("_", "")))
        except InvalidOperation:
            return self._refuse(node, f"'{self._source(node)}' is not a number")

    def _target(self, node: ast.Call) -> TargetOf | None:
        if len(node.args) != 1 or node.keywords or not isinstance(node.args[0], ast.Name):
            return self._refuse(node, "target() takes one KPI id, such as "
                                      "target(closed_won_revenue)")
        return TargetOf(self._id(node.args[0].id, node.args[0]))

    def _id(self, name: str, node: ast.expr) -> str:
        if not readers.IDENTIFIER.match(name):
            self._refuse(node, f"'{name}' is not a KPI id (lowercase letters, digits and _)")
        self.ids.append((name, self._column(node)))
        return name

    def _refuse(self, node: ast.expr, message: str) -> None:
        self.failed = True
        self.problems.add(self.where.at(self._column(node)), self.path, message)
        return None

    def _column(self, node: ast.expr) -> int:
        return self.indent + node.col_offset

    def _source(self, node: ast.expr) -> str:
        return self.code[node.col_offset:node.end_col_offset]

    def _what(self, node: ast.expr) -> str:
        if isinstance(node, ast.BinOp):
            return f"the operator '{_symbol(node.op)}'"
        if isinstance(node, ast.Call):
            return "a function call"
        if isinstance(node, ast.Constant):
            return f"the value {node.value!r}"
        return f"'{ast.unparse(node)}'"


def _symbol(op: ast.operator) -> str:
    return {ast.Pow: "**", ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@",
            ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<",
            ast.RShift: ">>"}.get(type(op), type(op).__name__)


@semantic
def formula_cycles(formulas: dict[str, tuple[Formula, Node, str]], problems: Problems) -> None:
    """Report each formula that depends on itself through other formulas (a → b → a): it
    could never be evaluated. ``formulas`` maps a KPI id to its formula, node and path."""
    reported: set[str] = set()
    for start in formulas:
        chain = _cycle_from(start, formulas)
        if chain is None or start in reported:
            continue
        reported.update(chain)
        _, node, path = formulas[start]
        loop = " → ".join([*chain, chain[0]])
        problems.add(node, path, f"the formula of '{start}' depends on itself ({loop}); a "
                                 "formula can only use KPIs that do not use it")


def _cycle_from(start: str, formulas: dict[str, tuple[Formula, Node, str]]
                ) -> list[str] | None:
    """The KPIs of a cycle through ``start`` (``start`` first), or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        kpi_id, chain = stack.pop()
        for used in formulas[kpi_id][0].kpi_ids if kpi_id in formulas else ():
            if used == start:
                return chain
            if used not in seen and used in formulas:
                seen.add(used)
                stack.append((used, [*chain, used]))
    return None
