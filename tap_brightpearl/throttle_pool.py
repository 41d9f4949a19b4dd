"""The pacing state of one throttle pool, read as a rolling window.

Every request gets a ticket in send order. `brightpearl-requests-remaining` on the answer
to ticket T counts what the server had seen when T arrived, so the pool's budget is that
figure minus every request issued after T, minus the older ones that may have arrived
after T (concurrent requests, new connections above all, reach the server in a different
order than they were sent): an older request counts as seen only once its own answer
showed more remaining than T's. Answers to older tickets are otherwise stale.

When the budget is spent and nothing is in flight, the pool waits until the slot the
newest answer's `brightpearl-next-throttle-period` named frees (a rolling window frees
one slot when its oldest request ages out, not all at once), then probes with one request
to learn how many freed. `throttle_reserve` of the pool is never used, so an app sharing
it keeps room for its own calls; when others have already taken the pool below the
reserve, the probe waits for as many more slots to free as they took.

Not thread-safe on its own: `Throttle` holds one lock around every call.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass, replace

LOGGER = logging.getLogger("tap_brightpearl.throttle")
MAX_PAUSE_SECONDS = 300.0  # never trust a header asking for more than this
WAKE_SECONDS = 0.5  # how often a waiting worker looks at the stop flag and its deadline
SEND_MARGIN_SECONDS = 0.010  # for the way to Brightpearl taking a little longer than last time
SEND_MARGIN_OF_ROUND_TRIP = 0.25
CLOCK_ALLOWANCE = 1.01  # a server clock up to 1% slow still frees its slot before we probe
_LOG_PAUSES_FROM = 1.0
MIN_THROTTLE_PAUSE = 0.05
_HISTORY = 8
_ANSWERS_KEPT = 256  # more than max_concurrency can have in flight
_ADMITTED_KEPT = 512  # recent requests looked at to size a pool (more than any pool Brightpearl has)


def reserve_slots(share: float, capacity: int) -> int:
    """How many of a pool of `capacity` requests `throttle_reserve` keeps free (always leaving one)."""
    if share <= 0 or capacity <= 1:
        return 0
    return min(capacity - 1, math.ceil(share * capacity - 1e-9))


@dataclass
class Observation:
    """What one answer said about its pool."""

    remaining: int | None
    period: float
    throttled: bool


@dataclass
class _Flight:
    issued: float
    sent: float | None = None
    ahead: tuple[int, ...] = ()  # the older tickets in flight when this one went


@dataclass(frozen=True)
class _Basis:
    ticket: int
    kind: str
    header: int  # brightpearl-requests-remaining as answered
    remaining: int  # the header, less the older requests that may have arrived after this one
    reset_at: float  # when the slot this answer named frees, on our clock
    unsure: frozenset[int] = frozenset()  # older tickets still unanswered, counted as not yet arrived


class Pool:
    """What the server last said about one pool, and what is in flight on it."""

    def __init__(self, name: str, reserve: float, after: Pool | None = None) -> None:
        """Start unknown: the first request probes alone to learn the headers.

        `after`: a pool this one replaces; its requests still in flight were paced there, and
        the first answer here may not count them yet, so nothing goes until they are answered.
        """
        self.name = name
        self._after = after
        self._share = reserve
        self._basis: _Basis | None = None
        self._history: deque[_Basis] = deque(maxlen=_HISTORY)
        self._floor = 0  # answers to tickets below this are stale
        self._issued = 0
        self._flights: dict[int, _Flight] = {}
        self._answered: dict[int, int] = {}  # recent ticket -> its header (-1: none), oldest first
        self._resume_at = 0.0
        # The pool's size as far as we know, and the longest period it named (at most its window).
        self._capacity = after._capacity if after is not None else 0
        self._longest_period = after._longest_period if after is not None else 0.0
        self._admitted: deque[tuple[float, float]] = deque(maxlen=_ADMITTED_KEPT)  # (sent, answered), newest last
        self.last_used = 0.0

    def reserve(self) -> int:
        """Requests of this pool kept free for others."""
        return reserve_slots(self._share, self._capacity)

    def _left(self) -> int:
        basis = self._basis
        if basis is None:
            return 1 - len(self._flights)
        return basis.remaining - (self._issued - basis.ticket)

    def budget(self) -> int:
        """How many more requests may go now."""
        if self._basis is None:
            return self._left()
        return self._left() - self.reserve()

    def wait(self, now: float) -> float | None:
        """None if a request may go now; else how long to wait before looking again."""
        if now < self._resume_at:
            return self._resume_at - now
        if self._after is not None:
            if self._after.busy():
                return WAKE_SECONDS
            self._after = None
        if self.budget() > 0:
            return None
        if self._flights or self._basis is None:
            return WAKE_SECONDS  # an answer on its way will say more
        # Spent, nothing in flight: the newest answer named when a slot frees. If others took the
        # pool below the reserve, wait for that many more slots (a window frees them one by one).
        below = max(0, self.reserve() - self._left())
        spacing = self._longest_period / max(self._capacity, 1)
        until = self._basis.reset_at + below * spacing
        self._basis = None  # after the wait, probe
        if until > now:
            self._pause(now, until - now, reason="quota used up")
            return until - now
        return None

    def issue(self, now: float) -> int:
        """Take a ticket (the caller checked `wait`)."""
        self._issued += 1
        self._flights[self._issued] = _Flight(now)
        self.last_used = now
        return self._issued

    def sent(self, ticket: int, now: float) -> None:
        """The request of `ticket` is going on the wire now."""
        flight = self._flights.get(ticket)
        if flight is not None:
            flight.sent = now
            flight.ahead = tuple(k for k in self._flights if k < ticket)

    def sent_at(self, ticket: int, default: float) -> float:
        """When the request of `ticket` went (or was admitted, if it never reached the wire)."""
        flight = self._flights.get(ticket)
        if flight is None:
            return default
        return flight.sent if flight.sent is not None else flight.issued

    def release(
        self, ticket: int, now: float, seen: Observation | None, kind: str, *, lower_only: bool = False
    ) -> None:
        """Learn from the answer to `ticket` (None: nothing to learn from) and free its slot.

        `lower_only`: the answer may be another pool's; let it shrink the budget, not grow it.
        """
        flight = self._flights.pop(ticket, None)
        self.last_used = now
        header = seen.remaining if seen is not None else None
        self._remember(ticket, -1 if header is None else header)
        if seen is None or flight is None:
            return
        sent = flight.sent if flight.sent is not None else flight.issued
        if header is not None:
            self._longest_period = max(self._longest_period, seen.period)
            if not seen.throttled:
                self._capacity = max(self._capacity, header + 1 + self._still_counted(sent, now, seen.period))
                self._admitted.append((sent, now))
            self._learn(ticket, flight, sent, now, seen.period, header, kind, lower_only=lower_only)
        if seen.throttled:
            # Every worker of the pool waits, not only the one refused; then one probes.
            self._pause(now, max(seen.period, MIN_THROTTLE_PAUSE), reason="HTTP 503 throttle")
            self._basis = None
            self._floor = max(self._floor, ticket + 1)

    def _learn(
        self,
        ticket: int,
        flight: _Flight,
        sent: float,
        now: float,
        period: float,
        header: int,
        kind: str,
        *,
        lower_only: bool,
    ) -> None:
        basis = self._basis
        if ticket < self._floor:
            return
        if basis is not None and ticket < basis.ticket:
            if ticket in basis.unsure and header > basis.header:
                # Counted as arriving after the basis, it had in fact arrived before it.
                self._basis = replace(basis, remaining=basis.remaining + 1, unsure=basis.unsure - {ticket})
            return
        # An older request arrived before this one only if its answer showed more remaining.
        unsure = frozenset(k for k in flight.ahead if k in self._flights)
        late = sum(1 for k in flight.ahead if k not in self._flights and self._answered.get(k, -1) <= header)
        # The server measured the period when this request arrived, about when it was sent.
        margin = max(SEND_MARGIN_SECONDS, (now - sent) * SEND_MARGIN_OF_ROUND_TRIP)
        fresh = _Basis(
            ticket, kind, header, header - late - len(unsure), sent + period * CLOCK_ALLOWANCE + margin, unsure
        )
        if lower_only:  # it may be another pool's: take it only if it allows no more than we know
            left = fresh.remaining - (self._issued - ticket)
            if (basis is None and left - self.reserve() > 1) or (basis is not None and left > self._left()):
                return  # (knowing nothing is one request at a time)
        self._basis = fresh
        self._history.append(fresh)

    def _still_counted(self, sent: float, now: float, period: float) -> int:
        """Our requests that certainly arrived before this one and are still in its window.

        The window (rolling or fixed) began no later than `now + period - longest period`
        (a period never exceeds the window): a request sent after that and answered before
        this one went is counted in this answer's remaining.
        """
        start = now + period - self._longest_period
        while self._admitted and self._admitted[0][0] < now - self._longest_period - 1.0:
            self._admitted.popleft()
        return sum(1 for s, answered in self._admitted if s >= start and answered <= sent)

    def _remember(self, ticket: int, header: int) -> None:
        self._answered[ticket] = header
        if len(self._answered) > _ANSWERS_KEPT:
            del self._answered[next(iter(self._answered))]

    def rebase(self, without_kind: str) -> None:
        """Forget what answers of `without_kind` said (they were another pool's headers)."""
        kept = [b for b in self._history if b.kind != without_kind and b.ticket >= self._floor]
        self._history = deque(kept, maxlen=_HISTORY)
        self._basis = kept[-1] if kept else None
        if self._basis is None:
            self._floor = self._issued + 1  # what is in flight now was paced on those headers

    def pause(self, now: float, seconds: float, *, reason: str, quiet: bool = False) -> None:
        """Hold every worker of this pool for `seconds` from `now` (`quiet`: without a log line)."""
        if quiet:
            self._resume_at = max(self._resume_at, now + seconds)
        else:
            self._pause(now, seconds, reason=reason)

    def paused_for(self, now: float) -> float:
        """Seconds until this pool takes requests again after a pause (0: not paused)."""
        return max(0.0, self._resume_at - now)

    def busy(self) -> bool:
        """Requests of this pool are in flight."""
        return bool(self._flights)

    def idle(self, now: float) -> bool:
        """Nothing in flight and nothing learnt that could still matter (every slot it saw aged out)."""
        return not self._flights and now > self._resume_at and now - self.last_used > self._longest_period + 1.0

    def _pause(self, now: float, seconds: float, *, reason: str) -> None:
        if seconds <= 0:
            return
        until = now + seconds
        if until > self._resume_at:
            self._resume_at = until
            level = logging.INFO if seconds >= _LOG_PAUSES_FROM else logging.DEBUG
            LOGGER.log(level, "Throttle pool %s: %s, pausing %.2f s", self.name, reason, seconds)
