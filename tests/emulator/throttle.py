"""Brightpearl's rolling-window throttle, one pool per (datacentre, developerRef).

Rejected (503) requests are NOT counted in the window: if they were, a client that keeps
politely retrying while over quota would keep pushing its own recovery back and starve.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass

UNLIMITED_REMAINING = 200
THROTTLE_BODY = b'{"response": "You have sent too many requests. Please wait before sending another request"}'


@dataclass(frozen=True)
class Verdict:
    """Outcome of one admission: whether it passed, and the two headers to send."""

    admitted: bool
    remaining: int
    next_period_ms: int

    def headers(self) -> dict[str, str]:
        """Return the throttle headers every response carries."""
        return {
            "brightpearl-requests-remaining": str(self.remaining),
            "brightpearl-next-throttle-period": str(self.next_period_ms),
        }


class Throttle:
    """Thread-safe rolling-window counter keyed by pool."""

    def __init__(self, quota: int | None, window: float) -> None:
        """Configure; ``quota=None`` never rejects but still reports headers."""
        if window <= 0:
            raise ValueError("throttle window must be positive")
        self.quota = quota
        self.window = window
        self._pools: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _window_ms(self) -> int:
        return math.ceil(self.window * 1000)

    def admit(self, pool: tuple[str, str]) -> Verdict:
        """Count one arriving request against ``pool``, unless it is over quota (rejected)."""
        if self.quota is None:
            return Verdict(True, UNLIMITED_REMAINING, self._window_ms())
        with self._lock:
            now = time.monotonic()
            stamps = self._pools.setdefault(pool, deque())
            horizon = now - self.window
            while stamps and stamps[0] <= horizon:
                stamps.popleft()
            admitted = len(stamps) < self.quota
            if admitted:
                stamps.append(now)
            remaining = max(self.quota - len(stamps), 0) if admitted else 0
            next_ms = max(math.ceil((stamps[0] + self.window - now) * 1000), 1) if stamps else self._window_ms()
            return Verdict(admitted, remaining, next_ms)

    def reset(self) -> None:
        """Forget every counted request (tests that reuse one emulator)."""
        with self._lock:
            self._pools.clear()
