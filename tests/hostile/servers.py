"""Real loopback HTTP servers that answer the way a hostile or broken Brightpearl could.

`HostileServer` logs every raw request line and headers and lets a test decide each answer,
including answers no well-behaved server gives: a body dripped one byte a second, a body
that never ends, a gzip bomb, headers and then silence, no answer at all. `FakeBrightpearl`
adds just enough of the real API (installed-accounts, account-location, account-timezone,
account data) that a tap run gets far enough to meet the hostile part.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote

Write = Callable[[bytes], None]


@dataclass
class Seen:
    """One request as it arrived: the raw request-target, never normalised."""

    method: str
    target: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    @property
    def segments(self) -> list[str]:
        """Raw path segments (still percent-encoded), empty ones kept."""
        return self.path.split("/")[1:]


@dataclass
class Answer:
    """What to send. `stream(write, stop)` writes the body itself, as slowly or as long as it likes."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    stream: Callable[[Write, threading.Event], None] | None = None
    silent: bool = False  # send nothing at all, hold the connection until the server stops


def json_answer(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, json.dumps(obj).encode(), {"Content-Type": "application/json", **(headers or {})})


def errors_answer(code: str, message: str, status: int = 500) -> Answer:
    return json_answer({"errors": [{"code": code, "message": message}]}, status)


def never_answer() -> Answer:
    """Read the request, then say nothing, ever."""
    return Answer(silent=True)


def stall_after_headers(length: int = 100) -> Answer:
    """Announce a body, send none of it."""
    return Answer(headers={"Content-Length": str(length)}, stream=lambda write, stop: stop.wait())


def drip(length: int = 1500, every: float = 1.0) -> Answer:
    """A valid JSON body (padded) sent one byte every `every` seconds: 25 minutes at the defaults."""
    body = b'{"response":[]}'.ljust(length)

    def stream(write: Write, stop: threading.Event) -> None:
        for i in range(len(body)):
            write(body[i : i + 1])
            if stop.wait(every):
                return

    return Answer(headers={"Content-Length": str(length), "Content-Type": "application/json"}, stream=stream)


def endless_chunked(chunk: int = 1 << 20, pause: float = 0.01) -> Answer:
    """Transfer-Encoding: chunked, and the chunks never stop (about 100 MB/s at the defaults)."""
    piece = b"%x\r\n" % chunk + b" " * chunk + b"\r\n"

    def stream(write: Write, stop: threading.Event) -> None:
        write(b'%x\r\n{"response":[\r\n' % len(b'{"response":['))
        while not stop.wait(pause):
            write(piece)

    return Answer(headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"}, stream=stream)


def gzip_member(inflated_mib: int = 64) -> bytes:
    """One gzip member of zeros, compressed a MiB at a time (about 1 KB per inflated MiB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    parts = [packer.compress(zeros) for _ in range(inflated_mib)]
    return b"".join([*parts, packer.flush()])


def gzip_bomb(member: bytes, repeats: int) -> Answer:
    """`repeats` gzip members back to back: a few MB on the wire, gigabytes inflated."""

    def stream(write: Write, stop: threading.Event) -> None:
        for _ in range(repeats):
            if stop.is_set():
                return
            write(member)

    headers = {
        "Content-Encoding": "gzip",
        "Content-Type": "application/json",
        "Content-Length": str(len(member) * repeats),
    }
    return Answer(headers=headers, stream=stream)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HostileServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().finish()
        with self.server.lock:
            self.server.connections.discard(self.connection)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        with self.server.lock:
            self.server.seen.append(seen)
        try:
            answer = self.server.answer(seen)
        except Exception as exc:  # a bug in a test's answer must show, not hang the tap
            answer = errors_answer("TEST-500", f"test server error: {exc!r}")
        try:
            self._write(answer)
        except OSError:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = _serve

    def _write(self, answer: Answer) -> None:
        stop = self.server.stopping
        if answer.silent:
            stop.wait()
            self.close_connection = True
            return
        self.send_response(answer.status)
        headers = {"Ruid": "ruid-hostile-1", **answer.headers}
        if answer.stream is None:
            headers.setdefault("Content-Length", str(len(answer.body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if answer.stream is None:
            self.wfile.write(answer.body)
            return
        self.close_connection = True

        def write(data: bytes) -> None:
            self.wfile.write(data)
            self.wfile.flush()

        answer.stream(write, stop)


class HostileServer(ThreadingHTTPServer):
    """A loopback server whose every answer comes from `respond` (or a subclass's `answer`)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, respond: Callable[[Seen], Answer] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.respond = respond
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.connections: set[socket.socket] = set()
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: object, client_address: object) -> None:
        """A client hanging up mid-request is expected here (the tap gives up on hostile answers)."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def requests(self) -> list[Seen]:
        with self.lock:
            return list(self.seen)

    def answer(self, seen: Seen) -> Answer:
        if self.respond is None:
            return errors_answer("CMNC-404", "Resource not found", 404)
        return self.respond(seen)

    def start(self) -> HostileServer:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake every slow writer, stop accepting, and cut the connections still open."""
        self.stopping.set()
        self.shutdown()
        self.server_close()
        with self.lock:
            live = list(self.connections)
        for conn in live:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# The id and the two date columns the tap filters on (doc: both are columns of every one of these searches)
ORDER_COLUMNS = [{"name": "orderId"}, {"name": "updatedOn"}, {"name": "createdOn"}]
SEARCH_COLUMNS = {
    "order-search": ORDER_COLUMNS,
    "product-search": [{"name": "productId"}, {"name": "updatedOn"}, {"name": "createdOn"}],
    "contact-search": [{"name": "contactId"}, {"name": "updatedOn"}, {"name": "createdOn"}],
}


def search_page(rows: list[list[Any]], columns: list[dict[str, str]], **meta: Any) -> Answer:
    """One *-search answer: positional rows and their metaData."""
    first = meta.pop("firstResult", 1)
    body = {
        "results": rows,
        "metaData": {
            "resultsAvailable": len(rows),
            "resultsReturned": len(rows),
            "morePagesAvailable": False,
            "firstResult": first,
            "lastResult": first + len(rows) - 1,
            "columns": columns,
            **meta,
        },
    }
    return json_answer({"response": body, "reference": {}})


def id_set(text: str) -> set[int]:
    """Brightpearl's ID set ("1-3,7") as ids."""
    ids: set[int] = set()
    for item in unquote(text).split(","):
        low, _, high = item.partition("-")
        if low.isdigit():
            ids.update(range(int(low), int(high or low) + 1))
    return ids


class FakeBrightpearl(HostileServer):
    """Enough of Brightpearl for a run, with hooks that replace any route by a hostile answer.

    `installs` are raw installed-accounts entries; `orders` maps an account code to order
    bodies (served by order-search and order GETs); `hooks` are (fragment, respond) pairs,
    the first whose fragment is in the raw request-target answering instead.
    """

    def __init__(self, installs: list[Any] | None = None, *, developer_reference: str = "devref") -> None:
        super().__init__()
        self.installs: list[Any] = list(installs or [])
        self.orders: dict[str, list[dict[str, Any]]] = {}
        self.hooks: list[tuple[str, Callable[[Seen], Answer]]] = []
        self.developer_reference = developer_reference

    def on(self, fragment: str, respond: Callable[[Seen], Answer]) -> None:
        self.hooks.append((fragment, respond))

    def answer(self, seen: Seen) -> Answer:
        for fragment, respond in self.hooks:
            if fragment in seen.target:
                return respond(seen)
        parts = seen.segments
        if len(parts) == 4 and parts[0] == "developer-tools":
            return self._developer_tools(parts[2], unquote(parts[3]))
        if len(parts) >= 4 and parts[0] == "public-api":
            return self._account(unquote(parts[1]), parts[2:], seen)
        return errors_answer("CMNC-404", "Resource not found", 404)

    def _developer_tools(self, action: str, arg: str) -> Answer:
        if action == "installed-accounts":
            return json_answer({"response": self.installs})
        if action == "account-location":
            return json_answer({"response": {"datacentreCode": "euw1", "apiDomain": self.netloc}})
        if action == "account-timezone":
            return json_answer({"response": {"canonicalId": "Europe/London", "currentUtcOffset": "+00:00"}})
        return errors_answer("CMNC-404", "Resource not found", 404)

    def _account(self, code: str, rest: list[str], seen: Seen) -> Answer:
        if rest == ["integration-service", "account-configuration"]:
            settings = {"accountName": "Hostile Ltd", "baseCurrencyCode": "GBP"}  # nested, as documented
            return json_answer({"response": {"configuration": settings}})
        if rest == ["warehouse-service", "warehouse"]:
            return json_answer({"response": [{"id": 1, "name": "Main"}]})
        orders = self.orders.get(code, [])
        if len(rest) == 2 and rest[1] in SEARCH_COLUMNS:
            rows = (
                [[o["id"], o.get("updatedOn"), o.get("createdOn")] for o in orders] if rest[1] == "order-search" else []
            )
            return search_page(rows, SEARCH_COLUMNS[rest[1]])
        if rest[:2] == ["order-service", "order"] and len(rest) == 3:
            wanted = id_set(rest[2])
            found = [o for o in orders if o["id"] in wanted]
            if found:
                return json_answer({"response": found})
        return errors_answer("CMNC-404", "Resource not found", 404)
