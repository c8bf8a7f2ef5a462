"""References between parts of kpis.yaml (a team's KPIs, a ratio's parts, an override's team),
checked once every KPI and team has been read, so the order of the file never matters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from yaml.nodes import Node

from kpisync.config.problems import Problems, did_you_mean, semantic

#: kpi: any defined KPI (formula terms); measure: a defined KPI that is not itself a ratio or a
#: formula (ratio parts, cascade)
RefKind = Literal["kpi", "measure", "team", "segment", "region"]


@dataclass(frozen=True)
class Ref:
    kind: RefKind
    value: str
    node: Node
    path: str


@dataclass(frozen=True)
class Defined:
    """What the file defines, for resolving references."""

    kpis: frozenset[str]
    ratio_kpis: frozenset[str]
    teams: frozenset[str]
    segments: frozenset[str]
    regions: frozenset[str]
    #: formula KPIs: usable by other formulas, not as a ratio's part or a cascade step
    formula_kpis: frozenset[str] = frozenset()


@semantic
def resolve(refs: Iterable[Ref], defined: Defined, problems: Problems) -> None:
    """Report every reference to something the file does not define."""
    for ref in refs:
        if ref.kind in ("kpi", "measure"):
            _kpi(ref, defined, problems)
        elif ref.kind == "team":
            _known(ref, defined.teams, "a defined team", problems)
        elif ref.kind == "segment":
            _known(ref, defined.segments, "a segment of any team", problems)
        else:
            _known(ref, defined.regions, "a region of any team", problems)


def _kpi(ref: Ref, defined: Defined, problems: Problems) -> None:
    if ref.value not in defined.kpis:
        computed = defined.ratio_kpis | defined.formula_kpis
        candidates = defined.kpis - computed if ref.kind == "measure" else defined.kpis
        _known(ref, frozenset(candidates), "a defined KPI", problems)
    elif ref.kind == "measure" and ref.value in defined.ratio_kpis:
        problems.add(ref.node, ref.path, f"'{ref.value}' is itself a ratio; use KPIs that count, "
                                         "sum, average or time records")
    elif ref.kind == "measure" and ref.value in defined.formula_kpis:
        problems.add(ref.node, ref.path, f"'{ref.value}' is a formula; use KPIs that count, sum, "
                                         "average or time records (or write the division as a "
                                         "formula)")


#: past this many, "expected one of" stops helping and is left out
MAX_LISTED = 30


def _containing(word: str, names: frozenset[str]) -> str | None:
    """The one name that contains ``word`` as a whole part ('revenue' in closed_won_revenue),
    for a shortened id that spelling distance alone does not catch."""
    parts = [n for n in names if word.casefold() in n.casefold().split("_")]
    return parts[0] if len(parts) == 1 else None


def _known(ref: Ref, names: frozenset[str], what: str, problems: Problems) -> None:
    if ref.value in names:
        return
    close = did_you_mean(ref.value, sorted(names)) or _containing(ref.value, names)
    if close is not None:
        advice = f" — did you mean '{close}'?"
    elif names and len(names) <= MAX_LISTED:
        advice = f" — expected one of: {', '.join(sorted(names))}"
    elif not names:
        advice = " (there are none)"
    else:
        advice = ""
    problems.add(ref.node, ref.path, f"'{ref.value}' is not {what}{advice}")
