"""The emulator's HTTPS plumbing: a threading HTTP server behind TLS, and the request handler
that authenticates, counts, limits and injects faults before ``api.handle`` answers.

Order per request under /services/data/vXX.X/ (as Salesforce appears to a client): no valid
Bearer token -> 401 (not counted); count the call; over the daily limit -> 403
REQUEST_LIMIT_EXCEEDED; an armed fault -> its answer; else the resource. Every counted answer
from "Salesforce" carries ``Sforce-Limit-Info: api-usage=N/LIMIT``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import socketserver
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from kpisync.emulator import api, bulk, oauth
from kpisync.emulator.faults import JSON, FaultResponse

log = logging.getLogger("kpisync.emulator")

_API_PATH = re.compile(r"^/services/data/v(\d+\.\d)(/.*)?$")
_INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
_LIMIT_EXCEEDED = api.ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")


class ApiServer(ThreadingHTTPServer):
    """ThreadingHTTPServer speaking TLS; open connections are closed on ``server_close``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: api.ApiState,
                 context: ssl.SSLContext):
        self.state = state
        self._context = context
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would resolve the host's FQDN, a DNS lookup we do not need.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def get_request(self):
        sock, address = self.socket.accept()
        # The handshake runs in the request's own thread (first read), so a slow or broken
        # client never blocks the accept loop.
        wrapped = self._context.wrap_socket(sock, server_side=True,
                                            do_handshake_on_connect=False)
        with self._connections_lock:
            self._connections.add(wrapped)
        return wrapped, address

    def shutdown_request(self, request) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:  # idle keep-alive connections: wake their threads with EOF
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request, client_address) -> None:
        # TLS failures and clients hanging up are routine here; keep stderr clean.
        log.debug("error while serving %s", client_address, exc_info=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Salesforce: sessions reuse connections
    server_version = "SFDC"
    timeout = 60
    server: ApiServer

    def setup(self) -> None:
        super().setup()
        self.connection.do_handshake()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    # ------------------------------------------------------------------------- dispatch

    def _dispatch(self) -> None:
        state = self.server.state
        target = urlsplit(self.path)
        path = target.path
        body = self._read_body()
        if path != "/__emulator/stats":
            state.note_request(self.command, self.path)
        if path == "/services/oauth2/token":
            return self._token(body)
        if path in ("/services/data", "/services/data/"):  # not counted, no auth: as documented
            return self._json(200, api.versions(state.api_version))
        if path.startswith("/__emulator/"):
            if not self._authorized():
                return self._unauthorized()
            return self._admin(path, body)
        match = _API_PATH.match(path)
        if match is None:
            return self._error(api.ApiError(404, *api.NOT_FOUND))
        if not self._authorized():
            return self._unauthorized()
        calls = state.count_call()
        usage = (("Sforce-Limit-Info", f"api-usage={calls}/{state.daily_api_limit}"),)
        if calls > state.daily_api_limit:
            return self._error(_LIMIT_EXCEEDED, usage)
        fault = state.faults.take(path)
        if fault is not None:
            return self._fault(fault, usage)
        params = {k: v[-1] for k, v in parse_qs(target.query, keep_blank_values=True).items()}
        try:
            if bulk.handles(match.group(2) or ""):  # Bulk API 2.0: CSV and 204 answers too
                answer = bulk.handle(state, self.command, match.group(1), match.group(2),
                                     params, body)
                return self._send(answer.status, answer.body, answer.content_type,
                                  answer.headers + usage)
            status, payload = api.handle(state, self.command, match.group(1),
                                         match.group(2) or "", params, self.headers)
        except api.ApiError as exc:
            return self._error(exc, usage)
        self._json(status, payload, usage)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() in ("bearer", "oauth") and \
            self.server.state.sessions.valid(token.strip())

    # ------------------------------------------------------------------------- answers

    def _send(self, status: int, body: bytes, content_type: str,
              headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.send_response(status)
        if status != 204:  # No Content: no body, so neither its type nor its length
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: object,
              headers: tuple[tuple[str, str], ...] = ()) -> None:
        self._send(status, json.dumps(payload).encode(), JSON, headers)

    def _error(self, exc: api.ApiError, headers: tuple[tuple[str, str], ...] = ()) -> None:
        self._json(exc.status, exc.body(), headers)

    def _unauthorized(self) -> None:
        self._json(401, _INVALID_SESSION, (("WWW-Authenticate", "Token"),))

    def _fault(self, fault: FaultResponse, usage: tuple[tuple[str, str], ...]) -> None:
        if fault.status is None:  # drop_connection: hang up without a byte of answer
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        headers = fault.headers + (usage if fault.from_salesforce else ())
        self._send(fault.status, fault.body, fault.content_type, headers)

    # ------------------------------------------------------------- token and admin endpoints

    def _token(self, body: bytes) -> None:
        if self.command != "POST":
            return self._json(400, {"error": "invalid_request",
                                    "error_description": "must use HTTP POST"})
        query = urlsplit(self.path).query
        form = {k: v[-1] for k, v in parse_qs(query).items()}
        form.update({k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()})
        state = self.server.state
        try:
            payload = oauth.grant_token(form, credentials=state.credentials,
                                        sessions=state.sessions, instance_url=state.url)
        except oauth.TokenError as exc:
            return self._json(400, exc.body(), (("Cache-Control", "no-cache,must-revalidate,"
                                                 "max-age=0,no-store,private"),))
        self._json(200, payload)

    def _admin(self, path: str, body: bytes) -> None:
        """Emulator-only endpoints, for a test driving an emulator in another process."""
        state = self.server.state
        route = (self.command, path.rstrip("/"))
        if route == ("GET", "/__emulator/stats"):
            with state.lock:
                stats = {"api_calls": state.api_calls, "requests": list(state.recent),
                         "faults_pending": state.faults.pending(),
                         "faults_fired": [list(f) for f in state.faults.fired]}
            return self._json(200, stats)
        if route == ("POST", "/__emulator/faults"):
            try:
                spec = json.loads(body or b"{}")
                if not isinstance(spec, dict):
                    raise ValueError("the body must be a JSON object")
                unknown = set(spec) - {"kind", "on_call", "times", "path_contains"}
                if unknown:
                    raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
                state.faults.inject(spec.get("kind", ""), on_call=spec.get("on_call"),
                                    times=spec.get("times", 1),
                                    path_contains=spec.get("path_contains"))
            except ValueError as exc:
                return self._error(api.ApiError(400, "INVALID_FAULT", str(exc)))
            return self._json(201, {"armed": spec, "pending": state.faults.pending()})
        if route == ("DELETE", "/__emulator/faults"):
            state.faults.clear()
            return self._json(200, {"pending": 0})
        if route == ("POST", "/__emulator/expire-sessions"):
            return self._json(200, {"expired": state.sessions.expire_all()})
        self._error(api.ApiError(404, *api.NOT_FOUND))
