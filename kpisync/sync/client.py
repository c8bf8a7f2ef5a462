"""Salesforce REST calls for the sync: describe, paged (all-)queries, counts, API usage.

Wraps simple-salesforce so the rest of kpisync never sees its exceptions: every failure comes
out as a ``kpisync.errors`` class. Each HTTP call runs under a tenacity retry that retries only
``TransientSalesforceError`` (5xx, 429, dropped connections, timeouts, lock contention); a
malformed query or a refused token fails at once, since retrying cannot fix it. The one
exception is a session that expires mid-sync (401 INVALID_SESSION_ID): when the client was
given a way to log in again (``renew``, e.g. ``Authenticator.renew``) it does so once and
repeats the request.
"""

from __future__ import annotations

import html
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import requests
import simple_salesforce
from simple_salesforce import exceptions as sf_exceptions
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from kpisync.errors import (
    AuthenticationError,
    QuotaReached,
    SalesforceError,
    TransientSalesforceError,
)
from kpisync.sync.auth import Authenticator, Credentials, make_session
from kpisync.sync.quota import QuotaGuard

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Salesforce error codes that say "try again later", whatever the HTTP status.
TRANSIENT_CODES = frozenset({"SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW", "QUERY_TIMEOUT"})

#: What the user should do about errors that retrying cannot fix.
_ADVICE = {
    "REQUEST_LIMIT_EXCEEDED": (
        "the org has used up its API requests for the rolling 24 hours; wait for calls to "
        "free up (or ask an admin to raise the limit), then run `kpisync sync` again: it "
        "resumes where it stopped"
    ),
    "INVALID_FIELD": "check the field's API name and that the sync user can see it",
    "INVALID_TYPE": "check the object's API name and that the sync user can read it",
}


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry a transient failure: exponential backoff with full jitter."""

    max_attempts: int = 5
    #: seconds; the backoff multiplier (waits grow 1, 2, 4, ... up to ``max_wait``, jittered)
    initial_wait: float = 1.0
    max_wait: float = 30.0
    #: give up once this many seconds have passed since the first attempt
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
        #: retries made, by cause: Salesforce's error code, "HTTP 503", "timeout", ...
        self.retry_causes: Counter[str] = Counter()
        #: checked before every call; None: no guard (every call is made)
        self.quota = quota
        self._api_version = api_version
        self._session = make_session(credentials.ca_bundle)
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

    def __repr__(self) -> str:
        return f"SalesforceClient(instance={self._sf.sf_instance!r})"

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

    def _call(self, request: Callable[[], T], sobject: str | None) -> T:
        """``request()`` under the retry policy, with errors mapped to kpisync's; after a 401,
        once more with a new session when the client can get one."""
        try:
            return self._retried(request, sobject)
        except AuthenticationError as exc:
            if exc.status != 401 or self._renew is None:
                raise
            log.info("the Salesforce session expired (%s); logging in again",
                     exc.error_code or "HTTP 401")
            self._reauthenticate(self._renew)
        try:
            return self._retried(request, sobject)
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

    def _retried(self, request: Callable[[], T], sobject: str | None) -> T:
        """``request()`` under the retry policy, with errors mapped to kpisync's."""

        cause = "unknown"

        def attempt() -> T:
            nonlocal cause
            if self.quota is not None:
                reason = self.quota.check(self.api_calls, self.api_usage())
                if reason is not None:
                    raise QuotaReached(reason, sobject=sobject)
            self.api_calls += 1
            try:
                return request()
            except Exception as exc:  # mapped, or re-raised untouched
                mapped = map_error(exc, sobject=sobject)
                if mapped is None:
                    raise
                cause = retry_cause(exc, mapped)
                raise _scrubbed(mapped, self._tokens) from None

        def count_retry(state: RetryCallState) -> None:
            self.retry_causes[cause] += 1

        policy = self.retry
        give_up = stop_after_attempt(policy.max_attempts) | stop_after_delay(policy.max_total)

        def stop(state: RetryCallState) -> bool:
            failure = state.outcome.exception() if state.outcome else None
            if getattr(failure, "error_code", None) == "QUERY_TIMEOUT" and \
                    state.attempt_number >= policy.query_timeout_attempts:
                return True
            return give_up(state)

        retrying = Retrying(
            retry=retry_if_exception_type(TransientSalesforceError),
            wait=wait_random_exponential(multiplier=policy.initial_wait, max=policy.max_wait),
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


def retry_cause(exc: BaseException, mapped: SalesforceError) -> str:
    """A short name for why a call failed, for the report's retry counts."""
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if mapped.error_code:
        return mapped.error_code
    if mapped.status is not None:
        return f"HTTP {mapped.status}"
    return "connection error"


def _page(body: Any) -> Page:
    return Page(
        records=list(body.get("records", [])),
        total_size=int(body.get("totalSize", 0)),
        done=bool(body.get("done", True)),
        next_url=body.get("nextRecordsUrl"),
    )


def _scrubbed(error: SalesforceError, tokens: list[str]) -> SalesforceError:
    """The same error with the access tokens blanked out, should a server ever echo one."""
    text = str(error)
    scrubbed = text
    for token in tokens:
        if token:
            scrubbed = scrubbed.replace(token, "***")
    if scrubbed != text:
        return type(error)(scrubbed, error_code=error.error_code, status=error.status,
                           sobject=error.sobject)
    return error


def map_error(exc: BaseException, *, sobject: str | None = None) -> SalesforceError | None:
    """The kpisync error for a simple-salesforce or requests exception; None for anything
    else (a bug, which should surface as itself)."""
    where = f" for {sobject}" if sobject else ""
    if isinstance(exc, requests.Timeout):
        return TransientSalesforceError(
            f"Salesforce did not answer in time{where} ({type(exc).__name__})", sobject=sobject)
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return TransientSalesforceError(
            f"could not reach Salesforce{where}: the connection failed or was dropped "
            f"({type(exc).__name__})", sobject=sobject)
    if not isinstance(exc, sf_exceptions.SalesforceError):
        return None
    status = getattr(exc, "status", None)
    code, message = _error_body(exc.content)
    detail = f"{code}: {message}" if code else message
    context = dict(error_code=code, status=status, sobject=sobject)
    if status == 401:
        return AuthenticationError(
            "Salesforce rejected the access token: the session expired or is invalid; get a "
            f"new token and set SF_ACCESS_TOKEN again ({detail}, HTTP 401)", **context)
    if (isinstance(status, int) and (status >= 500 or status == 429)) or code in TRANSIENT_CODES:
        return TransientSalesforceError(
            f"Salesforce is unavailable or busy{where} ({detail}, HTTP {status})", **context)
    advice = _ADVICE.get(code or "")
    text = f"Salesforce refused the request{where} ({detail}, HTTP {status})"
    return SalesforceError(f"{text}; {advice}" if advice else text, **context)


def _error_body(content: Any) -> tuple[str | None, str]:
    """(errorCode, message) from an error body: Salesforce's JSON list of
    ``{"message", "errorCode"}``, or text such as a CDN's HTML maintenance page."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        code = first.get("errorCode")
        return (str(code) if code else None), str(first.get("message", "")).strip()
    if isinstance(content, dict):  # OAuth-style {"error": ..., "error_description": ...}
        code = content.get("errorCode") or content.get("error")
        message = content.get("message") or content.get("error_description") or ""
        return (str(code) if code else None), str(message).strip()
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
    if re.search(r"<\s*(html|body|head|!doctype)", text, re.IGNORECASE):
        text = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", text, flags=re.IGNORECASE | re.DOTALL)
        plain = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", text)).split())
        return None, f"non-JSON answer (HTML page): {_shorten(plain)}"
    return None, _shorten(" ".join(text.split())) or "empty answer"


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
