"""What a failed Salesforce answer means: the kpisync error for it, and why it was retried.

``map_error`` turns simple-salesforce's and requests' exceptions into ``kpisync.errors``
classes, so that the client's tenacity retry can retry exactly the transient branch; the rest
of this module reads error bodies (Salesforce's JSON list, an OAuth-style object, a CDN's HTML
page) and ``Retry-After`` headers, and blanks tokens out of messages.
"""

from __future__ import annotations

import copy
import html
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from simple_salesforce import exceptions as sf_exceptions

from kpisync.errors import AuthenticationError, SalesforceError, TransientSalesforceError

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


class RetryLater(TransientSalesforceError):
    """A 429 or 503 whose ``Retry-After`` header said how long to wait: the next attempt
    waits at least ``retry_after`` seconds, since an earlier one would be refused again."""

    def __init__(self, message: str, *, retry_after: float | None = None, **context: Any):
        #: seconds Salesforce (or a proxy in front of it) asked to wait before the next try
        self.retry_after = retry_after
        super().__init__(message, **context)


def retry_cause(exc: BaseException, mapped: SalesforceError) -> str:
    """A short name for why a call failed, for the report's retry counts."""
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if mapped.error_code:
        return mapped.error_code
    if mapped.status is not None:
        return f"HTTP {mapped.status}"
    return "connection error"


def scrubbed(error: SalesforceError, tokens: list[str]) -> SalesforceError:
    """The same error with the access tokens blanked out, should a server ever echo one."""
    text = str(error)
    scrubbed = text
    for token in tokens:
        if token:
            scrubbed = scrubbed.replace(token, "***")
    if scrubbed == text:
        return error
    clean = copy.copy(error)  # keeps every attribute (error_code, retry_after, ...)
    clean.args = (scrubbed,)
    return clean


def retry_after_seconds(value: str | None) -> float | None:
    """The wait a ``Retry-After`` header asks for, in seconds (0 for a date already past):
    it holds either delay-seconds or an HTTP date. None if absent or unreadable."""
    value = (value or "").strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": UTC by RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def map_error(exc: BaseException, *, sobject: str | None = None,
              headers: Mapping[str, str] | None = None) -> SalesforceError | None:
    """The kpisync error for a simple-salesforce or requests exception; None for anything
    else (a bug, which should surface as itself). ``headers`` are the failed answer's, which
    the exception does not carry: a 429's or 503's Retry-After makes it a ``RetryLater``."""
    where = f" for {sobject}" if sobject else ""
    if isinstance(exc, requests.exceptions.SSLError):  # before ConnectionError, its base class
        return tls_failure(exc, where)
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
            f"Salesforce rejected the access token{where}: the session expired or is invalid; "
            f"get a new token and set SF_ACCESS_TOKEN again ({detail}, HTTP 401)", **context)
    retry_after = retry_after_seconds((headers or {}).get("Retry-After"))
    if status in (429, 503) and retry_after is not None:
        return RetryLater(
            f"Salesforce is unavailable or busy{where} ({detail}, HTTP {status}, Retry-After "
            f"{retry_after:.0f} s)", retry_after=retry_after, **context)
    if (isinstance(status, int) and (status >= 500 or status == 429)) or code in TRANSIENT_CODES:
        return TransientSalesforceError(
            f"Salesforce is unavailable or busy{where} ({detail}, HTTP {status})", **context)
    advice = _ADVICE.get(code or "")
    text = f"Salesforce refused the request{where} ({detail}, HTTP {status})"
    return SalesforceError(f"{text}; {advice}" if advice else text, **context)


def tls_failure(exc: requests.exceptions.SSLError, where: str) -> SalesforceError:
    """A certificate that cannot be verified: not transient, so no retry. The usual cause is a
    CA bundle that lacks the server's (or a TLS-inspecting proxy's) CA, and ``requests`` takes
    ``REQUESTS_CA_BUNDLE`` over any other setting, so that is the first thing to check."""
    url = "the server"
    if exc.request is not None and exc.request.url:
        parts = urlsplit(exc.request.url)
        url = f"{parts.scheme}://{parts.netloc}{parts.path}"  # no query: it can hold SOQL
    bundle = os.environ.get("REQUESTS_CA_BUNDLE")
    uses = f"REQUESTS_CA_BUNDLE is {bundle}" if bundle else "REQUESTS_CA_BUNDLE is not set"
    return SalesforceError(
        f"the TLS certificate of {url} could not be verified{where} ({_reason(exc)}); "
        f"{uses}: point it at a CA bundle that includes the CA that signed this server's "
        "certificate (or your proxy's)")


def _reason(exc: requests.exceptions.SSLError) -> str:
    text = str(exc)
    match = re.search(r"certificate verify failed: ([^(')\]]+)", text)
    return f"certificate verify failed: {match.group(1).strip()}" if match else "SSLError"


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
