"""Run B1-B10 in turn and exit non-zero if any verdict is FAIL.

.venv/bin/python -m bench.run_all [--quick]    # --quick skips the two slow baselines (B1, B5)
"""

from __future__ import annotations

import sys

from bench import (
    b1_timezones,
    b2_throttle,
    b3_records,
    b4_memory,
    b5_accounts,
    b6_big_account,
    b7_neighbour,
    b8_scale,
    b9_record_cpu,
    b10_request_cpu,
)
from bench.common import machine


def main() -> int:
    print(f"machine: {machine()}", flush=True)
    results: dict[str, bool] = {}
    if "--quick" in sys.argv:
        print("B1 skipped (--quick)")
    else:
        results["B1"] = b1_timezones.main([])
    results |= {
        "B2": b2_throttle.main([]),
        "B3": b3_records.main([]),
        "B4": b4_memory.main([]),
    }
    if "--quick" in sys.argv:
        print("B5 skipped (--quick)")
    else:
        results["B5"] = b5_accounts.main([])
    results["B6"] = b6_big_account.main([])
    results["B7"] = b7_neighbour.main([])
    results["B8"] = b8_scale.main([])
    results["B9"] = b9_record_cpu.main([])
    results["B10"] = b10_request_cpu.main([])
    print(f"machine at the end: {machine()}")
    failed = [k for k, ok in results.items() if not ok]
    print("ALL verdict: " + ("PASS" if not failed else "FAIL (" + ", ".join(failed) + ")"))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
