"""B1 timezones: 2,000 accounts at 40 ms latency, no throttle.

The tap CLI reads account_timezones at the default max_concurrency and at 1, both
given the first run's STATE (datacentres remembered, so one request per account: the
steady state of a scheduled sync). Targets (issue 4): default >= 8x faster than
max_concurrency=1, and within 1.25x of the floor N x latency / max_concurrency.

    .venv/bin/python -m bench.b1_timezones [--accounts 2000] [--latency-ms 40] [--sweep 4,8,16,32]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.common import Run, run_tap, verdict, workdir
from tap_brightpearl.settings import DEFAULTS
from tests.emulator import Emulator

DEFAULT_MAX_CONCURRENCY = DEFAULTS["max_concurrency"]

STREAM = "account_timezones"


def final_state(out: Path) -> dict[str, Any]:
    state: dict[str, Any] = {}
    with open(out, encoding="utf-8") as f:
        for line in f:
            if line.startswith('{"type":"STATE"'):
                state = json.loads(line)["value"]
    return state


def count_records(out: Path) -> int:
    with open(out, "rb") as f:
        return sum(1 for line in f if line.startswith(b'{"type":"RECORD"'))


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--sweep", default="", help="also time these max_concurrency values")
    args = parser.parse_args(argv)
    n, latency, default = args.accounts, args.latency_ms / 1000, DEFAULT_MAX_CONCURRENCY
    where = workdir()
    with Emulator(n_accounts=n, seed=7, latency=latency) as emu:

        def timed(concurrency: int | None, name: str, state: dict[str, Any] | None) -> Run:
            overrides = {} if concurrency is None else {"max_concurrency": concurrency}
            out = where / f"{name}.jsonl"
            emu.clear_log()
            result = run_tap(
                emu.tap_config(**overrides), streams={STREAM}, where=where, name=name, out=out, state=state
            )
            if count_records(out) != n:
                raise SystemExit(f"{name}: expected {n} records, got {count_records(out)}")
            return result

        first = timed(None, "first", None)
        first_locations = sum("account-location" in r.path for r in emu.requests)
        state = final_state(where / "first.jsonl")
        fast = timed(None, "default", state)
        locations = sum("account-location" in r.path for r in emu.requests)
        sweep = {c: timed(c, f"c{c}", state).wall for c in sorted({int(x) for x in args.sweep.split(",") if x.strip()})}
        slow = timed(1, "c1", state)
    floor = n * latency / default
    speedup, vs_floor = slow.wall / fast.wall, fast.wall / floor
    print(
        f"B1 default max_concurrency={default}: {fast.wall:.2f} s for {n} accounts "
        f"({locations} account-location requests, given the first run's state)"
    )
    print(f"B1 max_concurrency=1: {slow.wall:.2f} s")
    for c, wall in sweep.items():
        print(
            f"B1 sweep max_concurrency={c}: {wall:.2f} s, {slow.wall / wall:.2f}x faster than 1, "
            f"{wall / (n * latency / c):.2f}x its floor"
        )
    print(
        f"B1 first run (no state, discovery for {first_locations} accounts): {first.wall:.2f} s, "
        f"{first.wall / (2 * floor):.2f}x its floor 2N x latency / max_concurrency (information)"
    )
    print(f"B1 default vs max_concurrency=1: {speedup:.2f}x faster (target >= 8x)")
    print(f"B1 default vs floor {floor:.2f} s (N x latency / max_concurrency): {vs_floor:.2f}x (target <= 1.25x)")
    return verdict(
        "B1",
        {
            ">= 8x max_concurrency=1": speedup >= 8,
            "<= 1.25x floor": vs_floor <= 1.25,
            "no account-location with state": locations == 0,
        },
    )


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
