"""B6 one big account near the physical limit: 50,000 orders behind a throttle of Q per window.

One account (a private app, so no developer-tools calls), its orders read in full on a first
sync: search pages of 500 and ID-set GETs of 200. The server admits Q requests per W-second
window, of which `throttle_reserve` keeps a share free for the app's own calls (issue 21: at
its default, 4 of 20), so the floor is (requests needed / what the reserve leaves) windows.
Targets (issue 13): wall time <= 1.15x that floor, and requests sent <= 1.1x the minimum
(ceil(N/500) + ceil(N/200)).

    .venv/bin/python -m bench.b6_big_account [--orders 50000] [--quota 20] [--window-s 1] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import math
import time

from bench.b1_timezones import count_records
from bench.common import run_tap, verdict, workdir
from tap_brightpearl.settings import DEFAULTS
from tap_brightpearl.throttle_pool import reserve_slots
from tests.emulator import Emulator

TOKEN = "b6-private-account-token-0001"


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--quota", type=int, default=20)
    parser.add_argument("--window-s", type=float, default=1.0)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args(argv)
    n, q, w = args.orders, args.quota, args.window_s
    where = workdir()
    with Emulator(
        n_accounts=1,
        seed=17,
        datacentres=("euw1",),
        throttle_quota=q,
        throttle_window=w,
        latency=args.latency_ms / 1000,
        orders_per_account=n,
    ) as emu:
        account = emu.accounts[0]
        account.enabled, account.gone = True, False
        built = time.perf_counter()
        data = emu.account_data(account.accountCode)
        table = data.table("order")  # built and cached before timing, as the tap asks for them
        table.keyed()
        for record in table.records:
            data.detail_json("order", record, frozenset({"customFields"}))
        print(f"B6 emulator: {n} orders built in {time.perf_counter() - built:.1f} s (not timed)")
        emu.set_private_token(account.accountCode, TOKEN)
        emu.reset_throttle()
        emu.clear_log()
        config = {
            "app_reference": emu.app_reference,
            "account_code": account.accountCode,
            "account_token": TOKEN,
            "datacenter_urls": emu.base_urls,
        }
        out = where / "b6.jsonl"
        result = run_tap(config, streams={"orders"}, where=where, name="b6", out=out)
        got = count_records(out)
        sent = len([r for r in emu.requests if "/public-api/" in r.path])
        throttled = emu.throttled_count
    if got != n:
        raise SystemExit(f"B6: expected {n} records, got {got}")
    minimum = math.ceil(n / 500) + math.ceil(n / 200)
    usable = q - reserve_slots(DEFAULTS["throttle_reserve"], q)
    floor = minimum / usable * w
    print(f"B6 one account, {n} orders, quota {q} per {w:g} s, {args.latency_ms:.0f} ms latency")
    print(f"B6 wall {result.wall:.2f} s for {sent} requests, {throttled} throttle 503s")
    print(
        f"B6 wall vs the quota floor {floor:.2f} s (minimum requests / {usable} per window, the quota less "
        f"the throttle_reserve): {result.wall / floor:.3f}x (target <= 1.15x)"
    )
    print(
        f"B6 wall vs minimum requests / Q windows ({minimum / q * w:.2f} s): "
        f"{result.wall / (minimum / q * w):.3f}x (information)"
    )
    print(
        f"B6 requests sent vs the minimum {minimum} (pages of 500 + ID sets of 200): "
        f"{sent / minimum:.3f}x (target <= 1.1x)"
    )
    return verdict(
        "B6", {"<= 1.15x quota floor": result.wall / floor <= 1.15, "<= 1.1x minimum requests": sent / minimum <= 1.1}
    )


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
