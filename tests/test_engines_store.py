"""kpisync's own sync writing into PostgreSQL (docs/engines.md, way 1): the emulator's org
synced into a real server (tests/pg_server.py) and into the DuckDB file gives the same
scorecard; an incremental sync applies changes and deletes alike; a failure mid-sync leaves
the last committed state intact."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from pg_server import postgres_server, postgres_url  # noqa: F401 (fixtures)

from kpisync.build import build
from kpisync.cli import main
from kpisync.config import load_config
from kpisync.emulator import Emulator
from kpisync.emulator.demo_org import generate_demo_org
from kpisync.errors import StoreError
from kpisync.store import Store
from kpisync.sync.auth import Credentials
from kpisync.sync.client import SalesforceClient
from kpisync.sync.jobs import sync
from kpisync.sync.plan import SyncOptions

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 6, 17)
OPTIONS = SyncOptions(history_start=date(2025, 5, 1))
OBJECTS = ("UserRole", "User", "Task", "Event", "Opportunity")


@pytest.fixture
def org():
    return generate_demo_org(seed=5, as_of=AS_OF, scale=0.03)


@pytest.fixture
def emulator(org):
    with Emulator(org) as running:
        yield running


def sync_into(store: Store, emulator, config=None):
    credentials = Credentials(instance_url=emulator.url, access_token=emulator.access_token,
                              ca_bundle=emulator.ca_path)
    return sync(config or load_config(ROOT / "kpis.yaml"), store,
                SalesforceClient(credentials), OPTIONS)


def snapshot(store: Store) -> dict:
    """Every object's row count and sync state (its update time aside)."""
    return {
        "counts": {sobject: store.count(sobject) for sobject in OBJECTS},
        "states": [(s.sobject, s.watermark, s.watermark_id, s.complete) for s in store.states()],
    }


def test_run_into_postgres_scores_as_the_duckdb_store(tmp_path, emulator, postgres_url):  # noqa: F811
    """``kpisync run --engine URL``: the sync writes the server, the build computes there."""
    config = load_config(ROOT / "kpis.yaml")
    with Store.open(tmp_path / "store.duckdb") as on_file:
        file_report = sync_into(on_file, emulator, config)
        on_file_snapshot = snapshot(on_file)
    build(config, tmp_path / "store.duckdb", tmp_path / "duck", as_of=AS_OF)

    env = {"SF_INSTANCE_URL": emulator.url, "SF_ACCESS_TOKEN": emulator.access_token,
           "REQUESTS_CA_BUNDLE": str(emulator.ca_path)}
    result = CliRunner().invoke(main, [
        "run", "-c", str(ROOT / "kpis.yaml"), "--engine", postgres_url,
        "--store", str(tmp_path / "unused.duckdb"), "--out", str(tmp_path / "pg"),
        "--as-of", AS_OF.isoformat(), "--history-start", "2025-05-01"], env=env)
    assert result.exit_code == 0, result.output
    assert f"Task: {file_report.objects['Task'].fetched:,} fetched" in result.output
    assert not (tmp_path / "unused.duckdb").exists()
    csv = Path("data") / "scores.csv"
    scores = (tmp_path / "pg" / csv).read_text()
    assert scores == (tmp_path / "duck" / csv).read_text()
    assert scores.count("\n") > 1000
    with Store.connect(postgres_url) as on_server:
        assert snapshot(on_server) == on_file_snapshot
        assert on_server.columns("Opportunity")["Amount"] == "DECIMAL(18,2)"
    assert on_file_snapshot["counts"]["Task"] > 500


def test_sync_refuses_an_engine_it_cannot_write(tmp_path):
    result = CliRunner().invoke(main, ["sync", "-c", str(ROOT / "kpis.yaml"), "--engine",
                                       "snowflake://acme/sales"])
    assert result.exit_code == 2
    assert "Invalid value for --engine: the snowflake engine is not available yet" in \
        result.output


@pytest.mark.parametrize("command", [["sync"], ["sync", "--dry-run"], ["run"]])
def test_sync_refuses_spark_before_asking_salesforce(tmp_path, command):
    """Spark computes on tables in its catalog; kpisync's sync cannot write there. Refused
    with a way forward before any credentials are read (none are set) and nothing is made."""
    store = tmp_path / "store.duckdb"
    result = CliRunner().invoke(main, [*command, "-c", str(ROOT / "kpis.yaml"), "--store",
                                       str(store), "--engine", "local[2]"], env={
                                           "SF_INSTANCE_URL": None, "SF_ACCESS_TOKEN": None})
    assert result.exit_code == 1, result.output
    assert ("Error: kpisync sync cannot write its store into Spark (local[2]): sync into the "
            "DuckDB store or PostgreSQL") in result.output
    assert not store.exists()


def change_org(org) -> tuple[str, str, str]:
    """An update, a delete and an insert of Tasks; their Ids."""
    live = [t for t in org.records("Task") if not t.get("IsDeleted")]
    updated, deleted = live[0], live[1]
    org.update("Task", updated["Id"], CallDurationInSeconds=4321)
    org.delete("Task", deleted["Id"])
    template = {k: v for k, v in live[2].items() if k not in ("SystemModstamp", "attributes")}
    inserted = org.insert("Task", {**template, "Id": "00T" + "9" * 15})
    return updated["Id"], deleted["Id"], inserted["Id"]


def duration_of(store: Store, task_id: str) -> tuple | None:
    """The Task's stored (CallDurationInSeconds,), None when it is not stored."""
    from sqlglot import exp

    query = (exp.select(exp.column("CallDurationInSeconds", quoted=True)).from_("sf_task")
             .where(exp.column("Id", quoted=True).eq(exp.Literal.string(task_id))))
    rows = store.backend.execute(query)
    return rows[0] if rows else None


def test_second_sync_into_postgres_is_incremental(tmp_path, org, emulator,
                                                  postgres_url):  # noqa: F811
    with Store.connect(postgres_url) as store:
        first = sync_into(store, emulator)
        tasks = store.count("Task")
        updated, deleted, inserted = change_org(org)
        second = sync_into(store, emulator)
        assert second.objects["Task"].fetched < first.objects["Task"].fetched / 10
        assert second.objects["Task"].deleted == 1
        assert store.count("Task") == tasks  # one deleted, one inserted
        assert duration_of(store, updated) == (4321,)
        assert duration_of(store, deleted) is None
        assert duration_of(store, inserted) is not None
        incremental = snapshot(store)
    with Store.open(tmp_path / "fresh.duckdb") as fresh:
        sync_into(fresh, emulator)
        assert snapshot(fresh)["counts"] == incremental["counts"]


def test_failure_mid_sync_leaves_the_last_committed_state(org, emulator, postgres_url,  # noqa: F811
                                                          monkeypatch):
    """The Task page's upsert has run on the server when its delete fails: the transaction
    rolls the page back with its checkpoint, and the next sync picks the page up again."""
    with Store.connect(postgres_url) as store:
        sync_into(store, emulator)
        before = snapshot(store)
        updated, deleted, _ = change_org(org)

        real_delete = Store.delete

        def failing_delete(self, sobject, ids):
            if sobject == "Task":  # after the page's upsert ran in the same transaction
                raise StoreError("the disk is full")
            return real_delete(self, sobject, ids)

        with monkeypatch.context() as patch:
            patch.setattr(Store, "delete", failing_delete)
            with pytest.raises(StoreError, match="the disk is full"):
                sync_into(store, emulator)
        assert snapshot(store) == before
        assert duration_of(store, updated) != (4321,)
        assert duration_of(store, deleted) is not None
        sync_into(store, emulator)
        assert duration_of(store, updated) == (4321,)
        assert duration_of(store, deleted) is None


def test_a_second_sync_on_the_same_postgres_store_is_refused(postgres_url):  # noqa: F811
    with Store.connect(postgres_url), \
            pytest.raises(StoreError, match="in use by another process"):
        Store.connect(postgres_url)


def test_the_store_goes_in_its_own_schema(postgres_url):  # noqa: F811
    fields = {"Id": "id", "OwnerId": "reference", "SystemModstamp": "datetime",
              "Amount": "currency"}
    with Store.connect(postgres_url, schema="kpisync") as store:
        store.ensure_table("Opportunity", fields)
        store.upsert("Opportunity", [
            {"Id": "006A", "OwnerId": "005A", "SystemModstamp": "2026-01-05T14:03:00.000+0000",
             "Amount": 1250.5}])
        assert store.columns("Opportunity") == {
            "Id": "VARCHAR", "OwnerId": "VARCHAR", "SystemModstamp": "TIMESTAMP WITH TIME ZONE",
            "Amount": "DECIMAL(18,2)"}
    with Store.connect(postgres_url) as public:
        assert public.columns("Opportunity") == {}
    with Store.connect(postgres_url, schema="kpisync") as again:
        assert again.count("Opportunity") == 1
        assert again.location.endswith("(schema kpisync)")


def test_store_sources_refuse_a_sync_into_postgres(tmp_path, monkeypatch):
    """Before any Salesforce call: a plugin's store source writes DuckDB tables."""
    from dataclasses import replace

    from plugin_fixtures import calls_registry

    from kpisync.engines import EngineSettings
    from kpisync.errors import KpisyncError, PluginError
    from kpisync.sync.run import sync_from_env

    monkeypatch.setattr("kpisync.sync.run.registry", calls_registry)
    config = load_config(ROOT / "kpis.yaml")
    server = EngineSettings("postgresql://127.0.0.1:9/sales")
    with pytest.raises(PluginError, match=r"the plugins' store sources \(gong\) write into the "
                                          r"local DuckDB store and cannot run on PostgreSQL; .* "
                                          r"\(store_sources: \{gong: false\}\)"):
        sync_from_env(replace(config, store_sources=("gong",)), tmp_path / "s.duckdb", env={},
                      engine=server)
    with pytest.raises(KpisyncError) as raised:  # turned off: on to the credentials
        sync_from_env(replace(config, store_sources=()), tmp_path / "s.duckdb", env={},
                      engine=server)
    assert not isinstance(raised.value, PluginError)
