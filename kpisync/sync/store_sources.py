"""Plugins' non-Salesforce sources: run by ``kpisync sync`` after the Salesforce objects.

Each source runs in its own store transaction: if it raises, or creates or drops a table
outside its own ``ext_<source>_*`` names, everything it wrote is rolled back and a
``PluginError`` names it, so a broken plugin never leaves the store half-written or touches
kpisync's ``sf_*`` tables' layout.
"""

from __future__ import annotations

from sqlglot import exp

from kpisync.config.model import Config
from kpisync.errors import PluginError
from kpisync.registry import Registry, SourceRun, registry
from kpisync.store import Store


def run_store_sources(config: Config, store: Store, extensions: Registry | None = None
                      ) -> tuple[str, ...]:
    """Run every installed store source; returns their names, in order."""
    extensions = extensions or registry()
    ran = []
    for source in extensions.store_sources.values():
        owner = extensions.owner("store source", source.name)
        run = SourceRun(store.connection, config.plugin_options.get(owner, {}), source.name)
        try:
            with store.transaction():
                before = _tables(store)
                source.sync(run)
                strays = sorted(t for t in _tables(store) ^ before
                                if not t.startswith(run.table("")))
                if strays:
                    raise PluginError(
                        f"the source {source.name!r} of plugin {owner!r} created or dropped "
                        f"{', '.join(strays)}; a source writes only tables named "
                        f"{run.table('')}*, so nothing it did was kept")
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(f"the source {source.name!r} of plugin {owner!r} failed, and "
                              f"nothing it wrote was kept: {type(exc).__name__}: {exc}"
                              ) from exc
        ran.append(source.name)
    return tuple(ran)


def _tables(store: Store) -> set[str]:
    query = exp.select("table_name").from_(exp.to_table("information_schema.tables"))
    return {name for (name,) in store.connection.execute(query.sql(dialect="duckdb")).fetchall()}
