"""Run per-account requests concurrently while one thread writes the output.

singer-sdk syncs child requests one at a time; here a bounded window of futures
runs on a thread pool and results come back in input order, so the Singer stream
stays identical to a sequential run and memory stays flat however many accounts.
"""

from __future__ import annotations

import collections
import typing as t
from concurrent.futures import Future, ThreadPoolExecutor

T = t.TypeVar("T")
R = t.TypeVar("R")


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
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="brightpearl")
    try:
        for item in items:
            pending.append(executor.submit(func, item))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
