"""A tiny real HTTP proxy for tests: CONNECT tunnels for https://, forwarding for http://.

Stdlib only. It records every request line it handles (`seen`) so a test can prove that
the tap's traffic went through it. Loopback targets only: it is a test fixture, not a proxy.
"""

from __future__ import annotations

import contextlib
import select
import socket
import socketserver
import threading
from types import TracebackType
from urllib.parse import urlsplit

_IDLE_SECONDS = 30.0
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class _Handler(socketserver.StreamRequestHandler):
    server: _ProxyServer

    def handle(self) -> None:
        line = self.rfile.readline(65536).decode("latin-1").strip()
        if not line:
            return
        headers = self._read_headers()
        method, target, _ = [*line.split(" ", 2), "", ""][:3]
        self.server.record(method, target)
        if method == "CONNECT":
            self._tunnel(target)
        else:
            self._forward(method, target, headers)

    def _read_headers(self) -> list[tuple[str, str]]:
        headers = []
        while True:
            raw = self.rfile.readline(65536).decode("latin-1")
            if raw in ("\r\n", "\n", ""):
                return headers
            name, _, value = raw.partition(":")
            headers.append((name.strip(), value.strip()))

    def _open(self, host: str, port: int) -> socket.socket | None:
        if host.strip("[]") not in _LOOPBACK:
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return None
        try:
            return socket.create_connection((host.strip("[]"), port), timeout=10)
        except OSError:
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return None

    def _tunnel(self, target: str) -> None:
        host, _, port = target.rpartition(":")
        upstream = self._open(host, int(port or 443))
        if upstream is None:
            return
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        client = self.connection
        with upstream:  # the client sends nothing more until it has read the 200, so rfile is empty
            while True:
                ready, _, _ = select.select([client, upstream], [], [], _IDLE_SECONDS)
                if not ready:
                    return
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is client else client).sendall(data)

    def _forward(self, method: str, target: str, headers: list[tuple[str, str]]) -> None:
        url = urlsplit(target)
        upstream = self._open(url.hostname or "", url.port or 80)
        if upstream is None:
            return
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        kept = [(k, v) for k, v in headers if k.lower() not in ("proxy-connection", "connection", "keep-alive")]
        length = int(next((v for k, v in headers if k.lower() == "content-length"), "0") or 0)
        body = self.rfile.read(length) if length else b""
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in kept)
        with upstream:
            upstream.sendall((head + "Connection: close\r\n\r\n").encode("latin-1") + body)
            reader = upstream.makefile("rb")
            status = reader.readline(65536)
            reply_headers = []
            while True:
                raw = reader.readline(65536)
                if raw in (b"\r\n", b"\n", b""):
                    break
                if not raw.lower().startswith(b"connection:"):
                    reply_headers.append(raw)
            rest = reader.read()  # upstream closes after one response
        self.wfile.write(status + b"".join(reply_headers) + b"Connection: close\r\n\r\n" + rest)


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def record(self, method: str, target: str) -> None:
        with self._lock:
            self.seen.append((method, target))


class Proxy:
    """`with Proxy() as proxy:` -> proxy.url to configure, proxy.seen to assert on."""

    def __init__(self) -> None:
        """Bind a free loopback port; nothing is served until start()."""
        self._server = _ProxyServer()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The proxy URL to put in https_proxy."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def seen(self) -> list[tuple[str, str]]:
        """(method, target) of every request the proxy handled, in arrival order."""
        with self._server._lock:
            return list(self._server.seen)

    def start(self) -> Proxy:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="test-proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        with contextlib.suppress(OSError):
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> Proxy:
        """Start on entering a with-block."""
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop on leaving a with-block."""
        self.stop()
