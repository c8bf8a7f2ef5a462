"""``kpisync doctor``: is everything a scheduled sync needs in place, and if not, what to do.

Six checks, in the order a sync depends on them; each ends OK, WARN or FAIL (or SKIP when one
it needs failed), and every WARN and FAIL says what to do:

    credentials    the SF_* variables name one way to log in, and Salesforce accepts it
    API version    the org serves the REST API version kpisync calls
    field access   describe shows every object and field the KPIs read to the sync user
    API quota      the org's remaining daily API requests, against the --api-floor
    store          the store opens, its schema version, its tables and their rows
    last sync      how long ago the last sync finished, against site.stale_after

The checks cost a few API requests: one GET /limits and one describe per object (the API
versions are free). The store is opened read-only: the doctor changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from kpisync.config.model import Config
from kpisync.config.required import plan_objects
from kpisync.errors import AuthenticationError, SalesforceError, StoreError
from kpisync.store import Store
from kpisync.store.state import SyncState
from kpisync.sync.auth import FLOW_REQUIREMENTS, AuthFlow, authenticator_from_env
from kpisync.sync.client import RetryPolicy, SalesforceClient
from kpisync.sync.plan import missing_fields_message
from kpisync.sync.quota import DEFAULT_QUOTA, Allowance

Status = Literal["ok", "warn", "fail", "skip"]
#: few, short retries: a doctor answers in seconds, a sync may wait out an outage
DOCTOR_RETRY = RetryPolicy(max_attempts=2, max_wait=5.0, max_total=30.0)
SETUP_DOC = "docs/salesforce-setup.md"
NEEDS_CREDENTIALS = "needs working credentials"
AUTH_DOC = "docs/sync.md#authentication"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    #: what was found, in one line
    summary: str
    #: what to do about a WARN or FAIL
    fix: str = ""
    #: one line per object, table or problem
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnosis:
    checks: tuple[Check, ...]
    #: API requests the checks made (they count against the org's daily limit)
    api_calls: int = 0

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": not self.failed, "api_calls": self.api_calls,
                "checks": [{"name": c.name, "status": c.status, "summary": c.summary,
                            "fix": c.fix or None, "details": list(c.details)}
                           for c in self.checks]}

    def summary(self) -> str:
        width = max(len(c.name) for c in self.checks)
        lines = []
        for c in self.checks:
            lines.append(f"{c.status.upper():<4}  {c.name:<{width}}  {c.summary}")
            lines += [f"      {'':<{width}}  {d}" for d in c.details]
            if c.fix:
                lines.append(f"      {'':<{width}}  fix: {c.fix}")
        verdict = "a check failed" if self.failed else "no check failed"
        lines.append(f"{verdict}; the checks made {self.api_calls} API "
                     f"call{'s' if self.api_calls != 1 else ''}.")
        return "\n".join(lines)


def diagnose(config: Config, store_path: Path, env: Mapping[str, str], *,
             api_floor: Allowance = DEFAULT_QUOTA.org_floor, now: datetime | None = None,
             retry: RetryPolicy = DOCTOR_RETRY) -> Diagnosis:
    """Run every check for ``config``, credentials from ``env`` (the SF_* variables), the
    store at ``store_path``. Never raises for what it checks: each problem is a FAIL."""
    now = now or datetime.now(UTC)
    session, refused = _connect(env, retry)
    limits, reason = None, NEEDS_CREDENTIALS
    if session is None:
        checks = [refused, _skip("API version", NEEDS_CREDENTIALS)]
    else:
        version = _api_version(session.client)
        if version.status == "fail":
            reason = "needs the org's API version"
            checks = [Check("credentials", "skip", f"{session.how}: the token was not tried "
                                                   "(no API version)"), version]
        else:
            login, limits = _token_works(session)
            checks = [login, version]
    if session is not None and limits is not None:
        checks += [_field_access(config, session.client), _quota(limits, api_floor)]
    else:
        checks += [_skip("field access", reason), _skip("API quota", reason)]
    store, states = _store(config, store_path)
    checks += [store, _last_sync(config, states, now)]
    return Diagnosis(tuple(checks), api_calls=session.client.api_calls if session else 0)


def _skip(name: str, reason: str) -> Check:
    return Check(name, "skip", reason)


@dataclass(frozen=True)
class _Session:
    client: SalesforceClient
    flow: AuthFlow
    #: "access token flow (SF_INSTANCE_URL, SF_ACCESS_TOKEN)"
    how: str


def _connect(env: Mapping[str, str], retry: RetryPolicy) -> tuple[_Session | None, Check]:
    """A client logged in with the flow the variables describe, or the failed check. The
    OAuth flows request a token here; a given access token is only tried by
    ``_token_works``."""
    name = "credentials"
    try:
        authenticator = authenticator_from_env(env)
    except AuthenticationError as exc:
        lines = str(exc).splitlines()
        return None, Check(name, "fail", lines[0], details=tuple(x.strip() for x in lines[1:]),
                           fix=f"set the variables of one way to log in ({AUTH_DOC})")
    flow = authenticator.flow
    how = f"{flow.name} flow ({', '.join(_variables(flow, env))})"
    try:
        client = SalesforceClient.connect(authenticator, retry=retry)
    except SalesforceError as exc:
        return None, Check(name, "fail", f"{how}: {exc}", fix=_login_fix(flow, exc))
    return _Session(client, flow, how), Check(name, "ok", how)


def _token_works(session: _Session) -> tuple[Check, dict | None]:
    """GET /limits with the token (the quota check reads its answer): a given access token
    that expired is only refused on its first use."""
    try:
        limits = session.client.limits()
    except SalesforceError as exc:
        return Check("credentials", "fail", f"{session.how}: {exc}",
                     fix=_login_fix(session.flow, exc)), None
    return Check("credentials", "ok", f"{session.how}: logged in to "
                                      f"{session.client.instance_url}"), limits


def _variables(flow: AuthFlow, env: Mapping[str, str]) -> list[str]:
    """The variables of ``flow`` that are set (its alternatives and optional ones too)."""
    needs = next(n for _, label, n in FLOW_REQUIREMENTS if label == flow.name)
    names = [var for group in needs for var in group]
    names += [var for var in ("SF_AUDIENCE", "SF_SECURITY_TOKEN", "SF_CA_BUNDLE")
              if var not in names]
    return [var for var in names if env.get(var, "").strip()]


def _login_fix(flow: AuthFlow, exc: SalesforceError) -> str:
    """What to do when the login or the token is refused."""
    if not isinstance(exc, AuthenticationError):
        return ("check the instance or login URL and that this machine reaches it; behind a "
                "TLS-inspecting proxy, point SF_CA_BUNDLE at its CA certificate")
    if not flow.renewable:
        return ("the access token expired or was revoked: set a new SF_ACCESS_TOKEN, or log "
                f"in with the JWT bearer flow, which gets a fresh token every run ({AUTH_DOC})")
    return ("check the connected app (consumer key, certificate or secret), that the sync user "
            f"is pre-authorized for it and has the API Enabled permission ({SETUP_DOC})")


def _api_version(client: SalesforceClient) -> Check:
    name, wanted = "API version", client.api_version
    try:
        served = client.api_versions()
    except SalesforceError as exc:
        return Check(name, "fail", f"cannot list the org's API versions: {exc}",
                     fix="check the instance URL: it must be the org's My Domain URL")
    newest = served[-1] if served else "none"
    if wanted not in served:
        return Check(name, "fail", f"the org does not serve API v{wanted} (it serves "
                                   f"v{served[0] if served else '?'} to v{newest})",
                     fix="upgrade kpisync, or check that the instance URL is a Salesforce org")
    return Check(name, "ok", f"v{wanted} (the org serves up to v{newest})")


def _field_access(config: Config, client: SalesforceClient) -> Check:
    name = "field access"
    plans = plan_objects(config)
    problems, readable = [], []
    for plan in plans:
        try:
            described = client.describe(plan.sobject)
        except SalesforceError as exc:
            problems.append(f"{plan.sobject}: {exc}")
            continue
        missing = [f for f in plan.fields if f not in described]
        if missing:
            problems.append(missing_fields_message(config, plan.sobject, missing))
        readable.append(f"{plan.sobject}: {len(plan.fields) - len(missing)} of "
                        f"{len(plan.fields)} fields readable")
    if problems:
        count = f"{len(problems)} object{'s' if len(problems) != 1 else ''}"
        return Check(name, "fail", f"the sync user cannot read what the KPIs use on {count}",
                     details=tuple(problems),
                     fix="give the sync user Read on these objects and field-level Read on "
                         f"these fields, e.g. in a permission set ({SETUP_DOC}); or fix the "
                         "field names in kpis.yaml")
    fields = sum(len(p.fields) for p in plans)
    return Check(name, "ok", f"all {fields} fields of {len(readable)} objects are readable",
                 details=tuple(readable))


def _quota(limits: Mapping[str, Any], floor: Allowance) -> Check:
    name = "API quota"
    requests = limits.get("DailyApiRequests")
    if not requests:
        return Check(name, "warn", "the org's /limits answer has no DailyApiRequests",
                     fix="the quota guards cannot work out the org's limit; use --api-budget "
                         "and --api-floor as numbers of requests (500)")
    limit, remaining = int(requests["Max"]), int(requests["Remaining"])
    kept = floor.of(limit)
    found = (f"{remaining:,} of {limit:,} daily API requests remain; the sync leaves "
             f"{kept:,} ({floor}) to others")
    if remaining <= kept:
        return Check(name, "fail", found + ": a sync would stop at once (exit 3)",
                     fix="wait for the rolling 24-hour window to free requests, find what else "
                         "uses the API (Setup, API Usage), or lower --api-floor")
    if remaining < 2 * kept:
        return Check(name, "warn", found + ": a long sync may stop at the floor (exit 3)",
                     fix="a stopped sync resumes on the next run; run `kpisync sync --dry-run` "
                         "to see what it needs")
    return Check(name, "ok", found)


def _store(config: Config, path: Path) -> tuple[Check, list[SyncState] | None]:
    name = "store"
    if not path.exists():
        return Check(name, "warn", f"no store at {path} yet",
                     fix="the first `kpisync sync` creates it; in CI, restore it from the "
                         "cache before the sync and save it after"), None
    try:
        with Store.open_read_only(path) as store:
            version = store.schema_version()
            rows = {plan.sobject: store.count(plan.sobject) if store.columns(plan.sobject)
                    else None for plan in plan_objects(config)}
            states = store.states()
    except StoreError as exc:
        return Check(name, "fail", str(exc), fix="see docs/sync.md, \"The store\""), None
    details = tuple(f"{sobject}: " + ("no table (never synced)" if n is None else f"{n:,} rows")
                    for sobject, n in rows.items())
    found = (f"{path}: schema version {version}, "
             f"{sum(n or 0 for n in rows.values()):,} rows in {len(rows)} tables")
    missing = [sobject for sobject, n in rows.items() if n is None]
    if missing:
        return Check(name, "warn", found, details=details,
                     fix=f"`kpisync sync` reads {', '.join(missing)}, which kpis.yaml uses but "
                         "the store does not hold yet"), states
    return Check(name, "ok", found, details=details), states


def _last_sync(config: Config, states: list[SyncState] | None, now: datetime) -> Check:
    from kpisync.site.shell import freshness

    name = "last sync"
    if states is None:
        return Check(name, "skip", "needs a store")
    fresh = freshness(states)
    if fresh.synced_at is None:
        return Check(name, "warn", "no sync has finished yet", fix="run `kpisync sync`")
    age = now - fresh.synced_at
    stale_after = config.publishing.stale_after
    found = (f"finished {_age(age)} ago ({fresh.synced_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"
             + (f"; site.stale_after is {_age(stale_after)}" if stale_after else ""))
    if stale_after is not None and age > stale_after:
        return Check(name, "fail", found + ": the site shows a stale-data banner",
                     fix="run `kpisync sync`, and check the scheduled job: did it run, did it "
                         "stop at a quota guard (exit 3), are its secrets still valid?")
    if fresh.unfinished:
        return Check(name, "warn", f"{found}; the last read of {', '.join(fresh.unfinished)} "
                                   "did not finish", fix="run `kpisync sync`: it resumes")
    return Check(name, "ok", found)


def _age(span: timedelta) -> str:
    """``3 days 4 hours``, ``5 hours 10 minutes``, ``12 minutes``."""
    minutes = int(span.total_seconds() // 60)
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    parts = [(days, "day"), (hours, "hour")] if days else [(hours, "hour"), (minutes, "minute")]
    text = " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n)
    return text or "less than a minute"
