"""Salesforce REST calls for the sync: describe, paged (all-)queries, counts, API usage.

Wraps simple-salesforce so the rest of kpisync never sees its exceptions: every failure comes
out as a ``kpisync.errors`` class. Each HTTP call runs under a tenacity retry that retries only
``TransientSalesforceError`` (5xx, 429, dropped connections, timeouts, lock contention); a
malformed query or a refused token fails at once, since retrying cannot fix it. A 429 or 503
with a ``Retry-After`` header is waited out (up to ``RetryPolicy.max_wait``): retrying sooner
would only be refused again. The one exception is a session that expires mid-sync (401
INVALID_SESSION_ID): when the client was given a way to log in again (``renew``, e.g.
``Authenticator.renew``) it does so once and repeats the request.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import requests
import simple_salesforce
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from kpisync.errors import (
    AuthenticationError,
    QuotaReached,
    TransientSalesforceError,
)
from kpisync.sync.auth import Authenticator, Credentials, make_session
from kpisync.sync.failures import map_error, retry_cause, scrubbed
from kpisync.sync.quota import QuotaGuard

T = TypeVar("T")
log = logging.getLogger(__name__)

@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry a transient failure: exponential backoff with full jitter."""

    max_attempts: int = 5
    #: seconds; the backoff multiplier (waits grow 1, 2, 4, ... up to ``max_wait``, jittered)
    initial_wait: float = 1.0
    #: seconds; also the longest a ``Retry-After`` header is obeyed for
    max_wait: float = 30.0
    #: give up rather than wait past this many seconds since the first attempt
    max_total: float = 300.0
    #: a query that timed out this many times is given up on sooner than other faults: the
    #: sync splits its date window instead (see ``kpisync.sync.jobs``)
    query_timeout_attempts: int = 2
    #: injected by tests so that they never really sleep
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)


@dataclass(frozen=True)
class DescribedField:
    """One field of a describe: what the store needs to type its column."""

    name: str
    #: Salesforce describe type: id, reference, string, boolean, datetime, currency, ...
    type: str
    calculated: bool = False
    custom: bool = False


@dataclass(frozen=True)
class Page:
    """One page of a query: up to ``batch_size`` records, parsed with Decimal numbers."""

    records: list[dict[str, Any]]
    #: the total for the whole query, not this page
    total_size: int
    done: bool
    next_url: str | None


class SalesforceClient:
    """The REST calls the sync makes, with retries, error mapping and an API-call count."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        renew: Callable[[], Credentials] | None = None,
        api_version: str = "60.0",
        batch_size: int = 2000,
        retry: RetryPolicy = RetryPolicy(),  # frozen: safe to share as a default
        timeout: float = 120.0,
        quota: QuotaGuard | None = None,
    ):
        if not 200 <= batch_size <= 2000:
            raise ValueError(f"batch_size must be between 200 and 2000, got {batch_size}")
        #: called for new credentials when Salesforce says the session expired; None: fail
        self._renew = renew
        #: every token used so far, blanked out of error messages
        self._tokens = [credentials.access_token]
        self.batch_size = batch_size
        self.retry = retry
        self.timeout = timeout
        #: HTTP requests sent, retries included (each one counts against the org's API limit)
        self.api_calls = 0
        #: times the client logged in again after a 401 INVALID_SESSION_ID
        self.reauthentications = 0
        #: retries made, by cause: Salesforce's error code, "HTTP 503", "timeout", ..., and
        #: "INVALID_SESSION_ID (logged in again)" for each new login after a 401
        self.retry_causes: Counter[str] = Counter()
        #: checked before every call; None: no guard (every call is made)
        self.quota = quota
        self._api_version = api_version
        self._session = make_session(credentials.ca_bundle)
        #: the headers of the last answer: simple-salesforce's exceptions drop them
        self._last_headers: Mapping[str, str] | None = None
        self._session.hooks["response"].append(self._remember_headers)
        self._sf = self._salesforce(credentials)

    @classmethod
    def connect(cls, authenticator: Authenticator, **kwargs: Any) -> SalesforceClient:
        """A client logged in with ``authenticator``, which it asks for a new token if the
        session expires mid-sync (when the flow can mint one). ``kwargs`` as for the
        constructor."""
        renew = authenticator.renew if authenticator.renewable else None
        return cls(authenticator.credentials(), renew=renew, **kwargs)

    def _salesforce(self, credentials: Credentials) -> simple_salesforce.Salesforce:
        return simple_salesforce.Salesforce(
            instance_url=credentials.instance_url,
            session_id=credentials.access_token,
            version=self._api_version,
            session=self._session,
            parse_float=Decimal,
        )

    def _remember_headers(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Keeps each answer's headers for ``map_error``, which needs a 429's Retry-After."""
        self._last_headers = response.headers

    def __repr__(self) -> str:
        return f"SalesforceClient(instance={self._sf.sf_instance!r})"

    @property
    def instance_url(self) -> str:
        """The org's URL the calls go to (https://acme.my.salesforce.com)."""
        return f"https://{self._sf.sf_instance}"

    @property
    def api_version(self) -> str:
        """The REST API version every call is made with ("60.0")."""
        return self._api_version

    def api_versions(self) -> list[str]:
        """The REST API versions the org serves, oldest first (GET /services/data/, which
        needs no session and counts against no limit)."""
        sf = self._sf
        url = f"{self.instance_url}/services/data/"
        body = self._call(lambda: sf._call_salesforce("GET", url, name="versions",
                                                      timeout=self.timeout).json(), None,
                          counted=False)
        return [str(v["version"]) for v in body or []]

    def describe(self, sobject: str) -> dict[str, DescribedField]:
        """The fields of ``sobject`` that the sync user can see, by API name."""
        result = self._call(
            lambda: self._sf.restful(f"sobjects/{sobject}/describe", timeout=self.timeout),
            sobject,
        )
        return {
            f["name"]: DescribedField(
                name=f["name"],
                type=f["type"],
                calculated=bool(f.get("calculated", False)),
                custom=bool(f.get("custom", False)),
            )
            for f in (result or {}).get("fields", [])
        }

    def query_pages(
        self, soql: str, *, include_deleted: bool = True, sobject: str | None = None
    ) -> Iterator[Page]:
        """The pages of ``soql``, fetched lazily, each under its own retry.

        ``include_deleted`` uses queryAll: deleted rows (``IsDeleted`` true) and archived
        activities come back too. ``sobject`` only adds context to errors.
        """
        headers = {"Sforce-Query-Options": f"batchSize={self.batch_size}"}
        body = self._call(
            lambda: self._sf.query(soql, include_deleted=include_deleted, headers=headers,
                                   timeout=self.timeout),
            sobject,
        )
        while True:
            page = _page(body)
            yield page
            if page.done or not page.next_url:
                return
            body = self._call(self._more(page.next_url, headers), sobject)

    def _more(self, next_url: str, headers: dict[str, str]) -> Callable[[], Any]:
        return lambda: self._sf.query_more(next_url, identifier_is_url=True, headers=headers,
                                           timeout=self.timeout)

    def count(self, soql: str, *, include_deleted: bool = False, sobject: str | None = None) -> int:
        """The ``totalSize`` of ``soql`` (write it as ``SELECT count() FROM ...``)."""
        body = self._call(
            lambda: self._sf.query(soql, include_deleted=include_deleted, timeout=self.timeout),
            sobject,
        )
        return int(body["totalSize"])

    def limits(self) -> dict[str, Any]:
        """The org's GET /limits answer: every daily limit with its Max and Remaining."""
        return self._call(lambda: self._sf.limits(timeout=self.timeout), None) or {}

    def rest(self, path: str, *, method: str = "GET", sobject: str | None = None,
             **kwargs: Any) -> Any:
        """The parsed JSON answer of ``method`` on ``path`` (relative to the API version's
        base URL, e.g. ``jobs/query``), under the same retries, mapping and quota guard as
        every other call. ``kwargs`` go to requests (``json=``, ``params=``)."""
        return self._call(lambda: self._sf.restful(path, method=method, timeout=self.timeout,
                                                   **kwargs), sobject)

    def get_raw(self, path: str, *, params: Mapping[str, str] | None = None,
                sobject: str | None = None) -> requests.Response:
        """The undecoded answer of a GET on ``path`` (relative as for ``rest``): for bodies
        that are not JSON, such as Bulk API 2.0 CSV result sets, and their headers."""
        sf = self._sf
        return self._call(lambda: sf._call_salesforce("GET", f"{sf.base_url}{path}", name=path,
                                                      params=params, timeout=self.timeout),
                          sobject)

    def daily_api_requests(self) -> tuple[int, int]:
        """(used, limit) of the org's daily API requests, from GET /limits (itself one call)."""
        body = self.limits()
        requests_ = body["DailyApiRequests"]
        limit = int(requests_["Max"])  # very old API versions sent strings
        return limit - int(requests_["Remaining"]), limit

    def api_usage(self) -> tuple[int, int] | None:
        """(used, limit) of the org's daily API requests, from the last Sforce-Limit-Info
        header Salesforce sent; None before any call or if it sent none."""
        usage = self._sf.api_usage.get("api-usage")
        return None if usage is None else (usage.used, usage.total)

    def _call(self, request: Callable[[], T], sobject: str | None, *,
              counted: bool = True) -> T:
        """``request()`` under the retry policy, with errors mapped to kpisync's; after a 401,
        once more with a new session when the client can get one. ``counted`` False for a
        request Salesforce counts against no limit: neither counted nor guarded."""
        try:
            return self._retried(request, sobject, counted)
        except AuthenticationError as exc:
            if exc.status != 401 or self._renew is None:
                raise
            cause = exc.error_code or "HTTP 401"
            log.info("the Salesforce session expired (%s); logging in again", cause)
            self._reauthenticate(self._renew)
            self.retry_causes[f"{cause} (logged in again)"] += 1
        try:
            return self._retried(request, sobject, counted)
        except AuthenticationError as exc:
            if exc.status != 401:
                raise
            raise AuthenticationError(
                "Salesforce rejected the session again right after kpisync logged in anew "
                f"({exc.error_code or 'no error code'}, HTTP 401); check that the sync user has "
                "the 'API Enabled' permission and that the connected app's session policies "
                "allow API access", error_code=exc.error_code, status=401, sobject=sobject,
            ) from None

    def _reauthenticate(self, renew: Callable[[], Credentials]) -> None:
        credentials = renew()
        self._tokens.append(credentials.access_token)
        usage = self._sf.api_usage
        self._sf = self._salesforce(credentials)
        self._sf.api_usage = usage  # keep the last Sforce-Limit-Info until the next answer
        self.reauthentications += 1

    def _retried(self, request: Callable[[], T], sobject: str | None,
                 counted: bool = True) -> T:
        """``request()`` under the retry policy, with errors mapped to kpisync's."""

        cause = "unknown"

        def attempt() -> T:
            nonlocal cause
            if self.quota is not None and counted:
                reason = self.quota.check(self.api_calls, self.api_usage())
                if reason is not None:
                    raise QuotaReached(reason, sobject=sobject)
            self.api_calls += counted
            self._last_headers = None  # no answer yet: a timeout leaves none
            try:
                return request()
            except Exception as exc:  # mapped, or re-raised untouched
                mapped = map_error(exc, sobject=sobject, headers=self._last_headers)
                if mapped is None:
                    raise
                cause = retry_cause(exc, mapped)
                raise scrubbed(mapped, self._tokens) from None

        def count_retry(state: RetryCallState) -> None:
            self.retry_causes[cause] += 1

        policy = self.retry
        # stop_before_delay: a long Retry-After gives up at once rather than overrun max_total
        give_up = stop_after_attempt(policy.max_attempts) | stop_before_delay(policy.max_total)
        backoff = wait_random_exponential(multiplier=policy.initial_wait, max=policy.max_wait)

        def wait(state: RetryCallState) -> float:
            failure = state.outcome.exception() if state.outcome else None
            asked = getattr(failure, "retry_after", None) or 0.0
            return max(backoff(state), min(asked, policy.max_wait))

        def stop(state: RetryCallState) -> bool:
            failure = state.outcome.exception() if state.outcome else None
            if getattr(failure, "error_code", None) == "QUERY_TIMEOUT" and \
                    state.attempt_number >= policy.query_timeout_attempts:
                return True
            return give_up(state)

        retrying = Retrying(
            retry=retry_if_exception_type(TransientSalesforceError),
            wait=wait,
            stop=stop,
            sleep=policy.sleep,
            before_sleep=count_retry,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except TransientSalesforceError as exc:
            attempts = retrying.statistics.get("attempt_number", 1)
            raise TransientSalesforceError(
                f"{exc} (gave up after {attempts} attempt{'s' if attempts != 1 else ''})",
                error_code=exc.error_code, status=exc.status, sobject=exc.sobject,
            ) from None


def _page(body: Any) -> Page:
    return Page(
        records=list(body.get("records", [])),
        total_size=int(body.get("totalSize", 0)),
        done=bool(body.get("done", True)),
        next_url=body.get("nextRecordsUrl"),
    )


