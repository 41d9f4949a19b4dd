"""Datacentre faults: a wrong datacentre is rediscovered; an account that vanished is skipped by name."""

from __future__ import annotations

import threading
import time

from tests.faults import FAST, requests_to


def test_wrong_datacentre_in_state_is_rediscovered_and_read_from_the_right_one(emulator, debug_tap):
    account = next(a for a in emulator.accounts if a.datacentre == "use1")
    state = {"bookmarks": {"account_timezones": {"dataCenters": {account.accountCode: "usw1"}}}}
    run = debug_tap(emulator, emulator.tap_config(**FAST), state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    record = next(r for r in run.records("account_timezones") if r["accountCode"] == account.accountCode)
    assert record["dataCenter"] == "use1" and record["canonicalId"] == account.canonicalId
    asked = requests_to(emulator, f"/account-timezone/{account.accountCode}")
    assert [(r.datacentre, r.status) for r in asked] == [("usw1", 404), ("use1", 200)]
    assert len(requests_to(emulator, f"/account-location/{account.accountCode}")) == 1
    assert f"account '{account.accountCode}' moved from usw1 to use1" in run.stderr
    assert run.bookmark("account_timezones")["dataCenters"][account.accountCode] == "use1"
    assert len(run.records("account_timezones")) == len(emulator.accounts)


def test_wrong_pinned_datacentre_is_skipped_with_a_warning_that_names_the_pin(emulator, debug_tap):
    account = next(a for a in emulator.accounts if a.datacentre == "use1")
    run = debug_tap(emulator, emulator.tap_config(**FAST, account_data_centers={account.accountCode: "usw1"}))
    assert run.returncode == 0, run.stderr[-3000:]
    assert account.accountCode not in {r["accountCode"] for r in run.records("account_timezones")}
    warning = [w for w in run.warnings() if f"skipping account '{account.accountCode}'" in w]
    assert len(warning) == 1 and "pinned in account_data_centers" in warning[0]
    assert requests_to(emulator, f"/account-location/{account.accountCode}") == [], "a pin is never second-guessed"


def test_account_that_disappears_between_listing_and_timezone_is_skipped_with_a_warning(emulator, debug_tap):
    victim = next(a for a in emulator.accounts if a.datacentre == "usw1")
    # Hold its account-location long enough to uninstall it after the listing went out.
    emulator.add_fault(f"account-location/{victim.accountCode}", "stall", delay=1.0)
    result = []
    runner = threading.Thread(
        target=lambda: result.append(debug_tap(emulator, emulator.tap_config(**FAST), victim.unsignedAccountToken))
    )
    runner.start()
    deadline = time.monotonic() + 30
    while not any(r.status == 200 for r in requests_to(emulator, "/installed-accounts/")):
        assert time.monotonic() < deadline, "the listing never went out"
        time.sleep(0.01)
    emulator.remove_account(victim.accountCode)
    runner.join(60)
    (run,) = result
    assert run.returncode == 0, run.stderr[-3000:]
    assert victim.accountCode in {r["accountCode"] for r in run.records("installed_accounts")}, "it was listed"
    codes = {r["accountCode"] for r in run.records("account_timezones")}
    assert codes == {a.accountCode for a in emulator.accounts}
    warning = [w for w in run.warnings() if f"skipping account '{victim.accountCode}'" in w]
    assert len(warning) == 1 and "HTTP 404" in warning[0]
    assert "1 skipped" in run.stderr
