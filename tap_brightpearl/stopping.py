"""SIGINT and SIGTERM: the run stops at its next consistent point, and says so.

The first signal sets the throttle's STOP (no request is sent after it) and raises
`Interrupted` in the main thread; the tap then writes its last STATE, a summary marked
`interrupted`, and exits 128 + the signal (130 for SIGINT, 143 for SIGTERM), so `&&`, cron and
orchestrators never take a stopped run for a complete one.

A token refresh is a critical section: the token endpoint may already have retired the
refresh token it was sent, so the answer in flight is waited for (each attempt is bounded by
`request_timeout`) and saved before the run stops. Signals while the run is writing its end
are noted, not raised, and every signal after the first is only logged: a second Ctrl-C can
neither cut a STATE in two nor print a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
import typing as t

from tap_brightpearl import throttle

if t.TYPE_CHECKING:
    from types import FrameType

LOGGER = logging.getLogger("tap_brightpearl.stopping")
SIGNALS = (signal.SIGINT, signal.SIGTERM)
_POLL_SECONDS = 0.25


class Interrupted(BaseException):
    """A stop signal arrived (a BaseException: no stream's failure handling may swallow it)."""

    def __init__(self, signum: int) -> None:
        """Remember which signal; the exit status follows from it."""
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def signal_name(self) -> str:
        """SIGINT or SIGTERM."""
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal number."""
        return 128 + self.signum


class _Stopper:
    """The process's one stop state (signals are per process)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.RLock())  # re-entrant: the handler runs in the main thread
        self._critical: dict[int, tuple[int, float]] = {}  # thread id -> (depth, deadline of its wait)
        self._shielded = 0
        self._deferred = False
        self.signum: int | None = None

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """The signal handler (always run in the main thread)."""
        name = signal.Signals(signum).name
        if self.signum is not None:
            LOGGER.info("%s again: the run is already stopping", name)
            return
        self.signum = signum
        throttle.STOP.set()
        main = threading.get_ident()
        with self._cond:
            if self._shielded or main in self._critical:
                self._deferred = True
                if not self._shielded:
                    LOGGER.warning("%s: stopping once the token refresh in flight is answered and saved", name)
                return
        self._wait_for_refreshes(name, main)
        raise Interrupted(signum)

    def _wait_for_refreshes(self, name: str, main: int) -> None:
        """Let refreshes on other threads get their answer and save it (each within its own bound)."""
        with self._cond:
            others = [deadline for thread, (_, deadline) in self._critical.items() if thread != main]
            if not others:
                return
            LOGGER.warning(
                "%s: waiting (at most %.0f s) for the token refresh in flight, so its new refresh token is kept",
                name,
                max(0.0, max(others) - time.monotonic()),
            )
            while True:
                pending = [d for thread, (_, d) in self._critical.items() if thread != main]
                left = max(pending, default=0.0) - time.monotonic()
                if not pending or left <= 0:
                    break
                self._cond.wait(min(left, _POLL_SECONDS))
            if pending:
                LOGGER.warning("the token refresh got no answer in time; stopping without it")

    @contextlib.contextmanager
    def critical(self, seconds: float) -> t.Iterator[None]:
        """A section a stop must not cut (a token refresh); a stop waits up to `seconds` for it."""
        me = threading.get_ident()
        with self._cond:
            depth, deadline = self._critical.get(me, (0, 0.0))
            self._critical[me] = (depth + 1, max(deadline, time.monotonic() + seconds))
        try:
            yield
        finally:
            with self._cond:
                depth, deadline = self._critical.pop(me)
                if depth > 1:
                    self._critical[me] = (depth - 1, deadline)
                self._cond.notify_all()
                stop_now = depth == 1 and self._deferred and not self._shielded and self.signum is not None
                if stop_now:
                    self._deferred = False
            if stop_now:
                raise Interrupted(t.cast("int", self.signum))

    @contextlib.contextmanager
    def shielded(self) -> t.Iterator[None]:
        """The main thread writes the run's end: a signal now is noted, and the run ends as it is."""
        with self._cond:
            self._shielded += 1
        try:
            yield
        finally:
            with self._cond:
                self._shielded -= 1
                noted = self._deferred and not self._shielded
                self._deferred = self._deferred and not noted
            if noted:
                LOGGER.info("A stop signal came as the run was ending; it ended normally")


_STOPPER = _Stopper()
critical = _STOPPER.critical
shielded = _STOPPER.shielded


def install() -> None:
    """Handle SIGINT and SIGTERM here instead of the SDK's handler (which exits 0); main thread only."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in SIGNALS:
        signal.signal(signum, _STOPPER.handle)


def ignore_further() -> None:
    """The stopped run is exiting: later signals are ignored (Python would restore the default, killing it)."""
    if threading.current_thread() is threading.main_thread():
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_IGN)


def requested() -> int | None:
    """The signal that asked the run to stop, if any."""
    return _STOPPER.signum
