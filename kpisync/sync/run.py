"""``kpisync sync`` as one call: credentials from the environment, the store, the job.

The CLI's ``sync`` and ``run`` commands use this; Python callers with their own credentials
call ``kpisync.sync.jobs.sync`` directly.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from kpisync.config.model import Config
from kpisync.errors import ConfigError, ConfigProblem, PluginError
from kpisync.registry import registry
from kpisync.store import Store
from kpisync.store.select import EngineSettings, check_store_engine, open_store, settings_kind
from kpisync.sync.auth import authenticator_from_env
from kpisync.sync.client import SalesforceClient
from kpisync.sync.envfile import read_env_file
from kpisync.sync.estimate import SyncEstimate, estimate
from kpisync.sync.jobs import sync
from kpisync.sync.plan import DEFAULT_OPTIONS, SyncOptions
from kpisync.sync.quota import DEFAULT_QUOTA, QuotaGuard
from kpisync.sync.report import ProgressEvent, SyncReport
from kpisync.sync.store_sources import run_store_sources


def sync_from_env(
    config: Config,
    store_path: Path,
    *,
    env_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    options: SyncOptions = DEFAULT_OPTIONS,
    quota: QuotaGuard | None = DEFAULT_QUOTA,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    engine: EngineSettings | None = None,
) -> SyncReport:
    """Sync with credentials from ``env`` (default the process environment), overlaid by
    ``env_file`` when given. The way to log in is chosen from the variables set (see
    ``kpisync.sync.auth.flow_from_env``); it is checked, and a token requested, before the
    store is opened, so bad credentials leave no trace on disk. ``quota`` guards the org's
    API requests (None: no guard); when it stops the sync the report is ``partial``.
    A complete sync then runs the plugins' store sources (``kpisync.sync.store_sources``).
    ``options`` as for ``kpisync.sync.jobs.sync``. The store is the DuckDB file at
    ``store_path``, or the PostgreSQL server ``engine`` (else kpis.yaml's ``engine:``) names."""
    settings = engine or config.engine
    refuse_mapped(config)
    check_store_engine(settings)
    _check_store_sources(config, settings)
    client = SalesforceClient.connect(_authenticator(env, env_file), quota=quota)
    with open_store(settings, store_path) as store:
        report = sync(config, store, client, options, on_progress=on_progress)
        if not report.partial:
            run_store_sources(config, store)  # plugins' own sources, after Salesforce's
        return report


def estimate_from_env(
    config: Config,
    store_path: Path,
    *,
    env_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    options: SyncOptions = DEFAULT_OPTIONS,
    quota: QuotaGuard = DEFAULT_QUOTA,
    engine: EngineSettings | None = None,
) -> SyncEstimate:
    """The dry run: the next sync's API cost (see ``kpisync.sync.estimate``). The store is
    only read: a DuckDB file is opened read-only (left byte for byte as it was) and not created
    when it does not exist."""
    settings = engine or config.engine
    refuse_mapped(config)
    check_store_engine(settings)
    client = SalesforceClient.connect(_authenticator(env, env_file))  # a few calls: unguarded
    on_file = settings_kind(settings) == "duckdb"
    if on_file and not store_path.exists():
        return estimate(config, None, client, options, quota=quota)
    opened = Store.open_read_only(store_path) if on_file else open_store(settings, store_path)
    with opened as store:
        return estimate(config, store, client, options, quota=quota)


def refuse_mapped(config: Config) -> None:
    """kpis.yaml's ``mapping:`` reads tables another tool replicates: there is nothing for
    kpisync to sync, and writing its own tables beside them would only confuse."""
    if config.mapping is None:
        return
    place = config.mapping.place
    raise ConfigError([ConfigProblem(
        str(config.path), place.line, place.column, place.path,
        f"kpisync reads the tables another tool replicates (preset {config.mapping.preset}), "
        "so it does not sync: run `kpisync build` (and `kpisync validate --online` to check "
        "the tables), or remove mapping: to sync into kpisync's own store")])


def _check_store_sources(config: Config, settings: EngineSettings | None) -> None:
    """Plugins' store sources write DuckDB tables through a DuckDB connection: refused before
    any Salesforce call when the store is elsewhere, rather than after the sync."""
    if settings_kind(settings) == "duckdb":
        return
    enabled = config.store_sources
    sources = sorted(name for name in registry().store_sources
                     if enabled is None or name in enabled)
    if sources:
        raise PluginError(
            f"the plugins' store sources ({', '.join(sources)}) write into the local DuckDB "
            "store and cannot run on PostgreSQL; sync into the DuckDB store, or turn them off "
            f"in kpis.yaml (store_sources: {{{sources[0]}: false}})")


def _authenticator(env: Mapping[str, str] | None, env_file: Path | None):
    return authenticator_from_env(sync_environment(env, env_file))


def sync_environment(env: Mapping[str, str] | None = None, env_file: Path | None = None
                     ) -> dict[str, str]:
    """The variables credentials are read from: ``env`` (default the process environment)
    overlaid by ``env_file`` when given."""
    variables = dict(os.environ if env is None else env)
    if env_file is not None:
        variables.update(read_env_file(env_file))
    return variables
