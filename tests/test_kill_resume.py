"""Kill and resume: SIGKILL a long installed_accounts run at random points, resume from the last STATE.

What a target saw is exactly the complete lines read from the tap's stdout. Across all runs the
union of records must hold every account (at-least-once), each run must be the sorted list from
its bookmark on (so a duplicate can only be a record the previous run emitted after its last STATE,
or a tie at the bookmark), and SIGTERM must end with a final STATE that resumes correctly (and exit 143).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEV_SECRET, DEV_TOKEN, TAP
from tests.emulator import Emulator
from tests.faults import DEBUG, assert_clean_text, catalog_selecting, outside_installed_accounts

N_ACCOUNTS = 40_000
KILLS = 6
SEED = 20240605


@pytest.fixture(scope="module")
def big() -> Any:
    with Emulator(n_accounts=N_ACCOUNTS, seed=SEED, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET) as emu:
        yield emu


@pytest.fixture(scope="module")
def setup(big: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    where = tmp_path_factory.mktemp("kill")
    config = where / "config.json"
    config.write_text(json.dumps(big.tap_config(retry_backoff_seconds=0.05)))
    catalog = where / "catalog.json"
    catalog.write_text(json.dumps(catalog_selecting(big.tap_config(), where, "installed_accounts")))
    return {"dir": where, "config": config, "catalog": catalog}


def _expected(emu: Emulator) -> list[tuple[str, str]]:
    return sorted((a.installedOn, a.accountCode) for a in emu.accounts)


class Run:
    """One tap process, read line by line as it streams."""

    def __init__(self, setup: dict[str, Path], state: dict[str, Any] | None, n: int) -> None:
        cmd = [TAP, "--config", str(setup["config"]), "--catalog", str(setup["catalog"])]
        if state is not None:
            path = setup["dir"] / f"state{n}.json"
            path.write_text(json.dumps(state))
            cmd += ["--state", str(path)]
        self.stderr_path = setup["dir"] / f"stderr{n}.txt"
        self._stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=self._stderr, env={**os.environ, **DEBUG}, cwd=setup["dir"]
        )
        self.messages: list[dict[str, Any]] = []

    def read(self, *, until_records: int | None = None) -> None:
        """Read complete lines until EOF, or until `until_records` RECORDs have been read."""
        records = 0
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if not line.endswith(b"\n"):
                break  # cut by the kill: a target would discard it too
            message = json.loads(line)
            self.messages.append(message)
            if message["type"] == "RECORD":
                records += 1
                if until_records is not None and records >= until_records:
                    return

    def finish(self) -> int:
        assert self.proc.stdout is not None
        self.proc.stdout.read()  # drain what the target never saw, so the tap is not blocked
        code = self.proc.wait(60)
        self._stderr.close()
        return code

    @property
    def records(self) -> list[tuple[str, str]]:
        return [
            (m["record"]["installedOn"], m["record"]["accountCode"]) for m in self.messages if m["type"] == "RECORD"
        ]

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()


def _bookmark(state: dict[str, Any] | None) -> str | None:
    if not state:
        return None
    return state.get("bookmarks", {}).get("installed_accounts", {}).get("replication_key_value")


def _check_run(run: Run, expected: list[tuple[str, str]], start: str | None, tokens: set[str]) -> None:
    """A run emits the sorted list from its bookmark on, and every STATE vouches only for what precedes it."""
    from_bookmark = [k for k in expected if start is None or k[0] >= start]
    assert run.records == from_bookmark[: len(run.records)], "records out of order or missing mid-run"
    seen: list[tuple[str, str]] = []
    for message in run.messages:
        if message["type"] == "RECORD":
            seen.append((message["record"]["installedOn"], message["record"]["accountCode"]))
        elif message["type"] == "STATE" and _bookmark(message["value"]) not in (None, start):
            # It may lag the records (they are re-sent on resume), never lead them.
            assert seen and _bookmark(message["value"]) <= seen[-1][0], "a STATE got ahead of the records"
    assert_clean_text(run.stderr, tokens, where="stderr")
    assert_clean_text(outside_installed_accounts(run.messages), tokens, where="stdout")


def test_sigkill_at_random_points_then_resume_loses_nothing(big, setup):
    rng = random.Random(SEED)
    expected = _expected(big)
    tokens = {a.unsignedAccountToken for a in big.accounts}
    union: dict[tuple[str, str], int] = {}
    state: dict[str, Any] | None = None
    states_per_run = []
    cut_short = 0
    for n in range(KILLS + 1):
        start = _bookmark(state)
        remaining = len([k for k in expected if start is None or k[0] >= start])
        run = Run(setup, state, n)
        if n < KILLS:
            if n == 0:  # a kill at a random moment of start-up, before (or around) the first record
                timer = threading.Timer(rng.uniform(0.05, 0.6), run.proc.kill)
                timer.start()
                run.read()
                timer.cancel()
                run.proc.kill()
            else:  # a kill after a random number of records, at most half of what this run has to send
                run.read(until_records=rng.randint(1, max(1, remaining // 2)))
                run.proc.kill()
            code = run.finish()
            assert code in (-signal.SIGKILL, 0)  # 0: it finished before the timer fired
            cut_short += code == -signal.SIGKILL and len(run.records) < remaining
        else:
            run.read()
            assert run.finish() == 0, run.stderr[-2000:]
        _check_run(run, expected, start, tokens)
        # Duplicates only at the resume boundary: everything this run re-sent is at/after its bookmark.
        for key in run.records:
            if key in union:
                assert start is not None and key[0] >= start
            union[key] = union.get(key, 0) + 1
        states_per_run.append(len(run.states))
        if run.states:
            state = run.states[-1]
    assert set(union) == set(expected), f"{len(set(expected) - set(union))} accounts lost across kills"
    assert _bookmark(state) == expected[-1][0]
    assert max(states_per_run) >= 3, "a long run must emit intermediate STATEs to resume from"
    assert cut_short >= KILLS - 1, "every kill after some records landed mid-run"
    print(
        f"kills cut {cut_short} runs short; STATEs per run {states_per_run}; "
        f"{sum(union.values()) - len(union)} records re-sent at resume boundaries"
    )


def _last_state_is_true(run: Run, expected: list[tuple[str, str]]) -> str:
    """The last STATE vouches only for records written before it, and anything after it is re-sent.

    (The SDK skips a STATE equal to the last one written, so the last line may be a RECORD.)
    """
    last = max(i for i, m in enumerate(run.messages) if m["type"] == "STATE")
    mark = _bookmark(run.messages[last]["value"])
    assert mark is not None
    before = {
        (m["record"]["installedOn"], m["record"]["accountCode"]) for m in run.messages[:last] if m["type"] == "RECORD"
    }
    assert all(k in before for k in expected if k[0] < mark), "the STATE vouches for records never written"
    after = [
        (m["record"]["installedOn"], m["record"]["accountCode"]) for m in run.messages[last:] if m["type"] == "RECORD"
    ]
    assert all(k[0] >= mark for k in after), "records after the last STATE must be re-sent on resume"
    return mark


def test_sigterm_ends_cleanly_with_a_final_state_that_resumes(big, setup):
    """The target keeps reading while SIGTERM lands: mid-record-loop, not only at a write."""
    expected = _expected(big)
    tokens = {a.unsignedAccountToken for a in big.accounts}
    first = Run(setup, None, 100)
    reader = threading.Thread(target=first.read)
    reader.start()
    deadline = time.monotonic() + 60
    while len(first.messages) < 12_345:
        assert time.monotonic() < deadline and first.proc.poll() is None, "the run ended before SIGTERM"
        time.sleep(0.001)
    first.proc.send_signal(signal.SIGTERM)
    reader.join(60)
    assert first.finish() == 143, "a stopped run is not a complete one"
    assert "Interrupted by SIGTERM" in first.stderr and '"status":"interrupted"' in first.stderr
    assert len(first.records) < N_ACCOUNTS, "SIGTERM must stop the run"
    _check_run(first, expected, None, tokens)
    mark = _last_state_is_true(first, expected)
    second = Run(setup, first.states[-1], 101)
    second.read()
    assert second.finish() == 0
    _check_run(second, expected, mark, tokens)
    assert set(first.records) | set(second.records) == set(expected)
    # Re-sent records are only those at or after the bookmark the SIGTERM'd run handed over.
    assert all(k[0] >= mark for k in set(first.records) & set(second.records))


def test_sigterm_while_the_target_is_not_reading_still_ends_with_whole_lines_and_a_true_state(big, setup):
    """The pipe is full and the tap is blocked writing a chunk when SIGTERM comes: the chunk must
    still end on a line boundary, and the final STATE must vouch only for records actually written."""
    expected = _expected(big)
    for attempt in range(2):
        run = Run(setup, None, 200 + attempt)
        run.read(until_records=2_000 + 3_000 * attempt)
        time.sleep(0.5)  # the target stalls: the pipe fills and the tap blocks in write()
        run.proc.send_signal(signal.SIGTERM)
        assert run.proc.stdout is not None
        tail = run.proc.stdout.read()
        assert run.finish() == 143
        assert tail.endswith(b"\n"), "output must end on a line boundary"
        run.messages += [json.loads(line) for line in tail.splitlines()]  # every line whole JSON
        _last_state_is_true(run, expected)
