"""A second client playing the developer's own app on the pools the tap is reading.

It sends a steady `per_window` requests per window to each target, evenly spaced and
staggered across targets, from before the tap starts until it ends, and counts the
answers by status: the app sharing a pool with the tap should never be refused.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from types import TracebackType

import requests


class Neighbour:
    """`targets`: (url, headers) pairs, one per pool; started and stopped as a with-block."""

    def __init__(self, targets: list[tuple[str, dict[str, str]]], per_window: int, window: float) -> None:
        self.targets, self.per_window, self.window = targets, per_window, window
        self.statuses: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._play, args=(i, url, headers), daemon=True)
            for i, (url, headers) in enumerate(targets)
        ]

    @property
    def sent(self) -> int:
        with self._lock:
            return sum(self.statuses.values())

    @property
    def refused(self) -> int:
        with self._lock:
            return self.statuses[503]

    def _play(self, index: int, url: str, headers: dict[str, str]) -> None:
        session = requests.Session()
        every = self.window / self.per_window
        due = time.monotonic() + every * index / len(self._threads)
        while not self._stop.wait(max(0.0, due - time.monotonic())):
            status = session.get(url, headers=headers, timeout=30).status_code
            with self._lock:
                self.statuses[status] += 1
            due += every

    def __enter__(self) -> Neighbour:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
