"""Run the tap CLI under cProfile in every thread, merged into one stats file at exit.

    .venv/bin/python -m bench.profiled OUT.pstats --config ... --catalog ... [--state ...]

The workers are threads, and cProfile sees only the thread that enabled it: each new thread
enables its own profiler on its first event, and at exit all of them are merged.
"""

from __future__ import annotations

import atexit
import cProfile
import pstats
import sys
import threading
import time

_profiles: list[cProfile.Profile] = []


def _start(_frame: object, _event: str, _arg: object) -> None:
    profile = cProfile.Profile(time.thread_time)  # CPU, not time spent waiting for the GIL
    _profiles.append(profile)
    profile.enable()  # replaces this hook for the thread


def _dump(out: str) -> None:
    for profile in _profiles:
        profile.disable()  # only stops the calling thread's; the others' data is read as it stands
    stats = None
    for profile in _profiles:
        profile.snapshot_stats()
        stats = pstats.Stats(profile) if stats is None else stats.add(profile)
    if stats is not None:
        stats.dump_stats(out)


def main() -> None:
    out = sys.argv[1]
    sys.argv = ["tap-brightpearl", *sys.argv[2:]]
    threading.setprofile(_start)
    atexit.register(_dump, out)
    main_profile = cProfile.Profile(time.thread_time)  # CPU, not time spent waiting for the GIL
    _profiles.append(main_profile)
    main_profile.enable()
    from tap_brightpearl.cli import main as tap_main

    tap_main()


if __name__ == "__main__":
    main()
