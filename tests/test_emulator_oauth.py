"""The emulator's token endpoint: password, client-credentials and JWT bearer grants, with
Salesforce's success and error bodies, over real HTTPS."""

from __future__ import annotations

import base64
import json
import time

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kpisync.emulator import Emulator, EmulatorCredentials, OrgData
from kpisync.emulator.oauth import JWT_GRANT, Sessions, grant_token

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
CREDS = EmulatorCredentials(client_id="cid", client_secret="csecret", username="u@example.com",
                            password="pw", security_token="TOK", jwt_public_key=PUBLIC_PEM)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch):
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="module")
def emu():
    with Emulator(OrgData(), credentials=CREDS) as emulator:
        yield emulator


def token(emu: Emulator, **form) -> requests.Response:
    return requests.post(f"{emu.url}/services/oauth2/token", data=form, verify=str(emu.ca_path),
                         timeout=10)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict, key=KEY) -> str:
    header = b64(json.dumps({"alg": "RS256"}).encode())
    signing_input = f"{header}.{b64(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64(signature)}"


def claims(**overrides) -> dict:
    return {"iss": "cid", "sub": "u@example.com", "aud": "https://login.salesforce.com",
            "exp": int(time.time()) + 180, **overrides}


def test_password_grant_returns_the_salesforce_token_shape(emu):
    body = token(emu, grant_type="password", client_id="cid", client_secret="csecret",
                 username="u@example.com", password="pwTOK").json()
    assert (sorted(body), body["instance_url"], body["token_type"]) == (
        ["access_token", "id", "instance_url", "issued_at", "scope", "signature",
         "token_type"], emu.url, "Bearer")


def test_issued_token_opens_the_rest_api(emu):
    body = token(emu, grant_type="client_credentials", client_id="cid",
                 client_secret="csecret").json()
    response = requests.get(f"{emu.url}/services/data/v60.0/limits", verify=str(emu.ca_path),
                            headers={"Authorization": f"Bearer {body['access_token']}"},
                            timeout=10)
    assert response.status_code == 200


def test_password_without_security_token_is_an_authentication_failure(emu):
    response = token(emu, grant_type="password", client_id="cid", client_secret="csecret",
                     username="u@example.com", password="pw")
    assert (response.status_code, response.json()) == (
        400, {"error": "invalid_grant", "error_description": "authentication failure"})


def test_unknown_client_id_is_refused(emu):
    response = token(emu, grant_type="client_credentials", client_id="nope",
                     client_secret="csecret")
    assert (response.status_code, response.json()) == (
        400, {"error": "invalid_client_id", "error_description": "client identifier invalid"})


def test_wrong_client_secret_is_refused(emu):
    response = token(emu, grant_type="client_credentials", client_id="cid",
                     client_secret="wrong")
    assert response.json() == {"error": "invalid_client",
                               "error_description": "invalid client credentials"}


def test_unsupported_grant_type_is_refused(emu):
    assert token(emu, grant_type="authorization_code").json() == {
        "error": "unsupported_grant_type", "error_description": "grant type not supported"}


def test_jwt_bearer_grant_returns_the_jwt_token_shape(emu):
    body = token(emu, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
                 assertion=jwt(claims())).json()
    assert sorted(body) == ["access_token", "id", "instance_url", "scope", "token_type"]


@pytest.mark.parametrize(("assertion", "error"), [
    (lambda: jwt(claims(aud="https://example.com")), ("invalid_grant", "audience is invalid")),
    (lambda: jwt(claims(exp=int(time.time()) - 5)),
     ("invalid_grant", "expired authorization code")),
    (lambda: jwt(claims(iss="other")), ("invalid_client_id", "client identifier invalid")),
    (lambda: jwt(claims(sub="someone@example.com")),
     ("invalid_grant", "user hasn't approved this consumer")),
    (lambda: jwt(claims(), key=OTHER_KEY), ("invalid_grant", "invalid assertion")),
    (lambda: "not-a-jwt", ("invalid_grant", "invalid assertion")),
], ids=["audience", "expired", "issuer", "subject", "signature", "garbage"])
def test_jwt_bearer_refusals(emu, assertion, error):
    response = token(emu, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
                     assertion=assertion())
    assert (response.status_code, response.json()) == (
        400, {"error": error[0], "error_description": error[1]})


def test_jwt_audience_may_be_the_emulator_itself(emu):
    response = token(emu, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
                     assertion=jwt(claims(aud=emu.url)))
    assert response.status_code == 200


def test_token_endpoint_calls_are_not_counted(emu):
    before = emu.api_calls
    token(emu, grant_type="client_credentials", client_id="cid", client_secret="csecret")
    assert emu.api_calls == before


def test_token_endpoint_wants_post(emu):
    response = requests.get(f"{emu.url}/services/oauth2/token", verify=str(emu.ca_path),
                            timeout=10)
    assert (response.status_code, response.json()) == (
        400, {"error": "invalid_request", "error_description": "must use HTTP POST"})


def test_default_credentials_hide_secrets_in_repr():
    assert "emulator-password" not in repr(EmulatorCredentials())


def test_jwt_signature_is_not_checked_without_a_configured_key():
    unkeyed = EmulatorCredentials(client_id="cid", username="u@example.com")
    body = grant_token({"grant_type": JWT_GRANT, "assertion": jwt(claims(), key=OTHER_KEY)},
                       credentials=unkeyed, sessions=Sessions(), instance_url="https://x")
    assert body["token_type"] == "Bearer"
