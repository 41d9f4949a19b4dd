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
from tests.emulator.account_search import parse_id_set
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
def test_journal_search_rows_are_the_lines_of_the_journal_get(emu: Emulator) -> None:
    a = account(emu)
    found = rows(emu, a, "accounting-service/journal-search")
    ids = sorted({j["journalId"] for j in found})
    assert len(ids) < len(found)  # documented: one row per journal line, so journalId repeats
    assert error(get(emu, a, "accounting-service/journal-search", journalId=f"{ids[0]}-{ids[-1]}")) == (
        500,
        "CMNC-018",
    )
    two = rows(emu, a, "accounting-service/journal-search", journalId=f"{ids[0]},{ids[1]}")
    assert two == [r for r in found if r["journalId"] in ids[:2]]
    body = get(emu, a, f"accounting-service/journal/{','.join(map(str, ids))}").json()
    assert list(body["response"]) == ["journals"]  # documented: {"response": {"journals": [...]}}
    journals = body["response"]["journals"]
    assert [j["id"] for j in journals] == ids
    nominal = {n["code"] for n in get(emu, a, "accounting-service/nominal-code").json()["response"]}
    for journal in journals:
        lines = [r for r in found if r["journalId"] == journal["id"]]
        debits = [(x["nominalCode"], x["transactionAmount"]) for x in journal["debits"]]
        credits = [(x["nominalCode"], x["transactionAmount"]) for x in journal["credits"]]
        assert [(r["nominalCode"], r["journalDebit"]) for r in lines if r["journalDebit"] != "0.00"] == debits
        assert [(r["nominalCode"], r["journalCredit"]) for r in lines if r["journalCredit"] != "0.00"] == credits
        assert {r["journalType"] for r in lines} == {journal["journalTypeCode"]}
        assert {r["journalDate"] for r in lines} == {journal["createdOn"]}  # "the date the journal was created"
        assert sum(Decimal(v) for _, v in debits) == sum(Decimal(v) for _, v in credits)
        assert all(x["change"] == {"value": x["transactionAmount"]} for x in journal["debits"] + journal["credits"])
        assert {code for code, _ in debits + credits} <= nominal
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
REFERENCE_LISTS = {  # plain GET -> the member an ID set names (None: documented "no ID-set filtering")
    "order-service/order-status": "statusId",
    "order-service/order-stock-status": None,
    "order-service/order-shipping-status": None,
    "order-service/order-type": None,
    "product-service/channel": "id",
    "accounting-service/tax-code": "id",
    "accounting-service/nominal-code": "id",
    "warehouse-service/shipping-method": "id",
    "contact-service/lead-source": "id",
    "product-service/price-list": "id",
    "product-service/brand": "id",
    "product-service/brightpearl-category": "id",
    "product-service/season": "id",
    "product-service/option": "id",
    "product-service/product-type": "id",
}
CUSTOM_FIELD_PATHS = {
    "order-service/sale/custom-field-meta-data": "order-service/order",
    "order-service/purchase/custom-field-meta-data": "order-service/order",
    "product-service/product/custom-field-meta-data": "product-service/product",
    "contact-service/customer/custom-field-meta-data": "contact-service/contact",
    "contact-service/supplier/custom-field-meta-data": "contact-service/contact",
}


def test_reference_lists_and_their_id_sets(emu: Emulator) -> None:
    a = account(emu)
    data = emu.account_data(a.accountCode)
    for path, key in REFERENCE_LISTS.items():
        items = get(emu, a, path).json()["response"]
        assert len(items) > 1, path
        asked = get(emu, a, f"{path}/{items[-1][key] if key else 1}").json()["response"]
        assert asked == ([items[-1]] if key else items), path
        if key:
            assert error(get(emu, a, f"{path}/999999")) == (404, "CMNC-404"), path
    statuses = get(emu, a, "order-service/order-status").json()["response"]
    assert {o["orderStatus"]["orderStatusId"] for o in data.orders} <= {s["statusId"] for s in statuses}
    assert [s["orderTypeCode"] for s in statuses] == sorted(s["orderTypeCode"] for s in statuses)  # grouped
    assert len(get(emu, a, "order-service/order-stock-status").json()["response"]) == 13  # documented
    taxes = get(emu, a, "accounting-service/tax-code").json()["response"]
    assert {
        (p["financialDetails"]["taxCode"]["id"], p["financialDetails"]["taxCode"]["code"]) for p in data.products
    } <= {(t["id"], t["code"]) for t in taxes}
    assert all(t.get("rate", 1) != 0 for t in taxes) and any("rate" not in t for t in taxes)  # absent when zero
    methods = get(emu, a, "accounting-service/payment-method").json()["response"]
    assert all("id" not in m and len(m["bankAccounts"]) == 1 for m in methods)  # documented: no top-level id
    one = methods[1]["bankAccounts"][0]["paymentMethodId"]
    assert get(emu, a, f"accounting-service/payment-method/{one}").json()["response"] == [methods[1]]
    breaks = get(emu, a, "warehouse-service/shipping-method").json()["response"][0]["breaks"]
    assert isinstance(breaks, str) and "," in breaks  # documented: a comma-separated string
    currencies = rows(emu, a, "accounting-service/currency-search")
    assert [c["code"] for c in currencies if c["isDefault"]] == [data.configuration["baseCurrencyCode"]]
    assert {c["financialDetails"]["currencyId"] for c in data.contacts} <= {c["id"] for c in currencies}
    values = get(emu, a, "product-service/option/1,2/value").json()["response"]
    options = get(emu, a, "product-service/option").json()["response"]
    assert {v["optionId"] for v in values} == {o["id"] for o in options}
    assert get(emu, a, "product-service/option/1/value").json()["response"] == [v for v in values if v["optionId"] == 1]


def test_contact_groups_and_their_members(emu: Emulator) -> None:
    a = account(emu)
    contacts = [c["contactId"] for c in emu.account_data(a.accountCode).contacts]
    groups = rows(emu, a, "contact-service/contact-group-search")
    ids = ",".join(str(g["id"]) for g in groups)
    bodies = get(emu, a, f"contact-service/contact-group/{ids}").json()["response"]
    assert [(b["id"], b["name"], b["description"]) for b in bodies] == [
        (g["id"], g["name"], g["description"]) for g in groups
    ]
    for group in groups:
        path = f"contact-service/contact-group/{group['id']}/member"
        members = get(emu, a, path).json()["response"]
        assert list(members) == ["contactMemberIds"]
        ids_ = members["contactMemberIds"]
        assert ids_ == sorted(ids_) and set(ids_) <= set(contacts) and ids_, group
        compact = get(emu, a, path, includeOptional="contactMemberIdSet", excludeOptional="contactMemberIds").json()
        assert list(compact["response"]) == ["contactMemberIdSet"]
        assert parse_id_set(compact["response"]["contactMemberIdSet"], None) == ids_
    assert error(get(emu, a, "contact-service/contact-group/1,2/member")) == (404, "CMNC-404")  # ONE id only
    assert error(get(emu, a, "contact-service/contact-group/99/member")) == (404, "CMNC-404")
    assert error(get(emu, a, "contact-service/contact-group/99")) == (404, "CMNC-404")


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
        used = {code: value for body in bodies for code, value in body["customFields"].items()}
        assert {m["code"] for m in meta} == set(used), meta_path
        for m in meta:
            assert m["customFieldType"] in ("TEXT", "SELECT", "YES_NO") and ("options" in m) == (
                m["customFieldType"] == "SELECT"
            )
            if "options" in m:  # documented: a map keyed by option id
                assert all(option["id"] == int(key) for key, option in m["options"].items())
                assert used[m["code"]] in m["options"].values()
        assert get(emu, a, f"{meta_path}/{meta[0]['id']}").json()["response"] == meta[:1]


def test_product_reference_data_covers_what_products_point_at(fresh: Emulator) -> None:
    a = account(fresh)
    products = fresh.account_data(a.accountCode).products
    brands = get(fresh, a, "product-service/brand").json()["response"]
    assert {p["brandId"] for p in products} <= {b["id"] for b in brands}
    categories = rows(fresh, a, "product-service/brightpearl-category-search")
    used = {int(c["categoryCode"]) for p in products for c in p["salesChannels"][0]["categories"]}
    assert used <= {c["id"] for c in categories if c["active"]}
    types = get(fresh, a, "product-service/product-type").json()["response"]
    assert {p["productTypeId"] for p in products} <= {t["id"] for t in types}
    ids = ",".join(str(p["id"]) for p in products)
    values = get(fresh, a, f"product-service/product/{ids}/option-value").json()["response"]
    options = {v["optionValueId"]: v for v in get(fresh, a, "product-service/option/1,2/value").json()["response"]}
    assert values and all(options[v["optionValueId"]]["optionValueName"] == v["optionValue"] for v in values)
    red = get(fresh, a, f"product-service/product/{ids}/option-value/1").json()["response"]
    assert red == [v for v in values if v["optionValueId"] == 1]
    assert all(b["updatedOn"] >= b["createdOn"] for b in brands)
    latest = max(b["updatedOn"] for b in brands)
    fresh.touch(a.accountCode, "brand", [brands[3]["id"]])
    touched = get(fresh, a, f"product-service/brand/{brands[3]['id']}").json()["response"][0]
    assert touched["updatedOn"] > latest and touched["createdOn"] == brands[3]["createdOn"]
    found = rows(fresh, a, "product-service/collection-search")
    fresh.touch(a.accountCode, "collection", [found[1]["collectionId"]])
    since = rows(fresh, a, "product-service/collection-search", updatedOn=f"{max(r['updatedOn'] for r in found)}/")
    assert found[1]["collectionId"] in {r["collectionId"] for r in since}


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
    resources = ("goods-out-note", "goods-movement", "journal", "supplier-payment", "order-note", "brand", "company")
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
