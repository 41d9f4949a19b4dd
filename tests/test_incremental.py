"""Incremental account data: no record is missed for lack of updatedOn, and defaults hold.

Brightpearl leaves updatedOn null for a record nobody ever updated (a fresh order), and a
range filter on updatedOn never matches a null. So a run that only asked for
`updatedOn=<bookmark>/` would never see an order created after the bookmark and left
alone. The tap also searches createdOn and merges by id, and such a record moves the
bookmark by its createdOn.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import DEV_SECRET, DEV_TOKEN
from tests.emulator import Emulator

STREAMS = ("orders", "products", "contacts")
RESOURCE = {"orders": "order", "products": "product", "contacts": "contact"}
KEY = {"orders": "id", "products": "id", "contacts": "contactId"}


def _utc(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.timezone.utc)


def _bookmark(run, stream, account):
    for partition in run.bookmark(stream)["partitions"]:
        if partition["context"] == {"accountCode": account}:
            return partition.get("replication_key_value")
    return None


@pytest.fixture
def one_account():
    sizes = {"orders_per_account": 30, "products_per_account": 30, "contacts_per_account": 30}
    with Emulator(n_accounts=1, seed=31, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET, **sizes) as emu:
        emu.accounts[0].enabled = True
        emu.accounts[0].gone = False
        yield emu


@pytest.mark.parametrize("stream", STREAMS)
def test_records_created_after_the_bookmark_and_never_updated_are_read(one_account, tap, stream):
    emu, code = one_account, one_account.accounts[0].accountCode
    first = tap(emu.tap_config(), streams=(stream,))
    assert first.returncode == 0, first.stderr
    new_ids = emu.add_records(code, RESOURCE[stream], 3)
    fresh = [r for r in getattr(emu.account_data(code), stream) if r[KEY[stream]] in new_ids]
    assert all("updatedOn" not in r for r in fresh), "Brightpearl sends no updatedOn for a record never updated"
    second = tap(emu.tap_config(), streams=(stream,), state=first.final_state)
    assert second.returncode == 0, second.stderr
    got = {r[KEY[stream]] for r in second.records(stream)}
    assert set(new_ids) <= got
    newest_created = max(_utc(r["createdOn"]) for r in fresh)
    assert _utc(_bookmark(second, stream, code)) == newest_created, "the bookmark falls back to createdOn"


def test_the_search_asks_for_updated_and_created_records_from_bookmark_minus_lookback(one_account, tap):
    emu, code = one_account, one_account.accounts[0].accountCode
    first = tap(emu.tap_config(), streams=("orders",))
    bookmark = _utc(_bookmark(first, "orders", code))
    emu.clear_log()
    tap(emu.tap_config(), streams=("orders",), state=first.final_state)  # lookback_minutes not set
    filters = {}
    for request in emu.requests:
        if "/order-search" in request.path:
            query = parse_qs(urlsplit(request.path).query)
            for column in ("updatedOn", "createdOn"):
                if column in query:
                    filters[column] = _utc(query[column][0].split("/")[0])
    assert filters == {
        "updatedOn": bookmark - dt.timedelta(minutes=60),
        "createdOn": bookmark - dt.timedelta(minutes=60),
    }


def test_a_first_sync_reads_every_record_updated_or_not(one_account, tap):
    emu, code = one_account, one_account.accounts[0].accountCode
    run = tap(emu.tap_config(), streams=STREAMS)
    data = emu.account_data(code)
    for stream in STREAMS:
        served = {r[KEY[stream]] for r in getattr(data, stream)}
        assert {r[KEY[stream]] for r in run.records(stream)} == served
        never = [r for r in getattr(data, stream) if "updatedOn" not in r]
        assert never, "the emulator has never-updated records, as Brightpearl does"
        for record in run.records(stream):
            if record[KEY[stream]] in {r[KEY[stream]] for r in never}:
                assert record.get("updatedOn") is None
