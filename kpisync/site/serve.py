"""Serve a built site on 127.0.0.1 with the standard library (`kpisync serve`, `demo --serve`).

The site is plain files, so any static host serves it; this exists so that a sales leader can
look at the demo without installing a web server. It binds to loopback only: the scorecard
holds commercial figures and is not meant to be exposed from a laptop.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kpisync.errors import SiteError


class _QuietHandler(SimpleHTTPRequestHandler):
    """The standard handler without its per-request stderr lines: library code never prints."""

    def log_message(self, format: str, *args) -> None:
        pass


def make_server(directory: Path, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server bound to ``host:port`` (port 0: a free one) serving ``directory``, not started."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SiteError(f"{directory} is not a directory: nothing to serve")
    handler = functools.partial(_QuietHandler, directory=str(directory))
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise SiteError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from exc
    server.daemon_threads = True
    return server


def serve(directory: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``directory`` until interrupted (KeyboardInterrupt propagates to the caller)."""
    server = make_server(directory, host, port)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def start_server(directory: Path, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Serve ``directory`` on 127.0.0.1 from a background thread; returns the server and its
    base URL ("http://127.0.0.1:PORT/"). Stop it with ``server.shutdown(); server.server_close()``.
    """
    server = make_server(directory, "127.0.0.1", port)
    thread = threading.Thread(target=server.serve_forever, name="kpisync-serve", daemon=True)
    thread.start()
    host, bound_port = server.server_address[:2]
    return server, f"http://{host}:{bound_port}/"
