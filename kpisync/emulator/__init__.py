"""The bundled HTTPS Salesforce API emulator: ``kpisync demo`` and the end-to-end tests run the
real sync code (simple-salesforce over requests) against it exactly as against Salesforce.

    with Emulator(org) as emu:            # org: an OrgData
        emu.url, emu.ca_path, emu.access_token
        emu.faults.inject("http_503_html", on_call=3)

See docs/emulator.md for what it serves, the fault kinds and how it differs from Salesforce.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from kpisync.emulator.api import ApiState
from kpisync.emulator.faults import KINDS, Faults
from kpisync.emulator.oauth import EmulatorCredentials
from kpisync.emulator.orgdata import OrgData
from kpisync.emulator.server import ApiServer
from kpisync.emulator.tls import make_server_tls

__all__ = ["KINDS", "Emulator", "EmulatorCredentials", "Faults", "OrgData", "serve_forever"]


class Emulator:
    """One emulator: an HTTPS server on ``host:port`` serving ``org``, in a daemon thread.

    ``port=0`` picks a free port. A new throwaway CA is made on every start; its PEM goes to
    ``state_dir`` (kept) or to a temporary directory (removed on stop). The ``bulk_*`` and
    ``daily_bulk_query_jobs`` options shape Bulk API 2.0 query jobs (see docs/emulator.md);
    ``query_timeout_rows`` makes any query matching more rows than that answer QUERY_TIMEOUT.
    """

    def __init__(
        self,
        org: OrgData,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_version: str = "60.0",
        daily_api_limit: int = 100_000,
        page_size: int = 2000,
        bulk_polls_to_complete: int = 2,
        bulk_page_size: int = 50_000,
        daily_bulk_query_jobs: int = 10_000,
        query_timeout_rows: int | None = None,
        credentials: EmulatorCredentials | None = None,
        state_dir: Path | None = None,
    ):
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        if bulk_page_size < 1:
            raise ValueError(f"bulk_page_size must be at least 1, got {bulk_page_size}")
        if bulk_polls_to_complete < 0:
            raise ValueError(
                f"bulk_polls_to_complete must be at least 0, got {bulk_polls_to_complete}")
        self.org = org
        self.host = host
        self.port = port
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self._state = ApiState(org=org, api_version=api_version,
                               daily_api_limit=daily_api_limit, page_size=page_size,
                               bulk_polls_to_complete=bulk_polls_to_complete,
                               bulk_page_size=bulk_page_size,
                               daily_bulk_query_jobs=daily_bulk_query_jobs,
                               query_timeout_rows=query_timeout_rows,
                               credentials=credentials or EmulatorCredentials())
        self._server: ApiServer | None = None
        self._thread: threading.Thread | None = None
        self._temp_dir: Path | None = None
        self._ca_path: Path | None = None
        self._access_token = ""
        self._stopped = threading.Event()

    # --------------------------------------------------------------------------- lifecycle

    def start(self) -> Emulator:
        """Bind, write the CA file and start serving; returns self."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        if self.state_dir is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="kpisync-emulator-"))
        tls = make_server_tls(self.state_dir or self._temp_dir)
        try:
            server = ApiServer((self.host, self.port), self._state, tls.context)
        except OSError:
            self._remove_temp_dir()
            raise
        self._server, self._ca_path = server, tls.ca_path
        self._state.url = f"https://{self.host}:{server.server_address[1]}"
        self._access_token = self._state.sessions.issue()
        self._stopped.clear()
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"kpisync-emulator-{self.url}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the listening socket and open connections; idempotent."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=10)
        self._remove_temp_dir()
        self._stopped.set()

    def wait(self) -> None:
        """Block until ``stop`` is called (from another thread) or Ctrl+C."""
        while not self._stopped.wait(0.5):
            pass

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _remove_temp_dir(self) -> None:
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    # ------------------------------------------------------------------------- what it is

    @property
    def url(self) -> str:
        """``https://127.0.0.1:PORT``: the instance URL (and login URL) to give clients."""
        return self._running(self._state.url)

    @property
    def ca_path(self) -> Path:
        """PEM of the CA that signed the server certificate: what clients must trust."""
        return self._running(self._ca_path)

    @property
    def access_token(self) -> str:
        """A session id valid for the direct SF_INSTANCE_URL + SF_ACCESS_TOKEN path."""
        return self._running(self._access_token)

    @property
    def credentials(self) -> EmulatorCredentials:
        """What the token endpoint (/services/oauth2/token) accepts."""
        return self._state.credentials

    @property
    def faults(self) -> Faults:
        return self._state.faults

    @property
    def api_calls(self) -> int:
        """Counted calls so far: everything but the versions list, the token endpoint and the
        /__emulator/ admin API."""
        with self._state.lock:
            return self._state.api_calls

    @property
    def requests(self) -> list[str]:
        """The most recent requests, as ``"METHOD /path?query"``, oldest first."""
        with self._state.lock:
            return list(self._state.recent)

    def expire_sessions(self) -> None:
        """Every token issued so far becomes invalid (401 INVALID_SESSION_ID)."""
        self._state.sessions.expire_all()

    def issue_token(self) -> str:
        """A new valid session id, as a fresh login would give."""
        return self._state.sessions.issue()

    def _running(self, value):
        if self._server is None or not value:
            raise RuntimeError("the emulator is not running: call start() or use `with`")
        return value


def serve_forever(
    org: OrgData,
    port: int = 0,
    *,
    on_ready: Callable[[Emulator], None] | None = None,
    **options,
) -> None:
    """Serve ``org`` until interrupted (KeyboardInterrupt propagates after a clean stop).

    ``on_ready(emulator)`` runs once the server listens: the place to print the URL, CA path
    and token. ``options`` are Emulator's keyword arguments.
    """
    with Emulator(org, port=port, **options) as emulator:
        if on_ready is not None:
            on_ready(emulator)
        emulator.wait()
