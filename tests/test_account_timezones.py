"""account_timezones: every account, every run, from the account's own datacentre."""

from __future__ import annotations

from tests.conftest import DEV_SECRET, DEV_TOKEN
from tests.emulator import Emulator


def _timezone_requests(emu):
    return [r for r in emu.requests if "/account-timezone/" in r.path]


def _location_requests(emu):
    return [r for r in emu.requests if "/account-location/" in r.path]


def test_every_account_gets_its_timezone_from_its_own_datacentre(emulator, tap):
    run = tap(emulator.tap_config())
    assert run.returncode == 0, run.stderr
    records = {r["accountCode"]: r for r in run.records("account_timezones")}
    assert set(records) == {a.accountCode for a in emulator.accounts}
    for account in emulator.accounts:
        assert records[account.accountCode] == {
            "accountCode": account.accountCode,
            "canonicalId": account.canonicalId,
            "currentUtcOffset": account.currentUtcOffset,
            "dataCenter": account.datacentre,
        }
    assert len({a.datacentre for a in emulator.accounts}) == 3, "the fixture must span three datacentres"
    for request in _timezone_requests(emulator):
        code = request.path.rsplit("/", 1)[-1]
        owner = next(a for a in emulator.accounts if a.accountCode == code)
        assert request.datacentre == owner.datacentre and request.status == 200
        assert request.auth == "verified"
    run.assert_no_secrets()


def test_odd_offsets_arrive_untouched(emulator, tap):
    offsets = {r["currentUtcOffset"] for r in tap(emulator.tap_config()).records("account_timezones")}
    assert offsets & {"+05:45", "-03:30", "+05:30", "+08:45", "+13:45"}


def test_snapshot_covers_every_account_even_when_installed_accounts_emits_only_new(emulator, tap):
    first = tap(emulator.tap_config())
    new = emulator.add_installs(3)
    second = tap(emulator.tap_config(), state=first.final_state)
    assert len(second.records("installed_accounts")) < len(emulator.accounts)
    assert {r["accountCode"] for r in second.records("account_timezones")} == {a.accountCode for a in emulator.accounts}
    assert {a.accountCode for a in new} <= {r["accountCode"] for r in second.records("account_timezones")}


def test_account_location_is_asked_on_the_master_without_auth_headers(emulator, tap):
    tap(emulator.tap_config())
    locations = _location_requests(emulator)
    assert len(locations) == len(emulator.accounts)
    assert {r.datacentre for r in locations} == {"euw1"}
    for request in locations:
        assert "brightpearl-dev-token" not in request.headers


def test_pinned_accounts_skip_discovery(emulator, tap):
    pins = {a.accountCode: a.datacentre for a in emulator.accounts[:5]}
    run = tap(emulator.tap_config(account_data_centers=pins))
    assert run.returncode == 0, run.stderr
    asked = {r.path.rsplit("/", 1)[-1] for r in _location_requests(emulator)}
    assert not asked & set(pins)
    assert len(run.records("account_timezones")) == len(emulator.accounts)


def test_without_discovery_accounts_fall_back_to_data_center(tap):
    with Emulator(
        n_accounts=12, seed=11, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET, account_location=False
    ) as emu:
        on_use1 = [a for a in emu.accounts if a.datacentre == "use1"]
        run = tap(emu.tap_config(data_center="use1", max_concurrency=2))
        assert run.returncode == 0, run.stderr
        records = run.records("account_timezones")
        assert {r["accountCode"] for r in records} == {a.accountCode for a in on_use1}
        assert {r["dataCenter"] for r in records} == {"use1"}
        warning = next(line for line in run.stderr.splitlines() if "discovery is unavailable" in line)
        assert "check that data_center is the datacentre your app is registered in" in warning
        assert "account_data_centers" in warning
        # Discovery stops being asked after three failures (plus what was already in
        # flight on the other worker) instead of once per account.
        assert len(_location_requests(emu)) <= 3 + 2 < len(emu.accounts)
        skipped = len(emu.accounts) - len(on_use1)
        assert f"{skipped} skipped" in run.stderr


def test_gone_account_is_skipped_with_one_warning_and_counted(emulator, tap):
    gone = emulator.accounts[4].accountCode
    emulator.mark_gone(gone)
    run = tap(emulator.tap_config())
    assert run.returncode == 0, run.stderr
    codes = {r["accountCode"] for r in run.records("account_timezones")}
    assert gone not in codes and len(codes) == len(emulator.accounts) - 1
    per_account = [w for w in run.warnings() if f"account_timezones: skipping account '{gone}'" in w]
    assert len(per_account) == 1
    assert "1 skipped" in run.stderr
    run.assert_no_secrets()


def test_discovered_datacentres_are_remembered_in_state_and_reused(emulator, tap):
    first = tap(emulator.tap_config())
    remembered = first.bookmark("account_timezones")["dataCenters"]
    assert remembered == {a.accountCode: a.datacentre for a in emulator.accounts}
    emulator.clear_log()
    second = tap(emulator.tap_config(), state=first.final_state)
    assert second.returncode == 0, second.stderr
    assert _location_requests(emulator) == []
    assert len(second.records("account_timezones")) == len(emulator.accounts)


def test_a_moved_account_is_rediscovered_and_read_where_it_now_lives(emulator, tap):
    first = tap(emulator.tap_config())
    account = next(a for a in emulator.accounts if a.datacentre == "use1")
    emulator.move_account(account.accountCode, "usw1")
    emulator.clear_log()
    second = tap(emulator.tap_config(), state=first.final_state)
    record = next(r for r in second.records("account_timezones") if r["accountCode"] == account.accountCode)
    assert record["dataCenter"] == "usw1"
    assert [r.path.rsplit("/", 1)[-1] for r in _location_requests(emulator)] == [account.accountCode]
    assert second.bookmark("account_timezones")["dataCenters"][account.accountCode] == "usw1"


def test_wrong_secret_stops_the_run_fast_naming_the_settings(emulator, tap):
    config = emulator.tap_config(developer_secret="sec-totally-wrong-value-1234")
    run = tap(config)
    assert run.returncode != 0
    assert "developer_token" in run.stderr and "developer_secret" in run.stderr
    assert run.records("account_timezones") == [] and run.records("installed_accounts") == []
    run.assert_no_secrets("sec-totally-wrong-value-1234")
    # It stops at the first refusal instead of retrying.
    assert len([r for r in emulator.requests if r.status == 401]) == 1
