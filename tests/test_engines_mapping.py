"""Bring your own tables (docs/engines.md): kpis.yaml's ``mapping:`` and the Fivetran, Airbyte
and Salesforce-names presets. The demo org is laid out as each tool would in a real
PostgreSQL server (tests/pg_server.py), soft-deleted rows added, and compute reads it through
the mapping to the same scores as the DuckDB store; ``check_mapping`` names what is missing
at its line in kpis.yaml; ``kpisync sync`` refuses to run."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_compare import assert_same_scores
from pg_server import postgres_server, postgres_url  # noqa: F401 (fixtures)

from kpisync.cli import main
from kpisync.compute import compute
from kpisync.config import parse_config
from kpisync.config.presets import PRESETS, snake_case
from kpisync.emulator.demo_org import generate_demo_org
from kpisync.engines.postgres import PostgresEngine
from kpisync.errors import ConfigError
from kpisync.store import Store
from kpisync.store.load import copy_store
from kpisync.store.mapping import check_mapping, map_tables, mapped_objects
from kpisync.store.select import EngineSettings, open_engine

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 6, 17)
SAMPLE_LINES = (ROOT / "kpis.yaml").read_text(encoding="utf-8").count("\n")


def config_with(mapping: str, url: str = "postgresql://db.internal/warehouse"):
    """The sample kpis.yaml with an engine and ``mapping``; the mapping starts at line
    ``SAMPLE_LINES + 5``."""
    text = (ROOT / "kpis.yaml").read_text(encoding="utf-8")
    return parse_config(f"{text}\nengine:\n  url: {url}\n  schema: salesforce\n{mapping}")


# -- presets and the mapping section ----------------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    ("CallDurationInSeconds", "call_duration_in_seconds"),
    ("Meeting_Held__c", "meeting_held_c"),
    ("UserRole", "user_role"),
    ("OpportunityHistory", "opportunity_history"),
    ("Product2Id", "product_2_id"),
    ("SLAExpirationDate__c", "sla_expiration_date_c"),
    ("Id", "id"),
])
def test_fivetran_names_are_snake_case(name, expected):
    assert snake_case(name) == expected


def test_preset_names_tables_columns_and_soft_deletes():
    config = config_with("mapping:\n  preset: fivetran\n")
    task = {o.sobject: o for o in mapped_objects(config)}["Task"]
    assert task.table == "task"
    assert task.columns == {"Id": "id", "IsDeleted": "is_deleted", "OwnerId": "owner_id",
                            "ActivityDate": "activity_date",
                            "CallDurationInSeconds": "call_duration_in_seconds",
                            "Subject": "subject",  # the sample's site.record_labels
                            "TaskSubtype": "task_subtype"}
    assert task.deleted == ("_fivetran_deleted", "is_deleted")
    airbyte = {o.sobject: o for o in mapped_objects(config_with("mapping:\n  preset: airbyte\n"))}
    assert airbyte["UserRole"].table == "userrole"
    assert airbyte["Event"].columns["Meeting_Held__c"] == "meeting_held__c"
    assert airbyte["Event"].deleted == ("isdeleted",)
    assert airbyte["User"].deleted == ()  # User has no IsDeleted field


def test_objects_override_the_preset():
    config = config_with("mapping:\n  preset: fivetran\n  objects:\n    Event:\n"
                         "      table: calendar_event\n      fields:\n"
                         "        Meeting_Held__c: was_held\n    Task: activity\n")
    mapped = {o.sobject: o for o in mapped_objects(config)}
    assert (mapped["Event"].table, mapped["Event"].columns["Meeting_Held__c"]) == \
        ("calendar_event", "was_held")
    assert mapped["Event"].columns["OwnerId"] == "owner_id"
    assert mapped["Task"].table == "activity"
    assert mapped["Event"].column_places["Meeting_Held__c"].line == SAMPLE_LINES + 11


@pytest.mark.parametrize(("mapping", "line", "column", "message"), [
    ("mapping:\n  preset: fivetrain\n", 6, 11,
     "mapping.preset: expected one of: salesforce, fivetran, airbyte; got 'fivetrain' — did "
     "you mean 'fivetran'?"),
    ("mapping:\n  objects:\n    Tsak: tasks\n", 7, 5,
     "mapping.objects: unknown object 'Tsak' — did you mean 'Task'?"),
    ("mapping:\n  objects:\n    Task:\n      fields: [a]\n", 8, 15,
     "mapping.objects.Task.fields: expected a mapping of Salesforce field names to column names"),
    ("mapping:\n  objects:\n    Task:\n      colums: {}\n", 8, 7,
     "mapping.objects.Task: unknown key 'colums'"),
], ids=["preset", "object", "fields", "key"])
def test_mapping_problems_are_located(mapping, line, column, message):
    with pytest.raises(ConfigError) as raised:
        config_with(mapping)
    assert f"kpis.yaml:{SAMPLE_LINES + line}:{column}: {message}" in str(raised.value)


def test_mapping_needs_an_engine_on_a_server():
    text = (ROOT / "kpis.yaml").read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match=r"kpis\.yaml:\d+:1: mapping: the mapped tables are "
                                          r"read on a database server: add an engine: section"):
        parse_config(f"{text}\nmapping:\n  preset: fivetran\n")


def test_sync_refuses_to_run_with_a_mapping(tmp_path):
    path = tmp_path / "kpis.yaml"
    path.write_text((ROOT / "kpis.yaml").read_text(encoding="utf-8") +
                    "\nengine:\n  url: postgresql://db.internal/warehouse\n"
                    "mapping:\n  preset: airbyte\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["sync", "-c", str(path)],
                                env={"SF_INSTANCE_URL": "https://127.0.0.1:9",
                                     "SF_ACCESS_TOKEN": "x"})
    assert result.exit_code == 1
    assert (f"{path}:{SAMPLE_LINES + 5}:11: mapping.preset: kpisync reads the tables another "
            "tool replicates (preset airbyte), so it does not sync: run `kpisync build`"
            ) in result.output


# -- on PostgreSQL ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """The demo org in a DuckDB store, and its scorecard there."""
    path = tmp_path_factory.mktemp("byo") / "store.duckdb"
    org = generate_demo_org(seed=7, as_of=AS_OF, scale=0.1)
    with Store.open(path) as store:
        for sobject in ("UserRole", "User", "Task", "Event", "Opportunity"):
            store.ensure_table(sobject, org.fields(sobject))
            store.upsert(sobject, [r for r in org.records(sobject) if not r.get("IsDeleted")])
    return path


def load_as(preset: str, store_path: Path, url: str) -> None:
    """The store laid out as ``preset``'s tool would in schema ``salesforce``, plus Tasks that
    count for nobody: one deleted in Salesforce, and (Fivetran) one Fivetran marked deleted."""
    admin = PostgresEngine.connect(url)
    admin.connection.execute("CREATE SCHEMA salesforce")
    admin.close()
    engine = PostgresEngine.connect(url, schema="salesforce")
    with Store.open(store_path, create=False) as store:
        copy_store(store.connection, engine, PRESETS[preset])
    names = PRESETS[preset]
    table, column = names.table("Task"), names.column
    deleted = [(column("IsDeleted"), "00TDELETED0000001")]
    if preset == "fivetran":
        deleted.append(("_fivetran_deleted", "00TDELETED0000002"))
    for flag, task_id in deleted:  # a copy of a counted call, marked gone
        engine.connection.execute(
            f'INSERT INTO {table} SELECT * FROM {table} WHERE "{column("TaskSubtype")}" = '
            f"'Call' LIMIT 1")
        engine.connection.execute(
            f'UPDATE {table} SET "{column("Id")}" = %s, "{flag}" = true WHERE ctid = '
            f'(SELECT max(ctid) FROM {table})', (task_id,))
    engine.close()


@pytest.mark.parametrize("preset", ["fivetran", "airbyte"])
def test_preset_tables_score_as_the_store(preset, demo_store, postgres_url):  # noqa: F811
    load_as(preset, demo_store, postgres_url)
    config = config_with(f"mapping:\n  preset: {preset}\n", url=postgres_url)
    with Store.open(demo_store, create=False) as store:
        on_duckdb = compute(config, store.connection, AS_OF)
    with open_engine(EngineSettings(postgres_url, "salesforce"), demo_store, config) as engine:
        assert check_mapping(config, PostgresEngine(engine.connection, "salesforce")) == []
        on_postgres = compute(config, engine, AS_OF)
    assert assert_same_scores(on_duckdb, on_postgres) > 1000
    assert on_postgres.results == on_duckdb.results


def test_missing_tables_and_columns_are_named_at_their_line(demo_store, postgres_url):  # noqa: F811
    load_as("fivetran", demo_store, postgres_url)
    engine = PostgresEngine.connect(postgres_url, schema="salesforce")
    engine.connection.execute("ALTER TABLE task RENAME COLUMN task_subtype TO task_sub_type")
    engine.connection.execute("ALTER TABLE event RENAME TO events")
    config = config_with("mapping:\n  preset: fivetran\n  objects:\n    Opportunity:\n"
                         "      fields:\n        IsWon: won\n", url=postgres_url)
    problems = [str(p) for p in check_mapping(config, engine)]
    preset_at, won_at = f"kpis.yaml:{SAMPLE_LINES + 6}:11", f"kpis.yaml:{SAMPLE_LINES + 10}:16"
    assert problems == [
        f"{preset_at}: mapping.preset: no column 'task_subtype' (Task.TaskSubtype) in table "
        "task; did you mean 'task_sub_type'?",
        f"{preset_at}: mapping.preset: no table 'event' for Event in schema salesforce on "
        "PostgreSQL; did you mean 'events'?",
        f"{won_at}: mapping.objects.Opportunity.fields.IsWon: no column 'won' "
        "(Opportunity.IsWon) in table opportunity; did you mean 'is_won'?",
    ]
    with pytest.raises(ConfigError, match="3 problems in the config"):
        map_tables(config, engine)
    engine.close()


def test_validate_online_checks_the_tables_on_the_server(tmp_path, demo_store,
                                                         postgres_url):  # noqa: F811
    load_as("fivetran", demo_store, postgres_url)
    path = tmp_path / "kpis.yaml"
    path.write_text((ROOT / "kpis.yaml").read_text(encoding="utf-8") +
                    f"\nengine:\n  url: {postgres_url}\n  schema: salesforce\n"
                    "mapping:\n  preset: fivetran\n", encoding="utf-8")
    found = CliRunner().invoke(main, ["validate", "-c", str(path), "--online", "--format", "json"])
    assert found.exit_code == 0, found.output
    online = next(s for s in json.loads(found.output)["stages"] if s["name"] == "online")
    assert online == {"name": "online", "status": "passed",
                      "detail": f"the tables on {postgres_url} checked"}
    engine = PostgresEngine.connect(postgres_url, schema="salesforce")
    engine.connection.execute("ALTER TABLE opportunity DROP COLUMN is_won")
    engine.close()
    missing = CliRunner().invoke(main, ["validate", "-c", str(path), "--online"])
    assert missing.exit_code == 1
    assert (
        f"{path}:{SAMPLE_LINES + 6}:11: mapping.preset: no column 'is_won' (Opportunity.IsWon) "
        "in table opportunity; the columns there: _fivetran_deleted, _fivetran_synced, "
        "account_id, amount, close_date, created_by_id, created_date, expected_revenue, ...\n"
    ) in missing.output


def test_without_a_mapping_the_store_layout_is_checked(demo_store, postgres_url):  # noqa: F811
    engine = PostgresEngine.connect(postgres_url)
    with Store.open(demo_store, create=False) as store:
        copy_store(store.connection, engine)
    text = (ROOT / "kpis.yaml").read_text(encoding="utf-8")
    config = parse_config(f"{text}\nengine:\n  url: {postgres_url}\n")
    assert check_mapping(config, engine) == []
    engine.connection.execute('ALTER TABLE sf_event DROP COLUMN "Meeting_Held__c"')
    assert [str(p) for p in check_mapping(config, engine)] == [
        "kpis.yaml:1:1: engine: no column 'Meeting_Held__c' (Event.Meeting_Held__c) in table "
        "sf_event; the columns there: AccountId, ActivityDate, ActivityDateTime, CreatedById, "
        "CreatedDate, Description, DurationInMinutes, EndDate, ... (`kpisync sync` creates "
        "the store's tables and columns)"]
    engine.close()
