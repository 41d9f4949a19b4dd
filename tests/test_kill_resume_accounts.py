"""A long account-stream run killed mid-stream resumes from the accounts it finished.

The tap writes a STATE after an account's partition completes, at most every few seconds, so
SIGKILL in the middle of `orders` over many accounts loses only the accounts not finished yet:
the next run, given the last STATE the target saw, reads the finished accounts from their
bookmarks (not again in full), and between the two runs every order arrives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from tests.conftest import DEV_SECRET, DEV_TOKEN, TAP, catalog_selecting
from tests.emulator import Emulator

pytestmark = pytest.mark.slow
ACCOUNTS, ORDERS = 40, 200  # 8,000 orders: fewer than the SDK's STATE_MSG_FREQUENCY (10,000)
DEADLINE_S = 240


def _lines(proc: subprocess.Popen) -> list[dict]:
    return [json.loads(line) for line in proc.stdout or [] if line.strip()]


def test_a_run_killed_mid_stream_resumes_from_the_accounts_it_finished(tmp_path):
    with Emulator(
        n_accounts=ACCOUNTS,
        seed=31,
        developer_token=DEV_TOKEN,
        developer_secret=DEV_SECRET,
        orders_per_account=ORDERS,
        latency=0.5,
        never_updated_fraction=0.0,
    ) as emu:
        for account in emu.accounts:
            account.enabled, account.gone = True, False
        config = tmp_path / "config.json"
        config.write_text(json.dumps(emu.tap_config()))
        catalog = tmp_path / "catalog.json"
        catalog.write_text(json.dumps(catalog_selecting(emu.tap_config(), ("orders",))))
        argv = [TAP, "--config", str(config), "--catalog", str(catalog)]
        seen, state = [], None
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as proc:
            started = time.monotonic()
            for line in proc.stdout:  # what a target reads, line by line
                message = json.loads(line)
                if message["type"] == "RECORD":
                    seen.append((message["record"]["accountCode"], message["record"]["id"]))
                elif message["type"] == "STATE":
                    partitions = message["value"].get("bookmarks", {}).get("orders", {}).get("partitions", [])
                    if any(p.get("replication_key_value") for p in partitions):
                        state = message["value"]
                        os.kill(proc.pid, signal.SIGKILL)  # right after the first STATE that finished accounts
                        break
                assert time.monotonic() - started < DEADLINE_S
            proc.wait()
        assert state is not None, "no STATE before the stream's end: a kill would have lost every account read"
        assert proc.returncode == -signal.SIGKILL, "the kill came before the run ended"
        assert len(seen) < ACCOUNTS * ORDERS, "a STATE came mid-stream, with orders still to come"
        finished = {
            p["context"]["accountCode"]
            for p in state["bookmarks"]["orders"]["partitions"]
            if p.get("replication_key_value")
        }
        (tmp_path / "state.json").write_text(json.dumps(state))
        again = subprocess.run(
            [*argv, "--state", str(tmp_path / "state.json")], capture_output=True, text=True, check=False
        )
        assert again.returncode == 0, again.stderr[-2000:]
        second = [
            (m["record"]["accountCode"], m["record"]["id"])
            for m in map(json.loads, again.stdout.splitlines())
            if m["type"] == "RECORD"
        ]
        every = {(a.accountCode, o["id"]) for a in emu.accounts for o in emu.account_data(a.accountCode).orders}
    assert set(seen) | set(second) == every, "between the two runs every order arrived"
    reread = [pair for pair in second if pair[0] in finished]
    assert len(reread) < len(finished) * ORDERS / 10, "finished accounts resume from their bookmarks, not in full"
