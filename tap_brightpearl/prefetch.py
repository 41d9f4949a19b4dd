"""Read many accounts at once while the SDK syncs them one partition at a time.

The SDK calls `get_records` for each account partition in turn, and only the main
thread may write messages or touch state. A `Prefetcher` runs each account's reader
on a worker thread as soon as the sync begins (up to `workers` accounts at once, in
partition order) and hands the records over per account. Memory is bounded by one
budget of buffered records shared by all accounts; the account being written (the
head) may always add, so the writer can never wait on a reader that waits on it.
"""

from __future__ import annotations

import queue
import threading
import typing as t
from dataclasses import dataclass

from tap_brightpearl.fanout import DaemonPool

BUFFER_RECORDS = 20_000  # records held in memory across all accounts before readers wait


@dataclass(frozen=True)
class Failed:
    """An account whose reader raised: the consumer reports it and moves on."""

    error: BaseException


_DONE = object()


class Prefetcher:
    """Run `read(key)` for each key concurrently; `take(key)` yields its batches in order."""

    def __init__(
        self,
        keys: t.Sequence[str],
        read: t.Callable[[str], t.Iterable[t.Any]],
        *,
        workers: int,
        budget: int = BUFFER_RECORDS,
    ) -> None:
        """Start reading right away; the first `workers` accounts begin at once.

        Each worker takes the next key when it is free, and a key's queue lives only from its first
        batch to its last `take`: what the prefetcher holds follows the accounts in flight, not the
        run's (5,000 accounts once held 5,000 futures and queues, ~7 MiB, for the whole run).
        """
        self._keys = iter(keys)  # taken in order, under the condition's lock
        self._queues: dict[str, queue.SimpleQueue[object]] = {}
        self._cond = threading.Condition()
        self._buffered = 0
        self._budget = budget
        self._head = keys[0] if keys else None
        self._stop = threading.Event()
        self._read = read
        self.finished = 0  # accounts whose reader has ended (read whole, or failed)
        workers = min(max(1, workers), max(1, len(keys)))
        self._pool = DaemonPool(workers, name="account")
        self._futures = [self._pool.submit(self._produce_in_turn) for _ in range(workers)]

    def _stopped(self) -> bool:
        # The writer thread may end without closing us (SIGTERM, a crash): then stop too,
        # or the interpreter would wait forever for readers blocked on the budget.
        return self._stop.is_set() or not threading.main_thread().is_alive()

    def _queue(self, key: str) -> queue.SimpleQueue[object]:
        """The key's queue, made by whichever of reader and writer comes first (under the lock)."""
        found = self._queues.get(key)
        if found is None:
            found = self._queues[key] = queue.SimpleQueue()
        return found

    def _produce_in_turn(self) -> None:
        """One worker: read the next account not yet started, until none is left or the run stops."""
        while not self._stopped():
            with self._cond:
                key = next(self._keys, None)
                if key is None:
                    return
                out = self._queue(key)
            self._produce(key, out)

    def _produce(self, key: str, out: queue.SimpleQueue[object]) -> None:
        try:
            for batch in self._read(key):  # record batches, and notes for the account's state
                if not self._put(key, out, batch, len(batch) if isinstance(batch, list) else 0):
                    return
            self._put(key, out, _DONE, 0)
        except BaseException as exc:  # handed to the writer thread, which decides
            self._put(key, out, Failed(exc), 0)
        finally:
            with self._cond:
                self.finished += 1

    def _put(self, key: str, out: queue.SimpleQueue[object], item: object, size: int) -> bool:
        with self._cond:
            while self._buffered + size > self._budget and key != self._head and self._buffered:
                if self._stopped():
                    return False
                self._cond.wait(0.2)
            if self._stopped():
                return False
            self._buffered += size
        out.put(item)
        return True

    def take(self, key: str, *, waiting: t.Callable[[], None] = lambda: None, every: float = 1.0) -> t.Iterator[t.Any]:
        """Batches of `key` as they arrive, ending with a `Failed` if its reader raised.

        `waiting` is called every `every` seconds while nothing arrives (a progress line that moves
        while a slow account is read).
        """
        with self._cond:
            self._head = key
            self._cond.notify_all()
            source = self._queue(key)
        try:
            while True:
                try:
                    item = source.get(timeout=every)
                except queue.Empty:
                    waiting()
                    continue
                if item is _DONE:
                    return
                if isinstance(item, list):
                    with self._cond:
                        self._buffered -= len(item)
                        self._cond.notify_all()
                yield item
                if isinstance(item, Failed):
                    return
        finally:
            with self._cond:
                self._queues.pop(key, None)

    def close(self) -> None:
        """Stop every reader (after the last account, or when the run is aborted)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._pool.close(self._futures)
