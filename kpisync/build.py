"""``kpisync build``: the synced store in, the scorecard site out.

Kept apart from the CLI so that Python callers (and ``kpisync demo``) run the very same steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kpisync.compute import Scorecard, compute
from kpisync.config.model import Config
from kpisync.errors import StoreError
from kpisync.site.build import SiteReport, build_site
from kpisync.store import Store


@dataclass(frozen=True)
class BuildReport:
    scorecard: Scorecard
    site: SiteReport

    @property
    def index_path(self) -> Path:
        return self.site.index_path


def today_in(config: Config) -> date:
    """Today where the sales team works, which is what "this month" means to them."""
    return datetime.now(ZoneInfo(config.org.timezone)).date()


def build(
    config: Config,
    store_path: Path,
    out_dir: Path,
    *,
    as_of: date | None = None,
    templates_dir: Path | None = None,
) -> BuildReport:
    """Compute every KPI from the store at ``store_path`` and write the site to ``out_dir``."""
    with Store.open(store_path, create=False) as store:
        if not store.columns("User"):
            raise StoreError(f"the store {store_path} has no Salesforce users yet: run "
                             "`kpisync sync` first")
        scorecard = compute(config, store.connection, as_of or today_in(config))
    site = build_site(scorecard, out_dir, templates_dir=templates_dir)
    return BuildReport(scorecard=scorecard, site=site)
