"""The example plugin (examples/plugins/kpisync-monday-digest) put in place without pip, a
store source plugin whose table KPIs read, and kpis.yaml files over the tiny store of
compute_fixtures that use them."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlglot import exp

from kpisync.registry import (
    Plugin,
    Registry,
    SourceRun,
    StoreSource,
    StoreTable,
    load_registry,
    using,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "plugins" / "kpisync-monday-digest"
EXAMPLE_PLUGIN = Plugin("monday_digest", "kpisync_monday_digest.plugin",
                        "kpisync-monday-digest", "0.1.0")

#: Cat's won deals (compute_fixtures.OPPS): 1000.00 closing Feb 11, 250.50 closing Mar 2;
#: 9999.00 is deleted. Capped at 500: Feb 500, Mar 250.50.
BASE_YAML = """\
org:
  name: Tiny Co
  timezone: America/New_York
  default_period: month
  window: 2
teams:
  - id: ae
    name: AE
    members:
      usernames: [cat@tiny.example]
    kpis: [deals_won]
kpis:
  - id: deals_won
    name: Deals won
    tier: results
    type: lagging
    unit: count
    source: Opportunity
    measure: count
    where: {IsWon: true}
    date: CloseDate
    target: {per_rep: 2}
"""
#: BASE_YAML and a KPI with the example plugin's measure
TINY_YAML = BASE_YAML.replace("kpis: [deals_won]", "kpis: [capped_revenue, deals_won]") + """\
  - id: capped_revenue
    name: Capped revenue
    tier: results
    type: lagging
    unit: currency
    source: Opportunity
    measure: {capped_sum: {field: Amount, cap: 500}}
    where: {IsWon: true}
    date: CloseDate
    target: {per_rep: 1000}
"""


def example_registry(syspath_prepend) -> Registry:
    """kpisync's pieces plus the example plugin's, registered as the entry point would."""
    syspath_prepend(str(EXAMPLE))
    from kpisync_monday_digest import plugin

    registry = load_registry(include_plugins=False)
    with registry.loading(EXAMPLE_PLUGIN):
        plugin.register(registry)
    return registry


@contextmanager
def example_in_place(syspath_prepend):
    with using(example_registry(syspath_prepend)) as registry:
        yield registry


def write_dist_info(site: Path, name: str, version: str, entry_points: str) -> None:
    """What pip leaves in site-packages for importlib.metadata to find: METADATA and
    entry_points.txt in NAME-VERSION.dist-info."""
    dist = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (dist / "entry_points.txt").write_text(entry_points)


# ------------------------------------------------------------------- a store source KPIs read

#: calls from a call recorder, as a store source plugin ("gong") keeps them: credited to the
#: Salesforce user in RepId. Cat (005C): one connected call in March, a voicemail, a connected
#: call in February, and a deleted one that must not count.
CALLS_TABLE = StoreTable("calls", {"RepId": "reference", "Seconds": "int",
                                   "Outcome": "picklist", "CallDate": "date"},
                         date="CallDate", credit="RepId")
CALLS = [
    ("g1", False, "005C", 300, "connected", date(2026, 3, 2)),
    ("g2", False, "005C", 45, "voicemail", date(2026, 3, 3)),
    ("g3", False, "005C", 600, "connected", date(2026, 2, 20)),
    ("g4", True, "005C", 900, "connected", date(2026, 3, 4)),
]
CALLS_PLUGIN = Plugin("gong", "kpisync_gong.plugin", "kpisync-gong", "2.1")


def sync_calls(run: SourceRun) -> None:
    """What a store source does: (re)create its table and fill it, values bound."""
    table = exp.to_table(run.table("calls"))
    columns = [exp.ColumnDef(this=exp.to_identifier(name, quoted=True),
                             kind=exp.DataType.build(kind))
               for name, kind in (("Id", "VARCHAR"), ("IsDeleted", "BOOLEAN"),
                                  ("RepId", "VARCHAR"), ("Seconds", "INTEGER"),
                                  ("Outcome", "VARCHAR"), ("CallDate", "DATE"))]
    create = exp.Create(this=exp.Schema(this=table, expressions=columns), kind="TABLE",
                        replace=True)
    run.connection.execute(create.sql(dialect="duckdb"))
    insert = exp.insert(exp.Values(expressions=[exp.Tuple(expressions=[
        exp.Placeholder() for _ in columns])]), table)
    run.connection.executemany(insert.sql(dialect="duckdb"), CALLS)


def calls_registry(sync=sync_calls) -> Registry:
    """kpisync's pieces and a "gong" plugin whose store source writes ext_gong_calls."""
    registry = load_registry(include_plugins=False)
    with registry.loading(CALLS_PLUGIN):
        registry.add_store_source(StoreSource("gong", "Recorded calls", sync,
                                              tables=(CALLS_TABLE,)))
    return registry


#: BASE_YAML and a KPI over the store source's table
CALLS_YAML = BASE_YAML.replace("kpis: [deals_won]", "kpis: [connected_calls, deals_won]") + """\
  - id: connected_calls
    name: Connected calls
    tier: activities
    type: leading
    unit: count
    source: ext_gong_calls
    measure: count
    where: {Outcome: connected}
    target: {per_rep: 4}
"""
