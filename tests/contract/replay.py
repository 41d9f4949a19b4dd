"""A replay server: recorded Brightpearl answers served byte for byte over real HTTP.

Contract tests point the tap at it so that what the tap parses is exactly what Brightpearl
sent, not what a hand-written emulator believes Brightpearl sends. Routes map (method, path
regex, optional query predicate) to one recorded reply or a sequence of them (served in
turn, the last one repeating). Every request is logged; a request no route matches gets a
404 with a `REPLAY-404` error and is kept in `server.unmatched`, so a test can assert that
the tap asked for nothing the test did not foresee.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# Hop-by-hop and length headers are recomputed: the body we send is the recorded string,
# and its true length is what Content-Length must say (two recordings disagree with theirs).
_DROPPED_HEADERS = {"content-length", "transfer-encoding", "connection"}
JSON_TYPE = "application/json;charset=UTF-8"


@dataclass(frozen=True)
class Reply:
    """One HTTP answer: status, headers (in recorded order) and the exact body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The value of header `name` (case-insensitive), if present."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class Route:
    """Answers requests whose method and path (full match) and query predicate fit."""

    method: str
    path: str
    replies: list[Reply]
    query: Callable[[dict[str, str]], bool] | None = None
    served: int = 0

    def matches(self, method: str, path: str, query: dict[str, str]) -> bool:
        """Whether this route answers the request."""
        if method != self.method or not re.fullmatch(self.path, path):
            return False
        return self.query is None or self.query(query)

    def next_reply(self) -> Reply:
        """The replies in turn; the last one repeats."""
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


@dataclass(frozen=True)
class Logged:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str] = field(repr=False)  # names lower-cased


def route(method: str, path: str, *replies: Reply, query: Callable[[dict[str, str]], bool] | None = None) -> Route:
    """Build a route; `path` is a regex matched against the whole request path."""
    if not replies:
        raise ValueError("a route needs at least one reply")
    return Route(method.upper(), path, list(replies), query)


# --- building replies from the recordings ------------------------------------------------


def _load_vcr(root: Path, name: str) -> dict[str, Any]:
    return json.loads((root / name).read_text(encoding="utf-8"))


def recorded(root: Path, name: str, index: int = 0) -> Reply:
    """Interaction `index` of the VCR recording `name` (e.g. "vcr/order_get_one.json"), as recorded."""
    response = _load_vcr(root, name)["interactions"][index]["response"]
    headers = tuple((str(k), str(v)) for k, v in response["headers"].items() if str(k).lower() not in _DROPPED_HEADERS)
    return Reply(int(response["status"]), headers, response["body"].encode("utf-8"))


def body_file(root: Path, name: str, status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Reply:
    """A body-only recording (java/, legacy/, docs/): the file's bytes, a JSON content type and `headers`."""
    return Reply(status, (("Content-Type", JSON_TYPE), *headers), (root / name).read_bytes())


def with_body(reply: Reply, body: bytes) -> Reply:
    """The same status and headers around another body."""
    return Reply(reply.status, reply.headers, body)


def spliced_patch_order(root: Path) -> Reply:
    """vcr/order_patch.json's PATCH answer served as if it were the detail GET of order 329.

    The PATCH answered `{"response":{<order>}}` (one object, and no `updatedOn` member).
    A detail GET answers `{"response":[<order>, ...]}`, so the order's exact bytes are cut
    out of the PATCH body and spliced into `{"response":[` + bytes + `]}`; nothing inside
    the order changes. The headers are the PATCH's recorded ones.
    """
    reply = recorded(root, "vcr/order_patch.json", 1)
    prefix, suffix = b'{"response":', b"}"
    if not (reply.body.startswith(prefix + b"{") and reply.body.endswith(suffix)):
        raise ValueError("vcr/order_patch.json no longer has the shape this splice expects")
    order = reply.body[len(prefix) : -len(suffix)]
    return with_body(reply, b'{"response":[' + order + b"]}")


def insert_first_member(reply: Reply, member: bytes) -> Reply:
    """Insert `member` (e.g. b'"x":1,') right after the `{` opening the first object of a detail GET."""
    opening = b'{"response":[{'
    if not reply.body.startswith(opening):
        raise ValueError("not a detail GET body")
    return with_body(reply, opening + member + reply.body[len(opening) :])


def empty_search(like: Reply) -> Reply:  # synthetic
    """A search that found nothing, with the same column metaData (and headers) as the recorded search `like`.

    Synthetic: no recording shows an empty search. The paging members follow the recorded
    non-empty ones (resultsReturned 0, nothing more available).
    """
    recorded_payload = json.loads(like.body)
    meta = recorded_payload["response"]["metaData"]
    empty_meta = {
        "morePagesAvailable": False,
        "resultsAvailable": 0,
        "resultsReturned": 0,
        "firstResult": 1,
        "lastResult": 0,
        "columns": meta["columns"],
    }
    if "sorting" in meta:
        empty_meta["sorting"] = meta["sorting"]
    payload = {"response": {"results": [], "metaData": empty_meta}, "reference": {}}
    return with_body(like, json.dumps(payload, separators=(",", ":")).encode("utf-8"))


# --- the server ---------------------------------------------------------------------------


class ReplayServer:
    """A ThreadingHTTPServer on 127.0.0.1 (ephemeral port) answering from `routes`, first match wins."""

    def __init__(self, routes: Iterable[Route] = ()) -> None:
        """Hold the routes; `start()` (or `with`) opens the port."""
        self.routes: list[Route] = list(routes)
        self.requests: list[Logged] = []
        self.unmatched: list[Logged] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT (no trailing slash)."""
        if self._httpd is None:
            raise RuntimeError("the replay server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, *routes: Route) -> None:
        """Add routes that take priority over the existing ones."""
        with self._lock:
            self.routes[:0] = routes

    def requests_to(self, path_regex: str, method: str = "GET") -> list[Logged]:
        """Logged requests whose path fully matches `path_regex`."""
        with self._lock:
            return [r for r in self.requests if r.method == method and re.fullmatch(path_regex, r.path)]

    def answer(self, method: str, target: str, headers: dict[str, str]) -> Reply:
        """Log the request and pick its reply (a REPLAY-404 when no route matches)."""
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        logged = Logged(method, parts.path, query, headers)
        with self._lock:
            self.requests.append(logged)
            for candidate in self.routes:
                if candidate.matches(method, parts.path, query):
                    return candidate.next_reply()
            self.unmatched.append(logged)
        body = json.dumps({"errors": [{"code": "REPLAY-404", "message": f"no recording for {parts.path}"}]})
        return Reply(404, (("Content-Type", JSON_TYPE),), body.encode("utf-8"))

    def start(self) -> ReplayServer:
        """Listen on an ephemeral loopback port, serving from a daemon thread."""
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        httpd = self._httpd
        # A short poll interval: stop() returns within 50 ms instead of the default half second.
        self._thread = threading.Thread(
            target=lambda: httpd.serve_forever(poll_interval=0.05), name="replay-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the port and wait for the serving thread."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler_for(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Brightpearl; every reply has a Content-Length

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            reply = server.answer(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
            # send_response_only: no Server/Date of our own; the recorded Date (if any) is sent instead.
            self.send_response_only(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the request log is `server.requests`."""

    return Handler
