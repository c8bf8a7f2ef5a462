"""KPIs through lookups (Account.Type, Owner.UserRole.Name) and with a fallback date, on the
hand-worked calls of lookup_fixtures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from compute_fixtures import ANN, AS_OF, BOB, CAT
from lookup_fixtures import build_lookup_store, lookup_config

from kpisync.compute import compute
from kpisync.compute.measures import BUILTIN_MEASURES
from kpisync.compute.sql import compile_kpi
from kpisync.errors import ComputeError
from kpisync.site.definitions import definition

FEB, MAR = "2026-02", "2026-03"
COUNT = next(m for m in BUILTIN_MEASURES if m.name == "count")


@pytest.fixture(scope="module")
def scorecard(tmp_path_factory):
    con = build_lookup_store(tmp_path_factory.mktemp("store") / "store.duckdb")
    return compute(lookup_config(), con, AS_OF)


def actual(scorecard, kpi, period, scope, scope_id):
    return scorecard.result(kpi, period, scope, scope_id).actual


@pytest.mark.parametrize(
    ("kpi", "period", "scope", "scope_id", "expected"),
    [
        # 00T1 on its due date; 00T8 has none and counts on its creation day
        ("customer_calls", MAR, "rep", ANN, 1),
        ("customer_calls", MAR, "rep", BOB, 1),
        # 00T7 was created 03:00 UTC on 1 March, 28 February in New York
        ("customer_calls", FEB, "rep", ANN, 1),
        ("customer_calls", FEB, "rep", CAT, 1),
        # without the fallback, tasks with no due date are in no period
        ("customer_calls_due", MAR, "rep", BOB, 0),
        ("customer_calls_due", FEB, "rep", ANN, 0),
        ("customer_calls_due", MAR, "team", "sdr", 1),
        # ne keeps calls with no account, an account without Type, an account not synced
        ("other_calls", MAR, "rep", ANN, 2),
        ("other_calls", MAR, "rep", BOB, 2),
        ("other_calls", FEB, "org", "org", 0),
        # two levels (Owner -> UserRole) and one (Account) in the same query
        ("sdr_banking_calls", MAR, "team", "sdr", 2),
        ("sdr_banking_calls", FEB, "rep", CAT, 0),
        # credited to the account's owner: Acme is Cat's, Blue is Ann's, Cobalt has none
        ("account_owner_calls", MAR, "rep", CAT, 1),
        ("account_owner_calls", MAR, "rep", ANN, 1),
        ("account_owner_calls", MAR, "rep", BOB, 0),
        ("account_owner_calls", FEB, "rep", CAT, 1),
        # a sum over a lookup: Acme's revenue for 00T1, Cobalt's for 00T4, nulls add nothing
        ("revenue_called", MAR, "rep", ANN, Decimal("1000000.00")),
        ("revenue_called", MAR, "team", "sdr", Decimal("1250000.00")),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_hand_computed_lookup_cells(scorecard, kpi, period, scope, scope_id, expected):
    assert actual(scorecard, kpi, period, scope, scope_id) == expected


def test_two_level_lookup_joins_each_path_once():
    kpi = lookup_config().kpi("sdr_banking_calls")
    compiled = compile_kpi(kpi, measure=COUNT, columns=_columns(), timezone="UTC")
    facts = compiled.sql[: compiled.sql.index("), credited AS")]  # the facts CTE alone
    assert facts.count("LEFT JOIN") == 3
    assert 'LEFT JOIN sf_user AS "owner"\n    ON "owner"."Id" = r."OwnerId"' in facts
    assert ('LEFT JOIN sf_userrole AS "owner_userrole"\n    ON "owner_userrole"."Id" = '
            '"owner"."UserRoleId"') in facts
    assert 'LEFT JOIN sf_account AS "account"\n    ON "account"."Id" = r."AccountId"' in facts
    assert '"owner_userrole"."Name" = $p1' in facts
    assert compiled.params == {"p1": "SDR", "p2": True, "p3": "Banking"}


def test_fallback_date_is_the_first_set_local_date():
    kpi = lookup_config().kpi("customer_calls")
    compiled = compile_kpi(kpi, measure=COUNT, columns=_columns(), timezone="America/New_York")
    assert ('COALESCE(CAST(r."ActivityDate" AS DATE), CAST(r."CreatedDate" AT TIME ZONE '
            '$p1 AS DATE)) AS day') in compiled.sql


def test_lookup_to_an_unsynced_object_says_to_sync(tmp_path):
    con = build_lookup_store(tmp_path / "s.duckdb")
    con.execute("DROP TABLE sf_account")
    with pytest.raises(ComputeError) as info:
        compute(lookup_config(), con, AS_OF)
    assert str(info.value) == (
        "KPI 'customer_calls' (kpis.yaml line 0) reads Account, but the store has no Account "
        "records: run `kpisync sync` first"
    )


def _columns() -> dict[str, dict[str, str]]:
    return {
        "Task": {"OwnerId": "reference", "AccountId": "reference", "ActivityDate": "date",
                 "CreatedDate": "datetime", "IsDeleted": "boolean"},
        "User": {"Id": "id", "IsActive": "boolean", "UserRoleId": "reference"},
        "UserRole": {"Id": "id", "Name": "string"},
        "Account": {"Id": "id", "Type": "string", "Industry": "string"},
    }


def test_definition_page_names_the_fallback_date():
    config = lookup_config()
    facts = {f.label: f.value for f in definition(config.kpi("customer_calls"), config).facts}
    assert facts["Date field"] == "ActivityDate, else CreatedDate"
