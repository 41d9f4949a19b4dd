"""SIGINT and SIGTERM mid-run: exit codes an orchestrator can trust, after the last consistent STATE.

A stopped run is not a complete one: it ends with the summary marked `interrupted` and exit
status 130 (SIGINT) or 143 (SIGTERM), so `&&`, cron and wrappers never take it for success; its
last STATE vouches only for records it wrote, so the next run resumes and misses nothing; and a
second (or third) signal neither cuts that STATE nor prints a traceback.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.conftest import DEV_SECRET, DEV_TOKEN, catalog_selecting
from tests.emulator import Emulator
from tests.support.live import LiveTap, summary, wait_until

STREAMS = ("installed_accounts", "orders", "products")


@pytest.fixture
def slow_emu():
    with Emulator(n_accounts=8, seed=29, latency=0.15, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET) as e:
        yield e


def _orders_by_account(run) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for record in run.records("orders"):
        found.setdefault(record["accountCode"], []).append(record.get("updatedOn") or record["createdOn"])
    return found


def _assert_state_vouches_only_for_records_written(run) -> None:
    written = _orders_by_account(run)
    for partition in run.final_state["bookmarks"].get("orders", {}).get("partitions", []):
        mark = partition.get("replication_key_value")
        if mark is not None:
            code = partition["context"]["accountCode"]
            assert written.get(code) and mark <= max(written[code]), f"the STATE got ahead of {code}'s records"


def _hold_one_accounts_orders(emu) -> None:
    """One account's order search answers late, so the signal lands while orders are still read.

    Without it a loaded machine can finish every account's orders before the test's reader has
    seen three of them, and the run then rightly says orders succeeded.
    """
    last = [a.accountCode for a in emu.accounts if a.enabled and not a.gone][-1]
    emu.add_fault(f"/{last}/order-service/order-search", "stall", delay=6.0)


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_run_ends_interrupted_with_its_exit_status_and_a_state_that_resumes(
    slow_emu, tap, tmp_path, signum, status
):
    config = slow_emu.tap_config(max_concurrency=2)
    catalog = catalog_selecting(config, STREAMS)
    _hold_one_accounts_orders(slow_emu)
    run = LiveTap(config, tmp_path / "stopped", catalog=catalog)
    wait_until(lambda: run.records_seen("orders") >= 3, what="the first orders")
    run.signal(signum)
    done = run.wait()
    assert done.returncode == status, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    line = summary(done)
    assert line["status"] == "interrupted" and line["signal"] == signal.Signals(signum).name
    assert line["streams"]["installed_accounts"]["status"] == "succeeded"
    assert line["streams"]["orders"]["status"] == "interrupted"
    assert "products" not in line["streams"], "nothing starts after the signal"
    last = done.stderr.strip().splitlines()[-1]
    assert f"Interrupted by {signal.Signals(signum).name}" in last and f"exit status {status}" in last
    _assert_state_vouches_only_for_records_written(done)
    resumed = tap(config, catalog=catalog, state=done.final_state)
    assert resumed.returncode == 0, resumed.stderr
    assert summary(resumed)["status"] == "succeeded"
    both = (*done.records("orders"), *resumed.records("orders"))
    for account in slow_emu.accounts:
        if account.enabled and not account.gone:
            code = account.accountCode
            expected = {o["id"] for o in slow_emu.account_data(code).orders}
            assert expected <= {r["id"] for r in both if r["accountCode"] == code}, f"{code}: orders lost in the stop"


def test_repeated_ctrl_c_prints_no_traceback_and_still_ends_interrupted(slow_emu, tmp_path):
    config = slow_emu.tap_config(max_concurrency=2)
    run = LiveTap(config, tmp_path / "stopped", catalog=catalog_selecting(config, STREAMS))
    wait_until(lambda: run.records_seen("orders") >= 3, what="the first orders")
    for _ in range(4):  # a person hammering Ctrl-C while the run writes its end
        run.signal(signal.SIGINT)
        time.sleep(0.01)
    done = run.wait()
    assert done.returncode == 130, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "SystemExit" not in done.stderr
    assert summary(done)["status"] == "interrupted"
    assert all(line.endswith("\n") for line in run.lines), "every line the target got is whole"
    _assert_state_vouches_only_for_records_written(done)
