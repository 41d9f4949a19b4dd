"""B2 throttle: N accounts through one pool with a quota of Q requests per W-second window.

One datacentre (so one throttle pool) and every account pinned, so the run is the
installed-accounts request plus one account-timezone request per account: N + 1
requests. The floor is N / U windows, U being what the server admits per window less what
`throttle_reserve` keeps free for the app's own calls (issue 21; at its default, 20 of 100).
Targets (issue 4): no 503 after the first, and wall time within 1.2x of the floor.

    .venv/bin/python -m bench.b2_throttle [--accounts 1000] [--quota 100] [--window-s 1]
"""

from __future__ import annotations

import argparse

from bench.common import run_tap, verdict, workdir
from tap_brightpearl.settings import DEFAULTS
from tap_brightpearl.throttle_pool import reserve_slots
from tests.emulator import Emulator


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--quota", type=int, default=100)
    parser.add_argument("--window-s", type=float, default=1.0)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    args = parser.parse_args(argv)
    n, q, w = args.accounts, args.quota, args.window_s
    where = workdir()
    with Emulator(
        n_accounts=n, seed=7, datacentres=("euw1",), throttle_quota=q, throttle_window=w, latency=args.latency_ms / 1000
    ) as emu:
        pins = {a.accountCode: "euw1" for a in emu.accounts}
        result = run_tap(
            emu.tap_config(account_data_centers=pins),
            streams={"account_timezones"},
            where=where,
            name="b2",
            out=where / "b2.jsonl",
        )
        throttled = emu.throttled_count
        sent = len(emu.requests)
    with open(where / "b2.jsonl", "rb") as f:
        records = sum(1 for line in f if line.startswith(b'{"type":"RECORD"'))
    usable = q - reserve_slots(DEFAULTS["throttle_reserve"], q)
    floor = n / usable * w
    after_first = max(0, throttled - 1)
    ratio = result.wall / floor
    print(
        f"B2 {n} accounts, quota {q} per {w:g} s: {result.wall:.2f} s, {sent} requests, "
        f"{records} records, {throttled} throttle 503(s) in all"
    )
    print(f"B2 503s after the first: {after_first} (target 0)")
    print(
        f"B2 wall vs floor {floor:.2f} s (N / {usable} windows, the quota less the throttle_reserve): "
        f"{ratio:.2f}x (target <= 1.2x)"
    )
    print(
        f"B2 wall vs N / Q windows ({n / q * w:.2f} s, the whole quota): {result.wall / (n / q * w):.2f}x (information)"
    )
    return verdict(
        "B2",
        {"every account read": records == n, "no 503 after the first": after_first == 0, "<= 1.2x floor": ratio <= 1.2},
    )


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
