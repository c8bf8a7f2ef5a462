"""teams[].members with from/until dates: what loads, and every mistake reported in full."""

from __future__ import annotations

from datetime import date

import pytest

from kpisync.config import parse_config
from kpisync.config.model import DatedMember, MemberSelector
from kpisync.errors import ConfigError

# Two teams; the snippets replace line 7 (sdr's members) and line 11 (ae's members).
BASE = """\
org:
  name: Test Co
  timezone: UTC
teams:
  - id: sdr
    name: SDR
    members: {roles: [SDR]}
    kpis: [calls]
  - id: ae
    name: AE
    members: {roles: [AE]}
    kpis: [calls]
kpis:
  - id: calls
    name: Calls
    tier: activities
    type: leading
    unit: count
    source: Task
    measure: count
"""
JANE_ID = "005Hs00000AbCdEIAX"


def config_with(sdr: str = "{roles: [SDR]}", ae: str = "{roles: [AE]}"):
    return parse_config(BASE.replace("members: {roles: [SDR]}", f"members: {sdr}")
                        .replace("members: {roles: [AE]}", f"members: {ae}"))


def problems(**members: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config_with(**members)
    return [str(p) for p in caught.value.problems]


def test_dated_and_plain_entries_load_side_by_side():
    config = config_with(
        sdr="{usernames: [ann@x.example, {username: jane@x.example, until: 2026-05-31}]}",
        ae=f"{{user_ids: [{{id: {JANE_ID}, from: '2026-06-01'}}]}}",
    )
    assert config.team("sdr").members == MemberSelector(
        usernames=("ann@x.example",),
        dated=(DatedMember("username", "jane@x.example", None, date(2026, 5, 31), 7),),
    )
    assert config.team("ae").members.dated == (
        DatedMember("user_id", JANE_ID, date(2026, 6, 1), None, 11),
    )


def test_entry_without_dates_is_a_plain_entry():
    config = config_with(sdr="{usernames: [{username: jane@x.example}]}")
    assert config.team("sdr").members == MemberSelector(usernames=("jane@x.example",))


def test_until_before_from_is_an_error():
    assert problems(
        sdr="{usernames: [{username: jane@x.example, from: 2026-06-01, until: 2026-05-31}]}"
    ) == [
        "kpis.yaml:7:79: teams[sdr].members.usernames[0].until: until 2026-05-31 is before from "
        "2026-06-01: a membership ends on or after the day it starts",
    ]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("06/01/2026", "expected a date as YYYY-MM-DD, such as 2026-06-01, got '06/01/2026'"),
        ("2026-6-1", "expected a date as YYYY-MM-DD, such as 2026-06-01, got '2026-6-1'"),
        ("2026-06-01T09:00:00Z",
         "expected a date as YYYY-MM-DD, such as 2026-06-01, got 2026-06-01T09:00:00Z"),
        ("'2026-02-30'", "2026-02-30 is not a day of the calendar (day is out of range for "
                         "month)"),
    ],
    ids=["us-style", "no-leading-zeros", "datetime", "no-such-day"],
)
def test_dates_must_be_days_written_yyyy_mm_dd(written, message):
    assert problems(sdr=f"{{usernames: [{{username: jane@x.example, from: {written}}}]}}") == [
        f"kpis.yaml:7:60: teams[sdr].members.usernames[0].from: {message}",
    ]


def test_dated_entry_needs_the_person_and_known_keys():
    assert problems(sdr="{usernames: [{user: jane@x.example, from: 2026-06-01}]}") == [
        "kpis.yaml:7:27: teams[sdr].members.usernames[0]: missing required key 'username' (a "
        "username, such as jane@northwind.example)",
        "kpis.yaml:7:28: teams[sdr].members.usernames[0]: unknown key 'user' — did you mean "
        "'username'?",
    ]


def test_dated_entry_value_is_checked_like_a_plain_one():
    assert problems(sdr="{user_ids: [{id: 005ABC, from: 2026-06-01}]}") == [
        "kpis.yaml:7:31: teams[sdr].members.user_ids[0].id: expected a user Id (005 followed by "
        "12 or 15 letters and digits), got '005ABC'",
    ]


def test_list_item_that_is_neither_a_name_nor_a_mapping_is_an_error():
    assert problems(sdr="{usernames: [42]}") == [
        "kpis.yaml:7:27: teams[sdr].members.usernames[0]: expected a username or {username: "
        "jane@northwind.example, from: YYYY-MM-DD, until: YYYY-MM-DD}; got 42",
    ]


def test_overlapping_dates_on_two_teams_name_both_lines():
    assert problems(
        sdr="{usernames: [{username: jane@x.example, until: 2026-06-30}]}",
        ae="{usernames: [{username: Jane@X.example, from: 2026-06-01}]}",
    ) == [
        "kpis.yaml:11:27: teams[ae].members.usernames[0]: Jane@X.example is on team 'ae' from "
        "2026-06-01, which overlaps team 'sdr' until 2026-06-30 (line 7): one user's dated "
        "memberships must not share a day; end one the day before the next starts",
    ]


def test_overlap_compares_15_character_ids_with_18_character_ones():
    assert problems(
        sdr=f"{{user_ids: [{{id: {JANE_ID[:15]}, from: 2026-01-01, until: 2026-03-31}}]}}",
        ae=f"{{user_ids: [{{id: {JANE_ID}, from: 2026-03-31}}]}}",
    ) == [
        f"kpis.yaml:11:26: teams[ae].members.user_ids[0]: {JANE_ID} is on team 'ae' from "
        "2026-03-31, which overlaps team 'sdr' from 2026-01-01 until 2026-03-31 (line 7): one "
        "user's dated memberships must not share a day; end one the day before the next starts",
    ]


def test_back_to_back_dates_do_not_overlap():
    config = config_with(
        sdr="{usernames: [{username: jane@x.example, until: 2026-05-31}]}",
        ae="{usernames: [{username: jane@x.example, from: 2026-06-01}]}",
    )
    assert len(config.team("sdr").members.dated) == len(config.team("ae").members.dated) == 1
