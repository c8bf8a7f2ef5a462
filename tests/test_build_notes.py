"""What `kpisync build` tells admins besides writing the site."""

from __future__ import annotations

from dataclasses import replace

from compute_fixtures import AS_OF, build_store, tiny_config

from kpisync.build import unassigned_note
from kpisync.compute import compute


def test_records_of_users_on_no_team_are_named_with_their_count(tmp_path):
    # Meg (005M) manages the team and is on none: her March call counts for the org only
    scorecard = compute(tiny_config(), build_store(tmp_path / "s.duckdb"), AS_OF)
    assert unassigned_note(scorecard) == (
        "Note: in Mar 2026, 2 KPI records belong to 1 user on no team and count for the org "
        "only: Meg (005M) 2. Add them to a team in kpis.yaml if they should count there.")


def test_no_note_when_every_record_has_a_team(tmp_path):
    scorecard = compute(tiny_config(), build_store(tmp_path / "s.duckdb"), AS_OF)
    assert unassigned_note(replace(scorecard, unassigned=())) is None


def test_records_link_to_the_synced_org_unless_kpis_yaml_names_an_address():
    from kpisync.build import with_record_links

    config = tiny_config()
    assert config.site.salesforce_url is None
    linked = with_record_links(config, "https://acme.my.salesforce.com/")
    assert linked.site.salesforce_url == "https://acme.my.salesforce.com"
    assert with_record_links(config, None) is config  # a store synced before the address was kept
    named = replace(config, site=replace(config.site, salesforce_url="https://acme.lightning.force.com"))
    assert with_record_links(named, "https://acme.my.salesforce.com").site.salesforce_url == \
        "https://acme.lightning.force.com"
