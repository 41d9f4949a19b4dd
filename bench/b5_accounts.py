"""B5 account data: 20 accounts with 2,000 orders each, read concurrently vs one after another.

The tap CLI reads the `orders` stream of every account at the default max_concurrency,
and again with max_concurrency=1 (the accounts one after another, as the SDK would).
Orders are full-size (every member Brightpearl sends, ~3.4 KB each), and both runs are given
a state that remembers each account's datacentre, as every run after the first is.
Each account has its own throttle pool in the emulator (a quota per short window), so
the run must also keep every pool under its quota. Target (issue 6): >= 10x faster,
with no more than one 503 in any concurrent run. The concurrent run is timed
3 times and the best counts (as B3 does): it is short and bound by CPU, so a busy neighbour on
the shared machine can only slow it.

    .venv/bin/python -m bench.b5_accounts [--accounts 20] [--orders 2000] [--latency-ms 150]
"""

from __future__ import annotations

import argparse
import os

from bench.b1_timezones import count_records
from bench.common import run_tap, verdict, workdir
from tap_brightpearl.settings import DEFAULTS
from tests.emulator import Emulator

DEFAULT_MAX_CONCURRENCY = DEFAULTS["max_concurrency"]

STREAM = "orders"
RUNS = 3
OPTIONAL = frozenset({"customFields"})


def warm_orders(emu: Emulator) -> None:
    """Every account enabled, its orders built and encoded, before any run is timed.

    B5 measures reading, not skipping, and both runs must find the same warm emulator; each order
    is encoded as the tap asks for it (includeOptional=customFields).
    """
    for account in emu.accounts:
        account.enabled, account.gone = True, False
        data = emu.account_data(account.accountCode)
        table = data.table("order")
        table.keyed()
        for record in table.records:
            data.detail_json("order", record, OPTIONAL)


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=150.0,
        help="per response; Brightpearl's own is typically 100-400 ms from outside its datacentre",
    )
    parser.add_argument("--quota", type=int, default=20, help="requests per window per account pool")
    parser.add_argument("--window-s", type=float, default=2.0)
    args = parser.parse_args(argv)
    where = workdir()
    with Emulator(
        n_accounts=args.accounts,
        seed=11,
        latency=args.latency_ms / 1000,
        throttle_quota=args.quota,
        throttle_window=args.window_s,
        orders_per_account=args.orders,
    ) as emu:
        warm_orders(emu)
        expected = args.accounts * args.orders
        # As on any run after the first: the datacentres are remembered in state, so B5 measures
        # reading account data, not account-location discovery (B1 measures that).
        state = {
            "bookmarks": {"account_timezones": {"dataCenters": {a.accountCode: a.datacentre for a in emu.accounts}}}
        }

        def timed(concurrency: int | None, name: str) -> tuple[float, int, int, float]:
            emu.clear_log()
            emu.reset_throttle()
            before = emu.throttled_count
            overrides = {"lookback_minutes": 0}
            if concurrency is not None:
                overrides["max_concurrency"] = concurrency
            out = where / f"{name}.jsonl"
            result = run_tap(
                emu.tap_config(**overrides), streams={STREAM}, where=where, name=name, out=out, state=state
            )
            got = count_records(out)
            if got != expected:
                raise SystemExit(f"{name}: expected {expected} records, got {got}")
            requests = sum("/public-api/" in r.path for r in emu.requests)
            return result.wall, emu.throttled_count - before, requests, result.cpu

        # The concurrent run is short and bound by CPU, so a noisy neighbour on the shared machine
        # can only slow it: best of RUNS, as B3 does (every run is printed); the sequential run
        # is bound by round trips and runs once.
        fast_runs = [timed(None, f"default{i}") for i in range(RUNS)]
        fast, fast_503, requests, fast_cpu = min(fast_runs)
        slow, slow_503, _, slow_cpu = timed(1, "sequential")
    speedup = slow / fast
    print("B5 concurrent runs: " + ", ".join(f"{wall:.2f} s ({cpu:.2f} s CPU)" for wall, _, _, cpu in fast_runs))
    print(
        f"B5 {args.accounts} accounts x {args.orders} orders, {args.latency_ms:.0f} ms latency, "
        f"quota {args.quota} per {args.window_s:g} s per account pool: {requests} account requests per run"
    )
    print(
        f"B5 default max_concurrency={DEFAULT_MAX_CONCURRENCY}: {fast:.2f} s (best of {RUNS}), {fast_503} throttle 503s"
    )
    print(f"B5 one account after another (max_concurrency=1): {slow:.2f} s, {slow_503} throttle 503s")
    print(
        f"B5 tap CPU (user + sys): {fast_cpu:.2f} s concurrent (best run), {slow_cpu:.2f} s one after another; "
        f"the concurrent run's wall is bound by that CPU on {os.cpu_count()} cores (information; B9 sets its target)"
    )
    print(f"B5 concurrent vs one after another: {speedup:.2f}x faster (target >= 10x)")
    worst_503 = max(n for _, n, _, _ in fast_runs)
    return verdict("B5", {">= 10x one after another": speedup >= 10, "<= 1 throttle 503": worst_503 <= 1})


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
