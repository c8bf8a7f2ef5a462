"""Salesforce credentials: which way to log in, chosen from the environment, and the HTTPS
session that carries them.

Credentials come from environment variables (or an --env-file), never from kpis.yaml, which
lives in git. Four ways to log in, tried in this order when several are complete:

    access token        SF_INSTANCE_URL, SF_ACCESS_TOKEN (a session something else obtained)
    JWT bearer          SF_LOGIN_URL, SF_CLIENT_ID, SF_USERNAME, SF_PRIVATE_KEY_FILE or
                        SF_PRIVATE_KEY (optional: SF_AUDIENCE); the usual choice for CI
    client credentials  SF_LOGIN_URL (the My Domain URL), SF_CLIENT_ID, SF_CLIENT_SECRET
    username-password   SF_USERNAME, SF_PASSWORD, SF_CLIENT_ID, SF_CLIENT_SECRET
                        (optional: SF_SECURITY_TOKEN, SF_LOGIN_URL)

``SF_AUTH_FLOW`` (access_token, jwt, client_credentials, password) picks one explicitly.
The OAuth flows live in ``kpisync.sync.oauth``. Secrets never appear in a repr, a log line or
an error message.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol
from urllib.parse import urlparse

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from kpisync.errors import AuthenticationError, TransientSalesforceError
from kpisync.sync.oauth import (
    PRODUCTION_LOGIN_URL,
    ClientCredentialsFlow,
    JwtBearerFlow,
    PasswordFlow,
    TokenGrant,
    jwt_audience,
)

log = logging.getLogger(__name__)

INSTANCE_URL_VAR = "SF_INSTANCE_URL"
ACCESS_TOKEN_VAR = "SF_ACCESS_TOKEN"
#: optional: a PEM bundle to verify Salesforce's certificate against (a TLS-inspecting proxy)
CA_BUNDLE_VAR = "SF_CA_BUNDLE"
AUTH_FLOW_VAR = "SF_AUTH_FLOW"

#: Each flow's key (for SF_AUTH_FLOW), its name, and what it needs: each requirement is a
#: tuple of variables any one of which will do. In precedence order.
FLOW_REQUIREMENTS: tuple[tuple[str, str, tuple[tuple[str, ...], ...]], ...] = (
    ("access_token", "access token", (("SF_INSTANCE_URL",), ("SF_ACCESS_TOKEN",))),
    ("jwt", "JWT bearer", (("SF_LOGIN_URL",), ("SF_CLIENT_ID",), ("SF_USERNAME",),
                           ("SF_PRIVATE_KEY_FILE", "SF_PRIVATE_KEY"))),
    ("client_credentials", "client credentials",
     (("SF_LOGIN_URL",), ("SF_CLIENT_ID",), ("SF_CLIENT_SECRET",))),
    ("password", "username-password", (("SF_USERNAME",), ("SF_PASSWORD",), ("SF_CLIENT_ID",),
                                       ("SF_CLIENT_SECRET",))),
)
_OPTIONAL = {"jwt": "SF_AUDIENCE is optional",
             "password": "SF_SECURITY_TOKEN and SF_LOGIN_URL are optional"}


@dataclass(frozen=True)
class Credentials:
    """Where the org is and the bearer token to reach it with."""

    #: e.g. https://acme.my.salesforce.com
    instance_url: str
    access_token: str = field(repr=False)
    #: PEM file of CA certificates to trust instead of the system/requests default
    ca_bundle: Path | None = None

    def __repr__(self) -> str:
        return (
            f"Credentials(instance_url={self.instance_url!r}, access_token='***', "
            f"ca_bundle={self.ca_bundle!r})"
        )


class AuthFlow(Protocol):
    """One way to get an access token. Frozen dataclasses in ``kpisync.sync.oauth`` and
    ``AccessTokenFlow`` below; a plugin may bring its own."""

    #: for messages: "JWT bearer"
    name: ClassVar[str]
    #: False when the flow cannot mint a new token (a given access token)
    renewable: ClassVar[bool]

    def token(self, session: requests.Session, *, timeout: float) -> TokenGrant: ...


@dataclass(frozen=True)
class AccessTokenFlow:
    """A session obtained elsewhere (the Salesforce CLI, a CI secret): nothing to request,
    and nothing to renew it with once it expires."""

    instance_url: str
    access_token: str = field(repr=False)
    name: ClassVar[str] = "access token"
    renewable: ClassVar[bool] = False

    def __repr__(self) -> str:
        return f"AccessTokenFlow(instance_url={self.instance_url!r}, access_token='***')"

    def token(self, session: requests.Session, *, timeout: float) -> TokenGrant:
        return TokenGrant(self.instance_url, self.access_token)


def credentials_from_env(
    env: Mapping[str, str] | None = None, *, ca_bundle: Path | None = None
) -> Credentials:
    """Access-token credentials (SF_INSTANCE_URL, SF_ACCESS_TOKEN) from ``env`` (default
    ``os.environ``); the other flows need a token request: use ``authenticator_from_env``.

    ``ca_bundle`` wins over ``SF_CA_BUNDLE``. Raises AuthenticationError naming every
    variable still to set, or saying what is wrong with the instance URL.
    """
    env = os.environ if env is None else env
    missing = [var for var in (INSTANCE_URL_VAR, ACCESS_TOKEN_VAR) if not _value(env, var)]
    if missing:
        raise AuthenticationError(
            f"Salesforce credentials are missing: set {' and '.join(missing)} "
            "(in the environment or an --env-file)"
        )
    flow = _access_token_flow(env)
    return Credentials(flow.instance_url, flow.access_token, _ca_bundle(env, ca_bundle))


def flow_from_env(env: Mapping[str, str]) -> AuthFlow:
    """The flow the variables in ``env`` describe: ``SF_AUTH_FLOW`` if set, else the first
    complete one in precedence order (access token > JWT bearer > client credentials >
    username-password). Validates URLs and the private key before any network call.

    Raises AuthenticationError listing, for each flow, the variables still missing.
    """
    keys = [key for key, _, _ in FLOW_REQUIREMENTS]
    chosen = _value(env, AUTH_FLOW_VAR).lower()
    if chosen and chosen not in keys:
        raise AuthenticationError(
            f"{AUTH_FLOW_VAR} must be one of {', '.join(keys)}, got {chosen!r}")
    candidates = [f for f in FLOW_REQUIREMENTS if not chosen or f[0] == chosen]
    complete = [f for f in candidates if not _missing(env, f[2])]
    if not complete:
        lines = [f"  {name}: missing {', '.join(_missing(env, needs))}"
                 + (f" ({_OPTIONAL[key]})" if key in _OPTIONAL else "")
                 for key, name, needs in candidates]
        heading = (f"Salesforce credentials are incomplete for {AUTH_FLOW_VAR}={chosen}:"
                   if chosen else "Salesforce credentials are missing: set the variables of "
                   "one way to log in (in the environment or an --env-file):")
        raise AuthenticationError("\n".join([heading, *lines]))
    key, name, _ = complete[0]
    if len(complete) > 1:
        others = ", ".join(other for _, other, _ in complete[1:])
        log.info("logging in with the %s flow; the variables for %s are set too and ignored "
                 "(set %s to choose)", name, others, AUTH_FLOW_VAR)
    return _BUILDERS[key](env)


def authenticator_from_env(
    env: Mapping[str, str] | None = None, *, ca_bundle: Path | None = None, **kwargs: Any
) -> Authenticator:
    """An Authenticator for the flow ``env`` describes (see ``flow_from_env``), verifying TLS
    against ``ca_bundle`` or ``SF_CA_BUNDLE`` when given. ``kwargs`` go to Authenticator."""
    env = os.environ if env is None else env
    return Authenticator(flow_from_env(env), ca_bundle=_ca_bundle(env, ca_bundle), **kwargs)


class Authenticator:
    """Gets an access token with a flow, and a fresh one when Salesforce says the session
    expired (``renew``). Token requests are retried on transient failures (5xx, 429, dropped
    connections, timeouts), never when Salesforce refused the credentials."""

    def __init__(
        self,
        flow: AuthFlow,
        *,
        ca_bundle: Path | None = None,
        timeout: float = 30.0,
        max_attempts: int = 3,
        max_wait: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.flow = flow
        self.ca_bundle = ca_bundle
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self._sleep = sleep
        self._session = make_session(ca_bundle)
        self._current: Credentials | None = None
        #: token requests sent, retries included (they do not count against the API limit)
        self.token_requests = 0

    def __repr__(self) -> str:
        return f"Authenticator(flow={self.flow!r}, ca_bundle={self.ca_bundle!r})"

    @property
    def renewable(self) -> bool:
        return self.flow.renewable

    def credentials(self) -> Credentials:
        """The current credentials, requesting a token the first time."""
        return self._current or self.renew()

    def renew(self) -> Credentials:
        """New credentials from the flow (for a given access token: the same ones)."""
        flow = self.flow

        def attempt() -> TokenGrant:
            if flow.renewable:
                self.token_requests += 1
            return flow.token(self._session, timeout=self.timeout)

        if flow.renewable:
            log.info("requesting an access token with the %s flow", flow.name)
        retrying = Retrying(
            retry=retry_if_exception_type(TransientSalesforceError),
            wait=wait_random_exponential(multiplier=1, max=self.max_wait),
            stop=stop_after_attempt(self.max_attempts), sleep=self._sleep, reraise=True)
        try:
            grant = retrying(attempt)
        except TransientSalesforceError as exc:
            attempts = retrying.statistics.get("attempt_number", 1)
            raise TransientSalesforceError(
                f"{exc} (gave up after {attempts} attempt{'s' if attempts != 1 else ''})",
                error_code=exc.error_code, status=exc.status) from None
        self._current = Credentials(grant.instance_url, grant.access_token, self.ca_bundle)
        if flow.renewable:
            log.info("got an access token for %s", grant.instance_url)
        return self._current


# -- building flows from variables -----------------------------------------------------------

def _value(env: Mapping[str, str], var: str) -> str:
    return env.get(var, "").strip()


def _missing(env: Mapping[str, str], needs: tuple[tuple[str, ...], ...]) -> list[str]:
    return [" or ".join(options) for options in needs
            if not any(_value(env, var) for var in options)]


def _https_url(env: Mapping[str, str], var: str, example: str) -> str:
    url = _value(env, var)
    if "@" in url:  # user:password@host: never echoed, and never sent along
        raise AuthenticationError(
            f"{var} must not hold a user name or password; set them in their own variables")
    parsed = urlparse(url)
    if parsed.scheme != "https" or not parsed.hostname:
        raise AuthenticationError(f"{var} must be an https:// URL such as {example}, got {url!r}")
    return url.rstrip("/")


def _login_url(env: Mapping[str, str]) -> str:
    return _https_url(env, "SF_LOGIN_URL",
                      "https://login.salesforce.com or https://yourdomain.my.salesforce.com")


def _access_token_flow(env: Mapping[str, str]) -> AccessTokenFlow:
    url = _https_url(env, INSTANCE_URL_VAR, "https://yourdomain.my.salesforce.com")
    return AccessTokenFlow(url, _value(env, ACCESS_TOKEN_VAR))


def _jwt_flow(env: Mapping[str, str]) -> JwtBearerFlow:
    login_url = _login_url(env)
    audience = _value(env, "SF_AUDIENCE") or jwt_audience(login_url)
    return JwtBearerFlow(login_url=login_url, client_id=_value(env, "SF_CLIENT_ID"),
                         username=_value(env, "SF_USERNAME"), audience=audience,
                         private_key=_private_key(env))


def _client_credentials_flow(env: Mapping[str, str]) -> ClientCredentialsFlow:
    return ClientCredentialsFlow(login_url=_login_url(env),
                                 client_id=_value(env, "SF_CLIENT_ID"),
                                 client_secret=_value(env, "SF_CLIENT_SECRET"))


def _password_flow(env: Mapping[str, str]) -> PasswordFlow:
    login_url = _login_url(env) if _value(env, "SF_LOGIN_URL") else PRODUCTION_LOGIN_URL
    # The password is taken as given: it may legitimately start or end with a space.
    return PasswordFlow(login_url=login_url, client_id=_value(env, "SF_CLIENT_ID"),
                        client_secret=_value(env, "SF_CLIENT_SECRET"),
                        username=_value(env, "SF_USERNAME"), password=env["SF_PASSWORD"],
                        security_token=_value(env, "SF_SECURITY_TOKEN"))


_BUILDERS: dict[str, Callable[[Mapping[str, str]], Any]] = {
    "access_token": _access_token_flow, "jwt": _jwt_flow,
    "client_credentials": _client_credentials_flow, "password": _password_flow,
}


def _private_key(env: Mapping[str, str]) -> rsa.RSAPrivateKey:
    """The RSA key from SF_PRIVATE_KEY_FILE or SF_PRIVATE_KEY (PEM; CI secrets often hold it
    with literal ``\\n`` for newlines). Errors name the variable, never the key."""
    path, text = _value(env, "SF_PRIVATE_KEY_FILE"), _value(env, "SF_PRIVATE_KEY")
    if path and text:
        raise AuthenticationError("set SF_PRIVATE_KEY_FILE or SF_PRIVATE_KEY, not both")
    if path:
        var = "SF_PRIVATE_KEY_FILE"
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise AuthenticationError(
                f"cannot read SF_PRIVATE_KEY_FILE {path}: {exc.strerror or exc}") from None
    else:
        var = "SF_PRIVATE_KEY"
        if "\\n" in text and "\n" not in text:
            text = text.replace("\\n", "\n")
        data = text.encode("utf-8")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:  # cryptography: "Password was not given but private key is encrypted"
        raise AuthenticationError(
            f"{var} holds an encrypted private key; kpisync needs it unencrypted "
            "(openssl pkey -in key.pem -out plain.pem), kept in a CI secret") from None
    except ValueError:  # not PEM, or a PEM of something else; its text may quote the data
        raise AuthenticationError(
            f"{var} is not a PEM private key (expected '-----BEGIN PRIVATE KEY-----' or "
            "'-----BEGIN RSA PRIVATE KEY-----')") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise AuthenticationError(
            f"{var} must hold an RSA private key: Salesforce's JWT bearer flow uses RS256")
    return key


def _ca_bundle(env: Mapping[str, str], given: Path | None) -> Path | None:
    return given or (Path(env[CA_BUNDLE_VAR]) if env.get(CA_BUNDLE_VAR) else None)


# -- the HTTPS session -----------------------------------------------------------------------

class _PinnedVerifySession(requests.Session):
    """A session whose ``verify`` is not overridden by REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE.

    requests lets those variables replace ``Session.verify`` for every request
    (``Session.merge_environment_settings``); CI machines often set them, which would
    silently swap the CA bundle the caller asked for. Proxies still come from the environment.
    """

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None:  # no per-request choice: the session's own bundle wins
            settings["verify"] = self.verify
        return settings


def make_session(ca_bundle: Path | None = None) -> requests.Session:
    """An HTTPS session verifying against ``ca_bundle`` when given (even if
    REQUESTS_CA_BUNDLE is set), else with requests' usual behaviour."""
    if ca_bundle is None:
        return requests.Session()
    if not ca_bundle.is_file():
        raise AuthenticationError(f"the CA bundle {ca_bundle} does not exist or is not a file")
    session = _PinnedVerifySession()
    session.verify = str(ca_bundle)
    return session
