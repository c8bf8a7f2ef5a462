from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from kpisync.sync import soql


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "'plain'"),
        ("O'Brien", r"'O\'Brien'"),
        ('say "hi"', r"""'say \"hi\"'"""),
        ("back\\slash", r"'back\\slash'"),
        ("line\nbreak\rtab\t", r"'line\nbreak\rtab\t'"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (42, "42"),
        (Decimal("1250.50"), "1250.50"),
        (date(2026, 1, 5), "2026-01-05"),
        (datetime(2026, 1, 5, 14, 3, 7, tzinfo=UTC), "2026-01-05T14:03:07Z"),
        (datetime(2026, 1, 5, 9, 3, 7, tzinfo=timezone(timedelta(hours=-5))),
         "2026-01-05T14:03:07Z"),
        (datetime(2026, 1, 5, 14, 3, 7, 999000, tzinfo=UTC), "2026-01-05T14:03:07Z"),
    ],
    ids=["string", "quote", "double-quote", "backslash", "control-chars", "true", "false", "null",
         "int", "decimal", "date", "utc-datetime", "offset-datetime-to-utc", "subsecond-floored"],
)
def test_soql_literal(value, expected):
    assert soql.soql_literal(value) == expected


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError) as info:
        soql.soql_literal(datetime(2026, 1, 5, 14, 3))
    assert str(info.value) == "SOQL datetimes must be timezone-aware, got 2026-01-05T14:03:00"


def test_unsupported_type_is_refused():
    with pytest.raises(TypeError) as info:
        soql.soql_literal(1.5)
    assert str(info.value) == "SOQL has no literal for float values"


def test_select_with_where_and_order():
    where = soql.any_of(
        soql.compare("SystemModstamp", ">", datetime(2026, 1, 5, tzinfo=UTC)),
        soql.all_of(soql.compare("SystemModstamp", "=", datetime(2026, 1, 5, tzinfo=UTC)),
                    soql.compare("Id", ">", "00T1")),
    )
    assert soql.select("Task", ["Id", "SystemModstamp", "Id"], where=where,
                       order_by=("SystemModstamp", "Id")) == (
        "SELECT Id, SystemModstamp FROM Task WHERE (SystemModstamp > 2026-01-05T00:00:00Z) OR "
        "((SystemModstamp = 2026-01-05T00:00:00Z) AND (Id > '00T1')) ORDER BY SystemModstamp, Id"
    )


def test_select_without_where():
    assert soql.select("User", ["Id", "Name"]) == "SELECT Id, Name FROM User"


@pytest.mark.parametrize(
    "bad", ["Name; DELETE", "1Field", "Owner.Name", "", "Name__c'"],
    ids=["statement", "leading-digit", "dotted", "empty", "quote"],
)
def test_select_rejects_bad_field_names(bad):
    with pytest.raises(ValueError) as info:
        soql.select("Task", ["Id", bad])
    assert str(info.value) == f"not a Salesforce API name: {bad!r}"


def test_select_rejects_bad_object_name():
    with pytest.raises(ValueError) as info:
        soql.select("Task WHERE", ["Id"])
    assert str(info.value) == "not a Salesforce API name: 'Task WHERE'"


def test_compare_rejects_unknown_operator():
    with pytest.raises(ValueError) as info:
        soql.compare("Id", "LIKE", "x")
    assert str(info.value) == (
        "unsupported SOQL operator 'LIKE'; expected one of ('=', '!=', '<', '<=', '>', '>=')"
    )


def test_count_query():
    assert soql.count("Task", soql.compare("IsDeleted", "=", False)) == (
        "SELECT count() FROM Task WHERE IsDeleted = false"
    )
