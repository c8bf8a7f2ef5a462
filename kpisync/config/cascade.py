"""``cascade:``: the funnel from first activity to closed deal, and how it is read backwards.

Two forms. The list ``cascade: [calls, conversations, meetings_held, deals_won]`` names the
steps only. The mapping form adds the options of the weakest link and the reverse funnel::

    cascade:
      steps: [calls, conversations, meetings_held, opportunities_created, deals_won]
      min_sample: 20
      goal: {kpi: closed_won_revenue, per_deal: average_deal_size}
      cohorts: [{from: meetings_held, to: opportunities_created, within_days: 30}]

To add a key to the mapping form: a ``Key`` in ``CASCADE_KEYS``, a reader in ``_READERS``
(it records problems and returns the value or None), and a field of ``ParsedCascade`` that
``parse_cascade`` fills from ``values``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from yaml.nodes import MappingNode, Node, SequenceNode

from kpisync.config import readers
from kpisync.config import yamlnodes as yn
from kpisync.config.cohorts import parse_cohorts
from kpisync.config.model import CascadeOptions, CohortStep, Kpi
from kpisync.config.problems import Problems, semantic
from kpisync.config.readers import Key
from kpisync.config.refs import Ref

STEPS_EXAMPLE = "[calls, conversations, meetings_held, deals_won]"
MAX_MIN_SAMPLE = 100_000

CASCADE_KEYS = (
    Key("steps", True, f"the funnel's KPI ids, first activity to closed deal, such as "
                       f"{STEPS_EXAMPLE}"),
    Key("min_sample"),
    Key("goal"),
    Key("cohorts"),
)
GOAL_KEYS = (
    Key("kpi", True, "the KPI whose target the reverse funnel works back from, such as "
                     "closed_won_revenue"),
    Key("per_deal"),
)


@dataclass(frozen=True)
class Goal:
    kpi: str
    per_deal: str | None
    #: where they were written, for the checks that need the KPI definitions
    kpi_node: Node
    per_deal_node: Node | None
    path: str


@dataclass(frozen=True)
class ParsedCascade:
    steps: tuple[str, ...] = ()
    options: CascadeOptions = field(default_factory=CascadeOptions)
    goal: Goal | None = None
    #: windowed conversion steps (config/cohorts.py)
    cohorts: tuple[CohortStep, ...] = ()


Reader = Callable[[Node, str, Problems, list[Ref]], object]


def parse_cascade(node: Node, problems: Problems, refs: list[Ref],
                  kpis: Mapping[str, Kpi]) -> ParsedCascade:
    """The cascade in either form; problems recorded, bad parts left out."""
    if isinstance(node, SequenceNode) and node.tag == yn.SEQ:
        return ParsedCascade(steps=_steps(node, "cascade", problems, refs))
    if not (isinstance(node, MappingNode) and node.tag == yn.MAP):
        problems.add(node, "cascade", f"expected a list of KPI ids, such as {STEPS_EXAMPLE}, "
                     f"or a mapping with steps, min_sample, goal and cohorts; got "
                     f"{yn.describe(node)}")
        return ParsedCascade()
    entries = readers.mapping(node, "cascade", problems, CASCADE_KEYS) or {}
    values = {
        name: _READERS[name](pair.value, yn.join("cascade", name), problems, refs)
        for name, pair in entries.items() if name != "cohorts"
    }
    # cohort steps check their KPIs' objects and fields, so they need the KPI definitions
    cohorts = parse_cohorts(entries["cohorts"].value, "cascade.cohorts", problems, refs,
                            dict(kpis)) if "cohorts" in entries else ()
    goal = values.get("goal")
    min_sample = values.get("min_sample")
    options = CascadeOptions(
        min_sample=min_sample if isinstance(min_sample, int) else CascadeOptions.min_sample,
        goal=goal.kpi if isinstance(goal, Goal) else None,
        per_deal=goal.per_deal if isinstance(goal, Goal) else None,
    )
    return ParsedCascade(steps=values.get("steps") or (), options=options,  # type: ignore[arg-type]
                         goal=goal if isinstance(goal, Goal) else None, cohorts=cohorts)


def _steps(node: Node, path: str, problems: Problems, refs: list[Ref]) -> tuple[str, ...]:
    """Each step's conversion is the next step over this one, so order and uniqueness matter."""
    items = readers.sequence(node, path, problems, example=STEPS_EXAMPLE)
    if items is None:
        return ()
    if len(items) < 2:
        problems.add(node, path, f"a cascade needs at least two KPIs, got {len(items)}")
    found = readers.distinct_identifiers(
        items, path, problems, duplicate="'{id}' is already in the cascade (at line {line})"
    )
    refs.extend(Ref("measure", kpi_id, item, item_path) for kpi_id, item, item_path in found)
    return tuple(kpi_id for kpi_id, _, _ in found)


def _min_sample(node: Node, path: str, problems: Problems, refs: list[Ref]) -> int | None:
    return readers.integer(node, path, problems, 1, MAX_MIN_SAMPLE)


def _goal(node: Node, path: str, problems: Problems, refs: list[Ref]) -> Goal | None:
    entries = readers.mapping(node, path, problems, GOAL_KEYS)
    if entries is None:
        return None
    kpi = per_deal = None
    per_deal_node = None
    if "kpi" in entries:
        kpi = _kpi_ref(entries["kpi"].value, yn.join(path, "kpi"), problems, refs, "measure")
    if "per_deal" in entries:
        per_deal_node = entries["per_deal"].value
        per_deal = _kpi_ref(per_deal_node, yn.join(path, "per_deal"), problems, refs, "kpi")
    if kpi is None or ("per_deal" in entries and per_deal is None):
        return None
    return Goal(kpi, per_deal, entries["kpi"].value, per_deal_node, path)


def _kpi_ref(node: Node, path: str, problems: Problems, refs: list[Ref], kind: str
             ) -> str | None:
    kpi_id = readers.identifier(node, path, problems)
    if kpi_id is not None:
        refs.append(Ref(kind, kpi_id, node, path))  # type: ignore[arg-type]
    return kpi_id


_READERS: dict[str, Reader] = {"steps": _steps, "min_sample": _min_sample, "goal": _goal}


@semantic
def check_goal(parsed: ParsedCascade, kpis: Mapping[str, Kpi], problems: Problems) -> None:
    """The goal must have a target that adds up, and reach the cascade: either as one of its
    steps, or through ``per_deal`` to the last step. Run once references resolve."""
    goal = parsed.goal
    if goal is None or goal.kpi not in kpis or not parsed.steps:
        return
    kpi = kpis[goal.kpi]
    where = yn.join(goal.path, "kpi")
    if not kpi.measure.additive:
        kind = kpi.measure.kind
        article = "an" if kind[0] in "aeiou" else "a"
        problems.add(goal.kpi_node, where, f"'{goal.kpi}' is {article} {kind}; the goal "
                     "must count or sum records (deals won, closed-won revenue)")
    elif kpi.target is None:
        problems.add(goal.kpi_node, where, f"'{goal.kpi}' has no target, so the reverse funnel "
                     "has nothing to work back from: give it a target")
    if goal.kpi in parsed.steps and goal.per_deal is not None and goal.per_deal_node:
        problems.add(goal.per_deal_node, yn.join(goal.path, "per_deal"),
                     f"not needed: '{goal.kpi}' is a step of the cascade; remove per_deal")
    elif goal.kpi not in parsed.steps and goal.per_deal is None:
        problems.add(goal.kpi_node, where, f"'{goal.kpi}' is not a step of the cascade: add "
                     f"per_deal (the value of one deal, such as average_deal_size) to turn "
                     f"it into '{parsed.steps[-1]}'")
