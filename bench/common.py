"""Shared benchmark plumbing: run the real tap CLI as a subprocess against the emulator.

Every figure is measured in the same run as its baseline, so the ratio survives a
noisy machine better than an absolute number would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
TAP = str(BIN / "tap-brightpearl") if (BIN / "tap-brightpearl").exists() else "tap-brightpearl"
PYTHON = sys.executable
PYCACHE = Path(tempfile.gettempdir()) / "bp-bench-pycache"


def child_env() -> dict[str, str]:
    """The caller's environment, but with bytecode caching on (outside the repo).

    An installed tap has its .pyc files; recompiling the SDK on every start would add
    about half a second of noise to every figure.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


@dataclass
class Run:
    """What one subprocess run cost."""

    wall: float
    max_rss_kb: int
    cpu: float  # user + sys seconds of the child process (and any children it waited for)
    returncode: int
    stdout: Path
    stderr: str


def workdir() -> Path:
    """A scratch directory for configs, catalogs and outputs."""
    return Path(tempfile.mkdtemp(prefix="bp-bench-"))


def write_json(path: Path, obj: Any) -> Path:
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def catalog_for(config: dict[str, Any], streams: set[str]) -> dict[str, Any]:
    """The tap's own catalog with only `streams` selected (built in-process: no requests)."""
    from tests.conftest import catalog_selecting

    return catalog_selecting(config, streams)


def _vm_hwm_kb(pid: int) -> int:
    """The child's own peak RSS since exec (VmHWM).

    ru_maxrss from wait4 is not usable here: on Linux it includes the parent's resident
    pages the child inherited before exec, and the parent holds the emulator's data.
    """
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run(argv: list[str], *, out: Path | None = None, timeout: float = 600) -> Run:
    """Run `argv`, stdout to `out` (or /dev/null); return wall time and the child's peak RSS."""
    sink = open(out, "wb") if out is not None else open(os.devnull, "wb")  # noqa: SIM115
    err = tempfile.TemporaryFile()  # noqa: SIM115
    with sink, err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=sink, stderr=err, cwd=ROOT, env=child_env())
        deadline = start + timeout
        hwm = 0
        while True:
            hwm = max(hwm, _vm_hwm_kb(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        sys.stderr.write(stderr[-3000:])
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(argv)}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, hwm or usage.ru_maxrss, cpu, proc.returncode, out or Path(os.devnull), stderr)


def run_tap(
    config: dict[str, Any],
    *,
    streams: set[str],
    where: Path,
    name: str,
    out: Path | None = None,
    state: dict[str, Any] | None = None,
    launcher: list[str] | None = None,
) -> Run:
    """Run the tap CLI (or `launcher`) with a config and a catalog selecting `streams`."""
    cfg = write_json(where / f"{name}.config.json", config)
    cat = write_json(where / f"{name}.catalog.json", catalog_for(config, streams))
    argv = [*(launcher or [TAP]), "--config", str(cfg), "--catalog", str(cat)]
    if state is not None:
        argv += ["--state", str(write_json(where / f"{name}.state.json", state))]
    return run(argv, out=out)


def machine() -> str:
    """The machine a figure comes from: cores, CPU model, Python, and the load when asked."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    python = ".".join(str(x) for x in sys.version_info[:3])
    return f"{os.cpu_count()} cores, {model}, Python {python}, load average {load}"


def verdict(name: str, checks: dict[str, bool]) -> bool:
    """Print the final verdict line and return whether every check passed."""
    failed = [k for k, ok in checks.items() if not ok]
    status = "PASS" if not failed else "FAIL"
    detail = "all targets met" if not failed else "missed: " + ", ".join(failed)
    print(f"{name} verdict: {status} ({detail})", flush=True)
    return not failed
