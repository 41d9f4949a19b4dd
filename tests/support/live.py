"""A tap process the test can watch, signal and kill while it runs (the `tap` fixture only runs to the end)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import TAP, TapRun

SUMMARY_TYPE = "BRIGHTPEARL_RUN_SUMMARY"


class LiveTap:
    """`tap-brightpearl` started in `where`; stdout is read line by line as a target would."""

    def __init__(
        self,
        config: dict[str, Any],
        where: Path,
        *,
        state: dict[str, Any] | None = None,
        catalog: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        where.mkdir(parents=True, exist_ok=True)
        (where / "config.json").write_text(json.dumps(config))
        cmd = [TAP, "--config", "config.json"]
        if state is not None:
            (where / "state.json").write_text(json.dumps(state))
            cmd += ["--state", "state.json"]
        if catalog is not None:
            (where / "catalog.json").write_text(json.dumps(catalog))
            cmd += ["--catalog", "catalog.json"]
        self._stderr_path = where / "stderr.txt"
        self._stderr = self._stderr_path.open("w")
        self.proc = subprocess.Popen(
            cmd, cwd=where, stdout=subprocess.PIPE, stderr=self._stderr, text=True, env={**os.environ, **(env or {})}
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def records_seen(self, stream: str) -> int:
        """RECORD lines of `stream` read so far."""
        marker = f'"type":"RECORD","stream":"{stream}"'
        return sum(marker in line for line in list(self.lines))

    def signal(self, signum: int) -> None:
        """Send a signal to the running tap."""
        self.proc.send_signal(signum)

    def wait(self, timeout: float = 120) -> TapRun:
        """The finished run (killed if it outlives `timeout`), parsed like `run_tap` does."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"the tap was still running after {timeout} s:\n{self.stderr[-3000:]}") from None
        self._reader.join(30)
        self._stderr.close()
        stdout = "".join(self.lines)
        messages = [json.loads(line) for line in self.lines if line.startswith('{"type"') and line.endswith("\n")]
        return TapRun(self.proc.returncode, stdout, self.stderr, messages)

    @property
    def stderr(self) -> str:
        return self._stderr_path.read_text()


def wait_until(condition: Callable[[], bool], *, timeout: float = 60, what: str = "the condition") -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` s (a guard, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.02)


def summary(run: TapRun) -> dict[str, Any]:
    """The run's BRIGHTPEARL_RUN_SUMMARY line."""
    found = [json.loads(line) for line in run.stderr.splitlines() if f'"type":"{SUMMARY_TYPE}"' in line]
    assert len(found) == 1, f"expected one summary line, found {len(found)}:\n{run.stderr[-3000:]}"
    return found[0]
