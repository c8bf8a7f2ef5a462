"""``kpisync init``: a commented starter kpis.yaml that validates, teams from the synced roles,
and never a silent overwrite."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml
from click.testing import CliRunner
from people_fixtures import USERS, build_people_store

from kpisync.cli import main
from kpisync.config import load_config
from kpisync.errors import StoreError
from kpisync.starter import StarterTeam, roles_as_teams, write_starter
from kpisync.validation import validate_file


def init(*args: str):
    return CliRunner().invoke(main, ["init", *args], catch_exceptions=False)


@pytest.fixture
def store(tmp_path) -> Path:
    """A store with the people fixtures' users: Ann (SDR), Jo (AE), Meg (Manager)."""
    path = tmp_path / "store.duckdb"
    build_people_store(path).close()
    return path


def test_the_starter_passes_every_offline_stage_without_warnings(tmp_path):
    path = tmp_path / "kpis.yaml"
    write_starter(path, store_path=tmp_path / "none.duckdb")
    report = validate_file(path)
    assert report.ok and report.findings == ()
    assert [(s.name, s.status) for s in report.stages] == [
        ("schema", "passed"), ("semantics", "passed"), ("online", "skipped"),
        ("dry_run", "passed")]


def test_the_starter_is_commented_and_points_editors_at_the_schema(tmp_path):
    text = write_starter(tmp_path / "kpis.yaml").path.read_text()
    assert text.startswith("# yaml-language-server: $schema=kpis.schema.json\n")
    assert "roles: [Sales Rep]" in text
    assert text.count("\n  # ") >= 4  # each section says what it is for


def test_org_name_and_timezone_are_written_as_given(tmp_path):
    path = write_starter(tmp_path / "kpis.yaml", org_name="Acme: EMEA",
                         timezone="Europe/Paris").path
    config = load_config(path)
    assert (config.org.name, config.org.timezone) == ("Acme: EMEA", "Europe/Paris")


def test_an_existing_file_is_left_alone(tmp_path):
    path = tmp_path / "kpis.yaml"
    path.write_text("mine\n")
    result = init("-c", str(path))
    assert result.exit_code == 1
    assert result.output == (f"Error: {path} already exists; kpisync init leaves it alone "
                             "(pass --force to replace it)\n")
    assert path.read_text() == "mine\n"


def test_force_replaces_it(tmp_path):
    path = tmp_path / "kpis.yaml"
    path.write_text("mine\n")
    result = init("-c", str(path), "--force", "--store", str(tmp_path / "none.duckdb"))
    assert result.exit_code == 0
    assert result.output == (
        f"Wrote {path}: 5 KPIs, an example team (run `kpisync sync`, then `kpisync init "
        "--force`, for a team per role). Check it with `kpisync validate`.\n")
    load_config(path)


def test_after_a_sync_each_role_with_active_users_is_a_team(tmp_path, store):
    path = tmp_path / "kpis.yaml"
    result = init("-c", str(path), "--store", str(store))
    assert result.exit_code == 0
    assert result.output.startswith(f"Wrote {path}: 5 KPIs, 3 teams from the roles in {store}.")
    config = load_config(path)
    assert [(t.id, t.name, t.members.roles) for t in config.teams] == [
        ("ae", "AE", ("AE",)), ("manager", "Manager", ("Manager",)), ("sdr", "SDR", ("SDR",))]
    assert validate_file(path).ok


def test_inactive_users_and_users_without_a_role_make_no_team(tmp_path):
    path = tmp_path / "store.duckdb"
    users = [USERS[0], ("005X", "x@tiny.example", "X", False, "00E2"),
             ("005Y", "y@tiny.example", "Y", True, None)]
    build_people_store(path, users=users).close()
    assert roles_as_teams(path) == (StarterTeam("sdr", "SDR", "SDR", 1),)


def test_role_names_become_ids_and_are_quoted_where_yaml_needs_it(tmp_path):
    path = tmp_path / "store.duckdb"
    con = build_people_store(path, users=[])
    roles = {"00E7": "SDR - East", "00E8": "SDR East", "00E9": "yes", "00EA": "Sales: West",
             "00EB": "1st line"}
    con.executemany("INSERT INTO sf_userrole VALUES (?, ?)", list(roles.items()))
    con.executemany("INSERT INTO sf_user VALUES (?, ?, ?, ?, ?)",
                    [(f"005{i}", f"u{i}@x.example", f"U{i}", True, role)
                     for i, role in enumerate(roles)])
    con.close()
    starter = write_starter(tmp_path / "kpis.yaml", store_path=path)
    assert [(t.id, t.role) for t in starter.teams] == [
        ("team_1st_line", "1st line"), ("sdr_east", "SDR - East"), ("sdr_east_2", "SDR East"),
        ("sales_west", "Sales: West"), ("yes", "yes")]
    config = load_config(starter.path)
    assert [t.members.roles for t in config.teams] == [(t.role,) for t in starter.teams]
    assert '"Sales: West"' in starter.path.read_text()


def test_a_store_without_users_says_to_sync(tmp_path):
    path = tmp_path / "store.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(StoreError, match="has no synced users and roles yet: run `kpisync "
                                         "sync` first"):
        write_starter(tmp_path / "kpis.yaml", store_path=path)
    assert not (tmp_path / "kpis.yaml").exists()


def test_the_store_is_only_read(tmp_path, store):
    before = store.read_bytes()
    write_starter(tmp_path / "kpis.yaml", store_path=store)
    assert store.read_bytes() == before


def test_the_starter_matches_the_schema(tmp_path, store):
    import jsonschema

    from kpisync.config.schema import kpis_schema
    from kpisync.registry import load_registry

    data = yaml.safe_load(write_starter(tmp_path / "kpis.yaml", store_path=store).path
                          .read_text())
    jsonschema.validate(data, kpis_schema(load_registry(include_plugins=False)))


def test_refusing_is_a_file_exists_error(tmp_path):
    (tmp_path / "kpis.yaml").write_text("")
    with pytest.raises(FileExistsError, match=r"kpis\.yaml already exists"):
        write_starter(tmp_path / "kpis.yaml")
