"""``kpisync build``: the synced store in, the scorecard site out.

Kept apart from the CLI so that Python callers (and ``kpisync demo``) run the very same steps.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kpisync.compute import Scorecard, compute
from kpisync.compute.drill import RecordList, drill_records
from kpisync.compute.model import Period
from kpisync.config.model import Config
from kpisync.engines.base import Connection
from kpisync.errors import StoreError
from kpisync.site.build import SiteReport, build_site
from kpisync.site.rules import drill_periods, focus_period
from kpisync.site.shell import freshness
from kpisync.store import Store
from kpisync.store.database import INSTANCE_URL
from kpisync.store.select import EngineSettings, engine_kind, open_engine


@dataclass(frozen=True)
class BuildReport:
    scorecard: Scorecard
    site: SiteReport

    @property
    def index_path(self) -> Path | None:
        """The site's front page; None when kpis.yaml turns the HTML site off."""
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
    engine: EngineSettings | None = None,
) -> BuildReport:
    """Compute every KPI from the store at ``store_path`` (or on ``engine``, else on
    kpis.yaml's ``engine:``) and write the outputs kpis.yaml enables (by default the HTML
    site and the CSV and JSON exports) to ``out_dir``, atomically. On another engine than the
    DuckDB store the site has no sync time (the store's sync state is read only from the
    DuckDB file); its drill-through records are read on the engine like the figures."""
    settings = engine or config.engine
    records: tuple[RecordList, ...] = ()
    synced = None
    if settings is None or engine_kind(settings.url) == "duckdb":
        with Store.open(store_path, create=False) as store:
            if not store.columns("User"):
                raise StoreError(f"the store {store_path} has no Salesforce users yet: run "
                                 "`kpisync sync` first")
            config = with_record_links(config, store.meta(INSTANCE_URL))
            scorecard = compute(config, store.connection, as_of or today_in(config))
            records = site_records(scorecard, store.connection)
            synced = freshness(store.states())
    else:
        with open_engine(settings, store_path, config) as on:
            scorecard = compute(config, on, as_of or today_in(config))
            records = site_records(scorecard, on)
    site = build_site(scorecard, out_dir, templates_dir=templates_dir, records=records,
                      freshness=synced)
    return BuildReport(scorecard=scorecard, site=site)


def with_record_links(config: Config, instance_url: str | None) -> Config:
    """``config`` whose site links drill-through records to the org the store was synced
    from, unless kpis.yaml names an address itself (``site.salesforce_url`` wins: a My Domain
    or Lightning URL the admin prefers)."""
    if config.site.salesforce_url or not instance_url:
        return config
    return replace(config, site=replace(config.site, salesforce_url=instance_url.rstrip("/")))


def site_records(scorecard: Scorecard, con: Connection) -> tuple[RecordList, ...]:
    """The records behind each rep's figures in the periods the site drills into (the running
    one and the one before); none when kpis.yaml turns drill-through or rep pages off."""
    options = scorecard.config.site
    if not (options.drill_through and options.rep_pages) or not scorecard.shown_periods:
        return ()
    keys = drill_periods(scorecard, focus_period(scorecard.shown_periods))
    periods: tuple[Period, ...] = tuple(p for p in scorecard.periods if p.key in keys)
    return drill_records(scorecard.config, con, scorecard.reps, periods)


def unassigned_note(scorecard: Scorecard, shown: int = 5) -> str | None:
    """One line for admins when records of the running period belong to users on no team:
    they count for the org but for no team or rep, which usually means kpis.yaml's teams
    miss someone (or a manager's own activity, counted on purpose)."""
    org = scorecard.config.org
    running = next((p for p in scorecard.periods
                    if p.is_current and p.kind == org.default_period), None)
    if running is None:
        return None
    owners = sorted(
        ((sum(c.records for c in o.counts if c.period_key == running.key), o)
         for o in scorecard.unassigned),
        key=lambda item: (-item[0], item[1].owner_id or ""),
    )
    owners = [(n, o) for n, o in owners if n]
    if not owners:
        return None
    total = sum(n for n, _ in owners)
    named = ", ".join(
        f"{o.name or 'unknown user'} ({o.owner_id}) {n:,}" if o.owner_id else f"no owner {n:,}"
        for n, o in owners[:shown])
    more = f", and {len(owners) - shown} more" if len(owners) > shown else ""
    return (f"Note: in {running.label}, {total:,} KPI records belong to {len(owners)} "
            f"user{'s' if len(owners) > 1 else ''} on no team and count for the org only: "
            f"{named}{more}. Add them to a team in kpis.yaml if they should count there.")



def history_note(scorecard: Scorecard) -> str | None:
    """One line when periods of the scorecard begin before the synced history: they show no
    data (compute/history.py), and a sync with an earlier --history-start fills them."""
    lacking = [p for p in scorecard.shown_periods
               if any(r.before_history and r.period_key == p.key for r in scorecard.results)]
    if not lacking:
        return None
    starts = ", ".join(f"{sobject} from {day.isoformat()}"
                       for sobject, day in scorecard.history_starts)
    earliest = min(p.start for p in lacking)
    labels = ", ".join(p.label for p in lacking)
    return (f"Note: {len(lacking)} period{'s' if len(lacking) > 1 else ''} begin before the "
            f"synced history ({starts}) and show no data: {labels}. Run `kpisync sync "
            f"--history-start {earliest.isoformat()}` to read further back.")
