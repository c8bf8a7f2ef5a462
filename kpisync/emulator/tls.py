"""A throwaway certificate authority for the emulator's HTTPS, fresh on every start.

The sync code verifies TLS exactly as it does against Salesforce; only the trusted CA differs,
so tests and the demo exercise the real certificate path instead of ``verify=False``.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

#: the names the server certificate is valid for
SERVER_NAMES = ("127.0.0.1", "localhost")
CA_FILE_NAME = "emulator-ca.pem"


@dataclass(frozen=True)
class ServerTLS:
    """The server side of the emulator's TLS: a context to wrap the socket, and the CA file
    clients must trust."""

    context: ssl.SSLContext
    ca_path: Path


def make_server_tls(directory: Path) -> ServerTLS:
    """A new CA, a server certificate for 127.0.0.1 and localhost signed by it, and the CA's
    PEM written to ``directory/emulator-ca.pem`` (the directory is created if needed)."""
    ca = trustme.CA(organization_name="kpisync emulator")
    server_cert = ca.issue_cert(*SERVER_NAMES)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    server_cert.configure_cert(context)
    directory.mkdir(parents=True, exist_ok=True)
    ca_path = directory / CA_FILE_NAME
    ca.cert_pem.write_to_path(str(ca_path))
    return ServerTLS(context=context, ca_path=ca_path)
