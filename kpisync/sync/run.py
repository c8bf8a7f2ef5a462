"""``kpisync sync`` as one call: credentials from the environment, the store, the job.

The CLI's ``sync`` and ``run`` commands use this; Python callers with their own credentials
call ``kpisync.sync.jobs.sync`` directly.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from kpisync.config.model import Config
from kpisync.store import Store
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
) -> SyncReport:
    """Sync with credentials from ``env`` (default the process environment), overlaid by
    ``env_file`` when given. The way to log in is chosen from the variables set (see
    ``kpisync.sync.auth.flow_from_env``); it is checked, and a token requested, before the
    store is opened, so bad credentials leave no trace on disk. ``quota`` guards the org's
    API requests (None: no guard); when it stops the sync the report is ``partial``.
    A complete sync then runs the plugins' store sources (``kpisync.sync.store_sources``).
    ``options`` as for ``kpisync.sync.jobs.sync``."""
    client = SalesforceClient.connect(_authenticator(env, env_file), quota=quota)
    with Store.open(store_path) as store:
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
) -> SyncEstimate:
    """The dry run: the next sync's API cost (see ``kpisync.sync.estimate``). The store is
    opened read-only (its file is left byte for byte as it was), and not created when it does
    not exist."""
    client = SalesforceClient.connect(_authenticator(env, env_file))  # a few calls: unguarded
    if not store_path.exists():
        return estimate(config, None, client, options, quota=quota)
    with Store.open_read_only(store_path) as store:
        return estimate(config, store, client, options, quota=quota)


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
