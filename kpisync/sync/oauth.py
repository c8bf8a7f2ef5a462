"""Salesforce's OAuth 2.0 token endpoint: the client-credentials, JWT bearer and
username-password flows, and what to do when Salesforce refuses one.

Every flow is one form-encoded ``POST {login_url}/services/oauth2/token``. kpisync sends it
itself instead of using simple-salesforce's login helpers, because those build the URL as
``https://{domain}.salesforce.com`` and the login URL must be configurable (a My Domain, an
Experience Cloud site, the bundled emulator at https://127.0.0.1:PORT).

Each call here is a single attempt: ``kpisync.sync.auth.Authenticator`` retries the transient
failures (5xx, dropped connections, timeouts), never a 400. Secrets never reach a message: the
texts are built from variable names and Salesforce's own error codes, and are scrubbed of the
flow's secret values in case a server echoes one.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlparse

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kpisync.errors import AuthenticationError, TransientSalesforceError
from kpisync.sync.failures import tls_failure

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PRODUCTION_LOGIN_URL = "https://login.salesforce.com"
SANDBOX_LOGIN_URL = "https://test.salesforce.com"
#: how long a JWT assertion is valid; Salesforce's example is a few minutes
JWT_LIFETIME_SECONDS = 180

#: What to do about a refused token request, by (error, error_description lowercased);
#: (error, None) matches any description. Texts from /work/shared/data and Salesforce Help
#: "OAuth 2.0 Authorization Errors".
_ADVICE: dict[tuple[str, str | None], str] = {
    ("invalid_grant", "authentication failure"): (
        "check SF_USERNAME and SF_PASSWORD, and SF_SECURITY_TOKEN (sent appended to the "
        "password; reset it from the user's settings if unsure); the user may also be locked "
        "out or logging in from outside the profile's login IP ranges"
    ),
    ("invalid_grant", "user hasn't approved this consumer"): (
        "pre-authorize the sync user: in the connected app's policies set 'Permitted Users' to "
        "'Admin approved users are pre-authorized' and add the user's profile or a permission "
        "set; also check that SF_USERNAME is the exact username"
    ),
    ("invalid_grant", "audience is invalid"): (
        f"the JWT 'aud' must be {PRODUCTION_LOGIN_URL} for a production org or "
        f"{SANDBOX_LOGIN_URL} for a sandbox (the site URL for an Experience Cloud site); set "
        "SF_AUDIENCE to override the value kpisync derives from SF_LOGIN_URL"
    ),
    ("invalid_grant", "invalid assertion"): (
        "the JWT signature does not match the certificate uploaded to the connected app: "
        "check that SF_PRIVATE_KEY_FILE / SF_PRIVATE_KEY is the key of that certificate"
    ),
    ("invalid_grant", "expired authorization code"): (
        "the JWT had already expired when Salesforce read it: check this machine's clock"
    ),
    ("invalid_grant", "no client credentials user enabled"): (
        "choose a 'Run As' user for the client credentials flow in the connected app's policies"
    ),
    ("invalid_grant", "request not supported on this domain"): (
        "set SF_LOGIN_URL to the org's My Domain URL (https://yourdomain.my.salesforce.com): "
        "Salesforce does not accept this flow on login.salesforce.com or test.salesforce.com"
    ),
    ("invalid_client_id", None): (
        "SF_CLIENT_ID is not the consumer key of a connected app in this org (check the "
        "org behind SF_LOGIN_URL; a new connected app can take up to 10 minutes to work)"
    ),
    ("invalid_client", None): (
        "SF_CLIENT_SECRET is not the consumer secret of the connected app SF_CLIENT_ID names"
    ),
    ("unsupported_grant_type", None): (
        "enable this flow in the connected app (for the client credentials flow: 'Enable "
        "Client Credentials Flow'), and check that SF_LOGIN_URL is the org's login URL"
    ),
}


@dataclass(frozen=True)
class TokenGrant:
    """What the token endpoint granted: where the org is and the token to reach it with."""

    #: e.g. https://acme.my.salesforce.com (no trailing slash)
    instance_url: str
    access_token: str = field(repr=False)

    def __repr__(self) -> str:
        return f"TokenGrant(instance_url={self.instance_url!r}, access_token='***')"


@dataclass(frozen=True)
class ClientCredentialsFlow:
    """OAuth 2.0 client credentials: the connected app logs in as its 'Run As' user.

    Salesforce accepts it only on the org's My Domain URL.
    """

    login_url: str
    client_id: str
    client_secret: str = field(repr=False)
    name: ClassVar[str] = "client credentials"
    renewable: ClassVar[bool] = True

    def __repr__(self) -> str:
        return (f"ClientCredentialsFlow(login_url={self.login_url!r}, "
                f"client_id={self.client_id!r}, client_secret='***')")

    def token(self, session: requests.Session, *, timeout: float) -> TokenGrant:
        form = {"grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self.client_secret}
        return post_token(session, self.login_url, form, flow=self.name, timeout=timeout,
                          secrets=[self.client_secret])


@dataclass(frozen=True)
class PasswordFlow:
    """OAuth 2.0 username-password: a connected app plus the user's password and security
    token (appended to the password, as Salesforce expects)."""

    login_url: str
    client_id: str
    client_secret: str = field(repr=False)
    username: str
    password: str = field(repr=False)
    #: empty when the machine's IP is trusted by the org (no token needed then)
    security_token: str = field(default="", repr=False)
    name: ClassVar[str] = "username-password"
    renewable: ClassVar[bool] = True

    def __repr__(self) -> str:
        return (f"PasswordFlow(login_url={self.login_url!r}, client_id={self.client_id!r}, "
                f"client_secret='***', username={self.username!r}, password='***', "
                f"security_token='***')")

    def token(self, session: requests.Session, *, timeout: float) -> TokenGrant:
        form = {"grant_type": "password", "client_id": self.client_id,
                "client_secret": self.client_secret, "username": self.username,
                "password": self.password + self.security_token}
        return post_token(session, self.login_url, form, flow=self.name, timeout=timeout,
                          secrets=[self.client_secret, self.password, self.security_token,
                                   self.password + self.security_token])


@dataclass(frozen=True)
class JwtBearerFlow:
    """OAuth 2.0 JWT bearer: a JWT signed with the private key whose certificate is uploaded
    to the connected app. No secret crosses the wire and no refresh token is issued, so it
    suits CI: a new assertion is signed whenever a token is needed."""

    login_url: str
    client_id: str
    username: str
    #: the JWT ``aud``; see ``jwt_audience``
    audience: str
    private_key: rsa.RSAPrivateKey = field(repr=False)
    #: injected by tests; seconds since the epoch
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)
    name: ClassVar[str] = "JWT bearer"
    renewable: ClassVar[bool] = True

    def __repr__(self) -> str:
        return (f"JwtBearerFlow(login_url={self.login_url!r}, client_id={self.client_id!r}, "
                f"username={self.username!r}, audience={self.audience!r}, private_key='***')")

    def token(self, session: requests.Session, *, timeout: float) -> TokenGrant:
        assertion = jwt_assertion(client_id=self.client_id, username=self.username,
                                  audience=self.audience, private_key=self.private_key,
                                  now=self.clock())
        form = {"grant_type": JWT_GRANT, "assertion": assertion}
        return post_token(session, self.login_url, form, flow=self.name, timeout=timeout,
                          secrets=[assertion])


def jwt_audience(login_url: str) -> str:
    """The ``aud`` Salesforce expects for a JWT sent to ``login_url``.

    Salesforce checks ``aud`` against its login servers, not against the URL the JWT is posted
    to: https://login.salesforce.com for production (My Domain URLs included) and
    https://test.salesforce.com for sandboxes (``*.sandbox.my.salesforce.com``). Any other
    URL (an Experience Cloud site, the emulator) is its own audience. SF_AUDIENCE overrides.
    """
    host = (urlparse(login_url).hostname or "").lower()
    if host in ("test.salesforce.com",) or host.endswith(".sandbox.my.salesforce.com"):
        return SANDBOX_LOGIN_URL
    if host == "login.salesforce.com" or host.endswith(".my.salesforce.com"):
        return PRODUCTION_LOGIN_URL
    return login_url


def jwt_assertion(*, client_id: str, username: str, audience: str,
                  private_key: rsa.RSAPrivateKey, now: float) -> str:
    """A JWT for the bearer flow: header ``{"alg":"RS256"}``, claims iss/sub/aud/exp,
    signed with SHA256withRSA (PKCS#1 v1.5), as Salesforce's JWT bearer flow documents."""
    header = _b64url(json.dumps({"alg": "RS256"}, separators=(",", ":")).encode())
    claims = {"iss": client_id, "sub": username, "aud": audience,
              "exp": int(now) + JWT_LIFETIME_SECONDS}
    signing_input = f"{header}.{_b64url(json.dumps(claims, separators=(',', ':')).encode())}"
    signature = private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(),
                                 hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def post_token(session: requests.Session, login_url: str, form: dict[str, str], *, flow: str,
               timeout: float, secrets: Iterable[str] = ()) -> TokenGrant:
    """One token request; the grant, or AuthenticationError (refused: retrying cannot help)
    or TransientSalesforceError (5xx, 429, no answer: worth retrying)."""
    endpoint = f"{login_url}/services/oauth2/token"
    hidden = list(secrets)
    where = f"the {flow} login at {login_url}"
    try:
        response = session.post(endpoint, data=form, timeout=timeout,
                                headers={"Accept": "application/json"})
    except requests.exceptions.SSLError as exc:  # before ConnectionError, its base class
        raise tls_failure(exc, f" for {where}") from None
    except requests.Timeout as exc:
        raise TransientSalesforceError(
            f"Salesforce did not answer {where} in time ({type(exc).__name__})") from None
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
        # Not chained: a proxy error's text can quote the request.
        raise TransientSalesforceError(
            f"could not reach Salesforce for {where}: the connection failed or was dropped "
            f"({type(exc).__name__})") from None
    status = response.status_code
    body = _json_or_none(response)
    if status == 200:
        return _grant(body, where, hidden)
    if status >= 500 or status == 429:
        raise TransientSalesforceError(
            _scrub(f"Salesforce is unavailable or busy for {where} ({_summary(body, response)}, "
                   f"HTTP {status})", hidden), status=status)
    error = str(body.get("error", "")) if isinstance(body, dict) else ""
    description = str(body.get("error_description", "")) if isinstance(body, dict) else ""
    advice = _ADVICE.get((error, description.strip().lower())) or _ADVICE.get((error, None))
    text = f"Salesforce refused {where} ({_summary(body, response)}, HTTP {status})"
    if advice is None and not error:
        advice = ("check that SF_LOGIN_URL is the org's login URL (https://login.salesforce.com, "
                  "https://test.salesforce.com or https://yourdomain.my.salesforce.com)")
    raise AuthenticationError(_scrub(f"{text}; {advice}" if advice else text, hidden),
                              error_code=error or None, status=status)


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _summary(body: Any, response: requests.Response) -> str:
    """Salesforce's ``error: error_description``; for anything else only its type, never the
    body itself (a login page, a proxy's error text)."""
    if isinstance(body, dict) and body.get("error"):
        description = str(body.get("error_description", "")).strip()
        return f"{body['error']}: {description}" if description else str(body["error"])
    kind = response.headers.get("Content-Type", "").split(";")[0].strip() or "no content type"
    return f"non-JSON answer ({kind})" if body is None else "unexpected JSON answer"


def _grant(body: Any, where: str, hidden: list[str]) -> TokenGrant:
    token = body.get("access_token") if isinstance(body, dict) else None
    instance_url = body.get("instance_url") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token or not isinstance(instance_url, str):
        raise AuthenticationError(
            f"{where} answered HTTP 200 without an access token and instance URL; check that "
            "SF_LOGIN_URL is the org's login URL, not a web page")
    parsed = urlparse(instance_url)
    if parsed.scheme != "https" or not parsed.hostname:
        raise AuthenticationError(_scrub(
            f"{where} returned an instance URL that is not https://: {instance_url!r}", hidden))
    # The legacy password-flow sample ends with "/"; simple-salesforce wants a bare host URL.
    return TokenGrant(instance_url=instance_url.rstrip("/"), access_token=token)


def _scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value blanked out, longest first (one may contain another).
    Values under 4 characters are left alone: blanking them would garble ordinary words."""
    for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
