"""Reading many accounts at once: every account's batches in order, in memory that follows the accounts in flight.

A public app may have thousands of installs. The prefetcher reads a few at a time; what it holds
must not grow with the accounts still waiting (B8 in bench/ measures the whole run at 5,000).
"""

from __future__ import annotations

import threading
import tracemalloc

from tap_brightpearl.prefetch import Failed, Prefetcher

ACCOUNTS = 5_000
HELD_AT_MOST = 1_000_000  # bytes for 5,000 accounts waiting their turn: ~200 B each at most


def test_accounts_waiting_their_turn_cost_next_to_nothing():
    gate = threading.Event()

    def read(code: str):
        gate.wait(10)  # the first accounts are in flight and slow: every other one waits its turn
        yield [{"accountCode": code}]

    keys = [f"acct{i:05d}" for i in range(ACCOUNTS)]
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        prefetcher = Prefetcher(keys, read, workers=4)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    try:
        assert held - before < HELD_AT_MOST, f"{(held - before) / ACCOUNTS:.0f} B held per waiting account"
        gate.set()
        for code in keys:
            assert list(prefetcher.take(code)) == [[{"accountCode": code}]]
        assert prefetcher.finished == ACCOUNTS
    finally:
        prefetcher.close()


def test_a_failed_account_is_handed_over_and_the_others_still_come_in_order():
    def read(code: str):
        if code == "b":
            raise RuntimeError("b's server is down")
        yield [code]
        yield [code + "2"]

    prefetcher = Prefetcher(["a", "b", "c"], read, workers=2)
    try:
        assert list(prefetcher.take("a")) == [["a"], ["a2"]]
        failed = list(prefetcher.take("b"))
        assert len(failed) == 1 and isinstance(failed[0], Failed) and "down" in str(failed[0].error)
        assert list(prefetcher.take("c")) == [["c"], ["c2"]]
    finally:
        prefetcher.close()
