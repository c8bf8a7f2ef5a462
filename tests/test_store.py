from datetime import UTC, date, datetime
from decimal import Decimal

import duckdb
import pytest

from kpisync.errors import StoreError
from kpisync.store import SCHEMA_VERSION, Store, SyncState

TASK_FIELDS = {
    "Id": "id", "OwnerId": "reference", "Subject": "string", "ActivityDate": "date",
    "SystemModstamp": "datetime", "IsDeleted": "boolean", "CallDurationInSeconds": "int",
    "Amount__c": "currency", "Probability__c": "percent",
}


def task(id_: str, **fields):
    base = {"attributes": {"type": "Task", "url": f"/services/data/v60.0/sobjects/Task/{id_}"},
            "Id": id_, "OwnerId": "005A", "Subject": "Call", "ActivityDate": "2026-01-05",
            "SystemModstamp": "2026-01-05T14:03:00.000+0000", "IsDeleted": False,
            "CallDurationInSeconds": 60, "Amount__c": Decimal("10.5"), "Probability__c": 20}
    return {**base, **fields}


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "nested" / "store.duckdb") as opened:
        opened.ensure_table("Task", TASK_FIELDS)
        yield opened


def test_open_creates_parent_directories(tmp_path):
    with Store.open(tmp_path / "a" / "b" / "store.duckdb") as store:
        assert store.path.is_file()


def test_table_columns_keep_salesforce_names_and_types(store):
    assert store.columns("Task") == {
        "Id": "VARCHAR", "OwnerId": "VARCHAR", "Subject": "VARCHAR", "ActivityDate": "DATE",
        "SystemModstamp": "TIMESTAMP WITH TIME ZONE", "IsDeleted": "BOOLEAN",
        "CallDurationInSeconds": "BIGINT", "Amount__c": "DECIMAL(18,2)",
        "Probability__c": "DOUBLE",
    }
    assert store.table_name("OpportunityHistory") == "sf_opportunityhistory"


def test_id_is_the_primary_key(store):
    with pytest.raises(duckdb.ConstraintException):
        store.connection.execute("INSERT INTO sf_task (\"Id\") VALUES ('a'), ('a')")


def test_upsert_converts_salesforce_json_values(store):
    store.upsert("Task", [task("00T1", SystemModstamp="2026-01-05T09:03:00.000-0500")])
    row = store.connection.execute(
        'SELECT "ActivityDate", "SystemModstamp" AT TIME ZONE \'UTC\', "IsDeleted", '
        '"CallDurationInSeconds", "Amount__c", "Probability__c" FROM sf_task'
    ).fetchone()
    assert row == (date(2026, 1, 5), datetime(2026, 1, 5, 14, 3), False, 60, Decimal("10.50"),
                   20.0)


def test_upsert_is_idempotent_by_id(store):
    store.upsert("Task", [task("00T1"), task("00T2")])
    store.upsert("Task", [task("00T1", Subject="Call back"), task("00T2")])
    rows = store.connection.execute('SELECT "Id", "Subject" FROM sf_task ORDER BY 1').fetchall()
    assert rows == [("00T1", "Call back"), ("00T2", "Call")]


def test_upsert_keeps_columns_a_record_does_not_carry(store):
    store.upsert("Task", [task("00T1")])
    store.upsert("Task", [{"Id": "00T1", "Subject": "Renamed"}])
    assert store.connection.execute(
        'SELECT "Subject", "CallDurationInSeconds" FROM sf_task').fetchone() == ("Renamed", 60)


def test_upsert_stores_nulls(store):
    store.upsert("Task", [task("00T1", ActivityDate=None, Amount__c=None)])
    assert store.connection.execute(
        'SELECT "ActivityDate", "Amount__c" FROM sf_task').fetchone() == (None, None)


def test_upsert_of_a_duplicated_id_keeps_the_last(store):
    store.upsert("Task", [task("00T1", Subject="first"), task("00T1", Subject="second")])
    assert store.connection.execute('SELECT "Subject" FROM sf_task').fetchall() == [("second",)]


def test_delete_removes_rows_and_ignores_unknown_ids(store):
    store.upsert("Task", [task("00T1"), task("00T2")])
    assert store.delete("Task", ["00T1", "00T9"]) == 1  # 00T9 was never stored
    assert store.connection.execute('SELECT "Id" FROM sf_task').fetchall() == [("00T2",)]


def test_ensure_table_adds_missing_columns(store):
    assert store.ensure_table("Task", {**TASK_FIELDS, "Outcome__c": "picklist"}) is True
    assert list(store.columns("Task"))[-1] == "Outcome__c"


def test_ensure_table_reports_no_change(store):
    assert store.ensure_table("Task", TASK_FIELDS) is False


def test_count(store):
    store.upsert("Task", [task("00T1"), task("00T2")])
    assert (store.count("Task"), store.count("Event")) == (2, 0)


def test_state_round_trips(store):
    state = SyncState("Task", datetime(2026, 1, 5, 14, 3, tzinfo=UTC), "00T2", ("Id", "Subject"),
                      last_full_sync=datetime(2026, 1, 6, tzinfo=UTC))
    store.save_state(state)
    saved = store.get_state("Task")
    assert (saved.watermark, saved.watermark_id, saved.fields, saved.last_full_sync) == (
        state.watermark, "00T2", ("Id", "Subject"), state.last_full_sync)
    assert saved.updated_at.tzinfo is UTC


def test_state_of_an_unsynced_object_is_none(store):
    assert store.get_state("Event") is None


def test_failed_transaction_keeps_neither_page_nor_checkpoint(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert("Task", [task("00T1")])
        store.save_state(SyncState("Task", datetime(2026, 1, 5, tzinfo=UTC), "00T1", ("Id",)))
        raise RuntimeError("killed between the upsert and the commit")
    assert (store.count("Task"), store.get_state("Task")) == (0, None)


def test_committed_transaction_keeps_page_and_checkpoint(store):
    with store.transaction():
        store.upsert("Task", [task("00T1")])
        store.save_state(SyncState("Task", datetime(2026, 1, 5, tzinfo=UTC), "00T1", ("Id",)))
    assert (store.count("Task"), store.get_state("Task").watermark_id) == (1, "00T1")


def test_clear_removes_rows_and_state(store):
    store.upsert("Task", [task("00T1")])
    store.save_state(SyncState("Task", datetime(2026, 1, 5, tzinfo=UTC), "00T1", ("Id",)))
    store.clear("Task")
    assert (store.count("Task"), store.get_state("Task")) == (0, None)


def test_reopening_keeps_data(tmp_path):
    path = tmp_path / "store.duckdb"
    with Store.open(path) as store:
        store.ensure_table("Task", TASK_FIELDS)
        store.upsert("Task", [task("00T1")])
    with Store.open(path) as store:
        assert store.count("Task") == 1


def test_newer_schema_version_is_refused(tmp_path):
    path = tmp_path / "store.duckdb"
    Store.open(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                [str(SCHEMA_VERSION + 1)])
    con.close()
    with pytest.raises(StoreError) as info:
        Store.open(path)
    assert str(info.value) == (
        f"the store {path} was written by a newer kpisync (store schema version "
        f"{SCHEMA_VERSION + 1}, this kpisync reads up to {SCHEMA_VERSION}); upgrade kpisync, "
        "or sync into a new store file"
    )


def test_non_duckdb_file_is_refused(tmp_path):
    path = tmp_path / "store.duckdb"
    path.write_text("id,name\n1,not a database\n", encoding="utf-8")
    with pytest.raises(StoreError) as info:
        Store.open(path)
    assert str(info.value) == f"{path} is not a kpisync store (not a DuckDB database file)"


def test_bad_value_names_the_column(store):
    with pytest.raises(StoreError) as info:
        store.upsert("Task", [task("00T1", ActivityDate="5 Jan 2026")])
    assert str(info.value) == (
        "cannot store a value of column 'ActivityDate' as DATE: "
        "Invalid isoformat string: '5 Jan 2026'"
    )


def test_file_locked_by_another_process_is_refused(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "store.duckdb"
    Store.open(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys\nc = duckdb.connect(sys.argv[1])\n"
         "print('ready', flush=True)\nsys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError) as info:
            Store.open(path)
    finally:
        holder.communicate("", timeout=30)
    assert str(info.value) == (
        f"the store {path} is in use by another process (another kpisync sync or build?); "
        "wait for it to finish and try again"
    )


def test_state_round_trips_how_the_next_read_starts(store):
    state = SyncState("Opportunity", datetime(2026, 1, 5, tzinfo=UTC), "006A", ("Id", "Amount"),
                      complete=True, formula_fields=("Weighted__c",),
                      history_start=date(2025, 1, 1))
    store.save_state(state)
    saved = store.get_state("Opportunity")
    assert (saved.complete, saved.formula_fields, saved.history_start) == (
        True, ("Weighted__c",), date(2025, 1, 1))


def test_version_1_store_is_migrated_in_place(tmp_path):
    path = tmp_path / "store.duckdb"
    con = duckdb.connect(str(path))  # what kpisync 0.1 with schema version 1 wrote
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("CREATE TABLE sync_state (sobject VARCHAR PRIMARY KEY, watermark TIMESTAMPTZ, "
                "watermark_id VARCHAR, fields VARCHAR, last_full_sync TIMESTAMPTZ, "
                "updated_at TIMESTAMPTZ)")
    con.execute("INSERT INTO sync_state VALUES ('Task', '2026-01-05 14:03:00+00', '00T2', "
                "'[\"Id\"]', NULL, '2026-01-06 00:00:00+00')")
    con.close()
    with Store.open(path) as store:
        state = store.get_state("Task")
        version = store.connection.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert version == str(SCHEMA_VERSION)
    assert (state.watermark, state.watermark_id, state.fields) == (
        datetime(2026, 1, 5, 14, 3, tzinfo=UTC), "00T2", ("Id",))
    # a v1 store cannot tell whether its last read finished: taken as finished
    assert (state.complete, state.formula_fields, state.history_start) == (True, (), None)


def test_bind_names_placeholders_in_order():
    from sqlglot import exp

    from kpisync.store.backend import bind

    query = (exp.select("a").from_("t").where(exp.column("a").eq(exp.Placeholder()))
             .where(exp.column("b").eq(exp.Placeholder())))
    named, params = bind(query, ["x", 2])
    assert named.sql(dialect="duckdb") == "SELECT a FROM t WHERE a = $p1 AND b = $p2"
    assert params == {"p1": "x", "p2": 2}


@pytest.mark.parametrize(("listed", "precision", "scale", "expected"), [
    ("DECIMAL(18,2)", 18, 2, "DECIMAL(18,2)"),          # DuckDB
    ("numeric", 18, 2, "DECIMAL(18,2)"),                # PostgreSQL
    ("timestamp with time zone", None, None, "TIMESTAMP WITH TIME ZONE"),
    ("character varying", None, None, "VARCHAR"),
    ("double precision", 53, None, "DOUBLE"),
    ("bigint", 64, 0, "BIGINT"),
], ids=["duckdb-decimal", "pg-numeric", "pg-timestamptz", "pg-varchar", "pg-double",
        "pg-bigint"])
def test_column_types_read_back_in_one_spelling(listed, precision, scale, expected):
    from kpisync.store.backend import canonical_type

    assert canonical_type(listed, precision, scale) == expected
