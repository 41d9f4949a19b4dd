"""One throttle per Brightpearl pool, shared by every request of the run.

Brightpearl counts requests per pool in a rolling window and tells us, on every
response, how many are left (`brightpearl-requests-remaining`) and how long until
the window frees up (`brightpearl-next-throttle-period`, milliseconds). We pace from
those headers so that the 503 is the exception, and when a 503 comes anyway every
worker on that pool waits, not just the one that got it. Nothing here assumes a
60-second window: the wait always comes from the headers.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import typing as t
from urllib.parse import urlsplit

import requests

from tap_brightpearl.errors import is_throttle, throttle_wait_seconds

LOGGER = logging.getLogger("tap_brightpearl.throttle")
MAX_PAUSE_SECONDS = 300.0  # never trust a header asking for more than this
_LOG_PAUSES_FROM = 1.0
_WAKE_SECONDS = 0.5  # how often a waiting worker looks at the stop flag and its deadline
SEND_MARGIN_SECONDS = 0.005  # for the way to Brightpearl taking a little longer than last time
SEND_MARGIN_OF_ROUND_TRIP = 0.25


class ThrottleBudgetExceeded(Exception):
    """Waiting for the pool would take this request past its throttle budget."""


class Stopped(Exception):
    """The run is stopping (SIGTERM, SIGINT, a fatal error): send nothing more."""


_local = threading.local()
STOP = threading.Event()  # set once when the run stops; every wait and send checks it


@contextlib.contextmanager
def throttle_deadline(deadline: float | None) -> t.Iterator[None]:
    """Let pool waits on this thread run until `deadline` (time.monotonic()) at most."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = previous


def _check(now: float) -> None:
    if STOP.is_set():
        raise Stopped("the run is stopping")
    deadline = getattr(_local, "deadline", None)
    if deadline is not None and now >= deadline:
        raise ThrottleBudgetExceeded("throttle wait budget used up")


class Pool:
    """Pacing state of one throttle pool: what the server last said, and what is in flight.

    Every request gets a ticket in send order. `brightpearl-requests-remaining` on the
    response to ticket T counts what the server had seen when T arrived, so the budget is
    that figure minus every request sent after T, minus those that were in flight when T
    was sent (concurrent workers reach the server in a slightly different order than
    they were sent, so any of them may have arrived after T). Answers to older tickets are
    stale and ignored. When the budget is spent the pool waits for the window the server
    named and probes again.
    """

    def __init__(self, name: str) -> None:
        """Start unknown: the first request probes alone to learn the headers."""
        self.name = name
        self._cond = threading.Condition()
        self._remaining: int | None = None  # None: unknown, send one probe at a time
        self._base = 0  # ticket whose response set _remaining
        self._issued = 0
        self._inflight: dict[int, tuple[int, float]] = {}  # ticket -> (requests then in flight, sent at)
        self._reset_at = 0.0
        self._resume_at = 0.0

    def _budget(self) -> int:
        if self._remaining is None:
            return 1 - len(self._inflight)
        return self._remaining - (self._issued - self._base)

    def acquire(self) -> int:
        """Block until a request on this pool can be sent within the quota; return its ticket."""
        with self._cond:
            while True:
                now = time.monotonic()
                _check(now)
                if now < self._resume_at:
                    self._cond.wait(min(self._resume_at - now, _WAKE_SECONDS))
                    continue
                if self._budget() > 0:
                    self._issued += 1
                    self._inflight[self._issued] = (len(self._inflight), now)
                    return self._issued
                if not self._inflight:
                    # Quota spent and nothing in flight: wait for the window, then probe.
                    self._pause(self._reset_at - now, reason="quota used up")
                    self._remaining = None
                    continue
                self._cond.wait(_WAKE_SECONDS)

    def release(self, response: requests.Response | None, ticket: int = 0) -> None:
        """Learn from the response to `ticket` (or from its absence) and wake waiting workers."""
        with self._cond:
            now = time.monotonic()
            older, sent_at = self._inflight.pop(ticket, (0, now))
            if response is not None:
                period = min(throttle_wait_seconds(response, default=0.0), MAX_PAUSE_SECONDS)
                raw = response.headers.get("brightpearl-requests-remaining")
                if raw is not None and raw.strip().lstrip("-").isdigit():
                    if ticket >= self._base:
                        # The server measured the period when this request arrived; a request sent
                        # `period` after this one arrives about `period` after it, so the window
                        # frees for requests sent from sent_at + period on, give or take how much
                        # longer the way there may take this time (a share of the round trip).
                        margin = max(SEND_MARGIN_SECONDS, (now - sent_at) * SEND_MARGIN_OF_ROUND_TRIP)
                        self._reset_at = sent_at + period + margin
                    self._learn(max(0, int(raw) - older), ticket)
                if is_throttle(response):
                    self._pause(max(period, 0.05), reason="HTTP 503 throttle")
                    self._remaining = None
                    self._base = max(self._base, ticket)
            self._cond.notify_all()

    def _learn(self, remaining: int, ticket: int) -> None:
        """Take the header of the newest answered ticket; older answers are stale."""
        if ticket >= self._base:
            self._remaining, self._base = remaining, ticket

    def _pause(self, seconds: float, *, reason: str) -> None:
        """Hold every worker of this pool for `seconds` (caller holds the lock)."""
        if seconds <= 0:
            return
        until = time.monotonic() + seconds
        if until > self._resume_at:
            self._resume_at = until
            level = logging.INFO if seconds >= _LOG_PAUSES_FROM else logging.DEBUG
            LOGGER.log(level, "Throttle pool %s: %s, pausing %.2f s", self.name, reason, seconds)


def pool_key(url: str) -> str:
    """Name the pool a URL draws from: per host for developer-tools, per host and account otherwise."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if "public-api" in segments:
        i = segments.index("public-api")
        if i + 1 < len(segments):
            return f"{parts.netloc}/{segments[i + 1]}"
    return f"{parts.netloc}/developer"


class Throttle:
    """The registry of pools for one run."""

    def __init__(self) -> None:
        """No pools yet: each appears with its first request."""
        self._pools: dict[str, Pool] = {}
        self._lock = threading.Lock()

    def pool(self, url: str) -> Pool:
        """The pool for `url`, created on first use."""
        key = pool_key(url)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = Pool(key)
            return pool
