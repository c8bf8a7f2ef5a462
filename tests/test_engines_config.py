"""Choosing the engine: kpis.yaml's ``engine:`` section and ``kpisync build --engine URL``.
Credentials never come from either; a URL carrying a password is refused with advice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpisync.cli import main
from kpisync.config import parse_config
from kpisync.engines import EngineSettings
from kpisync.errors import ConfigError
from kpisync.store.select import credentials_problem, engine_kind

ROOT = Path(__file__).resolve().parent.parent


def with_engine(section: str) -> str:
    return (ROOT / "kpis.yaml").read_text(encoding="utf-8") + "\n" + section


def test_engine_section_is_read():
    config = parse_config(with_engine("engine:\n  url: postgresql://db.internal/sales\n"
                                      "  schema: salesforce\n"))
    assert config.engine == EngineSettings(url="postgresql://db.internal/sales",
                                           schema="salesforce")
    assert parse_config(with_engine("")).engine is None


@pytest.mark.parametrize(("section", "message"), [
    ("engine:\n  url: postgresql://sales:hunter2@db/sales\n",
     "engine.url: the engine URL carries a password: remove it and set PGPASSWORD"),
    ("engine:\n  url: postgresql://db/sales?password=hunter2\n", "carries a password"),
    ("engine:\n  url: snowflake://acme/sales\n",
     "the snowflake engine is not available yet: kpisync checks that its SQL transpiles"),
    ("engine:\n  url: mysql://db/sales\n", "unknown engine 'mysql://db/sales'"),
    ("engine:\n  schema: sales\n", "missing required key 'url'"),
    ("engine:\n  url: postgresql://db/sales\n  pool: 4\n", "unknown key 'pool'"),
])
def test_engine_section_problems(section, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(with_engine(section))
    assert any(message in str(p) for p in caught.value.problems), caught.value.problems


def test_engine_kinds():
    assert engine_kind("duckdb") == "duckdb"
    assert engine_kind("postgres://h/d") == engine_kind("postgresql://h/d") == "postgres"
    assert credentials_problem("postgresql://reporting@db:5432/sales") is None


@pytest.mark.parametrize(("url", "message"), [
    ("postgresql://u:secret@db/sales", "carries a password"),
    ("bigquery://project/dataset", "the bigquery engine is not available yet"),
])
def test_build_refuses_an_engine_url_it_cannot_use(tmp_path, url, message):
    result = CliRunner().invoke(main, ["build", "-c", str(ROOT / "kpis.yaml"), "--store",
                                       str(tmp_path / "none.duckdb"), "--engine", url])
    assert result.exit_code == 2
    assert message in result.output


def test_duckdb_temp_tables_keep_every_row_across_insert_batches(monkeypatch):
    """The members and periods tables are inserted a batch of rows per statement: a table
    longer than one batch (and one that ends mid-batch) keeps every row, in order, NULLs too."""
    import duckdb

    from kpisync.engines import duckdb as duckdb_engine

    monkeypatch.setattr(duckdb_engine, "INSERT_BATCH", 2)
    engine = duckdb_engine.DuckDBEngine(duckdb.connect())
    rows = [(f"005{i}", i, None if i % 2 else date(2026, 1, i + 1)) for i in range(5)]
    engine.create_temp_table("members", [("id", "VARCHAR"), ("n", "BIGINT"), ("day", "DATE")],
                             rows)
    assert engine.connection.execute("SELECT * FROM members ORDER BY n").fetchall() == rows
    engine.create_temp_table("members", [("id", "VARCHAR")], [])
    assert engine.connection.execute("SELECT count(*) FROM members").fetchall() == [(0,)]
