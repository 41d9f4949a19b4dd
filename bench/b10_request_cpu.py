"""B10 requests: the tap's CPU per account-timezone request vs a bare urllib3 pool's.

B1's steady state: 2,000 accounts at 40 ms latency, the tap given the first run's STATE
(datacentres remembered, so one timezone GET per account), at the default max_concurrency.
The floor is `bench/floor_requests.py`, run on the same machine in the same run: the very
GETs the tap sent (URLs and headers from the emulator's log) from as many threads as
max_concurrency sharing one urllib3 pool, each body decoded with msgspec. Both run `--repeat`
times, alternating; the lowest CPU of each counts. Target (issue 22): the tap's CPU per request
<= 2x the floor's. The tap's per-request CPU is its whole process's (start-up, the installed-
accounts list and the SCHEMA/STATE messages included) over the requests; the marginal figure
(less a run of `--few` accounts) is printed too.

    .venv/bin/python -m bench.b10_request_cpu [--accounts 2000] [--latency-ms 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.b1_timezones import STREAM, count_records, final_state
from bench.common import PYTHON, machine, run, run_tap, verdict, workdir
from tap_brightpearl.settings import DEFAULTS
from tests.emulator import Emulator

PATH = "account-timezone"


def _tap(emu: Emulator, where: Path, name: str, state: dict[str, Any] | None) -> tuple[float, list[dict[str, Any]]]:
    """The tap's CPU for one run, and the timezone requests it sent."""
    emu.clear_log()
    out = where / f"{name}.jsonl"
    result = run_tap(emu.tap_config(), streams={STREAM}, where=where, name=name, out=out, state=state)
    if count_records(out) != len(emu.accounts):
        raise SystemExit(f"B10 {name}: expected {len(emu.accounts)} records, got {count_records(out)}")
    sent = [{"url": emu.base_urls[r.datacentre] + r.path, "headers": r.headers} for r in emu.requests if PATH in r.path]
    return result.cpu, sent


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--few", type=int, default=20, help="accounts of the run whose CPU is the fixed cost")
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    where = workdir()
    threads = DEFAULTS["max_concurrency"]
    taps: list[float] = []
    floors: list[float] = []
    fixed: list[float] = []
    with Emulator(n_accounts=args.few, seed=7, latency=args.latency_ms / 1000) as few:
        _tap(few, where, "few-first", None)
        few_state = final_state(where / "few-first.jsonl")
        for i in range(args.repeat):
            fixed.append(_tap(few, where, f"few{i}", few_state)[0])
    with Emulator(n_accounts=args.accounts, seed=7, latency=args.latency_ms / 1000) as emu:
        _tap(emu, where, "first", None)
        state = final_state(where / "first.jsonl")
        for i in range(args.repeat):
            cpu, sent = _tap(emu, where, f"tap{i}", state)
            if len(sent) != args.accounts:
                raise SystemExit(f"B10: the tap sent {len(sent)} timezone requests, expected {args.accounts}")
            taps.append(cpu)
            listing = where / "requests.json"
            listing.write_text(json.dumps(sent), encoding="utf-8")
            timing = where / f"floor{i}.time"
            run([PYTHON, "-m", "bench.floor_requests", str(listing), str(threads)], out=timing)
            seconds, count = timing.read_text().split()
            if int(count) != args.accounts:
                raise SystemExit(f"B10 floor: {count} requests answered, expected {args.accounts}")
            floors.append(float(seconds))
    n = args.accounts
    tap, floor, base = min(taps), min(floors), min(fixed)
    per_tap, per_floor = tap / n * 1e6, floor / n * 1e6
    marginal = (tap - base) / (n - args.few) * 1e6
    ratio = per_tap / per_floor
    print(f"B10 machine: {machine()}")
    print(f"B10 {n} account-timezone requests, {args.latency_ms:.0f} ms latency, {threads} at once")
    print("B10 tap CPU (user + sys, whole process): " + ", ".join(f"{c:.2f} s" for c in taps))
    print(f"B10 tap CPU of a {args.few}-account run (fixed cost): " + ", ".join(f"{c:.2f} s" for c in fixed))
    print("B10 floor CPU (bare urllib3 pool + msgspec decode): " + ", ".join(f"{c:.2f} s" for c in floors))
    print(
        f"B10 per request: tap {per_tap:.0f} us (whole process), {marginal:.0f} us (marginal, less the fixed "
        f"cost); floor {per_floor:.0f} us"
    )
    print(f"B10 marginal tap CPU per request vs floor: {marginal / per_floor:.2f}x (information)")
    print(f"B10 tap CPU per request vs floor (best of {args.repeat} each): {ratio:.2f}x (target <= 2x)")
    return verdict("B10", {"<= 2x bare urllib3 per request": ratio <= 2})


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
