"""One entry of ``teams:``: who is on it (by role, user Id, username or User fields) and which
KPIs its scorecard shows."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from yaml.nodes import MappingNode, Node, SequenceNode

from kpisync.config import fields, readers
from kpisync.config import yamlnodes as yn
from kpisync.config.members import (
    USER_IDS,
    USERNAMES,
    DatedEntry,
    PersonList,
    check_overlaps,
    read_people,
)
from kpisync.config.model import MemberSelector, Team
from kpisync.config.problems import Problems, semantic
from kpisync.config.readers import Key
from kpisync.config.refs import Ref
from kpisync.sobjects import USER

#: a scorecard with more KPIs than this stops being read; 3-4 is the sweet spot
MAX_TEAM_KPIS = 6
_TEXT_TYPES = ("string", "picklist", "reference", "id", "email", "textarea", "phone")

TEAM_KEYS = (
    Key("id", True, "a lowercase id such as sdr_east"),
    Key("name", True, "the name people read, such as SDR East"),
    Key("members", True, "rules saying who is on the team, such as {roles: [SDR East]}"),
    Key("segment"),
    Key("region"),
    Key("kpis", True, "the ids of the KPIs its scorecard shows, such as [calls, meetings_held]"),
)
MEMBER_KEYS = (Key("roles"), Key("user_ids"), Key("usernames"), Key("where"))


@dataclass
class ParsedTeam:
    team: Team
    node: Node
    path: str
    id_node: Node | None
    refs: list[Ref] = field(default_factory=list)
    dated: list[DatedEntry] = field(default_factory=list)


def parse_team(node: Node, path: str, problems: Problems) -> ParsedTeam | None:
    entries = readers.mapping(node, path, problems, TEAM_KEYS)
    if entries is None:
        return None

    def read(key: str, reader):
        return reader(entries[key].value, yn.join(path, key), problems) if key in entries \
            else None

    team_id = read("id", readers.identifier)
    members, dated = _members(entries["members"].value, yn.join(path, "members"), problems) \
        if "members" in entries else (None, [])
    refs: list[Ref] = []
    kpi_ids = _kpis(entries["kpis"].value, yn.join(path, "kpis"), problems, refs) \
        if "kpis" in entries else ()
    team = Team(
        id=team_id or "", name=read("name", readers.text) or "",
        members=members or MemberSelector(), kpis=kpi_ids,
        segment=read("segment", readers.text), region=read("region", readers.text),
    )
    return ParsedTeam(team, node, path, entries["id"].value if team_id else None, refs, dated)


@semantic
def check_dated_members(teams: list[ParsedTeam], problems: Problems) -> None:
    """Dated entries of one user, across all teams, must not share a day."""
    check_overlaps([replace(d, team_id=p.team.id) for p in teams for d in p.dated], problems)


def _members(
    node: Node, path: str, problems: Problems
) -> tuple[MemberSelector | None, list[DatedEntry]]:
    entries = readers.mapping(node, path, problems, MEMBER_KEYS)
    if entries is None:
        return None, []

    def listed(key: str, what: str, example: str) -> list[tuple[str, Node]]:
        if key not in entries:
            return []
        return readers.strings(entries[key].value, yn.join(path, key), problems, what=what,
                               example=example)

    def people(spec: PersonList) -> tuple[list[tuple[str, Node]], list[DatedEntry]]:
        if spec.key not in entries:
            return [], []
        return read_people(entries[spec.key].value, yn.join(path, spec.key), problems, spec)

    roles = listed("roles", "a role name", "[SDR East]")
    user_ids, dated_ids = people(USER_IDS)
    usernames, dated_names = people(USERNAMES)
    where = _where(entries["where"].value, yn.join(path, "where"), problems) \
        if "where" in entries else ()
    dated = dated_ids + dated_names
    selector = MemberSelector(
        roles=tuple(v for v, _ in roles), user_ids=tuple(v for v, _ in user_ids),
        usernames=tuple(v for v, _ in usernames), where=where,
        dated=tuple(d.member for d in dated),
    )
    if not entries:
        problems.add(node, path, "expected at least one rule: roles, user_ids, usernames or where")
    elif all(_is_empty(pair.value) for pair in entries.values()):
        problems.add(node, path, "every rule is empty, so nobody is on this team: list at least "
                                 "one role, user Id, username or User field")
    return selector, dated


def _is_empty(node: Node) -> bool:
    return isinstance(node, MappingNode | SequenceNode) and not node.value


def _where(node: Node, path: str, problems: Problems) -> tuple[tuple[str, str], ...]:
    """User field equalities: text fields take text, true/false fields take true or false."""
    if not isinstance(node, MappingNode) or node.tag != yn.MAP:
        problems.add(node, path, "expected a mapping of User field: value, such as "
                                 f"{{Department: Sales Development}}; got {yn.describe(node)}")
        return ()
    found = []
    for pair in yn.pairs(node, path, problems):
        field_path = yn.join(path, pair.key)
        if not fields.check_field(pair.key, pair.key_node, field_path, problems, USER):
            continue
        field_type = USER.field_type(pair.key)
        if field_type is not None and field_type not in (*_TEXT_TYPES, "boolean"):
            problems.add(pair.key_node, field_path, f"User.{pair.key} is a {field_type} field; "
                         "teams are matched on text or true/false fields")
            continue
        ok, value = fields.field_value(pair.value, field_path, problems, field_type)
        if ok:
            found.append((pair.key, value))
    return tuple(found)  # type: ignore[return-value]


def _kpis(node: Node, path: str, problems: Problems, refs: list[Ref]) -> tuple[str, ...]:
    items = readers.sequence(node, path, problems, example="[calls, meetings_held, deals_won]")
    if items is None:
        return ()
    if not items:
        problems.add(node, path, "expected at least one KPI id")
    if len(items) > MAX_TEAM_KPIS:
        problems.add(node, path, f"a team shows at most {MAX_TEAM_KPIS} KPIs, got {len(items)}; "
                     "3-4 keeps a scorecard focused")
    found = readers.distinct_identifiers(
        items, path, problems, duplicate="'{id}' is listed twice (first at line {line})"
    )
    refs.extend(Ref("kpi", kpi_id, item, item_path) for kpi_id, item, item_path in found)
    return tuple(kpi_id for kpi_id, _, _ in found)
