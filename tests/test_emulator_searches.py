"""Every *-search the emulator serves beyond orders, products and contacts, over real HTTP.

The column lists below are each search page's documented Columns table (names, order,
reportDataType; pages under https://api-docs.brightpearl.com, see /work/evidence-table.md), or
the third party's id column plus the emulator's guesses where no page is stored (marked). The
tap pages them with sort=<id column>.ASC and firstResult = lastResult + 1 and checks
metaData.columns for its id and date columns, so those are pinned here for each search: the
default sort, ASC and DESC on the id column, paging and its metaData, filters by column type.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.emulator import Emulator
from tests.emulator.client import account_with_purchases as account
from tests.emulator.client import error, every_row, get, rows
from tests.test_emulator_fidelity import json_type

_GROUPINGS = "groupingA:STRING groupingB:STRING groupingC:STRING groupingD:STRING"
_PAYMENT_HEAD = "paymentId:IDSET transactionRef:STRING"
_PAYMENT_TAIL = "paymentDate:PERIOD createdOn:PERIOD journalId:IDSET"
COLUMNS = {  # path: (name:reportDataType in the documented order, id column, default sort column)
    "warehouse-service/goods-note/goods-out-search": (  # page cut at a last column "labe..."
        "goodsOutNoteId:INTEGER printed:BOOLEAN picked:BOOLEAN packed:BOOLEAN shipped:BOOLEAN shippedOn:PERIOD "
        "orderId:INTEGER shippingMethodId:IDSET warehouseId:INTEGER priority:BOOLEAN createdOn:PERIOD "
        "releaseDate:PERIOD createdBy:INTEGER",
        "goodsOutNoteId",
        "goodsOutNoteId",
    ),
    "warehouse-service/goods-movement-search": (  # page cut after goodsNoteTypeCode; updatedOn: third parties
        "goodsMovementId:IDSET productId:INTEGER salesOrderRowId:IDSET purchaseOrderRowId:IDSET quantity:INTEGER "
        "destinationLocationId:INTEGER warehouseId:INTEGER goodsNoteId:IDSET productValue:STRING "
        "currencyCode:STRING orderId:INTEGER isCleared:BOOLEAN isQuarantine:BOOLEAN batchId:INTEGER "
        "goodsNoteTypeCode:STRING updatedOn:PERIOD",
        "goodsMovementId",
        "goodsMovementId",
    ),
    "warehouse-service/goods-in-search": (
        "purchaseOrderId:INTEGER batchId:INTEGER userBatchRef:SEARCH_STRING productId:INTEGER locationId:INTEGER "
        f"{_GROUPINGS} price:STRING landedCosts:STRING currCode:STRING receivedQuantity:INTEGER onHand:INTEGER "
        "createdDate:PERIOD receivedDate:PERIOD warehouseId:INTEGER",
        "purchaseOrderId",
        "batchId",  # documented: sorted by batchId
    ),
    "accounting-service/journal-search": (  # page cut after leadSourceId
        "journalId:IDSET journalType:STRING orderId:IDSET invoiceReference:SEARCH_STRING channelId:INTEGER "
        "nominalCode:STRING journalDate:PERIOD journalDebit:STRING journalCredit:STRING journalRef:INTEGER "
        "currencyId:INTEGER exchangeRate:STRING transactionDebit:STRING transactionCredit:STRING "
        "projectId:INTEGER leadSourceId:INTEGER",
        "journalId",
        "journalId",
    ),
    "accounting-service/customer-payment-search": (
        f"{_PAYMENT_HEAD} transactionCode:STRING paymentMethodCode:STRING paymentType:STRING orderId:IDSET "
        "currencyId:IDSET currencyCode:STRING amountAuthorized:STRING amountPaid:STRING expires:PERIOD "
        f"{_PAYMENT_TAIL}",
        "paymentId",
        "paymentId",
    ),
    "accounting-service/supplier-payment-search": (
        f"{_PAYMENT_HEAD} paymentMethodCode:STRING paymentType:STRING orderId:IDSET currencyId:IDSET "
        f"currencyCode:STRING amountPaid:STRING {_PAYMENT_TAIL}",
        "paymentId",
        "paymentId",
    ),
    "accounting-service/currency-search": (
        "id:IDSET title:STRING code:STRING symbol:STRING exchangeRate:STRING isDefault:BOOLEAN "
        "exchangeRateVarianceNominalCode:STRING",
        "id",
        "id",
    ),
    "order-service/order-note-search": (
        "orderId:IDSET noteId:IDSET contactId:IDSET noteText:SEARCH_STRING isPublic:BOOLEAN dateAdded:PERIOD "
        "addedBy:IDSET orderStatusId:IDSET",
        "noteId",
        "noteId",  # documented: sorted by noteId
    ),
    "product-service/brightpearl-category-search": (
        "id:INTEGER name:STRING parentId:INTEGER active:BOOLEAN createdOn:PERIOD createdById:INTEGER "
        "updatedOn:PERIOD updatedBy:INTEGER",
        "id",
        "id",
    ),
    "product-service/season-search": (
        "id:IDSET name:STRING description:STRING dateFrom:PERIOD dateTo:PERIOD createdOn:PERIOD updatedOn:PERIOD",
        "id",
        "id",
    ),
    # third party only (no page stored): the id column they key on; the other columns are guesses
    "product-service/collection-search": (
        "collectionId:IDSET name:STRING description:STRING brandId:INTEGER createdOn:PERIOD updatedOn:PERIOD",
        "collectionId",
        "collectionId",
    ),
    "contact-service/contact-group-search": ("id:IDSET name:STRING description:STRING", "id", "id"),
    "contact-service/company-search": (
        "companyId:IDSET name:STRING createdOn:PERIOD updatedOn:PERIOD",
        "companyId",
        "companyId",
    ),
}
CELL_TYPES = {
    "IDSET": {"integer"},
    "INTEGER": {"integer"},
    "STRING": {"string"},
    "SEARCH_STRING": {"string"},
    "BOOLEAN": {"boolean"},
}
GOODS_OUT = "warehouse-service/goods-note/goods-out-search"
MOVEMENTS = "warehouse-service/goods-movement-search"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    options = dict(n_accounts=6, seed=23, orders_per_account=80, products_per_account=12, contacts_per_account=15)
    with Emulator(**options, goods_movements_per_account=620) as e:
        yield e


def test_every_search_has_its_documented_columns_and_cell_types(emu: Emulator) -> None:
    a = account(emu)
    for path, (spec, _, default_sort) in COLUMNS.items():
        r = get(emu, a, path, pageSize=3)
        assert r.status_code == 200 and r.headers["Message-Type"] == "bulk-data-search", path
        body = r.json()
        meta = body["response"]["metaData"]
        columns = [tuple(c.split(":")) for c in spec.split()]
        assert [(c["name"], c["reportDataType"]) for c in meta["columns"]] == columns, path
        assert [(s["filterable"]["name"], s["direction"]) for s in meta["sorting"]] == [(default_sort, "ASC")], path
        assert body["reference"] == {} and meta["resultsReturned"] == len(body["response"]["results"]) <= 3, path
        found = rows(emu, a, path)
        assert found, f"{path} has no rows"
        for row in found:
            for name, kind in columns:
                cell = row[name]
                if kind == "PERIOD":
                    assert cell is None or cell[-6] in "+-", (path, name)  # the account's own offset
                else:
                    assert json_type(cell) in CELL_TYPES[kind], (path, name, cell)


def _ids(e: Emulator, path: str, id_column: str, **params: Any) -> list[int]:
    """Every id of a search read as the tap reads it: sorted on the id column, page after page."""
    out: list[int] = []
    first = 1
    while True:
        r = get(e, account(e), path, pageSize=2, firstResult=first, sort=f"{id_column}.ASC", **params)
        meta = r.json()["response"]["metaData"]
        names = [c["name"] for c in meta["columns"]]
        out += [row[names.index(id_column)] for row in r.json()["response"]["results"]]
        assert meta["firstResult"] == first and meta["lastResult"] == first - 1 + meta["resultsReturned"], path
        assert meta["morePagesAvailable"] == (meta["lastResult"] < meta["resultsAvailable"]), path
        if not meta["morePagesAvailable"]:
            return out
        first = meta["lastResult"] + 1


@pytest.mark.parametrize("path", [p for p in COLUMNS if p != "accounting-service/supplier-payment-search"])
def test_sorting_on_the_id_column_and_paging(emu: Emulator, path: str) -> None:
    _, id_column, _ = COLUMNS[path]
    ascending = _ids(emu, path, id_column)
    every = [r[id_column] for r in every_row(emu, account(emu), path)]
    assert ascending == sorted(every)  # every row once, in id order (ids repeat on goods-in and journals)
    desc = every_row(emu, account(emu), path, sort=f"{id_column}.DESC")
    assert [r[id_column] for r in desc] == sorted(every, reverse=True)


def test_page_size_clamp_sort_and_bad_filters(emu: Emulator) -> None:
    a = account(emu)
    r = get(emu, a, MOVEMENTS, pageSize=1000, firstResult=1)
    meta = r.json()["response"]["metaData"]
    assert meta["resultsReturned"] == 500 and meta["resultsAvailable"] == 620 and meta["morePagesAvailable"]
    newest_first = [row["updatedOn"] for row in every_row(emu, a, MOVEMENTS, sort="updatedOn.DESC")]
    assert newest_first == sorted(newest_first, reverse=True)  # one offset per account: text order is time order
    assert error(get(emu, a, GOODS_OUT, shipped="maybe")) == (500, "CMNC-018")
    assert error(get(emu, a, GOODS_OUT, createdOn="yesterday/")) == (500, "CMNC-018")
    assert error(get(emu, a, MOVEMENTS, productId="one")) == (500, "CMNC-018")
    assert error(get(emu, a, GOODS_OUT, sort="noSuchColumn.ASC")) == (500, "CMNC-018")


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
        ("product-service/brightpearl-category-search", "updatedOn"),
        ("product-service/season-search", "updatedOn"),
        ("product-service/collection-search", "updatedOn"),
    ):
        every = rows(emu, a, path)
        cut = sorted(r[dated] for r in every)[len(every) // 2]
        assert rows(emu, a, path, **{dated: f"{cut}/"}) == [r for r in every if r[dated] >= cut], path
