"""B4 memory: peak RSS of the tap CLI at 1,000 and at 100,000 installed accounts.

installed_accounts is selected (the stream whose input grows with the account count:
one response holds the whole list); peak RSS is this child's ru_maxrss from wait4.
Target (issue 4): RSS at 100k within 1.5x of (RSS at 1k + the response body size).

    .venv/bin/python -m bench.b4_memory [--small 1000] [--large 100000]
"""

from __future__ import annotations

import argparse

from bench.common import run_tap, verdict, workdir
from tests.emulator import Emulator

MB = 1024 * 1024


def peak(n: int, where, name: str) -> tuple[float, float]:
    """(peak RSS in MiB, listing body in MiB) for a run over `n` accounts."""
    with Emulator(n_accounts=n, seed=7) as emu:
        body = len(emu.listing_body())
        result = run_tap(emu.tap_config(), streams={"installed_accounts"}, where=where, name=name)
    return result.max_rss_kb * 1024 / MB, body / MB


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args(argv)
    where = workdir()
    small, _ = peak(args.small, where, "small")
    large, body = peak(args.large, where, "large")
    budget = 1.5 * (small + body)
    ratio = large / (small + body)
    print(f"B4 peak RSS at {args.small:,} accounts: {small:.1f} MiB")
    print(f"B4 peak RSS at {args.large:,} accounts: {large:.1f} MiB (response body {body:.1f} MiB)")
    print(
        f"B4 RSS at {args.large:,} vs (RSS at {args.small:,} + body): {ratio:.2f}x "
        f"(target <= 1.5x, i.e. <= {budget:.1f} MiB)"
    )
    return verdict("B4", {"<= 1.5x (small + body)": ratio <= 1.5})


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
