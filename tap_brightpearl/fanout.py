"""Worker threads for concurrent requests, and an ordered map over them.

singer-sdk syncs one request at a time; here a bounded window of futures runs on worker
threads and results come back in input order, so the Singer stream is identical to a
sequential run and memory stays flat however many accounts.

The workers are daemon threads, not a ThreadPoolExecutor: Python joins executor threads
at exit, so one worker stuck on a dead connection would keep a SIGTERMed tap alive.
"""

from __future__ import annotations

import collections
import queue
import threading
import typing as t
from concurrent.futures import Future

T = t.TypeVar("T")
R = t.TypeVar("R")

_STOP = object()


class DaemonPool:
    """A fixed set of daemon worker threads running submitted calls."""

    def __init__(self, workers: int, *, name: str) -> None:
        """Start `workers` threads at once."""
        self._tasks: queue.SimpleQueue[t.Any] = queue.SimpleQueue()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True) for i in range(max(1, workers))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, func: t.Callable[..., R], *args: t.Any) -> Future[R]:
        """Run `func(*args)` on a worker; the future holds its result or exception."""
        future: Future[R] = Future()
        self._tasks.put((future, func, args))
        return future

    def _work(self) -> None:
        while True:
            task = self._tasks.get()
            if task is _STOP:
                return
            future, func, args = task
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = func(*args)
            except BaseException as exc:  # handed to whoever waits on the future
                future.set_exception(exc)
            else:
                future.set_result(result)

    def close(self, pending: t.Iterable[Future[t.Any]] = ()) -> None:
        """Cancel what has not started and let the workers end; never wait for a stuck one."""
        if self._closed:
            return
        self._closed = True
        for future in pending:
            future.cancel()
        for _ in self._threads:
            self._tasks.put(_STOP)


def ordered_map(
    func: t.Callable[[T], R],
    items: t.Iterable[T],
    *,
    workers: int,
    window: int | None = None,
) -> t.Iterator[R]:
    """Yield `func(item)` for each item, in order, with up to `workers` calls running at once.

    An exception in any call cancels what has not started and is raised here.
    """
    if workers <= 1:
        yield from map(func, items)
        return
    limit = window or workers * 4
    pending: collections.deque[Future[R]] = collections.deque()
    pool = DaemonPool(workers, name="brightpearl")
    try:
        for item in items:
            pending.append(pool.submit(func, item))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.close(pending)
