"""HTTP plumbing: one keep-alive ThreadingHTTPServer per datacentre, delivering Replies.

The handler only parses, logs and writes; what to answer is decided by the Emulator.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .oauth import logged_grant_type
from .reply import Reply, errors
from .routes import auth_state

if TYPE_CHECKING:
    from .emulator import Emulator

IDLE_TIMEOUT = 120.0  # drop silent keep-alive connections eventually so threads do not pile up


class DatacentreServer(ThreadingHTTPServer):
    """One datacentre: an ephemeral loopback port that remembers its open connections."""

    daemon_threads = True
    request_queue_size = 256  # benchmarks open ~50 connections at once
    allow_reuse_address = True

    def __init__(self, emulator: Emulator, datacentre: str) -> None:
        """Bind 127.0.0.1 on a free port; serve TLS if the emulator has an `ssl_context` set."""
        super().__init__(("127.0.0.1", 0), Handler)
        # TLS (networking tests): set `emu.ssl_context = ctx` before start(); handshakes run in
        # accept(), and a client that refuses the certificate is just dropped.
        self.ssl_context: ssl.SSLContext | None = getattr(emulator, "ssl_context", None)
        if self.ssl_context is not None:
            self.socket = self.ssl_context.wrap_socket(self.socket, server_side=True)
        self.emulator = emulator
        self.datacentre = datacentre
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up before its answer (a killed or stopped tap) is not the emulator's error."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        """Return the URL clients should use."""
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.server_address[1]}"

    def start(self) -> None:
        """Serve in a daemon thread; a short poll keeps stop() quick."""
        self.thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"emulator-{self.datacentre}",
            daemon=True,
        )
        self.thread.start()

    def stop(self) -> None:
        """Stop accepting, then cut live keep-alive connections so clients see the outage."""
        self.shutdown()
        self.server_close()
        with self.connections_lock:
            live = list(self.connections)
        for conn in live:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    """Parse one request, ask the Emulator for a Reply, and deliver it (or misdeliver it)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # header and body are separate writes: avoid 40 ms stalls
    timeout = IDLE_TIMEOUT
    server: DatacentreServer

    def setup(self) -> None:
        """Register the connection so stop() can close it."""
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        """Unregister the connection."""
        try:
            with contextlib.suppress(OSError, ValueError):
                super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: per-request stderr lines drown test output."""

    def _serve(self) -> None:
        arrival = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        emu = self.server.emulator
        dc = self.server.datacentre
        headers = {k.lower(): v for k, v in self.headers.items()}
        auth = auth_state(emu, headers, self.path)
        # A token request's form holds secrets: only its grant_type is logged.
        grant = logged_grant_type(self.path, body)
        entry = emu.record(self.command, self.path, dc, auth, headers, arrival, grant_type=grant)
        try:
            reply = emu.answer(dc, self.command, self.path, auth, headers, body)
        except Exception as exc:  # an emulator bug must show up as a 500, not a hang
            reply = Reply(500, errors("CMNC-500", f"emulator error: {exc!r}"))
        entry.status = reply.status  # set before writing so the log is complete on receipt
        if reply.mode == "reset":
            self._reset()
        else:
            self._write(reply)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

    def _reset(self) -> None:
        """Abort the TCP connection: SO_LINGER 0 makes close() send RST instead of FIN."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def _write(self, reply: Reply) -> None:
        body = reply.body
        self.send_response(reply.status)
        merged = {
            "Content-Type": reply.content_type,
            "Content-Length": str(len(body)),
            "Ruid": uuid.uuid4().hex,
            **reply.headers,
        }
        for name, value in merged.items():
            self.send_header(name, value)
        self.end_headers()
        if reply.mode == "truncated":
            # Full Content-Length announced, half delivered, then the connection ends.
            self.close_connection = True
            body = body[: len(body) // 2]
        with contextlib.suppress(OSError):
            self.wfile.write(body)
