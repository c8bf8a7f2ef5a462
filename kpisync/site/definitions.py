"""The KPI definitions page: kpis.yaml read back in words a sales leader can check.

"Sum of Amount", "CallDurationInSeconds ≥ 120", "300 per rep per month": the page answers "what
exactly does this number count?" without anyone opening the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kpisync.config.formulas import Arithmetic, Negative, Number, TargetOf, Term, Value
from kpisync.config.model import Config, Filter, FilterGroup, Kpi, Target
from kpisync.registry import registry
from kpisync.site import formatting as fmt
from kpisync.site.viewdata import (
    KPIS_PAGE,
    TIER_LABELS,
    Fact,
    Frame,
    Link,
    kpi_anchor,
    relative_to,
)

_OPERATORS = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
_PERIOD_WORDS = {
    "week": "week",
    "month": "month",
    "quarter": "quarter",
    "year": "year",
    "fiscal_quarter": "fiscal quarter",
    "fiscal_year": "fiscal year",
}


@dataclass(frozen=True)
class KpiDefinition:
    anchor: str
    name: str
    kpi_id: str
    description: str
    tier_label: str
    type_key: str
    type_label: str
    facts: tuple[Fact, ...]
    filters: tuple[str, ...]
    overrides: tuple[str, ...]


@dataclass(frozen=True)
class KpisPage:
    frame: Frame
    heading: str
    definitions: tuple[KpiDefinition, ...]
    #: the cascade in order, each linking to its definition; empty without a cascade
    cascade: tuple[Link, ...]


def kpis_page(config: Config, frame: Frame) -> KpisPage:
    rel = relative_to(KPIS_PAGE)
    names = {k.id: k.name for k in config.kpis}
    return KpisPage(
        frame=frame,
        heading="KPI definitions",
        definitions=tuple(definition(kpi, config) for kpi in config.kpis),
        cascade=tuple(
            Link(names.get(kpi_id, kpi_id), rel(f"{KPIS_PAGE}#{kpi_anchor(kpi_id)}"))
            for kpi_id in config.cascade
        ),
    )


def definition(kpi: Kpi, config: Config) -> KpiDefinition:
    names = {k.id: k.name for k in config.kpis}
    facts = (
        Fact("Tier", TIER_LABELS.get(kpi.tier, kpi.tier)),
        Fact("Type", kpi.type.capitalize()),
        Fact("Unit", fmt.UNIT_WORDS.get(kpi.unit, kpi.unit)),
        Fact("Source", kpi.source or "Computed from other KPIs"),
        Fact("Measure", measure_words(kpi, names)),
        # date: [ActivityDate, CreatedDate] reads "ActivityDate, else CreatedDate"
        Fact("Date field", ", else ".join(kpi.date_fields) or fmt.MISSING),
        Fact("Credited to", kpi.credit_field or fmt.MISSING),
        Fact("Target", target_words(kpi, config)),
        Fact("Direction", "Lower is better" if kpi.direction == "lower" else "Higher is better"),
    )
    return KpiDefinition(
        anchor=kpi_anchor(kpi.id),
        name=kpi.name,
        kpi_id=kpi.id,
        description=kpi.description,
        tier_label=TIER_LABELS.get(kpi.tier, kpi.tier),
        type_key=kpi.type,
        type_label=kpi.type.capitalize(),
        facts=facts,
        filters=tuple(filter_words(f) for f in kpi.filters) or ("All records",),
        overrides=override_lines(kpi, config),
    )


def measure_words(kpi: Kpi, names: dict[str, str]) -> str:
    """The measure as a sentence: "Sum of Amount", "Deals won ÷ Deals closed × 100"."""
    m = kpi.measure
    if m.kind == "count":
        return f"Count of {kpi.source} records" if kpi.source else "Count of records"
    if m.kind == "sum":
        return f"Sum of {m.field}"
    if m.kind == "average":
        return f"Average of {m.field}"
    if m.kind == "median":
        return f"Median of {m.field}"
    if m.kind == "min":
        return f"Smallest {m.field}"
    if m.kind == "max":
        return f"Largest {m.field}"
    if m.kind == "formula" and m.formula is not None:
        return f"Formula: {formula_words(m.formula.root, names)}"
    if m.kind == "distinct_count":
        return f"Number of distinct {m.field} values"
    if m.kind == "ratio":
        numerator = names.get(m.numerator or "", m.numerator)
        denominator = names.get(m.denominator or "", m.denominator)
        scale = " × 100" if kpi.unit == "percent" else ""
        return f"{numerator} ÷ {denominator}{scale}"
    if m.kind == "duration":
        unit = "minutes" if kpi.unit == "minutes" else "days"
        return f"Average time from {m.start_field} to {m.end_field}, in {unit}"
    return plugin_measure_words(kpi)


def plugin_measure_words(kpi: Kpi) -> str:
    """A plugin measure with its options and the plugin's own description: "Capped sum of
    Amount (cap: 5,000): the sum of a number field, each record counting at most cap"."""
    m = kpi.measure
    name = m.kind.replace("_", " ").capitalize()
    words = f"{name} of {m.field}" if m.field else name
    options = ", ".join(f"{key}: {_option_words(value)}" for key, value in m.options
                        if value is not None)
    if options:
        words += f" ({options})"
    measure = registry().measures.get(m.kind)
    description = measure.description.replace("`", "") if measure is not None else ""
    return f"{words}: {description}" if description else words


def _option_words(value) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, Decimal):  # 5,000 and 0.25, never 5E+3 or 5000.00
        text = f"{value:,f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return _value_words(value)


def filter_words(condition: Filter | FilterGroup) -> str:
    """One filter as it reads in a report builder: "TaskSubtype = Call", "Amount is empty";
    an ``any:`` group reads "A or B", an ``all:`` group "A and B", nested ones in brackets."""
    if isinstance(condition, FilterGroup):
        joiner = " or " if condition.kind == "any" else " and "
        return joiner.join(_nested_words(item) for item in condition.items)
    name = condition.field
    if condition.op in ("is_null", "is_not_null"):
        empty = condition.value == (condition.op == "is_null")
        return f"{name} is empty" if empty else f"{name} is not empty"
    if condition.op in ("in", "not_in"):
        values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
        listed = ", ".join(_value_words(v) for v in values)
        verb = "is one of" if condition.op == "in" else "is none of"
        return f"{name} {verb} {listed}"
    if condition.op == "between" and isinstance(condition.value, tuple):
        low, high = (_value_words(v) for v in condition.value)
        return f"{name} is from {low} to {high}"
    if condition.op in ("starts_with", "contains"):
        verb = "starts with" if condition.op == "starts_with" else "contains"
        return f"{name} {verb} “{condition.value}” (any case)"
    operator = _OPERATORS.get(condition.op, condition.op)
    return f"{name} {operator} {_value_words(condition.value)}"


def _nested_words(item: Filter | FilterGroup) -> str:
    words = filter_words(item)
    return f"({words})" if isinstance(item, FilterGroup) and len(item.items) > 1 else words


def formula_words(term: Term, names: dict[str, str]) -> str:
    """A formula with KPI names: "Open pipeline ÷ (Revenue target − Revenue)"."""
    if isinstance(term, Number):
        return f"{term.value:f}"
    if isinstance(term, Value):
        return names.get(term.kpi_id, term.kpi_id)
    if isinstance(term, TargetOf):
        return f"{names.get(term.kpi_id, term.kpi_id)} target"
    if isinstance(term, Negative):
        return f"−{_operand_words(term.operand, names)}"
    assert isinstance(term, Arithmetic)
    symbol = {"+": "+", "-": "−", "*": "×", "/": "÷"}[term.op]
    return f"{_operand_words(term.left, names)} {symbol} {_operand_words(term.right, names)}"


def _operand_words(term: Term, names: dict[str, str]) -> str:
    words = formula_words(term, names)
    return f"({words})" if isinstance(term, Arithmetic) else words


def _value_words(value) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def target_words(kpi: Kpi, config: Config) -> str:
    """The default target with how it scales: counts and sums add up over reps and periods,
    averages and ratios are the same number everywhere (see docs/compute.md)."""
    target: Target | None = kpi.target
    if target is None:
        return "No target"
    if target.per_rep is None:
        return "No default target" if target.overrides else "No target"
    return _target_amount(kpi, target.per_rep, config)


def _target_amount(kpi: Kpi, amount: Decimal, config: Config) -> str:
    value = fmt.display_value(amount, kpi.unit, config.org.currency)
    if kpi.measure.additive:
        period = _PERIOD_WORDS.get(config.org.default_period, config.org.default_period)
        return f"{value} per rep per {period}"
    return f"{value} for every rep, team and the org"


def override_lines(kpi: Kpi, config: Config) -> tuple[str, ...]:
    """Each override as "Team ae: 4 per rep per month", in the order kpis.yaml lists them,
    then the explicit period targets ("Every quarter: 850 per rep") and team totals."""
    target = kpi.target
    if target is None:
        return ()
    money = config.org.currency
    lines = [
        f"{o.scope.capitalize()} {o.match}: {_target_amount(kpi, o.per_rep, config)}"
        + "".join(f"; {_explicit_words(name, v, kpi, money)}" for name, v in
                  (*o.per_period, *o.periods))
        for o in target.overrides
    ]
    for name, value in (*target.per_period, *target.periods):
        words = _explicit_words(name, value, kpi, money)
        lines.append(f"{words[:1].upper()}{words[1:]} per rep")
    period = _PERIOD_WORDS.get(config.org.default_period, config.org.default_period)
    lines += [f"Team total {team}: {fmt.display_value(value, kpi.unit, money)} per {period}"
              for team, value in target.team_totals]
    return tuple(lines)


def _explicit_words(name: str, value: Decimal, kpi: Kpi, currency: str) -> str:
    """"every quarter: 850" for a period kind, "2026-Q4: 1,000" for a named period."""
    amount = fmt.display_value(value, kpi.unit, currency)
    if name in _PERIOD_WORDS:
        return f"every {_PERIOD_WORDS[name]}: {amount}"
    return f"{name}: {amount}"
