"""Every account stream beyond orders, products and contacts, over real HTTP against the emulator.

What each stream loads is compared with what the emulator serves over HTTP (its own searches
and lists, read with a plain client), account by account: nothing lost, nothing twice. One
account is set up big enough that searches page (620 goods movements) and ID sets hit their
caps (230 journals, 230 products), and one account's finance APIs refuse the token, so its
finance streams are skipped for that account alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tap_brightpearl.tap import TapBrightpearl
from tests.conftest import (
    ACCOUNT_STREAMS,
    DEV_SECRET,
    DEV_TOKEN,
    DEVELOPER_STREAMS,
    MORE_ACCOUNT_STREAMS,
    TapRun,
    catalog_selecting,
    run_tap,
)
from tests.emulator import Emulator
from tests.emulator.client import every_row, get

INVENTORY = ("goods_out_notes", "goods_in_notes", "goods_movements", "stock_levels")
FINANCE = ("journals", "customer_payments", "supplier_payments", "price_lists", "product_prices")
NEIGHBOURS = ("order_notes",)
REFERENCE_LISTS = {  # stream -> the list's GET path
    "order_statuses": "order-service/order-status",
    "order_stock_statuses": "order-service/order-stock-status",
    "order_shipping_statuses": "order-service/order-shipping-status",
    "order_types": "order-service/order-type",
    "channels": "product-service/channel",
    "tax_codes": "accounting-service/tax-code",
    "nominal_codes": "accounting-service/nominal-code",
    "currencies": "accounting-service/currency",
    "payment_methods": "accounting-service/payment-method",
    "shipping_methods": "warehouse-service/shipping-method",
    "contact_groups": "contact-service/contact-group",
    "companies": "contact-service/company",
    "lead_sources": "contact-service/lead-source",
    "price_lists": "product-service/price-list",
}
SEARCHED = {  # stream -> (search path, the columns that identify a record)
    "order_notes": ("order-service/order-note-search", ("noteId",)),
    "goods_out_notes": ("warehouse-service/goods-note/goods-out-search", ("goodsOutNoteId",)),
    "goods_in_notes": ("warehouse-service/goods-in-search", ("goodsNoteId", "batchId", "locationId")),
    "goods_movements": ("warehouse-service/goods-movement-search", ("goodsMovementId",)),
    "customer_payments": ("accounting-service/customer-payment-search", ("paymentId",)),
    "brands": ("product-service/brand-search", ("brandId",)),
    "categories": ("product-service/brightpearl-category-search", ("id",)),
    "seasons": ("product-service/season-search", ("id",)),
    "collections": ("product-service/collection-search", ("id",)),
    "product_types": ("product-service/product-type-search", ("id",)),
    "product_options": ("product-service/option-search", ("optionId",)),
    "product_option_values": ("product-service/option-value-search", ("optionValueId",)),
    "warehouse_locations": ("warehouse-service/location-search", ("locationId",)),
}
OTHERS = ("journals", "supplier_payments", "stock_levels", "product_prices", "contact_group_members", "custom_fields")
CUSTOM_FIELD_PATHS = {
    "sale": "order-service/sale/custom-field-meta-data",
    "purchase": "order-service/purchase/custom-field-meta-data",
    "product": "product-service/product/custom-field-meta-data",
    "customer": "contact-service/customer/custom-field-meta-data",
    "supplier": "contact-service/supplier/custom-field-meta-data",
}
NEW_STREAMS = tuple(sorted({*INVENTORY, *FINANCE, *NEIGHBOURS, *REFERENCE_LISTS, *SEARCHED, *OTHERS}))


def _enabled(emu: Emulator) -> list:
    return sorted((a for a in emu.accounts if a.enabled and not a.gone), key=lambda a: a.accountCode)


class Fleet:
    """The emulator, its big account, the account whose finance APIs refuse, and one run of every stream."""

    def __init__(self, emu: Emulator, run: TapRun, big: str, refused: str) -> None:
        self.emu, self.run, self.big, self.refused = emu, run, big, refused

    def loaded(self, stream: str, code: str) -> list[dict]:
        return [r for r in self.run.records(stream) if r["accountCode"] == code]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    with Emulator(
        n_accounts=4,
        seed=31,
        developer_token=DEV_TOKEN,
        developer_secret=DEV_SECRET,
        orders_per_account=60,
        payments_per_account=12,
    ) as emu:
        accounts = _enabled(emu)
        big, refused = accounts[0].accountCode, accounts[-1].accountCode
        emu.set_account_sizes(big, goods_movements=620, journals=230, products=230)
        emu.add_fault(
            f"/public-api/{refused}/accounting-service/",
            "status",
            status=401,
            body=b'{"response": "Authorization token expired"}',
            times=10_000,
        )
        config = emu.tap_config()
        where = tmp_path_factory.mktemp("every-stream")
        run = run_tap(config, where, catalog=catalog_selecting(config, NEW_STREAMS), timeout=300)
        emu.clear_faults()
        yield Fleet(emu, run, big, refused)


def test_the_catalog_offers_exactly_these_streams_in_sync_order(fleet):
    catalog = TapBrightpearl(config=fleet.emu.tap_config(), validate_config=False).catalog_dict
    offered = [entry["tap_stream_id"] for entry in catalog["streams"]]
    assert set(NEW_STREAMS) == set(MORE_ACCOUNT_STREAMS)
    assert offered == [*DEVELOPER_STREAMS, *ACCOUNT_STREAMS, *MORE_ACCOUNT_STREAMS]


def test_the_run_succeeds_and_skips_only_the_refusing_account(fleet):
    run = fleet.run
    assert run.returncode == 0, run.stderr[-3000:]
    for stream in ("journals", "customer_payments", "supplier_payments", "price_lists", "tax_codes"):
        if stream == "price_lists":
            continue  # product-service: not refused
        assert not fleet.loaded(stream, fleet.refused), stream
        assert f"{stream}: skipping account '{fleet.refused}'" in run.stderr, stream
    assert fleet.loaded("goods_movements", fleet.refused), "the refusing account's other APIs are still read"
    run.assert_no_secrets()


@pytest.mark.parametrize("stream", sorted(SEARCHED))
def test_searched_streams_load_every_row_of_every_account_once(fleet, stream):
    path, key = SEARCHED[stream]
    for account in _enabled(fleet.emu):
        if account.accountCode == fleet.refused and path.startswith("accounting-service"):
            continue
        served = sorted(tuple(row[c] for c in key) for row in every_row(fleet.emu, account, path))
        loaded = sorted(tuple(r[c] for c in key) for r in fleet.loaded(stream, account.accountCode))
        assert loaded == served, f"{stream} of {account.accountCode}"


@pytest.mark.parametrize("stream", sorted(REFERENCE_LISTS))
def test_reference_lists_load_every_item(fleet, stream):
    for account in _enabled(fleet.emu):
        if account.accountCode == fleet.refused and REFERENCE_LISTS[stream].startswith("accounting-service"):
            continue
        served = get(fleet.emu, account, REFERENCE_LISTS[stream]).json()["response"]
        loaded = fleet.loaded(stream, account.accountCode)
        assert sorted(r["id"] for r in loaded) == sorted(item["id"] for item in served), stream
        assert all(not r.get("otherMembers") for r in loaded), f"{stream}: the schema declares every member"


def test_searches_page_past_500_rows(fleet):
    movements = [r for r in fleet.emu.requests if f"/{fleet.big}/warehouse-service/goods-movement-search" in r.path]
    firsts = {int(m.group(1)) for r in movements if (m := re.search(r"firstResult=(\d+)", r.path))}
    assert len(firsts) >= 2 and max(firsts) > 1, "620 movements need a second page"
    assert len(fleet.loaded("goods_movements", fleet.big)) == 620


def _id_sets(emu: Emulator, code: str, pattern: str) -> list[int]:
    sizes = []
    for request in emu.requests:
        m = re.search(pattern, request.path.split("?")[0])
        if m and f"/{code}/" in request.path:
            ids = 0
            for part in m.group(1).split(","):
                low, _, high = part.partition("-")
                ids += int(high or low) - int(low) + 1
            sizes.append(ids)
    return sizes


@pytest.mark.parametrize(
    ("stream", "pattern", "cap"),
    [
        ("journals", r"/accounting-service/journal/([\d,-]+)$", 200),
        ("stock_levels", r"/warehouse-service/product-availability/([\d,-]+)$", 200),
        ("product_prices", r"/product-service/product-price/([\d,-]+)/price-list/", 200),
    ],
)
def test_id_sets_stay_within_their_cap_and_are_full(fleet, stream, pattern, cap):
    sizes = sorted(_id_sets(fleet.emu, fleet.big, pattern), reverse=True)  # sent a few at a time
    table = {"journals": "journal", "stock_levels": "product", "product_prices": "product"}[stream]
    records = len(fleet.emu.account_data(fleet.big).table(table).records)  # journals: 230 + one per payment
    assert records > cap, "the big account needs more than one ID set"
    assert sizes[:-1] == [cap] * (len(sizes) - 1), f"{stream}: every set but the last is full: {sizes}"
    assert 0 < sizes[-1] <= cap and sum(sizes) == records, f"{stream}: ID sets of {sizes}"


def test_journals_are_one_record_per_line_and_balance(fleet):
    for account in _enabled(fleet.emu):
        if account.accountCode == fleet.refused:
            continue
        journals = fleet.emu.account_data(account.accountCode).table("journal").records
        loaded = fleet.loaded("journals", account.accountCode)
        assert len(loaded) == sum(len(j["credits"]) + len(j["debits"]) for j in journals)
        assert {r["journalId"] for r in loaded} == {j["id"] for j in journals}
        for journal in journals:
            lines = [r for r in loaded if r["journalId"] == journal["id"]]
            assert {r["side"] for r in lines} == {"credit", "debit"}
            assert all(r["journalTypeCode"] == journal["journalTypeCode"] for r in lines), "journal members on each"


def test_stock_levels_are_per_product_and_warehouse_and_add_up(fleet):
    code = fleet.big
    loaded = fleet.loaded("stock_levels", code)
    products = {r["productId"] for r in loaded}
    assert len(products) == 230
    for product in list(products)[:20]:
        rows = [r for r in loaded if r["productId"] == product]
        assert sum(r["onHand"] for r in rows) == rows[0]["productTotal"]["onHand"]
    assert len({(r["productId"], r["warehouseId"]) for r in loaded}) == len(loaded)


def test_product_prices_cover_every_product_and_price_list(fleet):
    code = fleet.big
    lists = {r["id"] for r in fleet.loaded("price_lists", code)}
    loaded = fleet.loaded("product_prices", code)
    assert {(r["productId"], r["priceListId"]) for r in loaded} == {
        (p, lst) for p in {r["productId"] for r in loaded} for lst in lists
    }
    assert len({r["productId"] for r in loaded}) == 230


def test_custom_fields_cover_every_kind_of_record_that_has_them(fleet):
    code = fleet.big
    account = next(a for a in fleet.emu.accounts if a.accountCode == code)
    loaded = fleet.loaded("custom_fields", code)
    for kind, path in CUSTOM_FIELD_PATHS.items():
        served = get(fleet.emu, account, path).json()["response"]
        mine = [r for r in loaded if r["resource"] == kind]
        assert sorted((r["id"], r["code"]) for r in mine) == sorted((f["id"], f["code"]) for f in served), kind
    assert {r["resource"] for r in loaded} == set(CUSTOM_FIELD_PATHS)


def test_contact_group_members_name_existing_groups_and_contacts(fleet):
    code = fleet.big
    members = fleet.loaded("contact_group_members", code)
    groups = {r["id"] for r in fleet.loaded("contact_groups", code)}
    assert members and {m["groupId"] for m in members} <= groups
    contacts = {c["contactId"] for c in fleet.emu.account_data(code).contacts}
    assert {m["contactId"] for m in members} <= contacts
