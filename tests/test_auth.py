"""Choosing the way to log in from the environment, getting (and renewing) tokens, logging in
again when a session expires mid-sync, and keeping every secret out of what a failure shows."""

from __future__ import annotations

import json
import logging
import re
import traceback
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from responses import matchers

from kpisync.config.model import Config, Filter, Kpi, Measure, Org
from kpisync.emulator import Emulator, EmulatorCredentials, OrgData
from kpisync.errors import AuthenticationError, TransientSalesforceError
from kpisync.sync.auth import (
    AccessTokenFlow,
    Authenticator,
    Credentials,
    authenticator_from_env,
    flow_from_env,
)
from kpisync.sync.client import SalesforceClient
from kpisync.sync.oauth import ClientCredentialsFlow, JwtBearerFlow, PasswordFlow
from kpisync.sync.run import sync_from_env
from tests.sf_fixtures import API, INSTANCE, no_sleep_policy, sample

LOGIN = "https://acme.my.salesforce.com"
TOKEN_URL = f"{LOGIN}/services/oauth2/token"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KEY_PEM = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
SOQL = "SELECT Id FROM User"

# Distinctive secret values: none may ever show up in a message, a repr, a log or a file.
CLIENT_SECRET = "CLIENTSECRET7f3a9c2e"
PASSWORD = "PASSWORDb81d2e44"
SECURITY_TOKEN = "SECTOKENc4e5f6a7"
GIVEN_TOKEN = "00DGIVENTOKEN!91ab77"
ISSUED = ["00DISSUEDFIRST!5d1e0c", "00DISSUEDSECOND!a9f3b2"]
SECRETS = [CLIENT_SECRET, PASSWORD, SECURITY_TOKEN, GIVEN_TOKEN, *ISSUED,
           *KEY_PEM.splitlines()[1:-1]]

ACCESS_ENV = {"SF_INSTANCE_URL": INSTANCE, "SF_ACCESS_TOKEN": GIVEN_TOKEN}
JWT_ENV = {"SF_LOGIN_URL": LOGIN, "SF_CLIENT_ID": "3MVG9-cid", "SF_USERNAME": "sync@acme.example",
           "SF_PRIVATE_KEY": KEY_PEM}
CLIENT_ENV = {"SF_LOGIN_URL": LOGIN, "SF_CLIENT_ID": "3MVG9-cid",
              "SF_CLIENT_SECRET": CLIENT_SECRET}
PASSWORD_ENV = {"SF_USERNAME": "sync@acme.example", "SF_PASSWORD": PASSWORD,
                "SF_SECURITY_TOKEN": SECURITY_TOKEN, "SF_CLIENT_ID": "3MVG9-cid",
                "SF_CLIENT_SECRET": CLIENT_SECRET}
ALL_ENV = {**ACCESS_ENV, **JWT_ENV, **CLIENT_ENV, **PASSWORD_ENV}

NOTHING_SET = (
    "Salesforce credentials are missing: set the variables of one way to log in (in the "
    "environment or an --env-file):\n"
    "  access token: missing SF_INSTANCE_URL, SF_ACCESS_TOKEN\n"
    "  JWT bearer: missing SF_LOGIN_URL, SF_CLIENT_ID, SF_USERNAME, SF_PRIVATE_KEY_FILE or "
    "SF_PRIVATE_KEY (SF_AUDIENCE is optional)\n"
    "  client credentials: missing SF_LOGIN_URL, SF_CLIENT_ID, SF_CLIENT_SECRET\n"
    "  username-password: missing SF_USERNAME, SF_PASSWORD, SF_CLIENT_ID, SF_CLIENT_SECRET "
    "(SF_SECURITY_TOKEN and SF_LOGIN_URL are optional)"
)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch):
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "REQUESTS_CA_BUNDLE",
                "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def authenticator(env: dict[str, str], slept: list[float] | None = None) -> Authenticator:
    return authenticator_from_env(env, sleep=(slept if slept is not None else []).append)


def token_ok(access_token: str = ISSUED[0], **kwargs) -> None:
    responses.post(TOKEN_URL, json={**sample("oauth_token_success.json"),
                                    "instance_url": INSTANCE, "access_token": access_token},
                   **kwargs)


def expired(**kwargs) -> None:
    responses.get(f"{API}/queryAll/", json=sample("error_invalid_session.json"), status=401,
                  **kwargs)


def users_page(**kwargs) -> None:
    responses.get(f"{API}/queryAll/", json={"totalSize": 0, "done": True, "records": []},
                  **kwargs)


def bearer(token: str) -> list:
    return [matchers.header_matcher({"Authorization": f"Bearer {token}"})]


# -- choosing the flow -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("env", "flow_type"),
    [(ACCESS_ENV, AccessTokenFlow), (JWT_ENV, JwtBearerFlow),
     (CLIENT_ENV, ClientCredentialsFlow), (PASSWORD_ENV, PasswordFlow)],
    ids=["access-token", "jwt", "client-credentials", "password"],
)
def test_each_complete_set_picks_its_flow(env, flow_type):
    assert type(flow_from_env(env)) is flow_type


@pytest.mark.parametrize(
    ("removed", "flow_type"),
    [((), AccessTokenFlow), (("SF_ACCESS_TOKEN",), JwtBearerFlow),
     (("SF_ACCESS_TOKEN", "SF_PRIVATE_KEY"), ClientCredentialsFlow),
     (("SF_ACCESS_TOKEN", "SF_PRIVATE_KEY", "SF_LOGIN_URL"), PasswordFlow)],
    ids=["access-token-first", "then-jwt", "then-client-credentials", "then-password"],
)
def test_precedence_when_several_sets_are_complete(removed, flow_type):
    env = {k: v for k, v in ALL_ENV.items() if k not in removed}
    assert type(flow_from_env(env)) is flow_type


def test_ignored_sets_are_logged_by_name(caplog):
    caplog.set_level(logging.INFO, logger="kpisync")
    flow_from_env({**JWT_ENV, **CLIENT_ENV})
    assert caplog.messages == [
        "logging in with the JWT bearer flow; the variables for client credentials are set too "
        "and ignored (set SF_AUTH_FLOW to choose)"]


def test_sf_auth_flow_overrides_precedence():
    flow = flow_from_env({**ALL_ENV, "SF_LOGIN_URL": "https://test.salesforce.com",
                          "SF_AUTH_FLOW": "password"})
    assert (type(flow), flow.login_url) == (PasswordFlow, "https://test.salesforce.com")


def test_unknown_sf_auth_flow_is_refused():
    with pytest.raises(AuthenticationError) as info:
        flow_from_env({**ALL_ENV, "SF_AUTH_FLOW": "saml"})
    assert str(info.value) == (
        "SF_AUTH_FLOW must be one of access_token, jwt, client_credentials, password, got 'saml'")


def test_incomplete_chosen_flow_lists_only_its_variables():
    with pytest.raises(AuthenticationError) as info:
        flow_from_env({**CLIENT_ENV, "SF_AUTH_FLOW": "jwt"})
    assert str(info.value) == (
        "Salesforce credentials are incomplete for SF_AUTH_FLOW=jwt:\n"
        "  JWT bearer: missing SF_USERNAME, SF_PRIVATE_KEY_FILE or SF_PRIVATE_KEY "
        "(SF_AUDIENCE is optional)")


def test_nothing_set_lists_every_flow():
    with pytest.raises(AuthenticationError) as info:
        flow_from_env({"SF_ACCESS_TOKEN": "  "})
    assert str(info.value) == NOTHING_SET


def test_partial_sets_list_what_each_flow_still_needs():
    with pytest.raises(AuthenticationError) as info:
        flow_from_env({"SF_LOGIN_URL": LOGIN, "SF_CLIENT_ID": "cid", "SF_PASSWORD": PASSWORD})
    assert str(info.value) == (
        "Salesforce credentials are missing: set the variables of one way to log in (in the "
        "environment or an --env-file):\n"
        "  access token: missing SF_INSTANCE_URL, SF_ACCESS_TOKEN\n"
        "  JWT bearer: missing SF_USERNAME, SF_PRIVATE_KEY_FILE or SF_PRIVATE_KEY "
        "(SF_AUDIENCE is optional)\n"
        "  client credentials: missing SF_CLIENT_SECRET\n"
        "  username-password: missing SF_USERNAME, SF_CLIENT_SECRET "
        "(SF_SECURITY_TOKEN and SF_LOGIN_URL are optional)")


def test_password_flow_defaults_to_the_production_login_url():
    assert flow_from_env(PASSWORD_ENV).login_url == "https://login.salesforce.com"


def test_login_url_must_be_https():
    with pytest.raises(AuthenticationError) as info:
        flow_from_env({**CLIENT_ENV, "SF_LOGIN_URL": "acme.my.salesforce.com"})
    assert str(info.value) == (
        "SF_LOGIN_URL must be an https:// URL such as https://login.salesforce.com or "
        "https://yourdomain.my.salesforce.com, got 'acme.my.salesforce.com'")


def test_login_url_with_credentials_in_it_is_refused_unquoted():
    with pytest.raises(AuthenticationError) as info:
        flow_from_env({**CLIENT_ENV, "SF_LOGIN_URL": f"https://sync:{PASSWORD}@acme.example"})
    assert str(info.value) == (
        "SF_LOGIN_URL must not hold a user name or password; set them in their own variables")


@pytest.mark.parametrize(
    ("extra", "audience"),
    [({}, "https://login.salesforce.com"),
     ({"SF_AUDIENCE": "https://acme.my.site.com/partners"}, "https://acme.my.site.com/partners")],
    ids=["derived", "sf-audience"],
)
def test_jwt_audience(extra, audience):
    assert flow_from_env({**JWT_ENV, **extra}).audience == audience


def test_private_key_from_a_file(tmp_path):
    path = tmp_path / "server.key"
    path.write_text(KEY_PEM, encoding="utf-8")
    env = {**JWT_ENV, "SF_PRIVATE_KEY": "", "SF_PRIVATE_KEY_FILE": str(path)}
    assert flow_from_env(env).private_key.private_numbers() == KEY.private_numbers()


def test_private_key_with_escaped_newlines():
    env = {**JWT_ENV, "SF_PRIVATE_KEY": KEY_PEM.strip().replace("\n", "\\n")}
    assert flow_from_env(env).private_key.private_numbers() == KEY.private_numbers()


def _ec_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _encrypted_pem() -> str:
    return KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(b"passphrase")).decode()


@pytest.mark.parametrize(
    ("key_env", "text"),
    [({"SF_PRIVATE_KEY": f"not a key {PASSWORD}"},
      "SF_PRIVATE_KEY is not a PEM private key (expected '-----BEGIN PRIVATE KEY-----' or "
      "'-----BEGIN RSA PRIVATE KEY-----')"),
     ({"SF_PRIVATE_KEY": _encrypted_pem()},
      "SF_PRIVATE_KEY holds an encrypted private key; kpisync needs it unencrypted (openssl "
      "pkey -in key.pem -out plain.pem), kept in a CI secret"),
     ({"SF_PRIVATE_KEY": _ec_pem()},
      "SF_PRIVATE_KEY must hold an RSA private key: Salesforce's JWT bearer flow uses RS256"),
     ({"SF_PRIVATE_KEY_FILE": "/nonexistent/server.key"},
      "cannot read SF_PRIVATE_KEY_FILE /nonexistent/server.key: No such file or directory"),
     ({"SF_PRIVATE_KEY_FILE": "/nonexistent/server.key", "SF_PRIVATE_KEY": KEY_PEM},
      "set SF_PRIVATE_KEY_FILE or SF_PRIVATE_KEY, not both")],
    ids=["not-pem", "encrypted", "not-rsa", "unreadable-file", "both"],
)
def test_bad_private_keys_are_named_not_shown(key_env, text):
    env = {**{k: v for k, v in JWT_ENV.items() if k != "SF_PRIVATE_KEY"}, **key_env}
    with pytest.raises(AuthenticationError) as info:
        flow_from_env(env)
    error = info.value
    shown_cause = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    assert (str(error), shown_cause) == (text, None)


# -- getting tokens ----------------------------------------------------------------------------

def test_access_token_needs_no_request():
    auth = authenticator(ACCESS_ENV)
    assert (auth.credentials(), auth.renewable, auth.token_requests) == (
        Credentials(INSTANCE, GIVEN_TOKEN), False, 0)


@responses.activate
def test_credentials_are_requested_once_then_kept():
    token_ok()
    auth = authenticator(CLIENT_ENV)
    first, second = auth.credentials(), auth.credentials()
    assert (first, second, auth.token_requests) == (
        Credentials(INSTANCE, ISSUED[0]), Credentials(INSTANCE, ISSUED[0]), 1)


@responses.activate
def test_sf_ca_bundle_is_carried_to_the_credentials(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("pem", encoding="utf-8")
    token_ok()
    credentials = authenticator({**CLIENT_ENV, "SF_CA_BUNDLE": str(bundle)}).credentials()
    assert credentials.ca_bundle == bundle


@responses.activate
def test_token_request_is_retried_on_503():
    slept: list[float] = []
    responses.post(TOKEN_URL, body="busy", status=503)
    token_ok()
    auth = authenticator(JWT_ENV, slept)
    assert (auth.credentials().access_token, auth.token_requests, len(slept)) == (
        ISSUED[0], 2, 1)


@responses.activate
def test_token_request_gives_up_after_three_attempts():
    responses.post(TOKEN_URL, body=requests.ConnectionError("refused"))
    auth = authenticator(JWT_ENV)
    with pytest.raises(TransientSalesforceError) as info:
        auth.credentials()
    assert str(info.value) == (
        "could not reach Salesforce for the JWT bearer login at https://acme.my.salesforce.com: "
        "the connection failed or was dropped (ConnectionError) (gave up after 3 attempts)")
    assert auth.token_requests == 3


@responses.activate
def test_refused_token_request_is_not_retried():
    responses.post(TOKEN_URL, json=sample("oauth_token_error.json"), status=400)
    auth = authenticator({**PASSWORD_ENV, "SF_LOGIN_URL": LOGIN, "SF_AUTH_FLOW": "password"})
    with pytest.raises(AuthenticationError):
        auth.credentials()
    assert (type(auth.flow), auth.token_requests) == (PasswordFlow, 1)


# -- logging in again when the session expires ---------------------------------------------

@responses.activate
def test_expired_session_logs_in_again_once_and_goes_on():
    token_ok(ISSUED[0])
    token_ok(ISSUED[1])
    expired(match=bearer(ISSUED[0]))
    users_page(match=bearer(ISSUED[1]))
    client = SalesforceClient.connect(authenticator(CLIENT_ENV), retry=no_sleep_policy())
    pages = list(client.query_pages(SOQL))
    assert ([p.records for p in pages], client.reauthentications, client.api_calls) == (
        [[]], 1, 2)


@responses.activate
def test_every_expiry_in_a_long_sync_is_recovered():
    next_url = "/services/data/v60.0/query/01gRO0000016PIAYA2-2000"
    token_ok(ISSUED[0])
    token_ok(ISSUED[1])
    responses.get(f"{API}/queryAll/", json={"totalSize": 1, "done": False, "records": [],
                                            "nextRecordsUrl": next_url}, match=bearer(ISSUED[0]))
    responses.get(f"{INSTANCE}{next_url}", json=sample("error_invalid_session.json"),
                  status=401, match=bearer(ISSUED[0]))
    responses.get(f"{INSTANCE}{next_url}", json={"totalSize": 1, "done": True, "records": []},
                  match=bearer(ISSUED[1]))
    client = SalesforceClient.connect(authenticator(JWT_ENV), retry=no_sleep_policy())
    assert (len(list(client.query_pages(SOQL))), client.reauthentications) == (2, 1)


@responses.activate
def test_session_rejected_again_after_logging_in_fails():
    token_ok(ISSUED[0])
    token_ok(ISSUED[1])
    expired()
    client = SalesforceClient.connect(authenticator(CLIENT_ENV), retry=no_sleep_policy())
    with pytest.raises(AuthenticationError) as info:
        list(client.query_pages(SOQL, sobject="User"))
    assert str(info.value) == (
        "Salesforce rejected the session again right after kpisync logged in anew "
        "(INVALID_SESSION_ID, HTTP 401); check that the sync user has the 'API Enabled' "
        "permission and that the connected app's session policies allow API access")
    assert (client.reauthentications, client.api_calls) == (1, 2)


@responses.activate
def test_given_access_token_cannot_be_renewed():
    expired()
    client = SalesforceClient.connect(authenticator(ACCESS_ENV), retry=no_sleep_policy())
    with pytest.raises(AuthenticationError) as info:
        list(client.query_pages(SOQL))
    assert str(info.value) == (
        "Salesforce rejected the access token: the session expired or is invalid; get a new "
        "token and set SF_ACCESS_TOKEN again (INVALID_SESSION_ID: Session expired or invalid, "
        "HTTP 401)")
    assert (client.reauthentications, len(responses.calls)) == (0, 1)


@responses.activate
def test_refused_renewal_surfaces_the_token_error():
    token_ok(ISSUED[0])
    responses.post(TOKEN_URL, json=sample("oauth_jwt_error_not_approved.json"), status=400)
    expired()
    client = SalesforceClient.connect(authenticator(JWT_ENV), retry=no_sleep_policy())
    with pytest.raises(AuthenticationError) as info:
        list(client.query_pages(SOQL))
    assert str(info.value).startswith(
        "Salesforce refused the JWT bearer login at https://acme.my.salesforce.com "
        "(invalid_grant: user hasn't approved this consumer, HTTP 400); ")


# -- over HTTPS, against the emulator -----------------------------------------------------

def test_jwt_login_and_relogin_against_the_emulator(monkeypatch):
    public = KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    creds = EmulatorCredentials(client_id="cid", username="sync@acme.example",
                                jwt_public_key=public)
    users = [{"Id": f"005{n:015d}", "Name": f"Rep {n}", "IsActive": True,
              "SystemModstamp": "2025-12-01T00:00:00.000+0000"} for n in range(3)]
    with Emulator(OrgData({"User": users}), credentials=creds, page_size=2) as emu:
        # No SF_CA_BUNDLE: requests' own REQUESTS_CA_BUNDLE must be honoured.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emu.ca_path))
        env = {"SF_LOGIN_URL": emu.url, "SF_CLIENT_ID": "cid",
               "SF_USERNAME": "sync@acme.example", "SF_PRIVATE_KEY": KEY_PEM}
        auth = authenticator_from_env(env)
        client = SalesforceClient.connect(auth, retry=no_sleep_policy())
        pages = client.query_pages("SELECT Id FROM User ORDER BY Id", include_deleted=False)
        first = next(pages)
        requests.post(f"{emu.url}/__emulator/expire-sessions", timeout=10,
                      headers={"Authorization": f"Bearer {auth.credentials().access_token}"})
        rest = list(pages)
    ids = [r["Id"] for p in (first, *rest) for r in p.records]
    assert (ids, client.reauthentications) == ([u["Id"] for u in users], 1)


# -- secrets stay secret -----------------------------------------------------------------------

def _fails_refused_token(env):
    responses.post(TOKEN_URL, json={"error": "invalid_grant",
                                    "error_description": "authentication failure"}, status=400)


def _fails_server_down(env):
    responses.post(TOKEN_URL, body="<html>down</html>", status=503, content_type="text/html")


def _fails_rejected_twice(env):
    token_ok(ISSUED[0])
    token_ok(ISSUED[1])
    expired()


def _fails_renewal_refused(env):
    token_ok(ISSUED[0])
    responses.post(TOKEN_URL, json={"error": "invalid_client_id",
                                    "error_description": "client identifier invalid"},
                   status=400)
    expired()


def _fails_echoing_server(env):
    def echo(request):  # a server quoting back every value it was sent
        sent = " ".join(v for values in parse_qs(request.body).values() for v in values)
        return 400, {}, json.dumps({"error": "invalid_grant", "error_description": sent})

    responses.add_callback(responses.POST, TOKEN_URL, callback=echo)


SCENARIOS = {
    "refused-token": _fails_refused_token, "server-down": _fails_server_down,
    "rejected-twice": _fails_rejected_twice, "renewal-refused": _fails_renewal_refused,
    "server-echoes-secrets": _fails_echoing_server,
}
FLOW_ENVS = {"access-token": ACCESS_ENV, "jwt": JWT_ENV, "client-credentials": CLIENT_ENV,
             "password": {**PASSWORD_ENV, "SF_LOGIN_URL": LOGIN, "SF_AUTH_FLOW": "password"}}
BROKEN_ENVS = {
    "incomplete": {"SF_PASSWORD": PASSWORD, "SF_CLIENT_SECRET": CLIENT_SECRET},
    "bad-key": {**JWT_ENV, "SF_PRIVATE_KEY": f"-----BEGIN PRIVATE KEY-----\n{PASSWORD}\n"},
    "bad-login-url": {**CLIENT_ENV, "SF_LOGIN_URL": f"http://{CLIENT_SECRET}@example.com"},
}


def assert_no_secret(*texts: str) -> None:
    leaked = [(s, t) for t in texts for s in SECRETS if s in t]
    assert leaked == []


def everything_shown(exc: BaseException, objects: list, caplog) -> list[str]:
    """What a failing sync can show: the one-line error, the --debug traceback, the log at
    DEBUG, and the repr of every object involved."""
    return [str(exc), repr(exc), "".join(traceback.format_exception(exc)), caplog.text,
            *(repr(o) for o in objects)]


@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=list(SCENARIOS))
@pytest.mark.parametrize("flow", list(FLOW_ENVS), ids=list(FLOW_ENVS))
@responses.activate
def test_no_secret_in_anything_a_failure_shows(flow, scenario, caplog):
    caplog.set_level(logging.DEBUG)
    env = FLOW_ENVS[flow]
    SCENARIOS[scenario](env)
    if flow == "access-token":
        expired()
    objects: list = []
    with pytest.raises((AuthenticationError, TransientSalesforceError)) as info:
        auth = authenticator(env)
        objects += [auth, auth.flow]
        client = SalesforceClient.connect(auth, retry=no_sleep_policy())
        objects += [client, auth.credentials()]
        list(client.query_pages(SOQL))
    assert_no_secret(*everything_shown(info.value, objects, caplog))


@pytest.mark.parametrize("name", list(BROKEN_ENVS), ids=list(BROKEN_ENVS))
def test_no_secret_in_configuration_errors(name, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError) as info:
        flow_from_env(BROKEN_ENVS[name])
    assert_no_secret(*everything_shown(info.value, [], caplog))


SYNC_CONFIG = Config(
    path=Path("kpis.yaml"), org=Org(name="Acme", timezone="UTC"), teams=(),
    kpis=(Kpi(id="calls", name="Calls", tier="activities", type="leading", unit="count",
              measure=Measure(kind="count"), source="Task",
              filters=(Filter("TaskSubtype", "eq", "Call"),), date_field="ActivityDate",
              credit_field="OwnerId"),),
    required_fields={"Task": ("OwnerId", "TaskSubtype", "ActivityDate")})


@pytest.mark.parametrize("flow", ["jwt", "client-credentials", "password"])
@responses.activate
def test_failing_sync_writes_no_secret(flow, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    secrets_dir, out = tmp_path / "secrets", tmp_path / "out"
    secrets_dir.mkdir()
    env_file = secrets_dir / "salesforce.env"
    env_file.write_text("".join(f"{k}='{v}'\n" for k, v in FLOW_ENVS[flow].items()
                                if k != "SF_PRIVATE_KEY")
                        + ("SF_PRIVATE_KEY=" + KEY_PEM.strip().replace("\n", "\\n") + "\n"
                           if flow == "jwt" else ""), encoding="utf-8")
    token_ok(ISSUED[0])
    token_ok(ISSUED[1])
    responses.get(re.compile(f"{re.escape(INSTANCE)}/.*"),
                  json=sample("error_invalid_session.json"), status=401)
    with pytest.raises(AuthenticationError) as info:
        sync_from_env(SYNC_CONFIG, out / "store.duckdb", env_file=env_file, env={})
    assert str(info.value).startswith("Salesforce rejected the session again")
    written = [p.read_bytes().decode("latin-1") for p in out.rglob("*") if p.is_file()]
    assert written  # the store was created before the failure: there is something to search
    assert_no_secret(*written, *everything_shown(info.value, [], caplog))


@responses.activate
def test_debug_output_of_a_failing_cli_sync_shows_no_secret(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from kpisync.cli import main

    for var in [*ALL_ENV, "SF_AUTH_FLOW", "SF_CA_BUNDLE", "SF_PRIVATE_KEY_FILE"]:
        monkeypatch.delenv(var, raising=False)
    env_file = tmp_path / "salesforce.env"
    env_file.write_text("".join(f"{k}='{v}'\n" for k, v in FLOW_ENVS["password"].items()),
                        encoding="utf-8")
    token_ok(ISSUED[0])
    responses.post(TOKEN_URL, json=sample("oauth_token_error.json"), status=400)
    responses.get(re.compile(f"{re.escape(INSTANCE)}/.*"),
                  json=sample("error_invalid_session.json"), status=401)
    root = Path(__file__).resolve().parent.parent
    result = CliRunner().invoke(main, ["--debug", "sync", "-c", str(root / "kpis.yaml"),
                                       "--store", str(tmp_path / "out" / "store.duckdb"),
                                       "--env-file", str(env_file)])
    assert (result.exit_code, result.output.splitlines()[-1]) == (
        1, "Error: Salesforce refused the username-password login at "
           "https://acme.my.salesforce.com (invalid_grant: authentication failure, HTTP 400); "
           "check SF_USERNAME and SF_PASSWORD, and SF_SECURITY_TOKEN (sent appended to the "
           "password; reset it from the user's settings if unsure); the user may also be "
           "locked out or logging in from outside the profile's login IP ranges")
    assert "Traceback" in result.output
    assert_no_secret(result.output)
