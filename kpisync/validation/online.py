"""The online stage: every object and field the KPIs use, checked with describe against the org.

Offline validation knows standard fields from kpisync's catalogue but not a custom field
(``Meeting_Held__c``), a field the sync user cannot see (field-level security) or an object
the org lacks. This stage asks the org, with the sync's own client and credentials (the
environment, or ``--env-file``, as ``kpisync sync`` reads them), so that a pull request fails
before the scheduled sync does. It reads nothing but describes: one API call per object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kpisync.config.model import Config
from kpisync.errors import SalesforceError
from kpisync.validation.report import Finding


@dataclass(frozen=True)
class OnlineResult:
    findings: tuple[Finding, ...]
    #: Salesforce's types of the fields the sync reads, by object, for the dry run
    described: dict[str, dict[str, str]] = field(default_factory=dict)
    #: "5 objects described"
    detail: str = ""


def check_online(config: Config, client) -> OnlineResult:
    """Describe each object a sync of ``config`` reads with ``client`` (a
    ``kpisync.sync.client.SalesforceClient``); a finding per missing object or field, located
    at the first KPI that uses it."""
    from kpisync.config.required import plan_objects
    from kpisync.sync.plan import missing_fields_message

    findings: list[Finding] = []
    described: dict[str, dict[str, str]] = {}
    plans = plan_objects(config)
    for plan in plans:
        try:
            fields = client.describe(plan.sobject)
        except SalesforceError as exc:
            if exc.status != 404 and exc.error_code != "NOT_FOUND":
                raise
            findings.append(_finding(
                config, plan.sobject, None,
                f"Salesforce has no object '{plan.sobject}', or the sync user cannot see it "
                f"({_user_of(config, plan.sobject)}); check its API name and the user's "
                "object permissions"))
            continue
        described[plan.sobject] = {n: f.type for n, f in fields.items()}
        for name in plan.fields:
            if name not in fields:
                findings.append(_finding(config, plan.sobject, name,
                                         missing_fields_message(config, plan.sobject, [name])))
    return OnlineResult(tuple(findings), described, f"{len(plans)} objects described")


def check_engine_tables(config: Config) -> OnlineResult:
    """The online stage's check of an ``engine:`` section's tables: every table and column the
    KPIs read, on the server (``kpisync.store.mapping.check_mapping``), each missing one
    located at its kpis.yaml line. With a ``mapping:`` (bring your own tables) these tables,
    not Salesforce, hold the records, so ``_online`` runs this instead of describe."""
    from dataclasses import replace

    from kpisync.store.select import check_online as check_tables

    problems = check_tables(config)
    if problems is None:
        return OnlineResult((), {}, "the local store's tables are made by the sync")
    findings = tuple(Finding.of(replace(p, stage="online")) for p in problems)
    return OnlineResult(findings, {}, f"the tables on {config.engine.url} checked")


def client_from_env(env: Mapping[str, str] | None = None, env_file: Path | None = None):
    """The sync's client, logged in with the credentials ``kpisync sync`` would use: ``env``
    (default the process environment) overlaid by ``env_file``."""
    from kpisync.sync.auth import authenticator_from_env
    from kpisync.sync.client import SalesforceClient
    from kpisync.sync.run import sync_environment

    return SalesforceClient.connect(authenticator_from_env(sync_environment(env, env_file)))


def _finding(config: Config, sobject: str, name: str | None, message: str) -> Finding:
    kpi = next((k for k in config.kpis if _reads(k, sobject, name)), None)
    line, path = (kpi.line, f"kpis[{kpi.id}]") if kpi else (1, "")
    return Finding("error", "online", str(config.path), line or 1, 1, path, message)


def _reads(kpi, sobject: str, name: str | None) -> bool:
    from kpisync.sync.plan import kpi_field_pairs  # the same walk as the sync's field list

    pairs = kpi_field_pairs(kpi)
    return any(o == sobject and (name is None or f == name) for o, f in pairs)


def _user_of(config: Config, sobject: str) -> str:
    kpis = [k.id for k in config.kpis if _reads(k, sobject, None)]
    return "used by " + ", ".join(f"'{k}'" for k in kpis) if kpis else "needed by kpisync itself"

