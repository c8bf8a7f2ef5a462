"""``kpisync schema``: the JSON Schema of kpis.yaml from the config model, checked against every
example config, and docs/config-reference.md generated from it."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from plugin_fixtures import TINY_YAML, example_registry

from kpisync.cli import main
from kpisync.config.readers import Key
from kpisync.config.reference import reference_page
from kpisync.config.schema import kpis_schema
from kpisync.config.schema_blocks import Doc, SchemaDrift, mapping
from kpisync.config.validate import TOP_KEYS
from kpisync.registry import load_registry

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "config"
#: fixtures that are broken on purpose
BROKEN = {"many_problems.yaml"}
#: the KPI recipes (docs/recipes.md): each a whole kpis.yaml
RECIPES = sorted((ROOT / "docs" / "recipes").glob("*.yaml"))
EXAMPLES = [ROOT / "kpis.yaml", *(p for p in sorted(FIXTURES.glob("*.yaml"))
                                  if p.name not in BROKEN), *RECIPES]


def as_json(value):
    """YAML data as an editor's YAML 1.2 reader gives it: dates are text."""
    if isinstance(value, dict):
        return {str(as_json(k)): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def schema():
    return kpis_schema(load_registry(include_plugins=False))


@pytest.fixture(scope="module")
def validator(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator, data) -> list[tuple[str, str]]:
    return sorted((".".join(map(str, e.absolute_path)), e.message)
                  for e in validator.iter_errors(as_json(data)))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_configs_are_valid_against_the_schema(validator, path):
    assert errors(validator, yaml.safe_load(path.read_text())) == []


def doc_snippets() -> list[tuple[str, int, object]]:
    """The YAML blocks of docs/*.md that are kpis.yaml or a part of one (a top-level section,
    a KPI's where or target), with their file and line."""
    found = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        text = page.read_text()
        for block in re.finditer(r"```yaml\n(.*?)```", text, re.S):
            try:
                data = yaml.safe_load(block.group(1))
            except yaml.YAMLError:
                continue
            if isinstance(data, dict):
                found.append((page.name, text[:block.start()].count("\n") + 1, data))
    return found


SNIPPETS = [s for s in doc_snippets() if any(v is not None for v in s[2].values())]
TOP = {k.name for k in TOP_KEYS}


def test_docs_hold_config_snippets_to_check():
    assert len([s for s in SNIPPETS if set(s[2]) <= TOP]) >= 15


def optional(schema):
    """``schema`` with no key required anywhere (a KPI's ``else: required source`` too; an
    ``if`` keeps its own, which say what a ratio KPI is): docs show parts of sections."""
    if isinstance(schema, dict):
        return {k: v if k == "if" else optional(v) for k, v in schema.items()
                if k != "else" and (k != "required" or "properties" not in schema)}
    return [optional(v) for v in schema] if isinstance(schema, list) else schema


@pytest.fixture(scope="module")
def docs_schema():
    """The schema with the example plugin (docs/plugins.md and the outputs: section use it)."""
    with pytest.MonkeyPatch.context() as patch:
        schema = optional(kpis_schema(example_registry(patch.syspath_prepend)))
    # docs/config.md's plugins: and store_sources: show plugins other than the example
    schema["properties"]["plugins"]["additionalProperties"] = {"type": "object"}
    schema["properties"]["store_sources"]["additionalProperties"] = {"type": "boolean"}
    return schema


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: f"{s[0]}:{s[1]}")
def test_docs_snippets_are_valid_against_the_schema(docs_schema, snippet):
    """Each snippet's keys have the shapes and types the schema says (what the snippet
    leaves out is not checked: it shows a part of a section)."""
    _, _, data = snippet
    kpi = docs_schema["properties"]["kpis"]["items"]
    if set(data) <= TOP:
        part = docs_schema
    else:  # keys of a KPI (where:, target:, date:)
        assert set(data) <= set(kpi["properties"]), "a snippet of no known part of kpis.yaml"
        part = {"$defs": docs_schema["$defs"], **kpi}
    assert errors(jsonschema.Draft202012Validator(part), data) == []


def test_a_wrong_config_fails_the_schema_with_each_mistake(validator):
    data = yaml.safe_load((FIXTURES / "many_problems.yaml").read_text())
    assert errors(validator, data) == [
        ("kpis.0", "Additional properties are not allowed ('taget' was unexpected)"),
        ("kpis.1.target.per_rep", "'ten' is not of type 'number'"),
        ("org.currency", "'usd' does not match '^[A-Z]{3}$'"),
    ]


@pytest.mark.parametrize("change, path", [
    (("tier: activities", "tier: activity"), "kpis.0.tier"),
    (("measure: count", "measure: {sum: 3}"), "kpis.0.measure"),
    (("timezone: Europe/Paris", "timezone: Europe/Paris\n  window: 30"), "org.window"),
    (("kpis: [calls]", "kpis: calls"), "teams.0.kpis"),
], ids=["enum", "measure-shape", "bounds", "list"])
def test_shape_mistakes_fail_the_schema_where_they_are(validator, change, path):
    text = (FIXTURES / "minimal.yaml").read_text().replace(*change)
    assert [p for p, _ in errors(validator, yaml.safe_load(text))] == [path]


def test_a_kpi_needs_a_source_unless_it_combines_other_kpis(validator):
    data = yaml.safe_load((FIXTURES / "minimal.yaml").read_text())
    del data["kpis"][0]["source"]
    assert errors(validator, data) == [("kpis.0", "'source' is a required property")]
    data["kpis"][0]["measure"] = {"ratio": {"numerator": "a", "denominator": "b"}}
    assert errors(validator, data) == []
    data["kpis"][0]["source"] = "Task"
    assert [p for p, _ in errors(validator, data)] == ["kpis.0"]


def test_a_required_key_missing_fails_the_schema(validator):
    data = yaml.safe_load((FIXTURES / "minimal.yaml").read_text())
    del data["org"]
    assert errors(validator, data) == [("", "'org' is a required property")]


def test_plugin_options_are_in_the_schema(monkeypatch):
    """The example plugin's measure and output options, from plugin_schemas(registry)."""
    schema = kpis_schema(example_registry(monkeypatch.syspath_prepend))
    validator = jsonschema.Draft202012Validator(schema)
    assert errors(validator, yaml.safe_load(TINY_YAML)) == []
    wrong = TINY_YAML.replace("cap: 500", "cap: lots")
    assert [p for p, _ in errors(validator, yaml.safe_load(wrong))] == ["kpis.1.measure"]
    assert "monday_digest" in schema["properties"]["outputs"]["properties"]


def test_a_parser_key_without_a_description_is_drift():
    with pytest.raises(SchemaDrift, match=r"keys \['extra'\] are in the parser or the schema"):
        mapping((Key("name"), Key("extra")), {"name": Doc({"type": "string"})})


def test_schema_command_writes_stdout_or_a_file(tmp_path):
    printed = CliRunner().invoke(main, ["schema"], catch_exceptions=False)
    assert printed.exit_code == 0
    assert json.loads(printed.output)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    out = tmp_path / "kpis.schema.json"
    written = CliRunner().invoke(main, ["schema", "-o", str(out)], catch_exceptions=False)
    assert written.exit_code == 0
    assert out.read_text() == printed.output


def test_config_reference_is_up_to_date():
    """Regenerate with: kpisync schema --format markdown -o docs/config-reference.md"""
    assert (ROOT / "docs" / "config-reference.md").read_text() == reference_page()


def test_config_reference_gives_every_key_a_type_and_an_example():
    rows = [line.split(" | ") for line in reference_page().splitlines()
            if line.startswith("| `")]
    assert len(rows) > 100
    assert [r[0] for r in rows if not r[1].strip() or r[5].strip(" |") == ""] == []


def test_config_reference_lists_every_top_level_key():
    page = reference_page()
    assert all(f"## `{key.name}`" in page for key in TOP_KEYS)


def test_every_recipe_is_among_the_examples_checked():
    """The issue asks for each recipe to validate against the schema: there are twelve."""
    assert len(RECIPES) == 12
    assert set(RECIPES) <= set(EXAMPLES)
