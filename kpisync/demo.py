"""``kpisync demo``: the real pipeline, end to end, against a generated org on the emulator.

Nothing here is demo-only logic: the org is served over HTTPS by the bundled emulator, pulled
by the same sync code a real org gets, then built by the same ``build``. Only the source of
the records differs.
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from kpisync.build import BuildReport, build, today_in
from kpisync.config import load_config
from kpisync.emulator import Emulator
from kpisync.emulator.demo_org import generate_demo_org
from kpisync.errors import StoreError
from kpisync.store import Store
from kpisync.sync.auth import Credentials
from kpisync.sync.client import SalesforceClient
from kpisync.sync.jobs import sync
from kpisync.sync.plan import SyncOptions, months_before
from kpisync.sync.report import SyncReport


@dataclass(frozen=True)
class DemoReport:
    config_path: Path
    sync: SyncReport
    build: BuildReport
    seconds: float
    store_path: Path
    out_dir: Path
    #: the --as-of the demo was run with, which a rebuild of its store needs too
    as_of: date | None = None

    @property
    def index_path(self) -> Path:
        return self.build.index_path

    def summary(self) -> str:
        scorecard = self.build.scorecard
        return (
            f"Demo: synced {self.sync.total_fetched:,} records, computed "
            f"{len(scorecard.config.kpis)} KPIs for {len(scorecard.reps)} reps in "
            f"{len(scorecard.teams)} teams, {self.build.site.pages} pages in {self.seconds:.1f} s"
        )


    def next_commands(self) -> list[str]:
        """What to type next: the demo's store is not the default one, so ``kpisync build``
        alone would not find it."""
        build = ["kpisync build"]
        if self.config_path.resolve() != Path("kpis.yaml").resolve():
            build.append(f"-c {_quote(self.config_path)}")
        build.append(f"--store {_quote(self.store_path)}")
        if self.out_dir != Path("output"):
            build.append(f"-o {_quote(self.out_dir)}")
        if self.as_of is not None:
            build.append(f"--as-of {self.as_of.isoformat()}")
        serve = "kpisync serve" + ("" if self.out_dir == Path("output")
                                   else f" -o {_quote(self.out_dir)}")
        return [f"Rebuild from the demo store: {' '.join(build)}", f"Browse the site: {serve}"]


def _quote(path: Path) -> str:
    return shlex.quote(str(path))


def demo_config_path(explicit: Path | None) -> Path:
    """The config given, else ./kpis.yaml, else the sample bundled with kpisync."""
    if explicit is not None:
        return explicit
    local = Path("kpis.yaml")
    if local.is_file():
        return local
    bundled = resources.files("kpisync") / "demo" / "kpis.yaml"
    if bundled.is_file():
        return Path(str(bundled))
    # Running from a source checkout that was never built: the sample sits at the repo root.
    return Path(__file__).resolve().parent.parent / "kpis.yaml"


def run_demo(
    *,
    config_path: Path | None,
    store_path: Path,
    out_dir: Path,
    as_of: date | None = None,
    seed: int = 7,
) -> DemoReport:
    started = time.monotonic()
    path = demo_config_path(config_path)
    config = load_config(path)
    as_of_given = as_of
    as_of = as_of or today_in(config)
    _fresh_store(store_path)
    org = generate_demo_org(seed=seed, as_of=as_of)
    with Emulator(org) as emulator:
        credentials = Credentials(
            instance_url=emulator.url,
            access_token=emulator.access_token,
            ca_bundle=emulator.ca_path,
        )
        with Store.open(store_path) as store:
            # The generated org spans the 12 months before as_of; read all of it.
            options = SyncOptions(history_start=months_before(as_of, 13))
            report = sync(config, store, SalesforceClient(credentials), options)
    built = build(config, store_path, out_dir, as_of=as_of)
    return DemoReport(path, report, built, time.monotonic() - started, store_path=store_path,
                      out_dir=out_dir, as_of=as_of_given)


def _fresh_store(store_path: Path) -> None:
    """The demo org is generated anew each run, so its store starts empty too."""
    for path in (store_path, store_path.with_name(store_path.name + ".wal")):
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot reset the demo store {path}: {exc}") from exc
