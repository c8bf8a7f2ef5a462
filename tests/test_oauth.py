"""The token endpoint flows: the requests kpisync sends, the JWT it signs, and what it says
when Salesforce refuses (bodies from /work/shared/data)."""

from __future__ import annotations

import base64
import json

import pytest
import requests
import responses
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from responses import matchers

from kpisync.errors import AuthenticationError, TransientSalesforceError
from kpisync.sync.oauth import (
    JWT_GRANT,
    ClientCredentialsFlow,
    JwtBearerFlow,
    PasswordFlow,
    TokenGrant,
    jwt_assertion,
    jwt_audience,
)
from tests.sf_fixtures import sample

LOGIN = "https://acme.my.salesforce.com"
TOKEN_URL = f"{LOGIN}/services/oauth2/token"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z

CLIENT_CREDENTIALS = ClientCredentialsFlow(LOGIN, "3MVG9-client-id", "client-secret-value")
PASSWORD = PasswordFlow(LOGIN, "3MVG9-client-id", "client-secret-value", "sync@acme.example",
                        "pass word", "SECTOKEN123")
JWT = JwtBearerFlow(LOGIN, "3MVG9-client-id", "sync@acme.example", "https://login.salesforce.com",
                    KEY, clock=lambda: NOW)


def decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def token(flow) -> TokenGrant:
    return flow.token(requests.Session(), timeout=5)


def refused(flow, body, status: int = 400, **kwargs) -> AuthenticationError:
    responses.post(TOKEN_URL, json=body, status=status, **kwargs)
    with pytest.raises(AuthenticationError) as info:
        token(flow)
    return info.value


# -- the JWT -----------------------------------------------------------------------------------

def test_jwt_has_the_salesforce_header_and_claims():
    header, claims, _ = jwt_assertion(client_id="cid", username="u@acme.example",
                                      audience="https://login.salesforce.com", private_key=KEY,
                                      now=NOW).split(".")
    assert json.loads(decode(header)) == {"alg": "RS256"}
    assert json.loads(decode(claims)) == {"iss": "cid", "sub": "u@acme.example",
                                          "aud": "https://login.salesforce.com",
                                          "exp": NOW + 180}


def test_jwt_signature_verifies_with_the_public_key():
    assertion = jwt_assertion(client_id="cid", username="u", audience="a", private_key=KEY,
                              now=NOW)
    signing_input, _, signature = assertion.rpartition(".")
    KEY.public_key().verify(decode(signature), signing_input.encode(), padding.PKCS1v15(),
                            hashes.SHA256())


def test_jwt_signature_does_not_verify_with_another_key():
    assertion = jwt_assertion(client_id="cid", username="u", audience="a", private_key=KEY,
                              now=NOW)
    signing_input, _, signature = assertion.rpartition(".")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    with pytest.raises(InvalidSignature):
        other.verify(decode(signature), signing_input.encode(), padding.PKCS1v15(),
                     hashes.SHA256())


@pytest.mark.parametrize(
    ("login_url", "audience"),
    [("https://login.salesforce.com", "https://login.salesforce.com"),
     ("https://test.salesforce.com", "https://test.salesforce.com"),
     ("https://acme.my.salesforce.com", "https://login.salesforce.com"),
     ("https://acme--uat.sandbox.my.salesforce.com", "https://test.salesforce.com"),
     ("https://acme.my.site.com/customers", "https://acme.my.site.com/customers"),
     ("https://127.0.0.1:8443", "https://127.0.0.1:8443")],
    ids=["production", "sandbox", "my-domain", "sandbox-my-domain", "experience-site",
         "emulator"],
)
def test_jwt_audience_follows_the_login_url(login_url, audience):
    assert jwt_audience(login_url) == audience


# -- the requests ------------------------------------------------------------------------------

@responses.activate
def test_client_credentials_request_and_grant():
    responses.post(TOKEN_URL, json=sample("oauth_token_success.json"), match=[
        matchers.urlencoded_params_matcher({"grant_type": "client_credentials",
                                            "client_id": "3MVG9-client-id",
                                            "client_secret": "client-secret-value"})])
    grant = token(CLIENT_CREDENTIALS)
    assert (grant.instance_url, grant.access_token) == (
        "https://yourInstance.my.salesforce.com",
        sample("oauth_token_success.json")["access_token"])


@responses.activate
def test_password_flow_appends_the_security_token_to_the_password():
    responses.post(TOKEN_URL, json=sample("oauth_token_success.json"), match=[
        matchers.urlencoded_params_matcher({"grant_type": "password",
                                            "client_id": "3MVG9-client-id",
                                            "client_secret": "client-secret-value",
                                            "username": "sync@acme.example",
                                            "password": "pass wordSECTOKEN123"})])
    assert token(PASSWORD).instance_url == "https://yourInstance.my.salesforce.com"


@responses.activate
def test_jwt_flow_posts_a_signed_assertion_and_no_secret():
    responses.post(TOKEN_URL, json=sample("oauth_jwt_bearer_success.json"))
    grant = token(JWT)
    form = dict(p.split("=", 1) for p in responses.calls[0].request.body.split("&"))
    assert sorted(form) == ["assertion", "grant_type"]
    assert form["grant_type"] == requests.utils.quote(JWT_GRANT, safe="")
    assert form["assertion"] == jwt_assertion(
        client_id="3MVG9-client-id", username="sync@acme.example",
        audience="https://login.salesforce.com", private_key=KEY, now=NOW)
    assert grant.instance_url == "https://yourInstance.my.salesforce.com"


@responses.activate
def test_legacy_instance_url_loses_its_trailing_slash():
    responses.post(TOKEN_URL, json=sample("oauth_token_success_password_flow_legacy.json"))
    assert token(PASSWORD).instance_url == "https://yourInstance.salesforce.com"


def test_grant_repr_hides_the_token():
    assert repr(TokenGrant("https://x.my.salesforce.com", "00D!secret")) == (
        "TokenGrant(instance_url='https://x.my.salesforce.com', access_token='***')")


@pytest.mark.parametrize(
    ("flow", "text"),
    [(CLIENT_CREDENTIALS, "ClientCredentialsFlow(login_url='https://acme.my.salesforce.com', "
                          "client_id='3MVG9-client-id', client_secret='***')"),
     (PASSWORD, "PasswordFlow(login_url='https://acme.my.salesforce.com', "
                "client_id='3MVG9-client-id', client_secret='***', username='sync@acme.example', "
                "password='***', security_token='***')"),
     (JWT, "JwtBearerFlow(login_url='https://acme.my.salesforce.com', "
           "client_id='3MVG9-client-id', username='sync@acme.example', "
           "audience='https://login.salesforce.com', private_key='***')")],
    ids=["client-credentials", "password", "jwt"],
)
def test_flow_reprs_hide_secrets(flow, text):
    assert repr(flow) == text


# -- refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("flow", "sample_name", "text"),
    [(PASSWORD, "oauth_token_error.json",
      "Salesforce refused the username-password login at https://acme.my.salesforce.com "
      "(invalid_grant: authentication failure, HTTP 400); check SF_USERNAME and SF_PASSWORD, "
      "and SF_SECURITY_TOKEN (sent appended to the password; reset it from the user's settings "
      "if unsure); the user may also be locked out or logging in from outside the profile's "
      "login IP ranges"),
     (JWT, "oauth_jwt_error_not_approved.json",
      "Salesforce refused the JWT bearer login at https://acme.my.salesforce.com "
      "(invalid_grant: user hasn't approved this consumer, HTTP 400); pre-authorize the sync "
      "user: in the connected app's policies set 'Permitted Users' to 'Admin approved users "
      "are pre-authorized' and add the user's profile or a permission set; also check that "
      "SF_USERNAME is the exact username"),
     (JWT, "oauth_jwt_error_audience.json",
      "Salesforce refused the JWT bearer login at https://acme.my.salesforce.com "
      "(invalid_grant: audience is invalid, HTTP 400); the JWT 'aud' must be "
      "https://login.salesforce.com for a production org or https://test.salesforce.com for a "
      "sandbox (the site URL for an Experience Cloud site); set SF_AUDIENCE to override the "
      "value kpisync derives from SF_LOGIN_URL"),
     (CLIENT_CREDENTIALS, "oauth_token_error_invalid_client_id.json",
      "Salesforce refused the client credentials login at https://acme.my.salesforce.com "
      "(invalid_client_id: client identifier invalid, HTTP 400); SF_CLIENT_ID is not the "
      "consumer key of a connected app in this org (check the org behind SF_LOGIN_URL; a new "
      "connected app can take up to 10 minutes to work)")],
    ids=["authentication-failure", "not-approved", "audience", "invalid-client-id"],
)
@responses.activate
def test_refusals_say_what_to_do(flow, sample_name, text):
    error = refused(flow, sample(sample_name))
    assert (str(error), error.status) == (text, 400)


@responses.activate
def test_invalid_client_points_at_the_secret():
    error = refused(CLIENT_CREDENTIALS, {"error": "invalid_client",
                                         "error_description": "invalid client credentials"})
    assert str(error) == (
        "Salesforce refused the client credentials login at https://acme.my.salesforce.com "
        "(invalid_client: invalid client credentials, HTTP 400); SF_CLIENT_SECRET is not the "
        "consumer secret of the connected app SF_CLIENT_ID names")
    assert error.error_code == "invalid_client"


@responses.activate
def test_unknown_refusal_keeps_salesforce_words():
    error = refused(CLIENT_CREDENTIALS, {"error": "invalid_scope",
                                         "error_description": "the requested scope is invalid"})
    assert str(error) == (
        "Salesforce refused the client credentials login at https://acme.my.salesforce.com "
        "(invalid_scope: the requested scope is invalid, HTTP 400)")


@responses.activate
def test_html_answer_is_summarised_not_quoted():
    responses.post(TOKEN_URL, body="<html><body>Page Not Found: sync@acme.example</body></html>",
                   status=404, content_type="text/html")
    with pytest.raises(AuthenticationError) as info:
        token(CLIENT_CREDENTIALS)
    assert str(info.value) == (
        "Salesforce refused the client credentials login at https://acme.my.salesforce.com "
        "(non-JSON answer (text/html), HTTP 404); check that SF_LOGIN_URL is the org's login "
        "URL (https://login.salesforce.com, https://test.salesforce.com or "
        "https://yourdomain.my.salesforce.com)")


@responses.activate
def test_200_without_a_token_is_an_authentication_error():
    responses.post(TOKEN_URL, body="<html>Login</html>", content_type="text/html")
    with pytest.raises(AuthenticationError) as info:
        token(CLIENT_CREDENTIALS)
    assert str(info.value) == (
        "the client credentials login at https://acme.my.salesforce.com answered HTTP 200 "
        "without an access token and instance URL; check that SF_LOGIN_URL is the org's login "
        "URL, not a web page")


@responses.activate
def test_instance_url_must_be_https():
    responses.post(TOKEN_URL, json={"access_token": "00D!x", "instance_url": "http://evil"})
    with pytest.raises(AuthenticationError) as info:
        token(CLIENT_CREDENTIALS)
    assert str(info.value) == (
        "the client credentials login at https://acme.my.salesforce.com returned an instance "
        "URL that is not https://: 'http://evil'")


@responses.activate
def test_5xx_is_transient():
    responses.post(TOKEN_URL, body="<html>Service Not Available</html>", status=503,
                   content_type="text/html")
    with pytest.raises(TransientSalesforceError) as info:
        token(JWT)
    assert (str(info.value), info.value.status) == (
        "Salesforce is unavailable or busy for the JWT bearer login at "
        "https://acme.my.salesforce.com (non-JSON answer (text/html), HTTP 503)", 503)


@pytest.mark.parametrize(
    ("exc", "text"),
    [(requests.ConnectionError("refused"),
      "could not reach Salesforce for the JWT bearer login at https://acme.my.salesforce.com: "
      "the connection failed or was dropped (ConnectionError)"),
     (requests.ReadTimeout("slow"),
      "Salesforce did not answer the JWT bearer login at https://acme.my.salesforce.com in time "
      "(ReadTimeout)")],
    ids=["connection", "timeout"],
)
@responses.activate
def test_no_answer_is_transient(exc, text):
    responses.post(TOKEN_URL, body=exc)
    with pytest.raises(TransientSalesforceError) as info:
        token(JWT)
    assert (str(info.value), info.value.__cause__) == (text, None)


@responses.activate
def test_echoed_secrets_are_blanked_out():
    error = refused(PASSWORD, {"error": "invalid_grant",
                               "error_description": "bad password pass wordSECTOKEN123 for "
                                                    "client client-secret-value"})
    assert str(error) == (
        "Salesforce refused the username-password login at https://acme.my.salesforce.com "
        "(invalid_grant: bad password *** for client ***, HTTP 400)")
