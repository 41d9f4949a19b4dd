"""Account data: each enabled account's orders, products, contacts, warehouses and configuration."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from tap_brightpearl.modes import shard_of
from tests.conftest import DEV_SECRET, DEV_TOKEN, EVERY_STREAM, SIGNED
from tests.emulator import Emulator, sign

INCREMENTAL = ("orders", "products", "contacts")
KEYS = {"orders": "id", "products": "id", "contacts": "contactId"}


def _utc(text):
    return dt.datetime.fromisoformat(text).astimezone(dt.timezone.utc)


def _changed(record):
    """When Brightpearl last changed a record: updatedOn, or createdOn if it was never updated."""
    return _utc(record.get("updatedOn") or record["createdOn"])


def _enabled(emu):
    return sorted(a.accountCode for a in emu.accounts if a.enabled and not a.gone)


def _by_account(records, key):
    out = {}
    for r in records:
        out.setdefault(r["accountCode"], {})[r[key]] = r
    return out


def _bookmark(run, stream, account):
    for p in run.bookmark(stream)["partitions"]:
        if p["context"] == {"accountCode": account}:
            return p.get("replication_key_value")
    return None


@pytest.fixture
def small():
    with Emulator(n_accounts=6, seed=21, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET) as emu:
        yield emu


def test_every_enabled_account_arrives_once_with_its_own_signed_token(small, tap):
    run = tap(small.tap_config(), streams=EVERY_STREAM)
    assert run.returncode == 0, run.stderr
    for stream in INCREMENTAL:
        got = _by_account(run.records(stream), KEYS[stream])
        assert sorted(got) == _enabled(small), stream
        for code in _enabled(small):
            served = getattr(small.account_data(code), stream)
            assert sorted(got[code]) == sorted(r[KEYS[stream]] for r in served)
            assert len(run.records(stream)) == sum(len(v) for v in got.values()), "no duplicates"
    account_calls = [r for r in small.requests if r.path.startswith("/public-api/")]
    assert account_calls and all(r.auth == "verified" for r in account_calls)
    for request in account_calls:
        code = request.path.split("/")[2]
        owner = next(a for a in small.accounts if a.accountCode == code)
        assert request.datacentre == owner.datacentre
        assert request.headers["brightpearl-account-token"] == sign(owner.unsignedAccountToken, DEV_SECRET)
    run.assert_no_secrets(*(sign(a.unsignedAccountToken, DEV_SECRET) for a in small.accounts))


def test_disabled_accounts_are_not_read(small, tap):
    disabled = [a.accountCode for a in small.accounts if not a.enabled]
    small.accounts[0].enabled = False
    disabled.append(small.accounts[0].accountCode)
    run = tap(small.tap_config(), streams=EVERY_STREAM)
    assert not {r["accountCode"] for r in run.records("orders")} & set(disabled)
    assert not [r for r in small.requests if any(f"/public-api/{c}/" in r.path for c in disabled)]


def test_timestamps_become_utc_and_orderRows_a_list_with_the_row_id(small, tap):
    run = tap(small.tap_config(), streams=EVERY_STREAM)
    code = _enabled(small)[0]
    served = {o["id"]: o for o in small.account_data(code).orders}
    for record in (r for r in run.records("orders") if r["accountCode"] == code):
        original = served[record["id"]]
        assert record["updatedOn"].endswith("Z") and _utc(record["updatedOn"]) == _utc(original["updatedOn"])
        assert _utc(record["createdOn"]) == _utc(original["createdOn"])
        assert isinstance(record["orderRows"], list)
        assert {
            row["orderRowId"]: {k: v for k, v in row.items() if k != "orderRowId"} for row in record["orderRows"]
        } == {int(k): v for k, v in original["orderRows"].items()}
        assert record["totalValue"] == original["totalValue"]


def test_each_account_keeps_its_own_bookmark_and_a_second_run_brings_only_changes(small, tap):
    first = tap(small.tap_config(lookback_minutes=0), streams=EVERY_STREAM)
    codes = _enabled(small)
    for code in codes:
        newest = max(_changed(o) for o in small.account_data(code).orders)
        assert _utc(_bookmark(first, "orders", code)) == newest
    changed = codes[1]
    small.touch(changed, "order", [small.account_data(changed).orders[0]["id"]])
    new_ids = small.add_records(changed, "order", 2)
    second = tap(small.tap_config(lookback_minutes=0), state=first.final_state, streams=EVERY_STREAM)
    assert second.returncode == 0, second.stderr
    got = [(r["accountCode"], r["id"]) for r in second.records("orders")]
    at_bookmark = {
        (c, o["id"])
        for c in codes
        for o in small.account_data(c).orders
        if _changed(o) == _utc(_bookmark(first, "orders", c))
    }
    expected = {(changed, small.account_data(changed).orders[0]["id"])} | {(changed, i) for i in new_ids}
    assert expected <= set(got) <= expected | at_bookmark
    assert _bookmark(second, "orders", codes[0]) == _bookmark(first, "orders", codes[0])


def test_lookback_rereads_recent_changes(small, tap):
    first = tap(small.tap_config(lookback_minutes=0), streams=EVERY_STREAM)
    again = tap(small.tap_config(lookback_minutes=60 * 24 * 3650), state=first.final_state, streams=EVERY_STREAM)
    assert len(again.records("orders")) == len(first.records("orders"))


def test_search_pages_and_id_set_caps_hold_with_many_records(tap):
    with Emulator(
        n_accounts=3, seed=4, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET, orders_per_account=1234
    ) as emu:
        run = tap(emu.tap_config(account_codes=[_enabled(emu)[0]]), streams=EVERY_STREAM)
        code = _enabled(emu)[0]
        ids = [r["id"] for r in run.records("orders")]
        assert sorted(ids) == sorted(o["id"] for o in emu.account_data(code).orders) and len(set(ids)) == len(ids)
        searches = [r for r in emu.requests if "order-search" in r.path]
        assert len(searches) >= 3 and all("pageSize=500" in r.path for r in searches)
        details = [r for r in emu.requests if "/order-service/order/" in r.path]
        assert details and all(r.status == 200 for r in details)
        assert len(details) >= 1234 // 200


def test_snapshots_warehouses_and_account_configuration(small, tap):
    run = tap(small.tap_config(), streams=EVERY_STREAM)
    for code in _enabled(small):
        data = small.account_data(code)
        assert sorted(w["id"] for w in run.records("warehouses") if w["accountCode"] == code) == sorted(
            w["id"] for w in data.warehouses
        )
        config = next(c for c in run.records("account_configuration") if c["accountCode"] == code)
        assert config["timeZone"] == data.configuration["timeZone"]


def test_account_codes_narrows_the_accounts(small, tap):
    wanted = _enabled(small)[:2]
    run = tap(small.tap_config(account_codes=[*wanted, "notinstalled"]), streams=EVERY_STREAM)
    assert {r["accountCode"] for r in run.records("orders")} == set(wanted)
    assert "'notinstalled' is not installed" in run.stderr


def test_a_failing_account_is_reported_and_the_others_complete(small, tap):
    bad = _enabled(small)[0]
    small.add_fault(
        f"/public-api/{bad}/", "status", status=401, body=b'{"response": "Authorization token expired"}', times=1000
    )
    run = tap(small.tap_config(), streams=EVERY_STREAM)
    assert run.returncode == 0, run.stderr
    assert {r["accountCode"] for r in run.records("orders")} == set(_enabled(small)) - {bad}
    assert f"orders: skipping account '{bad}'" in run.stderr
    assert "refused the app and were skipped" in run.stderr
    assert _bookmark(run, "orders", bad) is None


def test_shards_split_accounts_without_overlap_or_gaps(tap):
    with Emulator(n_accounts=12, seed=8, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET) as emu:
        seen = []
        for index in range(3):
            run = tap(emu.tap_config(shard_count=3, shard_index=index), streams=EVERY_STREAM)
            codes = {r["accountCode"] for r in run.records("orders")}
            assert all(shard_of(c, 3) == index for c in codes)
            seen.append(codes)
        assert set().union(*seen) == set(_enabled(emu))
        assert sum(len(s) for s in seen) == len(_enabled(emu))


@pytest.mark.parametrize("kind", ["account", "staff"])
def test_private_app_mode_reads_one_account_without_developer_tools(small, tap, kind):
    code = _enabled(small)[0]
    small.set_private_token(code, "private-tok-1234567890", kind=kind)
    owner = next(a for a in small.accounts if a.accountCode == code)
    config = {
        "app_reference": small.app_reference,
        "account_code": code,
        f"{kind}_token": "private-tok-1234567890",
        "datacenter_urls": small.base_urls,
        "account_data_centers": {code: owner.datacentre},
    }
    run = tap(config)
    assert run.returncode == 0, run.stderr
    assert {r["accountCode"] for r in run.records("orders")} == {code}
    assert not [r for r in small.requests if "/developer-tools/" in r.path]
    assert run.records("installed_accounts") == []
    run.assert_no_secrets("private-tok-1234567890")


def test_a_private_app_with_a_wrong_token_is_told_which_setting(small, tap):
    """Every stream fails alike; the run's last line names account_token, not the app's data access."""
    code = _enabled(small)[0]
    small.set_private_token(code, "private-tok-1234567890")
    owner = next(a for a in small.accounts if a.accountCode == code)
    config = {
        "app_reference": small.app_reference,
        "account_code": code,
        "account_token": "private-tok-not-the-right-one",
        "datacenter_urls": small.base_urls,
        "account_data_centers": {code: owner.datacentre},
    }
    run = tap(config, streams=("orders", "products"))
    assert run.returncode == 1
    final = [line for line in run.stderr.splitlines() if "ERROR" in line][-1]
    assert "2 stream(s) failed" in final and "account_token" in final, final
    assert "may read these accounts' data" not in final, final
    assert "Traceback" not in run.stderr
    run.assert_no_secrets("private-tok-1234567890", "private-tok-not-the-right-one")


def test_per_account_pools_stay_under_their_quota(tap):
    with Emulator(
        n_accounts=4,
        seed=9,
        developer_token=DEV_TOKEN,
        developer_secret=DEV_SECRET,
        throttle_quota=15,
        throttle_window=1.0,
        orders_per_account=900,
    ) as emu:
        run = tap(emu.tap_config(max_concurrency=8), streams=EVERY_STREAM)
        assert run.returncode == 0, run.stderr
        assert emu.throttled_count <= 1
        assert len(run.records("orders")) == 900 * len(_enabled(emu))
        run.assert_no_secrets()


def test_signed_developer_token_is_not_sent_to_account_apis(small, tap):
    tap(small.tap_config(), streams=EVERY_STREAM)
    for request in small.requests:
        if request.path.startswith("/public-api/"):
            assert "brightpearl-dev-token" not in request.headers
            assert SIGNED not in request.headers.values()


def test_an_interrupted_run_resumes_account_by_account(small, tap):
    first = tap(small.tap_config(lookback_minutes=0), streams=EVERY_STREAM)
    codes = _enabled(small)
    unfinished = set(codes[:2])
    # As if the run had stopped before these two accounts completed: no bookmark for them yet.
    state = copy.deepcopy(first.final_state)
    orders = state["bookmarks"]["orders"]
    orders["partitions"] = [p for p in orders["partitions"] if p["context"]["accountCode"] not in unfinished]
    resumed = tap(small.tap_config(lookback_minutes=0), state=state, streams=EVERY_STREAM)
    assert resumed.returncode == 0, resumed.stderr
    per_account = {}
    for record in resumed.records("orders"):
        per_account.setdefault(record["accountCode"], set()).add(record["id"])
    for code in unfinished:
        assert per_account[code] == {o["id"] for o in small.account_data(code).orders}, "re-read in full"
    for code in set(codes) - unfinished:
        newest = _bookmark(first, "orders", code)
        at_bookmark = {o["id"] for o in small.account_data(code).orders if _changed(o) == _utc(newest)}
        assert per_account.get(code, set()) <= at_bookmark, "a completed account only re-reads its bookmark's ties"
    for code in codes:
        assert _bookmark(resumed, "orders", code) == _bookmark(first, "orders", code)


def test_access_refused_on_details_skips_the_account_instead_of_loading_nothing(small, tap):
    bad = _enabled(small)[0]
    small.add_fault(
        f"/public-api/{bad}/order-service/order/",
        "status",
        status=403,
        body=b'{"errors":[{"code":"CMNC-403","message":"Access denied"}]}',
        times=1000,
    )
    run = tap(small.tap_config(), streams=EVERY_STREAM)
    assert f"orders: skipping account '{bad}'" in run.stderr and "Brightpearl refused access" in run.stderr
    assert _bookmark(run, "orders", bad) is None, "no bookmark moves over orders that were never read"
    assert {r["accountCode"] for r in run.records("orders")} == set(_enabled(small)) - {bad}


def test_contacts_postal_addresses_stay_a_column_whatever_their_shape(small, tap):
    """postalAddresses is not recorded: the emulator's guess is a map keyed by address id, third parties
    show a list. The schema takes both, so the member stays its own column and no WARNING is logged."""
    run = tap(small.tap_config(), streams=("contacts",))
    contacts = run.records("contacts")
    assert contacts
    with_addresses = [c for c in contacts if "postalAddresses" in c]
    assert with_addresses, "the emulator offers includeOptional=postalAddresses"
    assert all(isinstance(c["postalAddresses"], dict) for c in with_addresses)
    assert not any("postalAddresses" in (c.get("otherMembers") or {}) for c in contacts)
    assert "postalAddresses" not in run.stderr, "no WARNING about a member the schema expects"
