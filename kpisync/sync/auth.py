"""Salesforce credentials, and the HTTPS session that carries them.

For now kpisync takes an access token that something else obtained (the Salesforce CLI, a CI
secret, an OAuth flow run elsewhere): ``SF_INSTANCE_URL`` and ``SF_ACCESS_TOKEN``.
The token is a secret: it never appears in a repr, a log line or an error message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests

from kpisync.errors import AuthenticationError

INSTANCE_URL_VAR = "SF_INSTANCE_URL"
ACCESS_TOKEN_VAR = "SF_ACCESS_TOKEN"
#: optional: a PEM bundle to verify Salesforce's certificate against (a TLS-inspecting proxy)
CA_BUNDLE_VAR = "SF_CA_BUNDLE"


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


def credentials_from_env(
    env: Mapping[str, str] | None = None, *, ca_bundle: Path | None = None
) -> Credentials:
    """Credentials from ``env`` (default ``os.environ``).

    ``ca_bundle`` wins over ``SF_CA_BUNDLE``. Raises AuthenticationError naming every
    variable still to set, or saying what is wrong with the instance URL.
    """
    env = os.environ if env is None else env
    instance_url = env.get(INSTANCE_URL_VAR, "").strip()
    token = env.get(ACCESS_TOKEN_VAR, "").strip()
    missing = [var for var, value in ((INSTANCE_URL_VAR, instance_url),
                                      (ACCESS_TOKEN_VAR, token)) if not value]
    if missing:
        raise AuthenticationError(
            f"Salesforce credentials are missing: set {' and '.join(missing)} "
            "(in the environment or an --env-file)"
        )
    parsed = urlparse(instance_url)
    if parsed.scheme != "https" or not parsed.hostname:
        raise AuthenticationError(
            f"{INSTANCE_URL_VAR} must be an https:// URL such as "
            f"https://yourdomain.my.salesforce.com, got {instance_url!r}"
        )
    bundle = ca_bundle or (Path(env[CA_BUNDLE_VAR]) if env.get(CA_BUNDLE_VAR) else None)
    return Credentials(instance_url=instance_url.rstrip("/"), access_token=token,
                       ca_bundle=bundle)


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
