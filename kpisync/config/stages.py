"""``stages:``: the Opportunity stages of the funnel, in order, for the stage analysis.

Stage names are the org's own picklist values, so they cannot be checked offline; they must
be unique, because each stage's conversion is into the one listed after it.
"""

from __future__ import annotations

from yaml.nodes import Node

from kpisync.config import readers
from kpisync.config import yamlnodes as yn
from kpisync.config.problems import Problems
from kpisync.sobjects import SYSTEM_FIELDS

#: what the stage analysis reads: the history rows and the opportunities they belong to
STAGE_FIELDS: dict[str, tuple[str, ...]] = {
    "OpportunityHistory": (*SYSTEM_FIELDS, "OpportunityId", "StageName", "CreatedDate"),
    "Opportunity": (*SYSTEM_FIELDS, "OwnerId", "Amount", "CreatedDate", "CloseDate",
                    "IsClosed", "IsWon"),
}


def parse_stages(node: Node, problems: Problems) -> tuple[str, ...]:
    """The stage names, each once, in funnel order."""
    items = readers.sequence(node, "stages", problems,
                             example="[Prospecting, Qualification, Closed Won]")
    if items is None:
        return ()
    if not items:
        problems.add(node, "stages", "expected at least one stage name, in funnel order, "
                                     "such as [Prospecting, Qualification, Closed Won]")
    first: dict[str, Node] = {}
    for index, item in enumerate(items):
        path = yn.join("stages", index)
        name = readers.text(item, path, problems, what="a stage name")
        if name is None:
            continue
        if name in first:
            problems.add(item, path,
                         f"'{name}' is already in stages (at line {yn.line_of(first[name])})")
        else:
            first[name] = item
    return tuple(first)
