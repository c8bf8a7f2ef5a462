"""The example plugin (examples/plugins/kpisync-monday-digest) put in place without pip, and a
kpis.yaml over the tiny store of compute_fixtures that uses it."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from kpisync.registry import Plugin, Registry, load_registry, using

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
