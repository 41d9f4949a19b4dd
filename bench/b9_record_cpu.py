"""B9 records at full size: the tap's CPU for B5's 40,000 full orders vs a plain loop's.

The tap CLI reads the `orders` stream of 20 accounts x 2,000 full orders (B5's emulator, state
and settings). The floor is `bench/floor_records.py`, run on the same machine in the same run:
msgspec decodes the very bodies the emulator serves (ID sets of 200, includeOptional=customFields)
and encodes a Singer RECORD line per order to a file. Both run `--repeat` times, alternating;
the lowest CPU of each counts (a busy neighbour can only add to it). Target (issue 22): the tap's
CPU (user + sys of its process, start-up included) <= 2.0x the floor's loop.

    .venv/bin/python -m bench.b9_record_cpu [--accounts 20] [--orders 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse

from bench.b1_timezones import count_records
from bench.b5_accounts import OPTIONAL, STREAM, warm_orders
from bench.common import PYTHON, machine, run, run_tap, verdict, workdir
from bench.floor_records import write_bodies
from tests.emulator import Emulator

ID_SET = 200  # ids per detail GET, as the tap asks for them


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--quota", type=int, default=20)
    parser.add_argument("--window-s", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    where = workdir()
    expected = args.accounts * args.orders
    taps: list[float] = []
    floors: list[float] = []
    with Emulator(
        n_accounts=args.accounts,
        seed=11,
        latency=args.latency_ms / 1000,
        throttle_quota=args.quota,
        throttle_window=args.window_s,
        orders_per_account=args.orders,
    ) as emu:
        warm_orders(emu)
        bodies = []
        for account in emu.accounts:
            data = emu.account_data(account.accountCode)
            records = sorted(data.table("order").records, key=lambda r: r["id"])
            for i in range(0, len(records), ID_SET):
                found = [data.detail_json("order", r, OPTIONAL) for r in records[i : i + ID_SET]]
                bodies.append((account.accountCode, b'{"response":[' + b",".join(found) + b"]}"))
        body_file = where / "bodies.bin"
        write_bodies(str(body_file), bodies)
        size = sum(len(b) for _, b in bodies)
        state = {
            "bookmarks": {"account_timezones": {"dataCenters": {a.accountCode: a.datacentre for a in emu.accounts}}}
        }
        config = emu.tap_config(lookback_minutes=0)
        for i in range(args.repeat):
            emu.reset_throttle()
            out = where / f"tap{i}.jsonl"
            result = run_tap(config, streams={STREAM}, where=where, name=f"tap{i}", out=out, state=state)
            got = count_records(out)
            if got != expected:
                raise SystemExit(f"B9 tap run {i}: expected {expected} records, got {got}")
            taps.append(result.cpu)
            timing = where / f"floor{i}.time"
            run([PYTHON, "-m", "bench.floor_records", str(body_file), str(where / "floor.jsonl")], out=timing)
            seconds, records = timing.read_text().split()
            if int(records) != expected:
                raise SystemExit(f"B9 floor: expected {expected} records, got {records}")
            floors.append(float(seconds))
    tap, floor = min(taps), min(floors)
    ratio = tap / floor
    print(f"B9 machine: {machine()}")
    print(f"B9 {args.accounts} accounts x {args.orders} full orders, {size / 1e6:.0f} MB of detail bodies")
    print("B9 tap CPU (user + sys, whole process): " + ", ".join(f"{c:.2f} s" for c in taps))
    print("B9 floor CPU (msgspec decode + RECORD encode loop): " + ", ".join(f"{c:.2f} s" for c in floors))
    print(f"B9 per order: tap {tap / expected * 1e6:.1f} us, floor {floor / expected * 1e6:.1f} us")
    print(f"B9 tap CPU vs floor (best of {args.repeat} each): {ratio:.2f}x (target <= 2.0x)")
    return verdict("B9", {"<= 2.0x plain decode+encode": ratio <= 2.0})


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
