"""B8 flat cost at scale: one account with 1,000,000 orders, and 5,000 accounts with 20 each.

Both are first syncs of `orders` behind a quota of Q requests per W-second window per pool, of
which `throttle_reserve` keeps a share free. The baseline, in the same run, is one account with
100,000 orders. Orders are small (no order rows: the emulator's accounts have no products).

- one account, 1,000,000 orders (a private app): search pages of 500 and ID-set GETs of 200, so
  the quota floor is (ceil(N/500) + ceil(N/200)) / (what the reserve leaves) windows;
- 5,000 accounts, 20 orders each (a public app, no state yet): each account is located once
  (account-location, on the developer's pool) and its orders read on its own pool, so the floor
  is the developer pool's (5,000 + installed-accounts) requests at what the reserve leaves.

Targets (issue 21): peak RSS within 1.3x of the 100,000-order run; wall within 1.15x of the quota
floor; the final STATE (deletes ids included) below the documented size,
STATE_BYTES_PER_ACCOUNT per account plus STATE_BYTES_PER_RANGE per id range
(docs/state-and-deletes.md: ids are kept as ranges, so the size follows gaps, not records).

    .venv/bin/python -m bench.b8_scale [--orders 1000000] [--baseline 100000] [--accounts 5000]
        [--per-account 20] [--quota 40] [--window-s 1] [--latency-ms 5]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import run_tap, verdict, workdir
from tap_brightpearl.settings import DEFAULTS
from tap_brightpearl.throttle_pool import reserve_slots
from tests.emulator import Emulator

TOKEN = "b8-private-account-token-0001"
STATE_BYTES_PER_ACCOUNT = 400  # context, bookmark, deletes_checked_at and datacentre of one account
STATE_BYTES_PER_RANGE = 24  # "1234567-1234599," at most, for 64-bit ids in practice far less


@dataclass
class Result:
    """What one run cost and left behind."""

    records: int
    wall: float
    rss_mib: float
    state_bytes: int
    accounts: int
    ranges: int
    throttled: int
    requests: int

    @property
    def state_bound(self) -> int:
        return STATE_BYTES_PER_ACCOUNT * self.accounts + STATE_BYTES_PER_RANGE * self.ranges


def final_state(out: Path) -> tuple[int, dict]:
    """Record count and the last STATE message's value, read line by line (the output can be GBs)."""
    records, state = 0, {}
    with out.open("rb") as lines:
        for line in lines:
            if line.startswith(b'{"type":"RECORD"'):
                records += 1
            elif b'"type":"STATE"' in line[:40]:
                state = json.loads(line)["value"]
    return records, state


def ranges_in(state: dict) -> tuple[int, int]:
    """(partitions, id ranges) of the orders bookmarks."""
    partitions = state.get("bookmarks", {}).get("orders", {}).get("partitions", [])
    ranges = sum(p["ids"].count(",") + 1 for p in partitions if p.get("ids"))
    return len(partitions), ranges


def one_account(n: int, args: argparse.Namespace, where: Path) -> Result:
    """A private app's one account with `n` orders."""
    with Emulator(
        n_accounts=1,
        seed=18,
        datacentres=("euw1",),
        throttle_quota=args.quota,
        throttle_window=args.window_s,
        latency=args.latency_ms / 1000,
        orders_per_account=n,
        products_per_account=0,
        contacts_per_account=5,
    ) as emu:
        account = emu.accounts[0]
        account.enabled, account.gone = True, False
        built = time.perf_counter()
        emu.account_data(account.accountCode).table("order").keyed()
        print(f"B8 emulator: {n:,} orders built in {time.perf_counter() - built:.1f} s (not timed)", flush=True)
        emu.set_private_token(account.accountCode, TOKEN)
        emu.reset_throttle()
        emu.clear_log()
        config = {
            "app_reference": emu.app_reference,
            "account_code": account.accountCode,
            "account_token": TOKEN,
            "datacenter_urls": emu.base_urls,
        }
        return _measure(emu, config, where, f"b8-{n}")


def many_accounts(args: argparse.Namespace, where: Path) -> Result:
    """A public app with `--accounts` installs of `--per-account` orders each, on a first run."""
    with Emulator(
        n_accounts=args.accounts,
        seed=19,
        datacentres=("euw1",),
        throttle_quota=args.quota,
        throttle_window=args.window_s,
        latency=args.latency_ms / 1000,
        orders_per_account=args.per_account,
        products_per_account=0,
        contacts_per_account=2,
        warehouses_per_account=1,
    ) as emu:
        for account in emu.accounts:
            account.enabled, account.gone = True, False
        emu.reset_throttle()
        emu.clear_log()
        return _measure(emu, emu.tap_config(), where, "b8-accounts")


def _measure(emu: Emulator, config: dict, where: Path, name: str) -> Result:
    out = where / f"{name}.jsonl"
    run = run_tap(config, streams={"orders"}, where=where, name=name, out=out)
    records, state = final_state(out)
    partitions, ranges = ranges_in(state)
    requests, throttled = len(emu.requests), emu.throttled_count
    size = len(json.dumps(state, separators=(",", ":")))
    out.unlink()
    return Result(records, run.wall, run.max_rss_kb / 1024, size, partitions, ranges, throttled, requests)


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--per-account", type=int, default=20)
    parser.add_argument("--quota", type=int, default=40)
    parser.add_argument("--window-s", type=float, default=1.0)
    parser.add_argument("--latency-ms", type=float, default=5.0)
    args = parser.parse_args(argv)
    where = workdir()
    usable = args.quota - reserve_slots(DEFAULTS["throttle_reserve"], args.quota)
    base = one_account(args.baseline, args, where)
    big = one_account(args.orders, args, where)
    many = many_accounts(args, where)
    floors = {
        "baseline": (math.ceil(args.baseline / 500) + math.ceil(args.baseline / 200)) / usable * args.window_s,
        "1 account": (math.ceil(args.orders / 500) + math.ceil(args.orders / 200)) / usable * args.window_s,
        "accounts": (args.accounts + 1) / usable * args.window_s,
    }
    expected = {"baseline": args.baseline, "1 account": args.orders, "accounts": args.accounts * args.per_account}
    results = {"baseline": base, "1 account": big, "accounts": many}
    print(
        f"B8 quota {args.quota} per {args.window_s:g} s per pool ({usable} after throttle_reserve), "
        f"{args.latency_ms:g} ms latency"
    )
    checks: dict[str, bool] = {}
    for label, r in results.items():
        if r.records != expected[label]:
            raise SystemExit(f"B8 {label}: expected {expected[label]:,} records, got {r.records:,}")
        ratio = r.wall / floors[label]
        print(
            f"B8 {label}: {r.records:,} records, wall {r.wall:.1f} s vs quota floor {floors[label]:.1f} s "
            f"= {ratio:.3f}x, peak RSS {r.rss_mib:.0f} MiB ({r.rss_mib / base.rss_mib:.2f}x the baseline), "
            f"STATE {r.state_bytes:,} bytes ({r.accounts:,} accounts, {r.ranges:,} id ranges; bound "
            f"{r.state_bound:,}), {r.requests:,} requests, {r.throttled} 503s"
        )
        checks[f"{label} state <= bound"] = r.state_bytes <= r.state_bound
        if label != "baseline":
            checks[f"{label} wall <= 1.15x floor"] = ratio <= 1.15
            checks[f"{label} RSS <= 1.3x baseline"] = r.rss_mib <= 1.3 * base.rss_mib
    return verdict("B8", checks)


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
