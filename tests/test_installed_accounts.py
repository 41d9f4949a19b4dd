"""installed_accounts: sorted emission, a resumable installedOn bookmark, start_date, FULL_TABLE."""

from __future__ import annotations

from tests.emulator import make_accounts


def _key(record):
    return (record["installedOn"], record["accountCode"])


def test_first_run_emits_every_account_in_installedOn_order_with_newest_bookmark(emulator, tap):
    run = tap(emulator.tap_config())
    assert run.returncode == 0, run.stderr
    records = run.records("installed_accounts")
    assert {r["accountCode"] for r in records} == {a.accountCode for a in emulator.accounts}
    assert records == sorted(records, key=_key)
    newest = max(r["installedOn"] for r in records)
    assert run.bookmark("installed_accounts")["replication_key_value"] == newest
    run.assert_no_secrets()


def test_records_carry_exactly_the_contract_fields_and_values(emulator, tap):
    run = tap(emulator.tap_config())
    by_code = {r["accountCode"]: r for r in run.records("installed_accounts")}
    for account in emulator.accounts:
        assert by_code[account.accountCode] == {
            "accountCode": account.accountCode,
            "installedOn": account.installedOn,
            "unsignedAccountToken": account.unsignedAccountToken,
            "enabled": account.enabled,
        }


def test_run_from_state_emits_only_new_installs_and_ties_at_the_bookmark(emulator, tap):
    first = tap(emulator.tap_config())
    bookmark = first.bookmark("installed_accounts")["replication_key_value"]
    at_bookmark = {a.accountCode for a in emulator.accounts if a.installedOn == bookmark}
    new = emulator.add_installs(5)
    second = tap(emulator.tap_config(), state=first.final_state)
    assert second.returncode == 0, second.stderr
    codes = [r["accountCode"] for r in second.records("installed_accounts")]
    assert set(codes) == {a.accountCode for a in new} | at_bookmark
    assert second.bookmark("installed_accounts")["replication_key_value"] == max(a.installedOn for a in new)


def test_equal_installedOn_values_come_out_ordered_by_accountCode(tap):
    from tests.conftest import DEV_SECRET, DEV_TOKEN
    from tests.emulator import Emulator

    accounts = make_accounts(30, seed=3)
    for a in accounts[10:15]:
        a.installedOn = accounts[10].installedOn
    with Emulator(accounts, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET) as emu:
        records = tap(emu.tap_config()).records("installed_accounts")
    tied = [r["accountCode"] for r in records if r["installedOn"] == accounts[10].installedOn]
    assert len(tied) == 5 and tied == sorted(tied)


def test_start_date_bounds_a_first_sync(emulator, tap):
    ordered = sorted(emulator.accounts, key=lambda a: (a.installedOn, a.accountCode))
    cutoff = ordered[12].installedOn
    run = tap(emulator.tap_config(start_date=cutoff))
    codes = {r["accountCode"] for r in run.records("installed_accounts")}
    assert codes == {a.accountCode for a in emulator.accounts if a.installedOn >= cutoff}
    assert 0 < len(codes) < len(emulator.accounts)


def test_state_wins_over_start_date(emulator, tap):
    first = tap(emulator.tap_config())
    new = emulator.add_installs(2)
    second = tap(emulator.tap_config(start_date="2000-01-01T00:00:00Z"), state=first.final_state)
    codes = {r["accountCode"] for r in second.records("installed_accounts")}
    assert {a.accountCode for a in new} <= codes
    assert len(codes) < len(emulator.accounts)


def test_full_table_from_the_catalog_emits_everything_despite_state(emulator, tap):
    first = tap(emulator.tap_config())
    discovered = tap(emulator.tap_config(), args=("--discover",)).stdout
    import json

    catalog = json.loads(discovered)
    for entry in catalog["streams"]:
        if entry["tap_stream_id"] == "installed_accounts":
            entry["replication_method"] = "FULL_TABLE"
            for md in entry["metadata"]:
                if md["breadcrumb"] == []:
                    md["metadata"]["selected"] = True
                    md["metadata"]["forced-replication-method"] = "FULL_TABLE"
        else:
            for md in entry["metadata"]:
                if md["breadcrumb"] == []:
                    md["metadata"]["selected"] = False
    run = tap(emulator.tap_config(), state=first.final_state, catalog=catalog)
    assert run.returncode == 0, run.stderr
    assert len(run.records("installed_accounts")) == len(emulator.accounts)
    assert run.records("account_timezones") == []
