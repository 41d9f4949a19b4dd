"""Issue 21's property test: pacing holds over a matrix of emulated servers.

Each cell is a `Windowed` server (tests/support/windowed.py, written apart from the emulator)
with its quota, window, latency, meaning of `brightpearl-next-throttle-period` ("oldest": until
the oldest request in the window ages out; "fixed": until a fixed window ends), pool layout
("host", "account", "mixed", "global": see windowed.py) and server clock (offset, and running
0.5% slow or fast), and the tap CLI runs its default streams against it at default settings
but for `max_concurrency`. Windows stand in for Brightpearl's 60 seconds scaled down to 0.5-3 s,
and latencies and quotas are chosen so that the quota, not the CPU, bounds every run.

In every cell: at most 2 requests per 1,000 refused with 503, the reserve held (one request of
slack), and where a pool bounds the run, its span at the server (first request to last, so
the tap's ~1 s start-up is not counted) within 1.2x of the quota floor, the least time the
pools allow for what was sent (tests/support/pacing.py). Every floor is 5-7 s, so that the
per-window cost (a round trip to learn how many slots freed) stays small next to it; this
machine's 2 cores are shared, and a busy neighbour can only slow the tap, never speed it.
The whole matrix takes about two minutes. Where the account pools hold nearly every request
(the "account" cells), no pool bounds the run; there the tap must send more in some window
than one pool's quota, or it paced them as one pool.
"""

from __future__ import annotations

import pytest

from tap_brightpearl.throttle_pool import reserve_slots
from tests.support.pacing import Cell, run_cell

ONE_DC = ("euw1",)
CELLS = [
    # The server (30 per rolling second, 5 ms), in each layout.
    Cell(30, 1.0, 0.005, 16, "oldest", "host", 120),
    Cell(30, 1.0, 0.005, 16, "oldest", "mixed", 120),
    Cell(30, 1.0, 0.005, 16, "oldest", "global", 90),
    Cell(30, 1.0, 0.005, 16, "oldest", "account", 120),
    # Small and large quotas, one request at a time and 32 at once, no latency and 200 ms.
    Cell(10, 0.5, 0.0, 1, "fixed", "host", 40, ONE_DC),
    Cell(200, 1.0, 0.02, 32, "oldest", "host", 400, ONE_DC),
    Cell(50, 2.0, 0.2, 32, "fixed", "mixed", 120),
    Cell(10, 2.0, 0.2, 2, "oldest", "account", 20),
    # Server clocks skewed: offset by an hour or a few seconds, running 0.5% slow or fast.
    Cell(20, 1.0, 0.05, 8, "oldest", "global", 60, skew_offset=3600.3, skew_rate=0.995),
    Cell(100, 3.0, 0.1, 24, "fixed", "host", 150, skew_offset=-7.7),
    Cell(40, 1.0, 0.0, 32, "oldest", "mixed", 180, skew_rate=1.005),
]
FLOOR_BOUND_FROM = 4.0  # seconds: below this no pool bounds the run


@pytest.mark.slow
@pytest.mark.parametrize(
    "cell", CELLS, ids=[f"{c.pools}-{c.period}-{c.quota}per{c.window:g}s-c{c.concurrency}" for c in CELLS]
)
def test_pacing_holds_in_every_cell(cell):
    outcome = run_cell(cell)
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    assert outcome.records == 2 * cell.accounts
    sent = outcome.admitted + outcome.refused
    assert outcome.refused * 1000 <= 2 * sent, f"{cell}: {outcome.refused} of {sent} refused with 503"
    assert outcome.least_free >= reserve_slots(cell.reserve, cell.quota) - 1, f"{cell}: the reserve was used"
    if outcome.floor >= FLOOR_BOUND_FROM:
        assert outcome.ratio <= 1.2, f"{cell}: {outcome.span:.2f} s vs the floor {outcome.floor:.2f} s"
    else:
        assert outcome.busiest_window > cell.quota, f"{cell}: paced as one pool ({outcome.busiest_window})"
