"""B7 the neighbour: the tap reads 20 accounts while the app itself calls the same pools.

Each account has its own throttle pool in the emulator (Q requests per W-second rolling
window), as a public app's pool is per account and developer. A second client plays the
developer's production app: a steady N requests per window on every account's pool, started
a window before the tap and kept up until it ends. The tap reads every account stream (about
50 small requests per account) at default settings, datacentres remembered in state.

What the pool leaves the tap per window is Q less the share `throttle_reserve` keeps free
(the same rounding as the tap: `reserve_slots`) less the neighbour's N, so the floor is the
busiest account's requests over that, in windows. Targets (issue 21): the neighbour is never
refused (0 503s), and the tap's wall is within 1.15x of that floor.

    .venv/bin/python -m bench.b7_neighbour [--accounts 20] [--quota 20] [--window-s 4] [--neighbour 4]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from bench.common import run_tap, verdict, workdir
from tap_brightpearl.settings import DEFAULTS
from tap_brightpearl.throttle_pool import reserve_slots
from tests.conftest import ALL_ACCOUNT_STREAMS
from tests.emulator import Emulator
from tests.emulator.client import account_url, app_headers
from tests.support.neighbour import Neighbour

NEIGHBOUR_PATH = "integration-service/account-configuration"


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--quota", type=int, default=20, help="requests per window per account pool")
    parser.add_argument("--window-s", type=float, default=4.0)
    parser.add_argument("--neighbour", type=int, default=4, help="the app's requests per window per account")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args(argv)
    q, w, n = args.quota, args.window_s, args.neighbour
    reserve = DEFAULTS["throttle_reserve"]
    left = q - reserve_slots(reserve, q) - n
    if left <= 0:
        raise SystemExit(f"B7: quota {q} leaves nothing to the tap after the reserve and {n} neighbour requests")
    where = workdir()
    with Emulator(
        n_accounts=args.accounts, seed=11, latency=args.latency_ms / 1000, throttle_quota=q, throttle_window=w
    ) as emu:
        for account in emu.accounts:  # every account enabled and present: B7 measures pacing, not skipping
            account.enabled, account.gone = True, False
            emu.account_data(account.accountCode)  # generated before timing
        state = {
            "bookmarks": {"account_timezones": {"dataCenters": {a.accountCode: a.datacentre for a in emu.accounts}}}
        }
        targets = [(account_url(emu, a, NEIGHBOUR_PATH), app_headers(emu, a)) for a in emu.accounts]
        with Neighbour(targets, n, w) as neighbour:
            time.sleep(w)  # the app was there first: the pools are in their steady state
            emu.clear_log()
            before = emu.throttled_count
            result = run_tap(emu.tap_config(), streams=set(ALL_ACCOUNT_STREAMS), where=where, name="b7", state=state)
            tap_requests = Counter(
                r.path.split("/")[2]
                for r in emu.requests
                if "/public-api/" in r.path and not r.path.endswith(NEIGHBOUR_PATH)
            )
            refused_during = emu.throttled_count - before
        neighbour_refused, neighbour_sent = neighbour.refused, neighbour.sent
    busiest = max(tap_requests.values())
    floor = busiest / left * w
    tap_refused = refused_during - neighbour_refused
    ratio = result.wall / floor
    print(
        f"B7 {args.accounts} accounts, quota {q} per {w:g} s per account pool, {args.latency_ms:.0f} ms latency; "
        f"throttle_reserve {reserve:g} keeps {reserve_slots(reserve, q)} free, the neighbour sends {n} per window"
    )
    print(f"B7 neighbour: {neighbour_sent} requests, {neighbour_refused} refused with 503 (target 0)")
    print(f"B7 tap: {sum(tap_requests.values())} account requests (busiest account {busiest}), {tap_refused} 503s")
    print(
        f"B7 tap wall {result.wall:.2f} s vs the floor {floor:.2f} s ({busiest} requests / {left} per window "
        f"left by the reserve and the neighbour): {ratio:.3f}x (target <= 1.15x)"
    )
    return verdict("B7", {"neighbour never refused": neighbour_refused == 0, "<= 1.15x floor": ratio <= 1.15})


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
