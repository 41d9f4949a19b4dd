"""One throttle for the run: every request waits for its Brightpearl pool, and teaches it.

Brightpearl counts requests per pool in a rolling window and tells us, on every response,
how many are left (`brightpearl-requests-remaining`) and how long until a slot frees
(`brightpearl-next-throttle-period`, milliseconds). Each pool is paced from those headers
(`throttle_pool.Pool`) so that the 503 is the exception, and when a 503 comes anyway every
worker on that pool waits, not just the one that got it. Which pool a request counts
against is learnt from the answers (`throttle_layout.Layout`): one pool's headers never
stand for another's budget. Nothing here assumes a 60-second window or a pool size.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import typing as t
from dataclasses import dataclass

import requests

from tap_brightpearl.errors import is_throttle, throttle_wait_seconds
from tap_brightpearl.throttle_layout import DEVELOPER, Answer, Family, Layout, Split, family
from tap_brightpearl.throttle_pool import MAX_PAUSE_SECONDS, MIN_THROTTLE_PAUSE, WAKE_SECONDS, Observation, Pool

LOGGER = logging.getLogger("tap_brightpearl.throttle")
_MAX_REMAINING = 1_000_000  # a larger header is not a pool size anyone has
_PRUNE_EVERY = 1024  # releases between sweeps of idle pools (one per account can add up)


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


@dataclass
class Grant:
    """A request's place in its pool, from admission to answer."""

    family: Family
    key: str
    pool: Pool
    ticket: int


def observe(response: requests.Response) -> Observation:
    """Both throttle headers of an answer, read defensively, and whether it was a throttle."""
    period = min(throttle_wait_seconds(response, default=0.0), MAX_PAUSE_SECONDS)
    raw = (response.headers.get("brightpearl-requests-remaining") or "").strip()
    remaining = min(max(0, int(raw)), _MAX_REMAINING) if raw.lstrip("-").isdigit() and len(raw) < 12 else None
    return Observation(remaining, period, is_throttle(response))


class Throttle:
    """The pools of one run, the layout guess that maps requests onto them, and one lock."""

    def __init__(self, reserve: float = 0.0) -> None:
        """`reserve`: the share of each pool left unused for the app's own traffic (throttle_reserve)."""
        self.reserve = reserve
        self._layout = Layout()
        self._pools: dict[str, Pool] = {}
        self._cond = threading.Condition()
        self._releases = 0
        self._retired: Pool | None = None  # the one developer pool, once it proved to be one per datacentre

    def _pool(self, key: str) -> Pool:
        pool = self._pools.get(key)
        if pool is None:
            after = self._retired if self._layout.is_developer(key) else None
            pool = self._pools[key] = Pool(key, self.reserve, after=after)
        return pool

    def acquire(self, url: str) -> Grant:
        """Block until a request to `url` may be sent within its pool's quota."""
        fam = family(url)
        with self._cond:
            while True:
                now = time.monotonic()
                _check(now)
                key = self._layout.key(fam)  # the guess may change while we wait
                pool = self._pool(key)
                wait = self._held(fam, now) or pool.wait(now)
                if wait is None:
                    return Grant(fam, key, pool, pool.issue(now))
                self._cond.wait(min(wait, WAKE_SECONDS))

    def _held(self, fam: Family, now: float) -> float | None:
        """How long a 503 still holds a pool this family might count against (None: not held)."""
        held = max((p.paused_for(now) for k in self._layout.candidates(fam) if (p := self._pools.get(k))), default=0)
        return held or None

    def sent(self, grant: Grant) -> None:
        """The request is going on the wire now (it may have waited for a connection slot)."""
        with self._cond:
            grant.pool.sent(grant.ticket, time.monotonic())

    def release(self, grant: Grant, response: requests.Response | None) -> None:
        """Learn from the answer (None: there was none) and wake the waiting workers."""
        with self._cond:
            now = time.monotonic()
            seen = observe(response) if response is not None else None
            fam = grant.family
            # Paced under a guess that has changed since: its headers are no longer this pool's.
            learn = seen is not None and self._layout.counts_in(fam, grant.key)
            if learn and seen is not None and response is not None and response.status_code < 500:
                learn = not self._proves_a_split(grant, seen, now)
            # An answer not yet known to be this pool's own may lower its budget, never raise it.
            trusted = self._layout.trusted(grant.key, fam)
            grant.pool.release(grant.ticket, now, seen if learn else None, fam.kind, lower_only=not trusted)
            if seen is not None and seen.throttled:
                # Whichever pool refused it, hold every one it might count against (the guess may
                # yet change): the retry, and every worker sharing any of them, waits. One log line.
                seconds = max(seen.period, MIN_THROTTLE_PAUSE)
                for i, key in enumerate(self._layout.candidates(fam)):
                    self._pool(key).pause(now, seconds, reason="HTTP 503 throttle", quiet=learn or i > 0)
            self._releases += 1
            if self._releases % _PRUNE_EVERY == 0:
                self._prune(now)
            self._cond.notify_all()

    def _proves_a_split(self, grant: Grant, seen: Observation, now: float) -> bool:
        """Show an admitted answer to the layout; True if it proved two pools where the guess had one."""
        if seen.throttled or seen.remaining is None:
            return False
        sent = grant.pool.sent_at(grant.ticket, now)
        split = self._layout.learn(grant.key, Answer(grant.family, sent, now, seen.remaining, seen.period))
        if split is None:
            return False
        self._split(split)
        return True

    def _split(self, split: Split) -> None:
        """The answers proved two pools where the guess had one: pace them apart from now on."""
        LOGGER.info("Throttle: %s; pacing them apart from now on", split.reason)
        if split.kind is None:
            self._retired = self._pools.pop(DEVELOPER, None)  # one developer pool per datacentre from now on
            return
        for key, pool in self._pools.items():
            if self._layout.is_developer(key):
                pool.rebase(without_kind=split.kind)

    def _prune(self, now: float) -> None:
        idle = [key for key, pool in self._pools.items() if pool.idle(now)]
        for key in idle:
            del self._pools[key]
        self._layout.drop(idle)
