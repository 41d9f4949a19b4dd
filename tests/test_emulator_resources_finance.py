"""The emulator's money and reference resources over real HTTP, and what every new resource shares.

Journals, customer and supplier payments (with the reported supplier-payment-search quirk),
reference lists and searches, custom-field metadata; then the plumbing all the new endpoints go
through (auth, faults, throttle, request log), deterministic lazy generation and per-account
sizes. The warehouse and product side is in test_emulator_resources.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.emulator import Emulator
from tests.emulator.client import account_url, app_headers, error, get, rows
from tests.emulator.client import account_with_purchases as account


def make_emulator(**sizes: Any) -> Emulator:
    """Enough orders that every account has sales orders and most have purchase orders."""
    options = dict(n_accounts=6, seed=23, orders_per_account=80, products_per_account=12, contacts_per_account=15)
    return Emulator(**{**options, **sizes})


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with make_emulator() as e:
        yield e


@pytest.fixture
def fresh() -> Iterator[Emulator]:
    """For tests that change data: a new emulator each time."""
    with make_emulator() as e:
        yield e


# -- journals and payments -------------------------------------------------------------------------
def test_journal_search_detail_and_id_ranges(emu: Emulator) -> None:
    a = account(emu)
    found = rows(emu, a, "accounting-service/journal-search")
    ids = [j["journalId"] for j in found]
    assert error(get(emu, a, "accounting-service/journal-search", journalId=f"{ids[0]}-{ids[-1]}")) == (
        500,
        "CMNC-018",
    )
    assert rows(emu, a, "accounting-service/journal-search", journalId=f"{ids[0]},{ids[1]}") == found[:2]
    bodies = get(emu, a, f"accounting-service/journal/{','.join(map(str, ids))}").json()["response"]
    assert [j["id"] for j in bodies] == ids
    for body, row in zip(bodies, found, strict=True):
        assert (body["journalTypeCode"], body["taxDate"], body["orderId"]) == (
            row["journalTypeCode"],
            row["journalDate"],
            row["orderId"],
        )
        assert sum(Decimal(x["transactionAmount"]) for x in body["credits"]) == sum(
            Decimal(x["transactionAmount"]) for x in body["debits"]
        )
        assert {
            "nominalCode",
            "transactionAmount",
            "baseTransactionAmount",
            "currencyCode",
            "taxCode",
            "exchangeRate",
        } == set(body["credits"][0])
    nominal = {n["code"] for n in get(emu, a, "accounting-service/nominal-code").json()["response"]}
    assert {x["nominalCode"] for j in bodies for x in j["credits"] + j["debits"]} <= nominal
    assert error(get(emu, a, "accounting-service/journal/1-201")) == (400, "CMNC-400")
    assert error(get(emu, a, "accounting-service/journal/1")) == (404, "CMNC-404")


def test_payments_name_orders_journals_and_methods(emu: Emulator) -> None:
    a = account(emu)
    orders = {o["id"]: o for o in emu.account_data(a.accountCode).orders}
    journals = {j["journalId"] for j in rows(emu, a, "accounting-service/journal-search")}
    methods = {m["code"] for m in get(emu, a, "accounting-service/payment-method").json()["response"]}
    for party, order_type in (("customer", "SO"), ("supplier", "PO")):
        payments = rows(emu, a, f"accounting-service/{party}-payment-search")
        assert len(payments) == 5
        for p in payments:
            assert orders[p["orderId"]]["orderTypeCode"] == order_type and p["journalId"] in journals
            assert p["paymentType"] in ("RECEIPT", "PAYMENT") and p["paymentMethodCode"] in methods
            assert Decimal(p["amountPaid"]) > 0 and p["currencyId"] == 1


def test_supplier_payment_search_claims_500_ignores_ranges_and_repeats_its_last_page(emu: Emulator) -> None:
    a = account(emu)
    path = "accounting-service/supplier-payment-search"
    every = rows(emu, a, path)
    assert len(every) == 5
    assert rows(emu, a, path, createdOn="2999-01-01T00:00:00Z/") == every  # ranges ignored
    assert rows(emu, a, path, paymentDate="/2000-01-01T00:00:00Z") == every
    assert rows(emu, a, path, paymentId=f"{every[0]['paymentId']}-{every[1]['paymentId']}") == every
    assert rows(emu, a, path, paymentId=str(every[0]["paymentId"])) == every[:1]  # a single id still filters
    customer = "accounting-service/customer-payment-search"
    assert rows(emu, a, customer, createdOn="2999-01-01T00:00:00Z/") == []  # the customer search is sound
    # A naive pager (next firstResult = lastResult + 1 while morePagesAvailable) never reaches an end
    # of the 5 rows: bounded here at 20 pages.
    first, pages = 1, []
    for _ in range(20):
        meta_and_rows = get(emu, a, path, pageSize=2, firstResult=first).json()["response"]
        meta = meta_and_rows["metaData"]
        assert meta["resultsAvailable"] == 500 and meta["morePagesAvailable"]
        pages.append(meta_and_rows["results"])
        first = meta["lastResult"] + 1
    assert len(pages[0]) == len(pages[1]) == 2 and pages[2] == pages[3] == pages[-1]  # the last page again
    assert len(pages[-1]) == 1 and pages[-1][0][0] == every[-1]["paymentId"]
    at_the_claim = get(emu, a, path, pageSize=2, firstResult=500).json()["response"]["metaData"]
    assert not at_the_claim["morePagesAvailable"]  # a pager stops only at the claimed 500th row


# -- reference data --------------------------------------------------------------------------------
REFERENCE_LISTS = {
    "order-service/order-status": {"id", "name", "orderTypeCode", "color"},
    "order-service/order-stock-status": {"id", "code", "name"},
    "order-service/order-shipping-status": {"id", "code", "name"},
    "order-service/order-type": {"id", "code", "name"},
    "product-service/channel": {"id", "name", "channelTypeId", "defaultWarehouseId", "defaultPriceListId"},
    "accounting-service/tax-code": {"id", "code", "description", "rate"},
    "accounting-service/nominal-code": {"id", "code", "name", "type", "bank", "taxCode"},
    "accounting-service/currency": {"id", "code", "description", "symbol", "isDefault"},
    "accounting-service/payment-method": {"id", "code", "name", "isActive"},
    "warehouse-service/shipping-method": {"id", "name", "code", "breaks"},
    "contact-service/contact-group": {"id", "name", "description"},
    "contact-service/company": {"id", "name"},
    "contact-service/lead-source": {"id", "name", "parentId"},
}
CUSTOM_FIELD_PATHS = {
    "order-service/sale/custom-field-meta-data": "order-service/order",
    "order-service/purchase/custom-field-meta-data": "order-service/order",
    "product-service/product/custom-field-meta-data": "product-service/product",
    "contact-service/customer/custom-field-meta-data": "contact-service/contact",
    "contact-service/supplier/custom-field-meta-data": "contact-service/contact",
}


def test_reference_lists(emu: Emulator) -> None:
    a = account(emu)
    data = emu.account_data(a.accountCode)
    for path, keys in REFERENCE_LISTS.items():
        items = get(emu, a, path).json()["response"]
        assert items and all(set(i) == keys for i in items), path
        assert get(emu, a, f"{path}/{items[-1]['id']}").json()["response"] == [items[-1]], path
    statuses = {s["id"] for s in get(emu, a, "order-service/order-status").json()["response"]}
    assert {o["orderStatus"]["orderStatusId"] for o in data.orders} <= statuses
    taxes = {(t["id"], t["code"]) for t in get(emu, a, "accounting-service/tax-code").json()["response"]}
    assert {
        (p["financialDetails"]["taxCode"]["id"], p["financialDetails"]["taxCode"]["code"]) for p in data.products
    } <= taxes
    currencies = get(emu, a, "accounting-service/currency").json()["response"]
    assert [c["code"] for c in currencies if c["isDefault"]] == [data.configuration["baseCurrencyCode"]]
    members = get(emu, a, "contact-service/contact-group-member/1-3").json()["response"]
    contacts = {c["contactId"] for c in data.contacts}
    assert set(members) == {"1", "2", "3"} and all(set(m) <= contacts for m in members.values())


def test_custom_field_metadata_names_the_generated_fields(emu: Emulator) -> None:
    a = account(emu)
    data = emu.account_data(a.accountCode)
    ids = {
        "order-service/order": [o["id"] for o in data.orders],
        "product-service/product": [p["id"] for p in data.products],
        "contact-service/contact": [c["contactId"] for c in data.contacts],
    }
    for meta_path, detail in CUSTOM_FIELD_PATHS.items():
        meta = get(emu, a, meta_path).json()["response"]
        id_set = ",".join(map(str, ids[detail]))
        bodies = get(emu, a, f"{detail}/{id_set}", includeOptional="customFields").json()["response"]
        used = {code for body in bodies for code in body["customFields"]}
        assert {m["code"] for m in meta} == used, meta_path
        for m in meta:
            assert m["customFieldType"] in ("TEXT", "SELECT", "BOOLEAN") and ("options" in m) == (
                m["customFieldType"] == "SELECT"
            )


def test_reference_searches_cover_what_products_point_at(fresh: Emulator) -> None:
    a = account(fresh)
    products = fresh.account_data(a.accountCode).products
    brands = {r["brandId"] for r in rows(fresh, a, "product-service/brand-search")}
    assert {p["brandId"] for p in products} <= brands
    categories = rows(fresh, a, "product-service/brightpearl-category-search")
    used = {int(c["categoryCode"]) for p in products for c in p["salesChannels"][0]["categories"]}
    assert used <= {c["id"] for c in categories if c["active"]}
    assert {p["productTypeId"] for p in products} <= {
        r["id"] for r in rows(fresh, a, "product-service/product-type-search")
    }
    options = {r["optionId"] for r in rows(fresh, a, "product-service/option-search")}
    assert {r["optionId"] for r in rows(fresh, a, "product-service/option-value-search")} == options
    found = rows(fresh, a, "product-service/brand-search")
    assert all(r["updatedOn"] >= r["createdOn"] for r in found)
    latest = max(r["updatedOn"] for r in found)
    fresh.touch(a.accountCode, "brand", [found[3]["brandId"]])
    since = rows(fresh, a, "product-service/brand-search", updatedOn=f"{latest}/")  # from is inclusive
    assert {r["brandId"] for r in since} == {found[3]["brandId"]} | {
        r["brandId"] for r in found if r["updatedOn"] == latest
    }
    assert next(r for r in since if r["brandId"] == found[3]["brandId"])["updatedOn"] > latest


# -- plumbing, determinism, sizes ------------------------------------------------------------------
def test_new_endpoints_share_auth_faults_throttle_and_the_log() -> None:
    with make_emulator(throttle_quota=2, throttle_window=30) as e:
        a = account(e)
        path = "warehouse-service/goods-movement-search"
        url = account_url(e, a, path)
        assert requests.get(url, timeout=10).status_code == 401
        e.reset_throttle()
        e.add_fault("goods-movement-search", "status", status=502)
        assert get(e, a, path).status_code == 502
        assert get(e, a, path).status_code == 200
        assert get(e, a, path).status_code == 503  # the account's throttle pool
        assert [r.path.split("?")[0].rsplit("/", 1)[-1] for r in e.requests][-3:] == ["goods-movement-search"] * 3
        e.reset_throttle()
        e.enable_oauth(client_id="c", client_secret="s")
        form = {"grant_type": "refresh_token", "refresh_token": e.oauth_refresh_token(a.accountCode)}
        form.update(client_id="c", client_secret="s", account_code=a.accountCode)
        access = requests.post(f"{e.base_urls[a.datacentre]}/oauth/token", data=form, timeout=10).json()["access_token"]
        bearer = {**app_headers(e, a), "authorization": f"Bearer {access}"}
        del bearer["brightpearl-account-token"]
        assert requests.get(url, headers=bearer, timeout=10).status_code == 200
        e.set_private_token(a.accountCode, "private-token-1")
        private = {"brightpearl-app-ref": e.app_reference, "brightpearl-account-token": "private-token-1"}
        assert requests.get(url, headers=private, timeout=10).status_code == 200


def test_generation_is_deterministic_whatever_is_asked_first_or_changed() -> None:
    one, two = make_emulator(), make_emulator()
    code = account(one).accountCode
    resources = ("goods-out-note", "goods-movement", "journal", "supplier-payment", "order-note", "brand")
    first = {r: json.dumps(one.account_data(code).table(r).records, default=str) for r in resources}
    data = two.account_data(code)
    data_orders = [o["id"] for o in data.orders[:3]]
    two.touch(code, "order", data_orders)  # changes before the groups exist do not change them
    two.delete_records(code, "order", data_orders[:1])
    second = {r: json.dumps(data.table(r).records, default=str) for r in reversed(resources)}
    assert first == second
    other = make_emulator(seed=24).account_data(code).table("goods-out-note").records
    assert json.dumps(other) != first["goods-out-note"]


def test_per_account_sizes() -> None:
    e = make_emulator()
    big, small = e.accounts[0].accountCode, e.accounts[1].accountCode
    e.set_account_sizes(big, orders=3000, goods_out_notes=400, payments=0)
    data = e.account_data(big)
    assert len(data.orders) == 3000 and len(data.table("goods-out-note").records) == 400
    assert data.table("customer-payment").records == []
    assert len(e.account_data(small).orders) == 80
    with pytest.raises(RuntimeError):
        e.set_account_sizes(big, orders=10)
    with pytest.raises(ValueError):
        e.set_account_sizes(small, invoices=3)
