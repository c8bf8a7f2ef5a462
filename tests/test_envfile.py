from __future__ import annotations

import pytest

from kpisync.errors import AuthenticationError
from kpisync.sync.envfile import read_env_file


def test_reads_keys_quotes_comments_and_export(tmp_path):
    path = tmp_path / ".env"
    path.write_text(
        "# Salesforce\n"
        "export SF_INSTANCE_URL=https://acme.my.salesforce.com\n"
        "SF_ACCESS_TOKEN='00D!abc#def'\n"
        'SF_USERNAME = "ops@acme.example"\n'
        "SF_LOGIN_URL=https://login.salesforce.com  # production\n"
        "\n"
    )
    assert read_env_file(path) == {
        "SF_INSTANCE_URL": "https://acme.my.salesforce.com",
        "SF_ACCESS_TOKEN": "00D!abc#def",
        "SF_USERNAME": "ops@acme.example",
        "SF_LOGIN_URL": "https://login.salesforce.com",
    }


def test_bad_line_is_located_without_echoing_it(tmp_path):
    path = tmp_path / ".env"
    path.write_text("SF_ACCESS_TOKEN=ok\nsupersecret-token-on-its-own\n")
    with pytest.raises(AuthenticationError) as info:
        read_env_file(path)
    assert str(info.value) == (
        f"{path}:2: expected KEY=value (an optional 'export ' prefix is allowed)"
    )
    assert "supersecret" not in str(info.value)
