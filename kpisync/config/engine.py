"""kpis.yaml's ``engine:`` section: where compute runs (docs/engines.md). Only the URL and
options live here; a password never does (the driver reads it from the environment)."""

from __future__ import annotations

from yaml.nodes import Node

from kpisync.config import readers
from kpisync.config.problems import Problems
from kpisync.config.readers import Key
from kpisync.engines.select import EngineSettings, credentials_problem, engine_kind

ENGINE_KEYS = (
    Key("url", True, "such as postgresql://db.example.com/sales"),
    Key("schema"),
)


def parse_engine(node: Node, problems: Problems) -> EngineSettings | None:
    """The engine settings, or None after recording the problems."""
    entries = readers.mapping(node, "engine", problems, ENGINE_KEYS)
    if entries is None or "url" not in entries:
        return None
    url_node = entries["url"].value
    url = readers.text(url_node, "engine.url", problems, what="an engine URL")
    schema = (readers.text(entries["schema"].value, "engine.schema", problems)
              if "schema" in entries else None)
    if url is None or ("schema" in entries and schema is None):
        return None
    try:
        engine_kind(url)
    except ValueError as exc:
        problems.add(url_node, "engine.url", str(exc))
        return None
    problem = credentials_problem(url)
    if problem:
        problems.add(url_node, "engine.url", problem)
        return None
    return EngineSettings(url=url, schema=schema)
