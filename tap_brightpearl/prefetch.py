"""Read many accounts at once while the SDK syncs them one partition at a time.

The SDK calls `get_records` for each account partition in turn, and only the main
thread may write messages or touch state. A `Prefetcher` runs each account's reader
on a worker thread as soon as the sync begins (up to `workers` accounts at once, in
partition order) and hands the records over through a small bounded queue per account,
so memory stays flat and the account being written is always one that has a worker.
"""

from __future__ import annotations

import queue
import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

QUEUE_BATCHES = 8  # batches buffered per account before its reader waits for the writer


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
        read: t.Callable[[str], t.Iterable[list[dict[str, t.Any]]]],
        *,
        workers: int,
    ) -> None:
        """Start reading right away; the first `workers` accounts begin at once."""
        self._queues: dict[str, queue.Queue[object]] = {k: queue.Queue(QUEUE_BATCHES) for k in keys}
        self._stop = threading.Event()
        self._read = read
        self._executor = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="account")
        for key in keys:
            self._executor.submit(self._produce, key)

    def _produce(self, key: str) -> None:
        out = self._queues[key]
        try:
            for batch in self._read(key):
                while not self._stop.is_set():
                    try:
                        out.put(batch, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
            self._put_final(out, _DONE)
        except BaseException as exc:
            self._put_final(out, Failed(exc))

    def _put_final(self, out: queue.Queue[object], item: object) -> None:
        while not self._stop.is_set():
            try:
                out.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def take(self, key: str) -> t.Iterator[list[dict[str, t.Any]] | Failed]:
        """Batches of `key` as they arrive, ending with a `Failed` if its reader raised."""
        source = self._queues[key]
        while True:
            item = source.get()
            if item is _DONE:
                return
            yield t.cast("list[dict[str, t.Any]] | Failed", item)
            if isinstance(item, Failed):
                return

    def close(self) -> None:
        """Stop every reader (after the last account, or when the run is aborted)."""
        self._stop.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
