"""A KPI's ``target:``: the per-rep number, its direction, and overrides by team, segment,
region or rep."""

from __future__ import annotations

import re

from yaml.nodes import Node

from kpisync.config import readers
from kpisync.config import yamlnodes as yn
from kpisync.config.model import Target, TargetOverride
from kpisync.config.problems import Problems
from kpisync.config.readers import Key
from kpisync.config.refs import Ref

DIRECTIONS = ("higher", "lower")
SCOPES = ("team", "segment", "region", "rep")
#: a User Id: key prefix 005, 15 characters (case-sensitive) or 18 (case-safe)
USER_ID = re.compile(r"^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$")

TARGET_KEYS = (Key("per_rep"), Key("direction"), Key("overrides"))
OVERRIDE_KEYS = (*(Key(s) for s in SCOPES),
                 Key("per_rep", required=True, hint="the target for these reps, such as 150"))


def target(node: Node, path: str, problems: Problems, refs: list[Ref]) -> Target | None:
    entries = readers.mapping(node, path, problems, TARGET_KEYS)
    if entries is None:
        return None
    per_rep = direction = None
    overrides: tuple[TargetOverride, ...] = ()
    if "per_rep" in entries:
        per_rep = readers.number(entries["per_rep"].value, yn.join(path, "per_rep"), problems)
    if "direction" in entries:
        direction = readers.choice(entries["direction"].value, yn.join(path, "direction"),
                                   problems, DIRECTIONS)
    if "overrides" in entries:
        overrides = _overrides(entries["overrides"].value, yn.join(path, "overrides"),
                               problems, refs)
    return Target(per_rep=per_rep, direction=direction or "higher",  # type: ignore[arg-type]
                  overrides=overrides)


def _overrides(node: Node, path: str, problems: Problems, refs: list[Ref]
               ) -> tuple[TargetOverride, ...]:
    items = readers.sequence(node, path, problems, example="[{team: ae_enterprise, per_rep: 150}]")
    found: list[TargetOverride] = []
    first_line: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items or ()):
        item_path = yn.join(path, index)
        override = _override(item, item_path, problems, refs)
        if override is None:
            continue
        key = (override.scope, override.match)
        if key in first_line:
            problems.add(item, item_path, f"a second override for {override.scope} "
                         f"'{override.match}' (the first is at line {first_line[key]})")
            continue
        first_line[key] = yn.line_of(item)
        found.append(override)
    return tuple(found)


def _override(node: Node, path: str, problems: Problems, refs: list[Ref]
              ) -> TargetOverride | None:
    entries = readers.mapping(node, path, problems, OVERRIDE_KEYS)
    if entries is None:
        return None
    scopes = [entries[s] for s in SCOPES if s in entries]
    if not scopes:
        problems.add(node, path, "an override needs one of team, segment, region or rep, "
                                 "saying which reps it applies to")
    for extra in scopes[1:]:
        problems.add(extra.key_node, path, f"an override applies to exactly one of team, "
                     f"segment, region or rep; this one also has '{scopes[0].key}'")
    per_rep = None
    if "per_rep" in entries:
        per_rep = readers.number(entries["per_rep"].value, yn.join(path, "per_rep"), problems)
    if len(scopes) != 1:
        return None
    scope = scopes[0]
    scope_path = yn.join(path, scope.key)
    if scope.key == "team":
        match = readers.identifier(scope.value, scope_path, problems)
    else:
        match = readers.text(scope.value, scope_path, problems)
    if match is None:
        return None
    if scope.key == "rep" and "@" not in match and not USER_ID.match(match):
        problems.add(scope.value, scope_path, f"expected a username (with @) or a user Id "
                     f"(005 followed by 12 or 15 letters and digits), got '{match}'")
        return None
    if scope.key != "rep":
        refs.append(Ref(scope.key, match, scope.value, scope_path))  # type: ignore[arg-type]
    if per_rep is None:
        return None
    return TargetOverride(scope.key, match, per_rep)  # type: ignore[arg-type]
