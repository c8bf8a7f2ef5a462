"""The emulator's SOQL subset: parsing, evaluation and Salesforce's exact error texts."""

from __future__ import annotations

import pytest

from kpisync.emulator.soql import SoqlError, datetime_literal, parse, run
from kpisync.sobjects import SOBJECTS

SCHEMA = {name: dict(o.fields) for name, o in SOBJECTS.items()}
SCHEMA["Event"]["Meeting_Held__c"] = "boolean"

ROWS = [
    {"Id": "00T000000000000001", "Subject": "Call Acme", "Type": "Call", "OwnerId": "005A",
     "ActivityDate": "2026-01-05", "CreatedDate": "2026-01-05T09:00:00.000+0000",
     "SystemModstamp": "2026-01-05T09:00:00.000+0000", "CallDurationInSeconds": 120,
     "IsClosed": True, "IsDeleted": False},
    {"Id": "00T000000000000002", "Subject": "Email Beta", "Type": "Email", "OwnerId": "005B",
     "ActivityDate": "2026-01-06", "CreatedDate": "2026-01-06T23:30:00.000+0000",
     "SystemModstamp": "2026-01-06T23:30:00.000+0000", "CallDurationInSeconds": None,
     "IsClosed": False, "IsDeleted": False},
    {"Id": "00T000000000000003", "Subject": "it's done", "Type": None, "OwnerId": "005A",
     "ActivityDate": None, "CreatedDate": "2026-01-07T00:00:00.000+0000",
     "SystemModstamp": "2026-01-07T00:00:00.500+0000", "CallDurationInSeconds": 30,
     "IsClosed": True, "IsDeleted": True},
]


def ids(soql: str) -> list[str]:
    return [row["Id"][-1] for row in run(parse(soql, SCHEMA), ROWS)]


def error_of(soql: str) -> tuple[str, str]:
    with pytest.raises(SoqlError) as caught:
        parse(soql, SCHEMA)
    return caught.value.error_code, caught.value.message


@pytest.mark.parametrize(("where", "expected"), [
    ("Type = 'Call'", ["1"]),
    ("Type = 'call'", ["1"]),
    ("Type != 'Call'", ["2", "3"]),
    ("Type <> 'Call'", ["2", "3"]),
    ("Type = null", ["3"]),
    ("Type != null", ["1", "2"]),
    ("CallDurationInSeconds > 60", ["1"]),
    ("CallDurationInSeconds <= 30", ["3"]),
    ("CallDurationInSeconds >= 30.5", ["1"]),
    ("IsClosed = true", ["1", "3"]),
    ("IsClosed = FALSE", ["2"]),
    ("ActivityDate >= 2026-01-06", ["2"]),
    ("ActivityDate < 2026-01-06", ["1"]),
    ("CreatedDate > 2026-01-06T18:00:00-05:00", ["2", "3"]),
    ("CreatedDate >= 2026-01-07T00:00:00Z", ["3"]),
    ("SystemModstamp > 2026-01-07T00:00:00Z", ["3"]),
    ("SystemModstamp = 2026-01-07T00:00:00.5Z", ["3"]),
    ("Type IN ('Call', 'EMAIL')", ["1", "2"]),
    ("Type NOT IN ('Call')", ["2", "3"]),
    ("Type IN ('Call', null)", ["1", "3"]),
    ("Subject LIKE 'call%'", ["1"]),
    ("Subject LIKE '%b_ta'", ["2"]),
    ("Subject = 'it\\'s done'", ["3"]),
    ("OwnerId = '005A' AND IsClosed = true AND Type = 'Call'", ["1"]),
    ("Type = 'Call' OR Type = 'Email'", ["1", "2"]),
    ("OwnerId = '005A' AND (Type = 'Email' OR Type = null)", ["3"]),
    ("NOT Type = 'Call'", ["2", "3"]),
    ("NOT (OwnerId = '005A' OR IsClosed = false)", []),
    ("Id > '00T000000000000001'", ["2", "3"]),
], ids=lambda value: value if isinstance(value, str) else None)
def test_where_selects_matching_rows(where, expected):
    assert ids(f"SELECT Id FROM Task WHERE {where}") == expected


@pytest.mark.parametrize(("order", "expected"), [
    ("CallDurationInSeconds", ["2", "3", "1"]),
    ("CallDurationInSeconds DESC", ["2", "1", "3"]),
    ("CallDurationInSeconds ASC NULLS LAST", ["3", "1", "2"]),
    ("CallDurationInSeconds DESC NULLS LAST", ["1", "3", "2"]),
    ("OwnerId, CreatedDate DESC", ["3", "1", "2"]),
    ("Subject", ["1", "2", "3"]),
], ids=lambda value: value if isinstance(value, str) else None)
def test_order_by_sorts_with_soql_null_placement(order, expected):
    assert ids(f"SELECT Id FROM Task ORDER BY {order}") == expected


def test_limit_cuts_after_sorting():
    assert ids("SELECT Id FROM Task ORDER BY CreatedDate DESC LIMIT 2") == ["3", "2"]


def test_names_match_case_insensitively_and_come_back_canonical():
    query = parse("select id, subject, callDURATIONinseconds from TASK", SCHEMA)
    assert (query.sobject, query.fields) == ("Task", ("Id", "Subject", "CallDurationInSeconds"))


def test_custom_fields_come_from_the_schema():
    assert parse("SELECT meeting_held__c FROM Event", SCHEMA).fields == ("Meeting_Held__c",)


def test_count_query_has_no_fields():
    query = parse("SELECT COUNT() FROM Task WHERE IsClosed = true", SCHEMA)
    assert (query.is_count, query.fields, len(run(query, ROWS))) == (True, (), 2)


def test_sync_incremental_query_shape_parses_and_runs():
    soql = ("SELECT Id, SystemModstamp, IsDeleted FROM Task WHERE (CreatedDate >= "
            "2026-01-01T00:00:00Z) AND ((SystemModstamp > 2026-01-05T09:00:00Z) OR "
            "((SystemModstamp = 2026-01-05T09:00:00Z) AND (Id > '00T000000000000001'))) "
            "ORDER BY SystemModstamp, Id")
    assert ids(soql) == ["2", "3"]


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-01-05T09:00:00Z", "2026-01-05T09:00:00.000+0000"),
    ("2026-01-05T09:00:00.25+02:00", "2026-01-05T07:00:00.250+0000"),
    ("2026-01-05T20:00:00-05:00", "2026-01-06T01:00:00.000+0000"),
    ("2026-01-05T09:00:00.000+0000", "2026-01-05T09:00:00.000+0000"),
    ("2026-02-30T09:00:00Z", None),
], ids=["utc", "fraction-and-offset", "west-offset", "stored-form", "invalid-day"])
def test_datetime_literal_normalises_to_utc(text, expected):
    assert datetime_literal(text) == expected


@pytest.mark.parametrize(("soql", "code", "message"), [
    ("SELECT Id, Invalid__x FROM Task LIMIT 1", "INVALID_FIELD",
     "\nSELECT Id, Invalid__x FROM Task LIMIT 1\n           ^\nERROR at Row:1:Column:12\n"
     "No such column 'Invalid__x' on entity 'Task'. If you are attempting to use a custom "
     "field, be sure to append the '__c' after the custom field name. Please reference your "
     "WSDL or the describe call for the appropriate names."),
    ("SELECT Id FROM Foo", "INVALID_TYPE",
     "\nSELECT Id FROM Foo\n               ^\nERROR at Row:1:Column:16\nsObject type 'Foo' is "
     "not supported. If you are attempting to use a custom object, be sure to append the "
     "'__c' after the entity name. Please reference your WSDL or the describe call for the "
     "appropriate names."),
    ("q", "MALFORMED_QUERY", "unexpected token: q"),
    ("SELECT Id FROM Task WHERE", "MALFORMED_QUERY",
     "\nSELECT Id FROM Task WHERE\n                         ^\nERROR at Row:1:Column:26\n"
     "unexpected token: <EOF>"),
    ("SELECT Id FROM Task WHERE IsClosed = true AND Type = 'a' OR Type = 'b'",
     "MALFORMED_QUERY",
     "\nSELECT Id FROM Task WHERE IsClosed = true AND Type = 'a' OR Type = 'b'\n"
     + " " * 57 + "^\nERROR at Row:1:Column:58\nunexpected token: OR"),
    ("SELECT Id FROM Task WHERE CreatedDate > '2026-01-01T00:00:00Z'",
     "INVALID_QUERY_FILTER_OPERATOR",
     "\nSELECT Id FROM Task WHERE CreatedDate > '2026-01-01T00:00:00Z'\n" + " " * 40
     + "^\nERROR at Row:1:Column:41\nvalue of filter criterion for field 'CreatedDate' must be "
     "of type dateTime and should not be enclosed in quotes"),
    ("SELECT Id FROM Task WHERE CreatedDate > 2026-01-01", "INVALID_QUERY_FILTER_OPERATOR",
     "\nSELECT Id FROM Task WHERE CreatedDate > 2026-01-01\n" + " " * 40
     + "^\nERROR at Row:1:Column:41\nvalue of filter criterion for field 'CreatedDate' must be "
     "of type dateTime and should not be enclosed in quotes"),
    ("SELECT Id FROM Task WHERE ActivityDate = 2026-01-01T00:00:00Z",
     "INVALID_QUERY_FILTER_OPERATOR",
     "\nSELECT Id FROM Task WHERE ActivityDate = 2026-01-01T00:00:00Z\n" + " " * 41
     + "^\nERROR at Row:1:Column:42\nvalue of filter criterion for field 'ActivityDate' must "
     "be of type date and should not be enclosed in quotes"),
    ("SELECT Id FROM Task WHERE Subject = 5", "INVALID_QUERY_FILTER_OPERATOR",
     "\nSELECT Id FROM Task WHERE Subject = 5\n" + " " * 36 + "^\nERROR at Row:1:Column:37\n"
     "value of filter criterion for field 'Subject' must be of type string and should be "
     "enclosed in quotes"),
    ("SELECT Id FROM Task WHERE Description = 'x'", "INVALID_FIELD",
     "\nSELECT Id FROM Task WHERE Description = 'x'\n" + " " * 26
     + "^\nERROR at Row:1:Column:27\nfield 'Description' can not be filtered in a query call"),
    ("SELECT Owner.Name FROM Task", "INVALID_FIELD",
     "\nSELECT Owner.Name FROM Task\n       ^\nERROR at Row:1:Column:8\nDidn't understand "
     "relationship 'Owner' in field path. If you are attempting to use a custom relationship, "
     "be sure to append the '__r' after the custom relationship name. Please reference your "
     "WSDL or the describe call for the appropriate names."),
    ("SELECT Id, id FROM Task", "MALFORMED_QUERY",
     "\nSELECT Id, id FROM Task\n           ^\nERROR at Row:1:Column:12\n"
     "duplicate field selected: Id"),
    ("SELECT Id FROM Task WHERE Subject = 'a\\qb'", "MALFORMED_QUERY",
     "\nSELECT Id FROM Task WHERE Subject = 'a\\qb'\n" + " " * 36
     + "^\nERROR at Row:1:Column:37\nInvalid string literal 'a\\qb'. Illegal character "
     "sequence '\\q' in string literal."),
    ("SELECT Id\nFROM Task\nWHERE Nope__c = 1", "INVALID_FIELD",
     "\nWHERE Nope__c = 1\n      ^\nERROR at Row:3:Column:7\nNo such column 'Nope__c' on "
     "entity 'Task'. If you are attempting to use a custom field, be sure to append the '__c' "
     "after the custom field name. Please reference your WSDL or the describe call for the "
     "appropriate names."),
    ("SELECT Id FROM Task LIMIT ten", "MALFORMED_QUERY",
     "\nSELECT Id FROM Task LIMIT ten\n" + " " * 26 + "^\nERROR at Row:1:Column:27\n"
     "unexpected token: ten"),
], ids=["unknown-field", "unknown-object", "not-a-select", "eof", "and-or-mixed",
        "quoted-datetime", "date-on-datetime", "datetime-on-date", "number-on-string",
        "textarea-filter", "relationship", "duplicate-field", "bad-escape", "multi-line",
        "bad-limit"])
def test_refused_queries_carry_salesforce_error_texts(soql, code, message):
    assert error_of(soql) == (code, message)
