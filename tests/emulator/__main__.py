"""Run the emulator standalone: ``python -m tests.emulator --accounts 50 --seed 7``.

Prints one ``code url`` line per datacentre, then a working tap config as JSON, then serves
until SIGINT/SIGTERM (demos and benchmarks drive a separate tap process against it).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .emulator import Emulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--accounts", type=int, default=50, help="number of accounts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every response")
    parser.add_argument("--quota", type=int, default=None, help="requests per window per pool")
    parser.add_argument("--window-s", type=float, default=60.0, help="throttle window, seconds")
    parser.add_argument("--datacentres", default="euw1,use1,usw1", help="comma-separated codes")
    parser.add_argument("--master", default=None, help="master datacentre (default: first)")
    parser.add_argument("--no-account-location", action="store_true")
    parser.add_argument(
        "--never-updated-fraction", type=float, default=0.2, help="share of records with no updatedOn yet"
    )
    parser.add_argument("--no-account-apis", action="store_true", help="answer every /public-api/ call 401")
    parser.add_argument("--config-out", type=Path, default=None, help="also write config here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start, announce, serve until a signal, stop."""
    args = parse_args(argv)
    dcs = [d.strip() for d in args.datacentres.split(",") if d.strip()]
    emu = Emulator(
        n_accounts=args.accounts,
        seed=args.seed,
        datacentres=dcs,
        master=args.master or dcs[0],
        latency=args.latency_ms / 1000,
        throttle_quota=args.quota,
        throttle_window=args.window_s,
        account_location=not args.no_account_location,
        never_updated_fraction=args.never_updated_fraction,
        account_apis=not args.no_account_apis,
    )
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    with emu:
        for code, url in emu.base_urls.items():
            print(f"{code} {url}")
        text = json.dumps(emu.tap_config(), indent=2)
        print(text)
        sys.stdout.flush()
        if args.config_out is not None:
            args.config_out.write_text(text + "\n", encoding="utf-8")
        while not done.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
