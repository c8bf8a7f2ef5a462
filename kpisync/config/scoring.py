"""``scoring:``: how the three tiers weigh in the scorecard score, and the attainment cap.

    scoring:
      weights: {results: 50, objectives: 30, activities: 20}   # percent, adding up to 100
      cap: 150                                                 # percent of target, at most

Both keys are optional; without ``scoring`` the weights and cap above apply.
"""

from __future__ import annotations

from decimal import Decimal

from yaml.nodes import Node

from kpisync.config import readers
from kpisync.config import yamlnodes as yn
from kpisync.config.model import TIERS, Scoring
from kpisync.config.problems import Problems
from kpisync.config.readers import Key

SCORING_KEYS = (Key("weights"), Key("cap"))
WEIGHT_KEYS = tuple(Key(tier) for tier in TIERS)
#: a cap below 100 % would keep a rep who is exactly on target from scoring 100 %
MIN_CAP = Decimal(100)


def parse_scoring(node: Node, problems: Problems) -> Scoring | None:
    """The scoring settings, or None after recording the problems."""
    entries = readers.mapping(node, "scoring", problems, SCORING_KEYS)
    if entries is None:
        return None
    values: dict[str, object] = {}
    if "weights" in entries:
        values["weights"] = _weights(entries["weights"].value, "scoring.weights", problems)
    if "cap" in entries:
        values["cap"] = _cap(entries["cap"].value, "scoring.cap", problems)
    if any(v is None for v in values.values()):
        return None
    return Scoring(**values)  # type: ignore[arg-type]


def _weights(node: Node, path: str, problems: Problems
             ) -> tuple[tuple[str, Decimal], ...] | None:
    entries = readers.mapping(node, path, problems, WEIGHT_KEYS)
    if entries is None:
        return None
    weights = {tier: readers.number(pair.value, yn.join(path, tier), problems)
               for tier, pair in entries.items()}
    if any(w is None for w in weights.values()):
        return None
    total = sum(weights.values(), Decimal(0))
    if total != 100:
        given = ", ".join(f"{tier} {weights[tier]}" for tier in TIERS if tier in weights)
        problems.add(node, path, f"the weights are percentages and must add up to 100; "
                     f"{given or 'none'} add up to {total}")
        return None
    return tuple((tier, weights.get(tier) or Decimal(0)) for tier in TIERS)


def _cap(node: Node, path: str, problems: Problems) -> Decimal | None:
    cap = readers.number(node, path, problems)
    if cap is not None and cap < MIN_CAP:
        problems.add(node, path, f"expected a percentage of target of at least 100, such as "
                     f"150, got {yn.describe(node)}: a lower cap would keep a rep on target "
                     "from scoring 100 %")
        return None
    return cap
