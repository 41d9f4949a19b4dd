"""custom_streams: a stream for a resource the tap has no code for, from configuration alone.

The measure: stock corrections (goods movements of type SC), defined only in the config,
load exactly the SC rows the built-in goods_movements stream loads, member for member, and
keep their own bookmark per account.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import DEV_SECRET, DEV_TOKEN, catalog_selecting
from tests.emulator import Emulator

STOCK_CORRECTIONS = {
    "name": "stock_corrections",
    "search": "warehouse-service/goods-movement-search",
    "params": {"goodsNoteTypeCode": "SC"},
    "id_column": "goodsMovementId",
    "replication_column": "updatedOn",
}
PRICE_LISTS = {"name": "my_price_lists", "get": "product-service/price-list", "key": ["id"]}


@pytest.fixture
def emu():
    with Emulator(
        n_accounts=3,
        seed=51,
        developer_token=DEV_TOKEN,
        developer_secret=DEV_SECRET,
        goods_movements_per_account=120,
    ) as e:
        yield e


def _without_stream_fields(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "otherMembers"}


def test_a_configured_search_loads_what_the_built_in_stream_loads(emu, tap):
    config = emu.tap_config(custom_streams=[STOCK_CORRECTIONS], lookback_minutes=0)
    run = tap(config, streams=("stock_corrections", "goods_movements"))
    assert run.returncode == 0, run.stderr[-2000:]
    built_in = {
        (r["accountCode"], r["goodsMovementId"]): _without_stream_fields(r)
        for r in run.records("goods_movements")
        if r["goodsNoteTypeCode"] == "SC"
    }
    configured = {(r["accountCode"], r["goodsMovementId"]): r for r in run.records("stock_corrections")}
    assert built_in, "the emulator has stock corrections"
    assert configured == built_in, "same rows, same members, same values"
    assert all(not r.get("otherMembers") for r in run.records("stock_corrections"))
    schema = next(m["schema"] for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == "stock_corrections")
    assert schema["properties"]["updatedOn"]["format"] == "date-time"
    assert "integer" in schema["properties"]["quantity"]["type"], "column types from the search's metaData"
    searches = [r.path for r in emu.requests if "goods-movement-search" in r.path and "goodsNoteTypeCode=SC" in r.path]
    assert searches, "the entry's params go to Brightpearl"


def test_a_configured_stream_keeps_a_bookmark_per_account(emu, tap):
    config = emu.tap_config(custom_streams=[STOCK_CORRECTIONS], lookback_minutes=0)
    first = tap(config, streams=("stock_corrections",))
    partitions = first.bookmark("stock_corrections")["partitions"]
    codes = {r["accountCode"] for r in first.records("stock_corrections")}
    assert {p["context"]["accountCode"] for p in partitions} == codes and all(
        p["replication_key"] == "updatedOn" for p in partitions
    )
    busy = sorted(codes)[0]
    new = set(emu.add_goods_movements(busy, 2))
    second = tap(config, state=first.final_state, streams=("stock_corrections",))
    got = {(r["accountCode"], r["goodsMovementId"]) for r in second.records("stock_corrections")}
    assert {(busy, i) for i in new} <= got
    assert len(got) <= len(new) + len(codes), "besides the new rows, at most each account's record at its bookmark"


def test_a_configured_list_is_read_whole(emu, tap):
    run = tap(emu.tap_config(custom_streams=[PRICE_LISTS]), streams=("my_price_lists", "price_lists"))
    assert run.returncode == 0, run.stderr[-2000:]
    mine = sorted(
        (r["accountCode"], r["id"], r.get("otherMembers", {}).get("name")) for r in run.records("my_price_lists")
    )
    theirs = sorted((r["accountCode"], r["id"], r.get("name")) for r in run.records("price_lists"))
    assert mine == theirs and mine


def test_the_configured_streams_are_in_the_catalog(emu):
    catalog = catalog_selecting(emu.tap_config(custom_streams=[STOCK_CORRECTIONS, PRICE_LISTS]), ())
    entries = {e["tap_stream_id"]: e for e in catalog["streams"]}
    assert list(entries["stock_corrections"]["key_properties"]) == ["accountCode", "goodsMovementId"]
    assert entries["stock_corrections"]["replication_key"] == "updatedOn"
    assert list(entries["my_price_lists"]["key_properties"]) == ["accountCode", "id"]


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({**STOCK_CORRECTIONS, "name": "orders"}, "a stream named 'orders' already exists"),
        ({**STOCK_CORRECTIONS, "search": "../../evil"}, "is not a path like"),
        ({**STOCK_CORRECTIONS, "search": "warehouse-service/../../evil"}, "is not a path like"),
        ({**STOCK_CORRECTIONS, "search": "warehouse-service/./goods-movement-search"}, "is not a path like"),
        ({**STOCK_CORRECTIONS, "search": "warehouse-service/x?y=1"}, "is not a path like"),
        ({**STOCK_CORRECTIONS, "detail_cap": 0}, ".detail_cap: 0 is less than the minimum of 1"),
        ({**STOCK_CORRECTIONS, "colour": "blue"}, "('colour' was unexpected)"),
        ({"name": "both", "search": "a-service/x-search", "get": "a-service/x", "id_column": "id"}, "exactly one of"),
        ({"name": "no_id", "search": "a-service/x-search"}, "id_column is needed"),
        ({"name": "Bad Name", "get": "a-service/x", "key": ["id"]}, "name must be lower-case"),
    ],
)
def test_a_bad_entry_stops_the_run_at_start_naming_it(emu, tap, entry, says):
    run = tap(emu.tap_config(custom_streams=[PRICE_LISTS, entry]))
    assert run.returncode != 0
    assert not run.messages, "nothing is read with a bad entry"
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if says in line]
    assert len(lines) == 1 and f"custom_streams[1] ({json.dumps(entry['name'])[1:-1]!r})" in lines[0], run.stderr
    run.assert_no_secrets()
