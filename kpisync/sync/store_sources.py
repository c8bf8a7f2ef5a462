"""Plugins' non-Salesforce sources: run by ``kpisync sync`` after the Salesforce objects.

Each source runs in its own store transaction: if it raises, or creates or drops a table
outside its own ``ext_<source>_*`` names, everything it wrote is rolled back and a
``PluginError`` names it, so a broken plugin never leaves the store half-written or touches
kpisync's ``sf_*`` tables' layout. The same holds when it leaves out a table (or a column) it
declares for KPIs to read (``StoreSource.tables``). kpis.yaml's ``store_sources:`` turns a
source off; it then does not run at all.
"""

from __future__ import annotations

from sqlglot import exp

from kpisync.config.model import Config
from kpisync.errors import PluginError
from kpisync.registry import Registry, SourceRun, StoreSource, registry
from kpisync.store import Store


def run_store_sources(config: Config, store: Store, extensions: Registry | None = None
                      ) -> tuple[str, ...]:
    """Run every installed store source that kpis.yaml does not turn off
    (``store_sources:``); returns their names, in order."""
    extensions = extensions or registry()
    enabled = config.store_sources
    ran = []
    for source in extensions.store_sources.values():
        if enabled is not None and source.name not in enabled:
            continue
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
                lacking = _lacking(store, source)
                if lacking:
                    raise PluginError(
                        f"the source {source.name!r} of plugin {owner!r} did not write "
                        f"{lacking}, which it declares for KPIs to read, so nothing it did "
                        "was kept")
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(f"the source {source.name!r} of plugin {owner!r} failed, and "
                              f"nothing it wrote was kept: {type(exc).__name__}: {exc}"
                              ) from exc
        ran.append(source.name)
    return tuple(ran)


def _lacking(store: Store, source: StoreSource) -> str:
    """The first declared table (or its first column) the source left out; "" if none."""
    for table in source.tables:
        declared = table.sobject(source.name)
        name = declared.name
        query = (exp.select("column_name").from_(exp.to_table("information_schema.columns"))
                 .where(exp.column("table_name").eq(exp.Literal.string(name))))
        columns = {c for (c,) in store.connection.execute(query.sql(dialect="duckdb")).fetchall()}
        if not columns:
            return f"the table {name}"
        missing = [c for c in declared.fields if c not in columns]
        if missing:
            return f"the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} of {name}"
    return ""


def _tables(store: Store) -> set[str]:
    query = exp.select("table_name").from_(exp.to_table("information_schema.tables"))
    return {name for (name,) in store.connection.execute(query.sql(dialect="duckdb")).fetchall()}
