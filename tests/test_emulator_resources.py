"""The emulator's account resources beyond orders, products and contacts, over real HTTP.

The tap's inventory, finance and reference streams are built against these answers, so their
columns, filters, shapes, quirks and knobs are pinned here: every search's columns and filters,
goods notes and movements, stock, prices, deletes and broken searches (money, reference data and
the shared plumbing are in test_emulator_resources_finance.py). The goods-out note is the one
recorded body among them: its served shape must equal the recording's, key for key and type for
type. Everything else is pinned as the emulator's documented guess.
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

_DATED = "createdOn:PERIOD updatedOn:PERIOD"
_PAYMENT = (
    "paymentId:IDSET transactionRef:STRING transactionCode:STRING paymentMethodCode:STRING paymentType:STRING "
    "orderId:INTEGER currencyId:INTEGER currencyCode:STRING amountPaid:STRING paymentDate:PERIOD createdOn:PERIOD "
    "journalId:INTEGER"
)
COLUMNS = {  # name:reportDataType, in the order the search answers them
    "warehouse-service/goods-note/goods-out-search": "goodsOutNoteId:IDSET orderId:INTEGER warehouseId:INTEGER "
    "createdOn:PERIOD releaseDate:PERIOD shippedOn:PERIOD printed:BOOLEAN picked:BOOLEAN packed:BOOLEAN "
    "shipped:BOOLEAN",
    "warehouse-service/goods-movement-search": "goodsMovementId:IDSET productId:INTEGER warehouseId:INTEGER "
    f"locationId:INTEGER goodsNoteId:INTEGER goodsNoteTypeCode:STRING quantity:INTEGER {_DATED}",
    "warehouse-service/goods-in-search": "goodsNoteId:IDSET purchaseOrderId:INTEGER productId:INTEGER "
    "warehouseId:INTEGER locationId:INTEGER batchId:INTEGER quantity:INTEGER createdDate:PERIOD receivedDate:PERIOD",
    "accounting-service/journal-search": "journalId:IDSET journalTypeCode:STRING journalDate:PERIOD createdOn:PERIOD "
    "contactId:INTEGER orderId:INTEGER description:STRING",
    "accounting-service/customer-payment-search": _PAYMENT,
    "accounting-service/supplier-payment-search": _PAYMENT,
    "order-service/order-note-search": "noteId:IDSET orderId:INTEGER text:STRING addedBy:INTEGER dateAdded:PERIOD "
    "isPublic:BOOLEAN",
    "product-service/brand-search": f"brandId:IDSET name:STRING description:STRING {_DATED}",
    "product-service/brightpearl-category-search": f"id:IDSET name:STRING parentId:INTEGER active:BOOLEAN {_DATED}",
    "product-service/season-search": f"id:IDSET name:STRING description:STRING {_DATED}",
    "product-service/collection-search": f"id:IDSET name:STRING description:STRING {_DATED}",
    "product-service/product-type-search": f"id:IDSET name:STRING {_DATED}",
    "product-service/option-search": f"optionId:IDSET optionName:STRING {_DATED}",
    "product-service/option-value-search": "optionValueId:IDSET optionId:INTEGER optionValueName:STRING "
    f"sortOrder:INTEGER {_DATED}",
    "warehouse-service/location-search": f"locationId:IDSET warehouseId:INTEGER name:STRING {_DATED}",
}
SEARCH_COLUMNS = {path: [tuple(c.split(":")) for c in spec.split()] for path, spec in COLUMNS.items()}
CELL_TYPES = {"IDSET": {"integer"}, "INTEGER": {"integer"}, "STRING": {"string"}, "BOOLEAN": {"boolean"}}
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


# -- searches ----------------------------------------------------------------------------------
def test_every_search_has_its_columns_types_and_paging(emu: Emulator) -> None:
    a = account(emu)
    for path, columns in SEARCH_COLUMNS.items():
        r = get(emu, a, path, pageSize=3)
        assert r.status_code == 200 and r.headers["Message-Type"] == "bulk-data-search", path
        body = r.json()
        meta = body["response"]["metaData"]
        assert [(c["name"], c["reportDataType"]) for c in meta["columns"]] == columns, path
        assert body["reference"] == {} and meta["resultsReturned"] == len(body["response"]["results"]) <= 3, path
        for row in rows(emu, a, path):
            for name, kind in columns:
                cell = row[name]
                if kind == "PERIOD":
                    assert cell is None or cell[-6] in "+-", (path, name)  # the account's own offset
                else:
                    assert json_type(cell) in CELL_TYPES[kind], (path, name, cell)
        assert rows(emu, a, path), f"{path} has no rows"


def test_page_size_clamp_sort_and_bad_filters(emu: Emulator) -> None:
    a = account(emu)
    r = get(emu, a, MOVEMENTS, pageSize=1000, firstResult=1)
    meta = r.json()["response"]["metaData"]
    assert meta["resultsReturned"] == 500 and meta["resultsAvailable"] == 620 and meta["morePagesAvailable"]
    newest_first = [row["createdOn"] for row in every_row(emu, a, MOVEMENTS, sort="createdOn.DESC")]
    assert newest_first == sorted(newest_first, reverse=True)  # one offset per account: text order is time order
    assert error(get(emu, a, GOODS_OUT, shipped="maybe")) == (500, "CMNC-018")
    assert error(get(emu, a, GOODS_OUT, createdOn="yesterday/")) == (500, "CMNC-018")
    assert error(get(emu, a, MOVEMENTS, productId="one")) == (500, "CMNC-018")


def test_period_boolean_and_equality_filters(emu: Emulator) -> None:
    a = account(emu)
    notes = rows(emu, a, GOODS_OUT)
    shipped = [n for n in notes if n["shipped"]]
    assert 0 < len(shipped) < len(notes)  # about 30% not shipped yet
    assert all(n["shippedOn"] is None for n in notes if not n["shipped"])
    assert rows(emu, a, GOODS_OUT, shipped="true") == shipped
    assert rows(emu, a, GOODS_OUT, shipped="FALSE") == [n for n in notes if not n["shipped"]]
    assert rows(emu, a, GOODS_OUT, shippedOn="2000-01-01T00:00:00Z/") == shipped  # a null never matches
    middle = sorted(n["createdOn"] for n in notes)[len(notes) // 2]
    later = rows(emu, a, GOODS_OUT, createdOn=f"{middle}/")
    earlier = rows(emu, a, GOODS_OUT, releaseDate=f"/{middle}")
    assert sorted(n["goodsOutNoteId"] for n in later + earlier) == [n["goodsOutNoteId"] for n in notes]
    order_id = notes[0]["orderId"]
    assert {n["orderId"] for n in rows(emu, a, GOODS_OUT, orderId=order_id)} == {order_id}
    moves = every_row(emu, a, MOVEMENTS)
    cut = sorted(m["updatedOn"] for m in moves)[-10]
    assert {m["goodsMovementId"] for m in every_row(emu, a, MOVEMENTS, updatedOn=f"{cut}/")} == {
        m["goodsMovementId"] for m in moves if m["updatedOn"] >= cut
    }
    assert {m["goodsNoteTypeCode"] for m in moves} <= {"SC", "GO", "GI", "TR"}
    corrections = every_row(emu, a, MOVEMENTS, goodsNoteTypeCode="SC")
    assert corrections == [m for m in moves if m["goodsNoteTypeCode"] == "SC"]
    for path, dated in (
        ("warehouse-service/goods-in-search", "receivedDate"),
        ("order-service/order-note-search", "dateAdded"),
        ("accounting-service/customer-payment-search", "paymentDate"),
        ("accounting-service/journal-search", "journalDate"),
    ):
        every = rows(emu, a, path)
        cut = sorted(r[dated] for r in every)[len(every) // 2]
        assert rows(emu, a, path, **{dated: f"{cut}/"}) == [r for r in every if r[dated] >= cut], path


def test_goods_in_rows_are_per_batch_and_location_of_purchase_orders(emu: Emulator) -> None:
    a = account(emu)
    purchase = {o["id"] for o in emu.account_data(a.accountCode).orders if o["orderTypeCode"] == "PO"}
    found = rows(emu, a, "warehouse-service/goods-in-search")
    keys = [(r["goodsNoteId"], r["batchId"], r["locationId"]) for r in found]
    assert len(set(keys)) == len(keys) and keys == sorted(keys)
    assert {r["purchaseOrderId"] for r in found} <= purchase
    locations = {(r["locationId"], r["warehouseId"]) for r in rows(emu, a, "warehouse-service/location-search")}
    assert {(r["locationId"], r["warehouseId"]) for r in found} <= locations


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
    assert all(
        m["goodsNoteTypeCode"] == "SC" and m["createdOn"] == m["updatedOn"]
        for m in since
        if m["goodsMovementId"] in new_ids
    )
    fresh.touch(a.accountCode, "goods-movement", [old[0]["goodsMovementId"]])
    touched = rows(fresh, a, MOVEMENTS, goodsMovementId=old[0]["goodsMovementId"])[0]
    assert touched["updatedOn"] > max(m["updatedOn"] for m in old) and touched["createdOn"] == old[0]["createdOn"]
    with pytest.raises(ValueError):
        fresh.touch(a.accountCode, "goods-out-note", [rows(fresh, a, GOODS_OUT)[0]["goodsOutNoteId"]])


# -- stock and prices ------------------------------------------------------------------------------
def test_product_availability_with_and_without_locations(emu: Emulator) -> None:
    a = account(emu)
    products = [p["id"] for p in emu.account_data(a.accountCode).products]
    ids = ",".join(map(str, products))
    plain = get(emu, a, f"warehouse-service/product-availability/{ids}").json()["response"]
    detailed = get(
        emu, a, f"warehouse-service/product-availability/{ids}", includeOptional="breakDownByLocation"
    ).json()["response"]
    assert list(plain) == list(detailed) == [str(p) for p in products]
    locations = {(r["warehouseId"], r["locationId"]) for r in rows(emu, a, "warehouse-service/location-search")}
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
        assert set(plist) == {"id", "name", "code", "currencyCode", "currencyId", "priceListTypeCode", "gross"}
        assert plist["name"]["languageCode"] == "EN" and isinstance(plist["gross"], bool)
    assert get(emu, a, f"product-service/price-list/{lists[1]['id']}").json()["response"] == [lists[1]]
    products = emu.account_data(a.accountCode).products
    ids = [p["id"] for p in products[:4]]
    prices = get(emu, a, f"product-service/product-price/{','.join(map(str, ids))}").json()["response"]
    assert [p["productId"] for p in prices] == ids
    for price, product in zip(prices, products, strict=False):
        assert [p["priceListId"] for p in price["priceLists"]] == [p["id"] for p in lists]
        for entry in price["priceLists"]:
            assert entry["sku"] == product["identity"]["sku"] and "1" in entry["quantityPrice"]
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
