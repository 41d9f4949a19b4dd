"""Run the tap CLI against a `Windowed` server and measure its pacing against the quota floor.

The floor of a run is the least time the server's pools allow for what was sent: a pool
that admitted n requests at u per window (u = quota less what `throttle_reserve` keeps
free) cannot see its last one sooner than floor((n - 1) / u) windows after its first. The
run is measured at the server, first arrival to last, so the tap's start-up (an
interpreter and the SDK, about a second) is not counted against its pacing.
"""

from __future__ import annotations

import bisect
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tap_brightpearl.settings import DEFAULTS
from tap_brightpearl.throttle_pool import reserve_slots
from tests.support.windowed import Windowed

TAP = str(Path(sys.executable).with_name("tap-brightpearl"))


@dataclass(frozen=True)
class Cell:
    """One emulated server and how the tap is run against it."""

    quota: int
    window: float
    latency: float
    concurrency: int
    period: str
    pools: str
    accounts: int
    datacentres: tuple[str, ...] = ("euw1", "use1", "usw1")
    skew_offset: float = 0.0
    skew_rate: float = 1.0
    reserve: float = DEFAULTS["throttle_reserve"]

    def __str__(self) -> str:
        skew = f", clock {self.skew_offset:+g} s x{self.skew_rate:g}" if self.skew_offset or self.skew_rate != 1 else ""
        return (
            f"{self.pools} pools, {self.period}, {self.quota}/{self.window:g} s, {self.latency * 1000:g} ms, "
            f"max_concurrency {self.concurrency}, {self.accounts} accounts on {len(self.datacentres)} DC{skew}"
        )


@dataclass
class Outcome:
    """What the server saw of one run."""

    returncode: int
    records: int
    admitted: int
    refused: int
    span: float
    floor: float
    per_pool: dict[str, int] = field(default_factory=dict)
    least_free: int = 0  # the fewest requests remaining the server ever answered to an admitted one
    busiest_window: int = 0  # the most requests admitted in any one window's time, every pool together
    stderr: str = ""

    @property
    def ratio(self) -> float:
        return self.span / self.floor if self.floor else 0.0


def run_cell(cell: Cell, **config: Any) -> Outcome:
    """Run the tap once (installed_accounts and account_timezones, its default streams)."""
    server = Windowed(
        cell.accounts,
        quota=cell.quota,
        window=cell.window,
        period=cell.period,
        pools=cell.pools,
        latency=cell.latency,
        datacentres=cell.datacentres,
        skew_offset=cell.skew_offset,
        skew_rate=cell.skew_rate,
    )
    with server:
        settings = server.tap_config(max_concurrency=cell.concurrency, throttle_reserve=cell.reserve, **config)
        where = Path(tempfile.mkdtemp(prefix="bp-pacing-"))
        (where / "config.json").write_text(json.dumps(settings))
        proc = subprocess.run(
            [TAP, "--config", str(where / "config.json")], capture_output=True, text=True, timeout=600, check=False
        )
        log = server.arrivals()
    records = sum(1 for line in proc.stdout.splitlines() if line.startswith('{"type":"RECORD"'))
    admitted = [a for a in log if a.status != 503]
    usable = cell.quota - reserve_slots(cell.reserve, cell.quota)
    per_pool: dict[str, int] = {}
    for a in admitted:
        per_pool[a.pool] = per_pool.get(a.pool, 0) + 1
    floor = max(((n - 1) // usable) * cell.window for n in per_pool.values()) if per_pool else 0.0
    return Outcome(
        returncode=proc.returncode,
        records=records,
        admitted=len(admitted),
        refused=len(log) - len(admitted),
        span=(admitted[-1].at - admitted[0].at) if admitted else 0.0,
        floor=floor,
        per_pool=per_pool,
        least_free=min((a.remaining for a in admitted), default=0),
        busiest_window=_busiest([a.at for a in admitted], cell.window),
        stderr=proc.stderr,
    )


def _busiest(times: list[float], window: float) -> int:
    """The most of `times` (sorted) within any span of `window` seconds."""
    return max((bisect.bisect_left(times, t + window) - i for i, t in enumerate(times)), default=0)
