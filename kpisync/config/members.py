"""The people listed on a team by user Id or username, plainly or with from/until dates.

``usernames: [jane@x.example, {username: bob@x.example, from: 2026-06-01}]``: a plain entry is a
rule like a role (it holds on every day); a dated entry places its user on the team for its days
only, and wins over every team's rules on those days (compute/membership.py). Two dated entries
for one user must not share a day, or one record would be credited to two teams.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from yaml.nodes import MappingNode, Node, ScalarNode

from kpisync.config import readers
from kpisync.config import yamlnodes as yn
from kpisync.config.model import DatedMember
from kpisync.config.problems import Problems
from kpisync.config.readers import Key
from kpisync.config.targets import USER_ID

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class PersonList:
    """How one of the lists (``user_ids`` or ``usernames``) is written and checked."""

    key: str
    kind: str
    #: the key naming the person in a dated entry
    entry_key: str
    what: str
    example: str
    #: the problem with a value, or None when it is fine
    check: Callable[[str], str | None]


@dataclass(frozen=True)
class DatedEntry:
    member: DatedMember
    node: Node
    path: str
    team_id: str = ""


def _check_user_id(value: str) -> str | None:
    if USER_ID.match(value):
        return None
    return f"expected a user Id (005 followed by 12 or 15 letters and digits), got '{value}'"


def _check_username(value: str) -> str | None:
    if "@" in value:
        return None
    return (f"expected a Salesforce username, which looks like an email address, "
            f"got '{value}'")


USER_IDS = PersonList("user_ids", "user_id", "id", "a user Id", "005Hs00000AbCdEIAX",
                      _check_user_id)
USERNAMES = PersonList("usernames", "username", "username", "a username",
                       "jane@northwind.example", _check_username)


def dated_keys(spec: PersonList) -> tuple[Key, ...]:
    """The keys of a dated entry: ``{username: ..., from: ..., until: ...}``."""
    return (Key(spec.entry_key, True, f"{spec.what}, such as {spec.example}"),
            Key("from"), Key("until"))


def read_people(
    node: Node, path: str, problems: Problems, spec: PersonList
) -> tuple[list[tuple[str, Node]], list[DatedEntry]]:
    """The plain entries (value, node) and the dated ones of one list; bad items are reported
    and left out. A mapping without from or until is a plain entry."""
    items = readers.sequence(node, path, problems, f"[{spec.example}]")
    plain: list[tuple[str, Node]] = []
    dated: list[DatedEntry] = []
    for index, item in enumerate(items or ()):
        item_path = yn.join(path, index)
        if isinstance(item, MappingNode):
            entry = _dated(item, item_path, problems, spec)
            if entry is not None and (entry.member.start or entry.member.end):
                dated.append(entry)
            elif entry is not None:
                plain.append((entry.member.value, item))
            continue
        if isinstance(item, ScalarNode) and item.tag == yn.STR and item.value.strip():
            value = item.value
            message = spec.check(value)
            if message:
                problems.add(item, item_path, message)
            else:
                plain.append((value, item))
            continue
        problems.add(item, item_path, f"expected {spec.what} or {{{spec.entry_key}: "
                     f"{spec.example}, from: YYYY-MM-DD, until: YYYY-MM-DD}}; got "
                     f"{yn.describe(item)}")
    return plain, dated


def _dated(node: MappingNode, path: str, problems: Problems, spec: PersonList) -> DatedEntry | None:
    entries = readers.mapping(node, path, problems, dated_keys(spec))
    if entries is None or spec.entry_key not in entries:
        return None
    person = entries[spec.entry_key].value
    value = readers.text(person, yn.join(path, spec.entry_key), problems, what=spec.what)
    message = spec.check(value) if value is not None else None
    if message:
        problems.add(person, yn.join(path, spec.entry_key), message)
    days = {key: _day(entries[key].value, yn.join(path, key), problems)
            for key in ("from", "until") if key in entries}
    start, end = days.get("from"), days.get("until")
    if start and end and start > end:
        problems.add(entries["until"].value, yn.join(path, "until"),
                     f"until {end} is before from {start}: a membership ends on or after the "
                     f"day it starts")
        return None
    if value is None or message or None in days.values():
        return None
    member = DatedMember(spec.kind, value, start, end, yn.line_of(node))  # type: ignore[arg-type]
    return DatedEntry(member, node, path)


def _day(node: Node, path: str, problems: Problems) -> date | None:
    """A day written YYYY-MM-DD, quoted or not (YAML reads it unquoted as a date)."""
    if isinstance(node, ScalarNode) and node.tag in (yn.STR, yn.TIMESTAMP) \
            and _DAY.match(node.value):
        try:
            return date.fromisoformat(node.value)
        except ValueError as exc:
            problems.add(node, path, f"{node.value} is not a day of the calendar ({exc})")
            return None
    problems.add(node, path, f"expected a date as YYYY-MM-DD, such as 2026-06-01, got "
                             f"{yn.describe(node)}")
    return None


def check_overlaps(entries: list[DatedEntry], problems: Problems) -> None:
    """A user's dated entries (``team_id`` set), in file order, must not share a day."""
    seen: dict[tuple[str, str], list[DatedEntry]] = {}
    for entry in entries:
        member = entry.member
        key = (member.kind, identity(member.kind, member.value))
        for earlier in seen.get(key, []):
            if _overlap(member, earlier.member):
                problems.add(entry.node, entry.path,
                             f"{member.value} is on team '{entry.team_id}' {span(member)}, which "
                             f"overlaps team '{earlier.team_id}' {span(earlier.member)} (line "
                             f"{earlier.member.line}): one user's dated memberships must not "
                             f"share a day; end one the day before the next starts")
        seen.setdefault(key, []).append(entry)


def identity(kind: str, value: str) -> str:
    """The same person however written: Ids by their first 15 characters (15 and 18 both
    work), usernames case-insensitively."""
    return value[:15] if kind == "user_id" else value.lower()


def span(member: DatedMember) -> str:
    parts = ([f"from {member.start}"] if member.start else []) + \
        ([f"until {member.end}"] if member.end else [])
    return " ".join(parts)


def _overlap(a: DatedMember, b: DatedMember) -> bool:
    return (a.start or date.min) <= (b.end or date.max) and \
        (b.start or date.min) <= (a.end or date.max)
