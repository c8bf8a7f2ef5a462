"""The emulator's OAuth token endpoint and the sessions it hands out.

``POST /services/oauth2/token`` accepts the password, client-credentials and JWT bearer grants
with Salesforce's parameters and answers with its bodies: success as in
oauth_token_success.json, failures as 400 ``{"error", "error_description"}`` with the texts
real orgs send. JWTs are checked for iss/sub/aud/exp, and for an RS256 signature when a public
key (or certificate) is configured; no JWT library is needed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import string
import threading
import time
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LOGIN_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
_ALPHANUMERIC = string.ascii_letters + string.digits


@dataclass(frozen=True)
class EmulatorCredentials:
    """What the token endpoint accepts. The defaults are fixed and documented: the emulator
    guards nothing, and a fixed set lets a second process log in to a running emulator."""

    client_id: str = "kpisync-emulator-client"
    client_secret: str = field(default="emulator-client-secret", repr=False)
    username: str = "sync.user@kpisync-demo.example"
    password: str = field(default="emulator-password", repr=False)
    security_token: str = field(default="EMULATORSECURITYTOKEN", repr=False)
    #: PEM public key or certificate; when set, JWT assertions must be signed with its key
    jwt_public_key: bytes | str | None = field(default=None, repr=False)
    #: accepted JWT ``aud`` values besides the emulator's own URL
    jwt_audiences: tuple[str, ...] = LOGIN_AUDIENCES


def random_id(prefix: str, length: int = 18) -> str:
    """A Salesforce-looking Id: a 3-character key prefix then random alphanumerics."""
    return prefix + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length - len(prefix)))


class Sessions:
    """The access tokens currently valid. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: set[str] = set()
        self.org_id = random_id("00D")
        self.user_id = random_id("005")

    def issue(self) -> str:
        """A new token shaped like Salesforce's (org Id, '!', an opaque tail)."""
        token = f"{self.org_id[:15]}!AQ{secrets.token_urlsafe(72)}"
        with self._lock:
            self._tokens.add(token)
        return token

    def valid(self, token: str) -> bool:
        with self._lock:
            return token in self._tokens

    def expire_all(self) -> int:
        """Invalidate every token issued so far; how many there were."""
        with self._lock:
            count = len(self._tokens)
            self._tokens.clear()
            return count


class TokenError(Exception):
    """A refused token request: Salesforce's ``error`` and ``error_description``."""

    def __init__(self, error: str, description: str):
        self.error = error
        self.description = description
        super().__init__(f"{error}: {description}")

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


def _invalid_client_id() -> TokenError:
    return TokenError("invalid_client_id", "client identifier invalid")


def grant_token(form: dict[str, str], *, credentials: EmulatorCredentials,
                sessions: Sessions, instance_url: str) -> dict:
    """The success body for a token request, or TokenError."""
    grant = form.get("grant_type", "")
    if grant == "password":
        _check_client(form, credentials)
        expected = credentials.password + credentials.security_token
        if form.get("username") != credentials.username or not hmac.compare_digest(
                form.get("password", ""), expected):
            raise TokenError("invalid_grant", "authentication failure")
        return _success(credentials, sessions, instance_url, scope="api")
    if grant == "client_credentials":
        _check_client(form, credentials)
        return _success(credentials, sessions, instance_url, scope="api")
    if grant == JWT_GRANT:
        _check_jwt(form.get("assertion", ""), credentials, instance_url)
        body = _success(credentials, sessions, instance_url, scope="api")
        return {k: body[k] for k in ("access_token", "scope", "instance_url", "id",
                                     "token_type")}
    if not grant:
        raise TokenError("invalid_request", "grant type not supported")
    raise TokenError("unsupported_grant_type", "grant type not supported")


def _check_client(form: dict[str, str], credentials: EmulatorCredentials) -> None:
    if form.get("client_id") != credentials.client_id:
        raise _invalid_client_id()
    if not hmac.compare_digest(form.get("client_secret", ""), credentials.client_secret):
        raise TokenError("invalid_client", "invalid client credentials")


def _success(credentials: EmulatorCredentials, sessions: Sessions, instance_url: str, *,
             scope: str) -> dict:
    issued_at = str(int(time.time() * 1000))
    identity = f"{instance_url}/id/{sessions.org_id}/{sessions.user_id}"
    # Salesforce signs id + issued_at with the client secret (HMAC-SHA256, base64).
    signature = base64.b64encode(hmac.new(credentials.client_secret.encode(),
                                          (identity + issued_at).encode(),
                                          hashlib.sha256).digest()).decode()
    return {"access_token": sessions.issue(), "signature": signature, "scope": scope,
            "instance_url": instance_url, "id": identity, "token_type": "Bearer",
            "issued_at": issued_at}


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _check_jwt(assertion: str, credentials: EmulatorCredentials, instance_url: str) -> None:
    invalid = TokenError("invalid_grant", "invalid assertion")
    parts = assertion.split(".")
    if len(parts) != 3:
        raise invalid
    try:
        header = json.loads(_b64url(parts[0]))
        claims = json.loads(_b64url(parts[1]))
        signature = _b64url(parts[2])
    except (ValueError, binascii.Error):
        raise invalid from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise invalid
    if claims.get("iss") != credentials.client_id:
        raise _invalid_client_id()
    audiences = claims.get("aud")
    audiences = audiences if isinstance(audiences, list) else [audiences]
    if not set(audiences) & {*credentials.jwt_audiences, instance_url}:
        raise TokenError("invalid_grant", "audience is invalid")
    expiry = claims.get("exp")
    if not isinstance(expiry, int | float) or isinstance(expiry, bool) or expiry <= time.time():
        raise TokenError("invalid_grant", "expired authorization code")
    if claims.get("sub") != credentials.username:
        raise TokenError("invalid_grant", "user hasn't approved this consumer")
    if credentials.jwt_public_key is not None:
        if header.get("alg") != "RS256":
            raise invalid
        key = _public_key(credentials.jwt_public_key)
        try:
            key.verify(signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(),
                       hashes.SHA256())
        except InvalidSignature:
            raise invalid from None


def _public_key(pem: bytes | str) -> rsa.RSAPublicKey:
    data = pem.encode() if isinstance(pem, str) else pem
    if b"BEGIN CERTIFICATE" in data:
        key = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the JWT public key must be an RSA key (Salesforce signs with RS256)")
    return key
