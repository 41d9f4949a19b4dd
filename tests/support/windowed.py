"""A small Brightpearl-like server with its own throttle: not the emulator's, on purpose.

Written apart from tests/emulator so that the tap's pacing is checked against semantics the
tap's authors did not also write the server for. What it decides for itself:

- a request is counted when it *arrives* (before the simulated latency), on the server's own
  clock, which may be offset and may run a little fast or slow (`skew_offset`, `skew_rate`);
- `period="oldest"`: a rolling window, and `brightpearl-next-throttle-period` is the time until
  the oldest request in the window ages out; `period="fixed"`: windows of `window` seconds
  aligned on the server clock, and the header is the time until the current one ends;
- `pools` says which requests share a pool, per developer: "host" (every developer-tools call
  of a datacentre in one pool), "account" (calls about an account, account-timezone and
  account-location, each in that account's own pool on the datacentre; installed-accounts in
  the developer pool), "mixed" (account-timezone per account, account-location with
  installed-accounts), "global" (one pool for the developer across every datacentre);
  /public-api/{account}/... is always the account's own pool;
- refused requests are answered 503 "too many requests" with both headers and are not counted.

Only what a default tap run reads is served: installed-accounts, account-location,
account-timezone, and a tiny account-configuration for the neighbour client of B7.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import unquote, urlsplit

REFUSAL = b'{"response": "You have sent too many requests. Please wait before sending another request"}'
LAYOUTS = ("host", "account", "mixed", "global")
PERIODS = ("oldest", "fixed")


@dataclass
class Arrival:
    """One request as the server counted it."""

    at: float  # the tap's clock (time.monotonic), for tests
    datacentre: str
    path: str
    pool: str
    status: int = 0
    remaining: int = -1  # what the server answered in brightpearl-requests-remaining


@dataclass
class WindowedPool:
    """Arrival times (server clock) of the admitted requests still in the window."""

    stamps: deque[float] = field(default_factory=deque)
    fixed_start: float = -math.inf
    fixed_count: int = 0


class Windowed:
    """The shared state behind every datacentre port: accounts, pools, the arrival log."""

    def __init__(
        self,
        n_accounts: int = 40,
        *,
        quota: int = 30,
        window: float = 1.0,
        period: str = "oldest",
        pools: str = "host",
        latency: float = 0.0,
        datacentres: tuple[str, ...] = ("euw1", "use1", "usw1"),
        skew_offset: float = 0.0,
        skew_rate: float = 1.0,
        developer_reference: str = "devref",
        app_reference: str = "devref_app",
    ) -> None:
        """Configure; nothing listens until start()."""
        if period not in PERIODS or pools not in LAYOUTS:
            raise ValueError(f"period in {PERIODS}, pools in {LAYOUTS}")
        self.quota, self.window, self.period, self.layout = quota, window, period, pools
        self.latency = latency
        self.datacentres = datacentres
        self.skew_offset, self.skew_rate = skew_offset, skew_rate
        self.developer_reference, self.app_reference = developer_reference, app_reference
        self.accounts = {f"acct{i:04d}": datacentres[i % len(datacentres)] for i in range(n_accounts)}
        self.log: list[Arrival] = []
        self._pools: dict[str, WindowedPool] = {}
        self._lock = threading.Lock()
        self._servers: list[_Server] = []
        self.urls: dict[str, str] = {}

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Windowed:
        for dc in self.datacentres:
            server = _Server(self, dc)
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
            self._servers.append(server)
            self.urls[dc] = f"http://127.0.0.1:{server.server_address[1]}"
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []

    def __enter__(self) -> Windowed:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def tap_config(self, **overrides: object) -> dict[str, object]:
        """A config that reads this server (any credentials do: the server checks only the reference)."""
        return {
            "developer_reference": self.developer_reference,
            "developer_token": "windowed-token",
            "developer_secret": "windowed-secret",
            "app_reference": self.app_reference,
            "data_center": self.datacentres[0],
            "datacenter_urls": dict(self.urls),
            **overrides,
        }

    # -- what tests read -------------------------------------------------------------------
    def refused(self) -> int:
        with self._lock:
            return sum(a.status == 503 for a in self.log)

    def arrivals(self) -> list[Arrival]:
        with self._lock:
            return list(self.log)

    # -- the throttle ----------------------------------------------------------------------
    def server_clock(self) -> float:
        return time.monotonic() * self.skew_rate + self.skew_offset

    def pool_of(self, datacentre: str, parts: list[str]) -> str:
        if parts[:1] == ["public-api"] and len(parts) > 1:
            return f"{datacentre}/account/{parts[1]}"
        action = parts[2] if len(parts) > 2 else ""
        about = parts[3] if len(parts) > 3 else ""
        per_account = (self.layout == "account" and action in ("account-timezone", "account-location")) or (
            self.layout == "mixed" and action == "account-timezone"
        )
        if per_account:
            return f"{datacentre}/account/{about}"
        return "developer" if self.layout == "global" else f"{datacentre}/developer"

    def admit(self, pool_name: str) -> tuple[bool, dict[str, str]]:
        """Count one arrival on the pool unless it is full; return the verdict and both headers."""
        with self._lock:
            now = self.server_clock()
            pool = self._pools.setdefault(pool_name, WindowedPool())
            if self.period == "oldest":
                while pool.stamps and now - pool.stamps[0] >= self.window:
                    pool.stamps.popleft()
                admitted = len(pool.stamps) < self.quota
                if admitted:
                    pool.stamps.append(now)
                used = len(pool.stamps)
                period = pool.stamps[0] + self.window - now if pool.stamps else self.window
            else:
                start = math.floor(now / self.window) * self.window
                if start != pool.fixed_start:
                    pool.fixed_start, pool.fixed_count = start, 0
                admitted = pool.fixed_count < self.quota
                pool.fixed_count += admitted
                used = pool.fixed_count
                period = start + self.window - now
        # Milliseconds on the server's clock, rounded down as an integer division would.
        headers = {
            "brightpearl-requests-remaining": str(self.quota - used),
            "brightpearl-next-throttle-period": str(int(period * 1000)),
        }
        return admitted, headers

    def answer(self, datacentre: str, raw_path: str, dev_ref: str | None) -> tuple[int, bytes, dict[str, str]]:
        parts = [unquote(p) for p in urlsplit(raw_path).path.split("/") if p]
        pool = self.pool_of(datacentre, parts)
        entry = Arrival(time.monotonic(), datacentre, raw_path, pool)
        with self._lock:
            self.log.append(entry)
        admitted, headers = self.admit(pool)
        entry.remaining = int(headers["brightpearl-requests-remaining"])
        if self.latency:
            time.sleep(self.latency)
        if not admitted:
            entry.status = 503
            return 503, REFUSAL, headers
        status, body = self.route(datacentre, parts, dev_ref)
        entry.status = status
        return status, json.dumps(body).encode(), headers

    def route(self, datacentre: str, parts: list[str], dev_ref: str | None) -> tuple[int, object]:
        missing = (404, {"errors": [{"code": "CMNC-404", "message": "Resource not found"}]})
        if parts[:1] == ["public-api"] and len(parts) > 2:
            return 200, {"response": {"accountName": parts[1], "baseCurrencyCode": "GBP"}}
        if len(parts) != 4 or parts[0] != "developer-tools" or parts[1] != self.developer_reference:
            return missing
        action, arg = parts[2], parts[3]
        if action == "installed-accounts":
            if dev_ref != self.developer_reference:
                return 401, {"response": "Not authenticated. Please check your developer token."}
            listing = [
                {
                    "installedOn": f"2021-01-01T00:{i // 60:02d}:{i % 60:02d}.000Z",
                    "accountCode": code,
                    "unsignedAccountToken": f"unsigned-{code}",
                    "enabled": True,
                }
                for i, code in enumerate(self.accounts)
            ]
            return 200, {"response": listing}
        home = self.accounts.get(arg)
        if home is None:
            return missing
        if action == "account-location" and datacentre == self.datacentres[0]:
            host = urlsplit(self.urls[home]).netloc
            return 200, {"response": {"datacentreCode": home, "apiDomain": host, "urls": {"api": self.urls[home]}}}
        if action == "account-timezone" and datacentre == home:
            return 200, {"response": {"canonicalId": "Europe/London", "currentUtcOffset": "+00:00"}}
        return missing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, state: Windowed, datacentre: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state, self.datacentre = state, datacentre


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        status, body, headers = self.server.state.answer(
            self.server.datacentre, self.path, self.headers.get("brightpearl-dev-ref")
        )
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)
