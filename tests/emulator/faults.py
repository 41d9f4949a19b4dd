"""Scripted faults: the next N matching requests misbehave in a chosen way.

A faulted request is answered by the fault, not by the real handler (except "stall", which
delays and then answers normally, and "truncated", which needs the real body to cut).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from .reply import Reply, errors
from .throttle import THROTTLE_BODY

KINDS = frozenset({"status", "throttle", "reset", "stall", "truncated", "html", "body"})
HTML_BODY = b"<html><body>Bad Gateway</body></html>"
DEFAULT_STALL = 5.0
# Gateways answer these with no body at all; anything else gets a JSON error envelope.
_EMPTY_BODY_STATUSES = frozenset({502, 503, 504})


@dataclass
class Fault:
    """One scripted fault and how many more requests it will hit."""

    path_contains: str
    kind: str
    times: int = 1
    status: int | None = None
    body: bytes | None = None
    headers: dict[str, str] | None = None
    datacentre: str | None = None
    delay: float = 0.0

    def matches(self, path: str, datacentre: str) -> bool:
        """Tell whether this fault applies to a request."""
        if self.datacentre is not None and self.datacentre != datacentre:
            return False
        return self.path_contains in path


class FaultBook:
    """Thread-safe list of pending faults, consumed first-added first."""

    def __init__(self) -> None:
        """Start with no faults."""
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        """Queue a fault after validating it (typos should fail loudly in tests)."""
        if fault.kind not in KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; expected one of {sorted(KINDS)}")
        if fault.times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Drop all pending faults."""
        with self._lock:
            self._faults.clear()

    def take(self, path: str, datacentre: str) -> Fault | None:
        """Consume one use of the first matching fault, if any."""
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.matches(path, datacentre):
                    fault.times -= 1
                    if fault.times <= 0:
                        del self._faults[i]
                    return replace(fault)
        return None


def fault_reply(fault: Fault, normal: Callable[[], Reply]) -> Reply:
    """Build the reply for a consumed fault; ``normal`` produces the real handler's answer.

    Throttle headers are added by the caller for every kind except "throttle", which
    sets its own (remaining 0, next period from ``delay``).
    """
    extra = dict(fault.headers or {})
    kind = fault.kind
    if kind == "stall":
        return normal()
    if kind == "truncated":
        real = normal()
        real.mode = "truncated"
        real.headers.update(extra)
        return real
    if kind == "reset":
        return Reply(0, mode="reset")
    if kind == "throttle":
        period = int(fault.delay * 1000) or 200
        extra = {
            "brightpearl-requests-remaining": "0",
            "brightpearl-next-throttle-period": str(period),
            **extra,
        }
        return Reply(fault.status or 503, THROTTLE_BODY, headers=extra)
    if kind == "html":
        body = HTML_BODY if fault.body is None else fault.body
        return Reply(fault.status or 200, body, "text/html", extra)
    if kind == "body":
        return Reply(fault.status or 200, fault.body or b"", headers=extra)
    status = fault.status or 500
    body = fault.body
    if body is None:
        body = b"" if status in _EMPTY_BODY_STATUSES else errors(f"CMNC-{status}", "Injected fault")
    return Reply(status, body, headers=extra)
