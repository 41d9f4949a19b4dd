"""Run the emulator standalone: ``python -m tests.emulator --accounts 50 --seed 7``.

Prints one ``code url`` line per datacentre, then a working public-app tap config as JSON, then
serves until SIGINT/SIGTERM (demos and benchmarks drive a separate tap process against it).
``--private-config-out`` and ``--oauth-config-out`` also make one account readable by a private app
and by an OAuth app (token endpoint and authorize endpoint served) and print and write their configs,
each after a ``# ...`` line. Every file is whole when it appears; the public one comes last.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from .app_configs import authorize_url, oauth_app_config, private_app_config
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
    parser.add_argument("--config-out", type=Path, default=None, help="also write the public app's config here")
    parser.add_argument(
        "--private-config-out", type=Path, default=None, help="give one account a private app token; its config here"
    )
    parser.add_argument(
        "--oauth-config-out", type=Path, default=None, help="serve OAuth for one account; the OAuth app's config here"
    )
    hostile = parser.add_argument_group("hostile pagers", "searches paging as a hostile server could (every account)")
    hostile.add_argument("--page-cap", type=int, default=None, help="at most N rows per search page, whatever pageSize")
    hostile.add_argument("--shuffle-ties", action="store_true", help="rows sharing the sort value: new order each time")
    hostile.add_argument("--short-by", type=int, default=0, help="searches never deliver their last N announced rows")
    hostile.add_argument(
        "--short-listing-only", action="store_true", help="--short-by only in searches without a date filter"
    )
    return parser.parse_args(argv)


def hostile_pages(emu: Emulator, args: argparse.Namespace) -> None:
    """Turn the hostile pager knobs on for every account, as the command line asks."""
    emu.hostile_pages(
        page_cap=args.page_cap,
        shuffle_ties=args.shuffle_ties,
        short_by=args.short_by,
        short_where="listing" if args.short_listing_only else "every",
    )


def write_whole(path: Path, config: dict[str, Any]) -> None:
    """Write the config under another name, then rename: a reader polling for it never sees half a file."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


def announce(emu: Emulator, args: argparse.Namespace) -> None:
    """Print the datacentres and the configs asked for, and write their files.

    The other configs' files come first and the public one's last, after everything is printed: once
    it exists, the other files are whole and stdout is complete.
    """
    for code, url in emu.base_urls.items():
        print(f"{code} {url}")
    public = emu.tap_config()
    print(json.dumps(public, indent=2))
    if args.private_config_out is not None:
        config = private_app_config(emu)
        write_whole(args.private_config_out, config)
        print(f"# private app config (account {config['account_code']}), also in {args.private_config_out}")
        print(json.dumps(config, indent=2))
    if args.oauth_config_out is not None:
        config = oauth_app_config(emu)
        write_whole(args.oauth_config_out, config)
        print(f"# OAuth app config (account {config['account_code']}), also in {args.oauth_config_out}")
        print(json.dumps(config, indent=2))
        print(f"# OAuth authorize endpoint (tap-brightpearl-oauth --authorize-url): {authorize_url(emu)}")
    sys.stdout.flush()
    if args.config_out is not None:
        write_whole(args.config_out, public)


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
    hostile_pages(emu, args)
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    with emu:
        announce(emu, args)
        while not done.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
