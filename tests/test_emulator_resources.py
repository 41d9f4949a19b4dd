"""The emulator's account resources beyond orders, products and contacts, over real HTTP.

The tap's inventory, finance and reference streams are built against these answers, so their
shapes, quirks and knobs are pinned here: goods notes and movements, stock, prices, deletes and
broken searches (every search's columns, sorting and paging are in test_emulator_searches.py;
money, reference data and the shared plumbing in test_emulator_resources_finance.py; the
documented bodies in test_emulator_documented.py). The goods-out note is the one recorded body
among them: its served shape must equal the recording's, key for key and type for type.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.emulator import Account, Emulator
from tests.emulator.client import account_with_purchases as account
from tests.emulator.client import error, every_row, get, rows
from tests.test_emulator_fidelity import json_type, recorded

GOODS_IN = "warehouse-service/goods-in-search"

GOODS_OUT = "warehouse-service/goods-note/goods-out-search"
MOVEMENTS = "warehouse-service/goods-movement-search"


def make_emulator(**sizes: Any) -> Emulator:
    """Enough orders that every account has sales orders and most have purchase orders."""
    options = dict(n_accounts=6, seed=23, orders_per_account=80, products_per_account=12, contacts_per_account=15)
    return Emulator(**{**options, **sizes})


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with make_emulator(goods_movements_per_account=620) as e:
        yield e


@pytest.fixture
def fresh() -> Iterator[Emulator]:
    """For tests that change data: a new emulator each time."""
    with make_emulator() as e:
        yield e


def key_types(
    value: Any, wild: set[str], path: str = "$", out: dict[str, set[str]] | None = None
) -> dict[str, set[str]]:
    """Every JSON path with its types; maps keyed by ids (paths in ``wild``) count as one ``*`` key."""
    out = {} if out is None else out
    out.setdefault(path, set()).add(json_type(value))
    if isinstance(value, dict):
        for key, item in value.items():
            key_types(item, wild, f"{path}.{'*' if path in wild else key}", out)
    elif isinstance(value, list):
        for item in value:
            key_types(item, wild, f"{path}[]", out)
    return out


# -- goods-in notes -----------------------------------------------------------------------------
def locations_of(e: Emulator, a: Account) -> dict[int, int]:
    """location id -> warehouse id, from warehouse/{id}/location of every warehouse."""
    warehouses = [w["id"] for w in get(e, a, "warehouse-service/warehouse").json()["response"]]
    return {
        loc["id"]: wid
        for wid in warehouses
        for loc in get(e, a, f"warehouse-service/warehouse/{wid}/location").json()["response"]
    }


def test_goods_in_rows_are_per_batch_and_location_of_purchase_orders(emu: Emulator) -> None:
    a = account(emu)
    purchase = {o["id"]: o for o in emu.account_data(a.accountCode).orders if o["orderTypeCode"] == "PO"}
    found = rows(emu, a, GOODS_IN)
    keys = [(r["batchId"], r["productId"], r["locationId"]) for r in found]
    assert len(set(keys)) == len(keys) and [k[0] for k in keys] == sorted(k[0] for k in keys)  # by batchId
    assert {r["purchaseOrderId"] for r in found} <= set(purchase)
    locations = locations_of(emu, a)
    assert all(locations[r["locationId"]] == r["warehouseId"] for r in found)
    assert all(r["onHand"] <= r["receivedQuantity"] and r["currCode"] == found[0]["currCode"] for r in found)


def test_goods_in_notes_by_purchase_order_and_by_note_id(emu: Emulator) -> None:
    a = account(emu)
    found = rows(emu, a, GOODS_IN)
    po_ids = sorted({r["purchaseOrderId"] for r in found})
    by_po = get(emu, a, f"warehouse-service/order/{','.join(map(str, po_ids))}/goods-note/goods-in").json()
    notes = by_po["response"]
    assert set(notes) == {str(r["batchId"]) for r in found}  # a third party: batchId is the note id
    for nid, note in notes.items():
        assert note["goodsNoteId"] == int(nid) and note["orderId"] in po_ids
        mine = [r for r in found if r["batchId"] == int(nid)]
        moved = {(m["productId"], m["destinationLocationId"]) for m in note["goodsMoved"]}
        assert moved == {(r["productId"], r["locationId"]) for r in mine}
        assert sum(m["quantity"] for m in note["goodsMoved"]) == sum(r["receivedQuantity"] for r in mine)
        assert {m["batchGoodsNoteId"] for m in note["goodsMoved"]} == {int(nid)}
        assert note["receivedOn"] == mine[0]["receivedDate"] and note["goodsNoteStatus"] in ("OPEN", "CLOSED")
    some = sorted(notes)[:2]
    star = get(emu, a, f"warehouse-service/order/*/goods-note/goods-in/{','.join(some)}").json()["response"]
    assert star == {n: notes[n] for n in some}
    one_po = notes[some[0]]["orderId"]
    both = get(emu, a, f"warehouse-service/order/{one_po}/goods-note/goods-in/{some[0]}").json()["response"]
    assert both == {some[0]: notes[some[0]]}
    assert error(get(emu, a, "warehouse-service/order/*/goods-note/goods-in/")) == (400, "CMNC-400")
    assert error(get(emu, a, "warehouse-service/order/*/goods-note/goods-in")) == (400, "CMNC-400")
    assert error(get(emu, a, "warehouse-service/order/1-201/goods-note/goods-in")) == (400, "CMNC-400")
    assert error(get(emu, a, "warehouse-service/order/*/goods-note/goods-in/1-201")) == (400, "CMNC-400")
    assert error(get(emu, a, "warehouse-service/order/1/goods-note/goods-in")) == (404, "CMNC-404")


# -- goods-out notes -----------------------------------------------------------------------------
NOTE_WILDCARDS = {"$.response", "$.response.*.orderRows"}


def test_goods_out_note_map_matches_the_recording(emu: Emulator) -> None:
    status, recorded_headers, body = recorded("vcr/goods_out_note/get/by_gon_id.json")
    want = key_types(body, NOTE_WILDCARDS)
    a = account(emu)
    notes = rows(emu, a, GOODS_OUT)
    shipped = [n["goodsOutNoteId"] for n in notes if n["shipped"]]
    r = get(emu, a, f"warehouse-service/order/*/goods-note/goods-out/{','.join(map(str, shipped))}")
    assert r.status_code == status and r.headers["Message-Type"] == recorded_headers["Message-Type"]
    served = r.json()
    assert list(served["response"]) == [str(i) for i in shipped]  # a map keyed by note id
    assert key_types(served, NOTE_WILDCARDS) == want  # every key, every type, nothing more
    for note in served["response"].values():  # member order as recorded, too
        assert list(note) == list(next(iter(body["response"].values())))
        assert list(note["status"]) == list(next(iter(body["response"].values()))["status"])
    pending = [n["goodsOutNoteId"] for n in notes if not n["shipped"]]
    unshipped = get(emu, a, f"warehouse-service/order/*/goods-note/goods-out/{pending[0]}").json()
    assert set(key_types(unshipped, NOTE_WILDCARDS)) <= set(want)  # null members left out, nothing new
    # Recorded too: all notes of one order, asked with an empty note id set and a trailing slash.
    order_id = notes[0]["orderId"]
    by_order = get(emu, a, f"warehouse-service/order/{order_id}/goods-note/goods-out/").json()["response"]
    assert {n["orderId"] for n in by_order.values()} == {order_id}
    assert set(by_order) == {str(n["goodsOutNoteId"]) for n in notes if n["orderId"] == order_id}


def all_notes(e: Emulator, a: Account) -> dict[str, Any]:
    ids = ",".join(str(n["goodsOutNoteId"]) for n in rows(e, a, GOODS_OUT))
    return get(e, a, f"warehouse-service/order/*/goods-note/goods-out/{ids}").json()["response"]


def test_goods_out_notes_belong_to_sales_orders_and_their_rows(emu: Emulator) -> None:
    a = account(emu)
    orders = {o["id"]: o for o in emu.account_data(a.accountCode).orders}
    notes = all_notes(emu, a)
    for note in notes.values():
        order = orders[note["orderId"]]
        assert order["orderTypeCode"] == "SO" and note["warehouseId"] == order["warehouseId"]
        assert set(note["orderRows"]) == set(order["orderRows"])
        for row_id, parts in note["orderRows"].items():
            assert [p["productId"] for p in parts] == [order["orderRows"][row_id]["productId"]]
        assert note["events"][0]["eventCode"] == "PLA" and note["releaseDate"] == note["createdOn"]
    shipping = {m["id"] for m in get(emu, a, "warehouse-service/shipping-method").json()["response"]}
    assert {n["shipping"]["shippingMethodId"] for n in notes.values()} <= shipping


def test_goods_out_id_caps_and_unknown_ids(emu: Emulator) -> None:
    a = account(emu)
    assert error(get(emu, a, "warehouse-service/order/*/goods-note/goods-out/1-501")) == (400, "CMNC-400")
    assert get(emu, a, "warehouse-service/order/*/goods-note/goods-out/1-500").status_code in (200, 404)
    assert error(get(emu, a, "warehouse-service/order/*/goods-note/goods-out/1")) == (404, "CMNC-404")
    assert error(get(emu, a, "warehouse-service/order/*/goods-note/goods-out/")) == (400, "CMNC-400")


def test_shipping_a_note_changes_it_without_any_updated_on(fresh: Emulator) -> None:
    a = account(fresh)
    code = a.accountCode
    pending = next(n for n in rows(fresh, a, GOODS_OUT) if not n["shipped"])
    nid = pending["goodsOutNoteId"]
    path = f"warehouse-service/order/*/goods-note/goods-out/{nid}"
    before = get(fresh, a, path).json()["response"][str(nid)]
    moves_before = {m["goodsMovementId"] for m in rows(fresh, a, MOVEMENTS)}
    fresh.ship_goods_out_notes(code, [nid])
    after = get(fresh, a, path).json()["response"][str(nid)]
    status = after["status"]
    assert all(status[f] for f in ("shipped", "packed", "picked", "printed"))
    assert {f"{s}On" for s in ("picked", "packed", "shipped", "printed")} <= set(status)
    assert after["events"][: len(before["events"])] == before["events"]
    assert after["events"][len(before["events"])]["eventCode"] == "SHW"
    assert after["lastEventVersion"] > before["lastEventVersion"]
    row = next(n for n in rows(fresh, a, GOODS_OUT, goodsOutNoteId=nid))
    assert row["shipped"] and row["shippedOn"] == status["shippedOn"]
    assert row["shippedOn"] >= max(n["shippedOn"] or "" for n in rows(fresh, a, GOODS_OUT))
    new_moves = [m for m in rows(fresh, a, MOVEMENTS) if m["goodsMovementId"] not in moves_before]
    assert new_moves and all(m["goodsNoteId"] == nid and m["goodsNoteTypeCode"] == "GO" for m in new_moves)
    assert sum(m["quantity"] for m in new_moves) == -sum(
        p["quantity"] for ps in after["orderRows"].values() for p in ps
    )
    fresh.ship_goods_out_notes(code, [nid])  # already shipped: nothing changes
    assert get(fresh, a, path).json()["response"][str(nid)] == after
    with pytest.raises(KeyError):
        fresh.ship_goods_out_notes(code, [1])


def test_adding_and_touching_goods_movements(fresh: Emulator) -> None:
    a = account(fresh)
    old = rows(fresh, a, MOVEMENTS)
    newest = max(m["updatedOn"] for m in old)
    new_ids = fresh.add_goods_movements(a.accountCode, 3)
    assert min(new_ids) > max(m["goodsMovementId"] for m in old)
    since = rows(fresh, a, MOVEMENTS, updatedOn=f"{newest}/")
    assert {m["goodsMovementId"] for m in since} >= set(new_ids)
    assert all(m["goodsNoteTypeCode"] == "SC" and m["orderId"] == 0 for m in since if m["goodsMovementId"] in new_ids)
    fresh.touch(a.accountCode, "goods-movement", [old[0]["goodsMovementId"]])
    touched = rows(fresh, a, MOVEMENTS, goodsMovementId=old[0]["goodsMovementId"])[0]
    assert touched["updatedOn"] > max(m["updatedOn"] for m in old)
    assert {k: v for k, v in touched.items() if k != "updatedOn"} == {
        k: v for k, v in old[0].items() if k != "updatedOn"
    }
    with pytest.raises(ValueError):
        fresh.touch(a.accountCode, "goods-out-note", [rows(fresh, a, GOODS_OUT)[0]["goodsOutNoteId"]])


def test_movements_name_their_notes_orders_and_rows(emu: Emulator) -> None:
    a = account(emu)
    orders = {o["id"]: o for o in emu.account_data(a.accountCode).orders}
    moves = every_row(emu, a, MOVEMENTS)
    goods_in = {r["batchId"] for r in rows(emu, a, GOODS_IN)}
    goods_out = {n["goodsOutNoteId"] for n in rows(emu, a, GOODS_OUT)}
    locations = locations_of(emu, a)
    for m in moves:
        assert locations[m["destinationLocationId"]] == m["warehouseId"] and not m["isQuarantine"]
        assert Decimal(m["productValue"]) >= 0 and m["currencyCode"] == m["currencyCode"].upper()
        if m["goodsNoteTypeCode"] == "GO":
            assert m["goodsNoteId"] in goods_out and m["quantity"] < 0
            assert str(m["salesOrderRowId"]) in orders[m["orderId"]]["orderRows"]
        elif m["goodsNoteTypeCode"] == "GI":
            assert m["goodsNoteId"] == m["batchId"] and m["batchId"] in goods_in and m["quantity"] > 0
            assert str(m["purchaseOrderRowId"]) in orders[m["orderId"]]["orderRows"]
        else:
            assert m["orderId"] == m["salesOrderRowId"] == m["purchaseOrderRowId"] == 0
    assert {"GO", "GI", "SC"} <= {m["goodsNoteTypeCode"] for m in moves}


# -- stock and prices ------------------------------------------------------------------------------
def test_product_availability_with_and_without_locations(emu: Emulator) -> None:
    a = account(emu)
    every = emu.account_data(a.accountCode).products
    products = [p["id"] for p in every]
    ids = ",".join(map(str, products))
    plain = get(emu, a, f"warehouse-service/product-availability/{ids}").json()["response"]
    detailed = get(
        emu, a, f"warehouse-service/product-availability/{ids}", includeOptional="breakDownByLocation"
    ).json()["response"]
    tracked = [p["id"] for p in every if p["stock"]["stockTracked"]]
    assert 0 < len(tracked) < len(products)  # documented: products that are not stock tracked are ignored
    assert list(plain) == list(detailed) == [str(p) for p in tracked]
    locations = {(wid, lid) for lid, wid in locations_of(emu, a).items()}
    warehouses = {w["id"] for w in get(emu, a, "warehouse-service/warehouse").json()["response"]}
    levels = ("inStock", "onHand", "allocated", "inTransit")
    assert any(p["total"]["onHand"] for p in plain.values())
    for pid, stock in plain.items():
        assert set(stock) == {"total", "warehouses"} and {int(w) for w in stock["warehouses"]} == warehouses
        for name in levels:
            assert stock["total"][name] == sum(w[name] for w in stock["warehouses"].values())
        for wid, here in stock["warehouses"].items():
            assert list(here) == list(levels) and here["inStock"] == here["onHand"] - here["allocated"]
            deep = detailed[pid]["warehouses"][wid]
            assert {k: v for k, v in deep.items() if k != "byLocation"} == here
            assert {(int(wid), int(loc)) for loc in deep["byLocation"]} <= locations
            assert sum(v["onHand"] for v in deep["byLocation"].values()) == here["onHand"]
    assert error(get(emu, a, "warehouse-service/product-availability/1-201")) == (400, "CMNC-400")
    whole = get(emu, a, f"warehouse-service/product-availability/{products[0]},999999")
    assert error(whole) == (400, "CMNC-400") and "999999" in whole.json()["errors"][0]["message"]


def test_bad_product_ids_are_searchable_but_fail_stock_and_prices(fresh: Emulator) -> None:
    a = account(fresh)
    code = a.accountCode
    products = [p["id"] for p in fresh.account_data(code).products]
    existing, brand_new = products[1], products[-1] + 50
    fresh.add_bad_product_ids(code, [existing, brand_new])
    listed = {r["productId"] for r in rows(fresh, a, "product-service/product-search")}
    assert {existing, brand_new} <= listed
    for path in ("warehouse-service/product-availability", "product-service/product-price"):
        r = get(fresh, a, f"{path}/{products[0]},{existing}")
        assert error(r) == (400, "CMNC-400") and str(existing) in r.json()["errors"][0]["message"], path
        assert error(get(fresh, a, f"{path}/{brand_new}")) == (400, "CMNC-400"), path
        assert get(fresh, a, f"{path}/{products[0]},{products[2]}").status_code == 200, path


def test_price_lists_and_product_prices(emu: Emulator) -> None:
    a = account(emu)
    lists = get(emu, a, "product-service/price-list").json()["response"]
    assert 2 <= len(lists) <= 3 and {p["priceListTypeCode"] for p in lists} == {"BUY", "SELL"}
    for plist in lists:
        assert plist["name"].keys() == {"languageCode", "text", "format"} and isinstance(plist["gross"], bool)
    assert get(emu, a, f"product-service/price-list/{lists[1]['id']}").json()["response"] == [lists[1]]
    products = emu.account_data(a.accountCode).products
    ids = [p["id"] for p in products[:4]]
    prices = get(emu, a, f"product-service/product-price/{','.join(map(str, ids))}").json()["response"]
    assert [p["productId"] for p in prices] == ids
    for price, product in zip(prices, products, strict=False):
        assert [p["priceListId"] for p in price["priceLists"]] == [p["id"] for p in lists]
        for entry in price["priceLists"]:
            assert entry.get("sku", product["identity"]["sku"]) == product["identity"]["sku"]
            assert "1" in entry["quantityPrice"]
            assert all(isinstance(v, str) and Decimal(v) > 0 for v in entry["quantityPrice"].values())
    one = get(emu, a, f"product-service/product-price/{ids[0]}/price-list/{lists[0]['id']}").json()["response"]
    assert [e["priceListId"] for e in one[0]["priceLists"]] == [lists[0]["id"]]
    assert error(get(emu, a, "product-service/product-price/1-201")) == (400, "CMNC-400")


def test_unknown_product_price_is_the_recorded_404(emu: Emulator) -> None:
    status, recorded_headers, body = recorded("vcr/product_price_get_not_found.json")
    a = account(emu)
    known = emu.account_data(a.accountCode).products[0]["id"]
    for path in ("product-service/product-price/1", f"product-service/product-price/{known},1"):
        r = get(emu, a, path)
        assert (r.status_code, r.json()) == (status, body), path
        assert r.headers["Message-Type"] == recorded_headers["Message-Type"]


# -- deletes and broken searches -------------------------------------------------------------------
def test_deleted_records_vanish_and_ids_are_never_reused(fresh: Emulator) -> None:
    a = account(fresh)
    code = a.accountCode
    data = fresh.account_data(code)
    order, product, contact = data.orders[-1]["id"], data.products[-1]["id"], data.contacts[-1]["contactId"]
    note = rows(fresh, a, GOODS_OUT)[0]["goodsOutNoteId"]
    fresh.delete_records(code, "order", [order])
    fresh.delete_records(code, "product", [product])
    fresh.delete_records(code, "contact", [contact])
    fresh.delete_records(code, "goods-out-note", [note])
    assert order not in {r["orderId"] for r in rows(fresh, a, "order-service/order-search")}
    assert product not in {r["productId"] for r in rows(fresh, a, "product-service/product-search")}
    assert contact not in {r["contactId"] for r in rows(fresh, a, "contact-service/contact-search")}
    assert note not in {r["goodsOutNoteId"] for r in rows(fresh, a, GOODS_OUT)}
    assert get(fresh, a, f"order-service/order/{order}").json() == {"response": []}  # recorded for orders
    assert error(get(fresh, a, f"product-service/product/{product}")) == (404, "CMNC-404")
    assert error(get(fresh, a, f"contact-service/contact/{contact}")) == (404, "CMNC-404")
    assert error(get(fresh, a, f"warehouse-service/order/*/goods-note/goods-out/{note}")) == (404, "CMNC-404")
    assert error(get(fresh, a, f"warehouse-service/product-availability/{product}")) == (400, "CMNC-400")
    assert fresh.add_records(code, "order", 1)[0] > order  # the deleted newest id is not handed out again
    assert fresh.add_records(code, "product", 1)[0] > product
    with pytest.raises(KeyError):
        fresh.delete_records(code, "order", [order])


def test_a_broken_search_answers_empty_and_can_be_mended(fresh: Emulator) -> None:
    a = account(fresh)
    code = a.accountCode
    order = fresh.account_data(code).orders[0]["id"]
    for resource, path in (("order", "order-service/order-search"), ("goods-out-note", GOODS_OUT)):
        fresh.break_search(code, resource, "empty")
        r = get(fresh, a, path)
        meta = r.json()["response"]["metaData"]
        assert r.status_code == 200 and r.json()["response"]["results"] == []
        assert (meta["resultsAvailable"], meta["morePagesAvailable"], meta["resultsReturned"]) == (0, False, 0)
        fresh.break_search(code, resource, None)
        assert rows(fresh, a, path)
    fresh.break_search(code, "order")
    assert get(fresh, a, f"order-service/order/{order}").json()["response"][0]["id"] == order  # details still work
    with pytest.raises(ValueError):
        fresh.break_search(code, "order", "slow")
    with pytest.raises(ValueError):
        fresh.break_search(code, "invoice")
