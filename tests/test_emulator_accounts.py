"""The emulator's account APIs (/public-api/...) pinned down over real HTTP: the tap's streams rely on them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests

from tests.emulator import Account, Emulator, sign


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(n_accounts=30, seed=11, orders_per_account=40) as e:
        yield e


def acct_of(e: Emulator, dc: str = "use1") -> Account:
    return next(a for a in e.accounts if a.datacentre == dc and a.enabled)


def public_headers(e: Emulator, a: Account) -> dict[str, str]:
    return {
        "brightpearl-dev-ref": e.developer_reference,
        "brightpearl-app-ref": e.app_reference,
        "brightpearl-account-token": sign(a.unsignedAccountToken, e.developer_secret),
    }


def url(e: Emulator, a: Account, path: str, dc: str | None = None) -> str:
    return f"{e.base_urls[dc or a.datacentre]}/public-api/{a.accountCode}/{path}"


def get(e: Emulator, a: Account, path: str, **params: Any) -> requests.Response:
    return requests.get(url(e, a, path), headers=public_headers(e, a), params=params, timeout=10)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def rows_of(r: requests.Response) -> list[dict[str, Any]]:
    """Search rows zipped with their column names."""
    response = r.json()["response"]
    names = [c["name"] for c in response["metaData"]["columns"]]
    return [dict(zip(names, row, strict=True)) for row in response["results"]]


def search(e: Emulator, a: Account, path: str, **params: Any) -> list[dict[str, Any]]:
    r = get(e, a, path, pageSize=500, **params)
    assert r.status_code == 200, r.text
    return rows_of(r)


ORDER_COLUMNS = [
    "orderId",
    "orderTypeId",
    "contactId",
    "orderStatusId",
    "orderStockStatusId",
    "createdOn",
    "createdById",
    "customerRef",
    "orderPaymentStatusId",
    "updatedOn",
    "parentOrderId",
    "orderShippingStatusId",
    "externalRef",
    "installedIntegrationInstanceId",
    "warehouseId",
    "staffOwnerContactId",
    "taxDate",
    "departmentId",
    "deliveryDate",
]


def test_public_app_auth_and_own_datacentre_only(emu: Emulator) -> None:
    a = acct_of(emu)
    path = "integration-service/account-configuration"
    ok = get(emu, a, path)
    assert ok.status_code == 200 and "brightpearl-requests-remaining" in ok.headers
    settings = emu.account_data(a.accountCode).configuration  # the inner object, served nested
    assert ok.json() == {"response": {"configuration": settings}}
    assert settings["timeZone"] == a.canonicalId and len(settings["baseCurrencyCode"]) == 3
    bad = {**public_headers(emu, a), "brightpearl-account-token": sign(a.unsignedAccountToken, "nope")}
    r = requests.get(url(emu, a, path), headers=bad)
    assert r.status_code == 401 and r.json() == {"response": "Not authenticated"}
    unsigned = {**public_headers(emu, a), "brightpearl-account-token": a.unsignedAccountToken}
    assert requests.get(url(emu, a, path), headers=unsigned).status_code == 401
    other = next(x for x in emu.accounts if x.accountCode != a.accountCode and x.datacentre == a.datacentre)
    # Another account's valid token does not open this account.
    assert requests.get(url(emu, a, path), headers=public_headers(emu, other)).status_code == 401
    assert requests.get(url(emu, a, path)).status_code == 401
    assert [x.auth for x in emu.requests] == ["verified", "bad", "bad", "bad", "none"]
    wrong_dc = requests.get(url(emu, a, path, dc="euw1"), headers=public_headers(emu, a))
    assert wrong_dc.status_code == 404
    assert wrong_dc.json() == {"errors": [{"code": "CMNC-404", "message": "Account not found"}]}


def test_private_tokens_disabled_and_gone(emu: Emulator) -> None:
    a = acct_of(emu)
    path = url(emu, a, "warehouse-service/warehouse")
    app = {"brightpearl-app-ref": emu.app_reference}
    assert requests.get(path, headers={**app, "brightpearl-account-token": "sys-tok"}).status_code == 401
    emu.set_private_token(a.accountCode, "sys-tok")
    emu.set_private_token(a.accountCode, "staff-tok", kind="staff")
    r = requests.get(path, headers={**app, "brightpearl-account-token": "sys-tok"})
    assert r.status_code == 200 and r.json()["response"] == emu.account_data(a.accountCode).warehouses
    assert [w["id"] for w in r.json()["response"]] == [2, 3]  # recorded ids start at 2
    assert all(set(w["address"]) == {"addressId"} for w in r.json()["response"])
    assert requests.get(path, headers={**app, "brightpearl-staff-token": "staff-tok"}).status_code == 200
    assert requests.get(path, headers={**app, "brightpearl-staff-token": "sys-tok"}).status_code == 401
    assert requests.get(path, headers={"brightpearl-account-token": "sys-tok"}).status_code == 401  # no app-ref
    a.enabled = False
    r = requests.get(path, headers=public_headers(emu, a))
    assert r.status_code == 401 and r.json() == {"response": "Authorization token expired"}
    a.enabled = True
    emu.mark_gone(a.accountCode)
    assert requests.get(path, headers=public_headers(emu, a)).status_code == 404


def test_search_paging_and_page_size_clamp() -> None:
    with Emulator(n_accounts=3, seed=2, orders_per_account=1203) as e:
        a = e.accounts[0]
        r = get(e, a, "order-service/order-search", pageSize=5000)
        assert r.status_code == 200
        body = r.json()
        meta = body["response"]["metaData"]
        assert meta["resultsReturned"] == 500 and meta["resultsAvailable"] == 1203
        assert (meta["firstResult"], meta["lastResult"], meta["morePagesAvailable"]) == (1, 500, True)
        assert [c["name"] for c in meta["columns"]] == ORDER_COLUMNS
        assert meta["columns"][0] == {
            "name": "orderId",
            "sortable": True,
            "filterable": True,
            "reportDataType": "IDSET",
            "referenceData": [],
            "isFreeTextSearchable": False,
            "required": False,
        }
        assert meta["sorting"] == [{"filterable": meta["columns"][0], "direction": "ASC"}]
        reference = body["reference"]
        assert reference["orderTypeNames"]["1"] == "SALES_ORDER"
        assert set(reference["orderStatusNames"]) == {str(row[3]) for row in body["response"]["results"]}
        ids: list[int] = []
        first = 1
        while True:
            page = get(e, a, "order-service/order-search", pageSize=500, firstResult=first).json()["response"]
            ids += [row[0] for row in page["results"]]
            if not page["metaData"]["morePagesAvailable"]:
                break
            first = page["metaData"]["lastResult"] + 1
        assert ids == [o["id"] for o in e.account_data(a.accountCode).orders]  # default: id ASC
        assert page["metaData"]["resultsReturned"] == 203
        by_id = {o["id"]: o for o in e.account_data(a.accountCode).orders}
        for row in rows_of(r)[:50]:
            order = by_id[row["orderId"]]
            party = order["parties"].get("customer") or order["parties"]["supplier"]
            assert row["orderTypeId"] == (1 if order["orderTypeCode"] == "SO" else 2)
            assert row["contactId"] == party["contactId"] and row["customerRef"] == order["reference"]
            assert row["orderStatusId"] == order["orderStatus"]["orderStatusId"]
            assert (row["createdOn"], row["updatedOn"]) == (order["createdOn"], order.get("updatedOn"))
            assert row["parentOrderId"] == order["parentOrderId"] and row["warehouseId"] == order["warehouseId"]


def test_sort_and_period_filter(emu: Emulator) -> None:
    a = acct_of(emu)
    orders = emu.account_data(a.accountCode).orders
    rows = search(emu, a, "order-service/order-search", sort="updatedOn.ASC")
    never = [r for r in rows if r["updatedOn"] is None]
    assert never and rows[: len(never)] == never  # guess: nulls sort first on ASC
    assert [r["orderId"] for r in never] == sorted(r["orderId"] for r in never)  # ties: id order
    stamps = [instant(r["updatedOn"]) for r in rows[len(never) :]]
    assert stamps == sorted(stamps) and [r["orderId"] for r in rows] != sorted(r["orderId"] for r in rows)
    desc = search(emu, a, "order-service/order-search", sort="updatedOn.DESC")
    assert [r["updatedOn"] for r in desc[-len(never) :]] == [None] * len(never)
    cut = stamps[len(stamps) // 2]
    cut_z = cut.astimezone().isoformat()  # same instant, a different offset
    since = get(emu, a, "order-service/order-search", updatedOn=f"{cut_z}/").json()["response"]
    expected = {o["id"] for o in orders if "updatedOn" in o and instant(o["updatedOn"]) >= cut}
    assert {r[0] for r in since["results"]} == expected and since["metaData"]["resultsAvailable"] == len(expected)
    window = search(emu, a, "order-service/order-search", updatedOn=f"{stamps[2].isoformat()}/{cut.isoformat()}")
    assert {r["orderId"] for r in window} == {
        o["id"] for o in orders if "updatedOn" in o and stamps[2] <= instant(o["updatedOn"]) < cut
    }
    none = get(emu, a, "order-service/order-search", updatedOn="2030-01-01T00:00:00Z/").json()["response"]
    assert none["results"] == [] and none["metaData"]["resultsAvailable"] == 0
    created = search(emu, a, "order-service/order-search", createdOn="2000-01-01T00:00:00Z/")
    assert len(created) == len(orders)  # createdOn is never null
    products = get(emu, a, "product-service/product-search", sort="productId.ASC").json()["response"]
    assert [r[0] for r in products["results"]] == [p["id"] for p in emu.account_data(a.accountCode).products]
    bad = get(emu, a, "order-service/order-search", updatedOn="yesterday/")
    assert bad.status_code == 500 and bad.json()["errors"][0]["code"] == "CMNC-018"


def test_value_filters_by_column_type(emu: Emulator) -> None:
    a = acct_of(emu)
    orders = emu.account_data(a.accountCode).orders
    some = [o["id"] for o in orders[:5]]
    assert [r["orderId"] for r in search(emu, a, "order-service/order-search", orderId=f"{some[0]}-{some[-1]}")] == some
    status = orders[0]["orderStatus"]["orderStatusId"]
    rows = search(emu, a, "order-service/order-search", orderStatusId=str(status))
    assert {r["orderId"] for r in rows} == {o["id"] for o in orders if o["orderStatus"]["orderStatusId"] == status}
    contacts = emu.account_data(a.accountCode).contacts
    name = contacts[0]["lastName"]
    rows = search(emu, a, "contact-service/contact-search", lastName=name.lower()[1:4])  # guess: contains, any case
    assert {contacts[0]["contactId"]} <= {r["contactId"] for r in rows}
    suppliers = search(emu, a, "contact-service/contact-search", isSupplier="true")
    assert all(r["isSupplier"] is True for r in suppliers)
    bad = get(emu, a, "contact-service/contact-search", isSupplier="maybe")
    assert bad.status_code == 500 and bad.json()["errors"][0]["code"] == "CMNC-018"


def test_contact_search_shows_updated_on_and_the_old_quirk_is_opt_in(emu: Emulator) -> None:
    a = acct_of(emu)
    contacts = emu.account_data(a.accountCode).contacts
    rows = search(emu, a, "contact-service/contact-search")
    assert [r["updatedOn"] for r in rows] == [c.get("updatedOn") for c in contacts]  # recorded (2025): set
    with Emulator(n_accounts=30, seed=11, contact_search_hides_updated=True) as quirky:
        b = acct_of(quirky)
        contacts = quirky.account_data(b.accountCode).contacts
        rows = search(quirky, b, "contact-service/contact-search", sort="updatedOn.ASC")
        assert all(r["updatedOn"] is None for r in rows)
        updated = [c for c in contacts if "updatedOn" in c]
        by_updated = sorted(updated, key=lambda c: (instant(c["updatedOn"]), c["contactId"]))
        assert [r["contactId"] for r in rows][-len(by_updated) :] == [c["contactId"] for c in by_updated]
        latest = by_updated[-1]["updatedOn"]
        tail = search(quirky, b, "contact-service/contact-search", updatedOn=f"{latest}/")
        assert {r["contactId"] for r in tail} == {c["contactId"] for c in updated if c["updatedOn"] == latest}


def test_id_sets_caps_and_not_found() -> None:
    with Emulator(n_accounts=3, seed=4, orders_per_account=300) as e:
        a = e.accounts[0]
        orders = e.account_data(a.accountCode).orders
        ids = [o["id"] for o in orders]
        r = get(e, a, f"order-service/order/{ids[0]}-{ids[9]},{ids[20]}")
        assert r.status_code == 200
        wanted = {i for i in ids if ids[0] <= i <= ids[9]} | {ids[20]}
        assert [o["id"] for o in r.json()["response"]] == sorted(wanted)  # gaps in ids are left out
        assert r.json()["response"][0] == orders[0]
        over = get(e, a, f"order-service/order/1-{200 + 1}")
        assert over.status_code == 400
        assert over.json() == {"errors": [{"code": "CMNC-400", "message": "Too many ids requested (max 200)"}]}
        none = get(e, a, "order-service/order/1-200")  # in cap, none exist: recorded 200 with []
        assert (none.status_code, none.json()) == (200, {"response": []})
        missing = get(e, a, "product-service/product/1-5")
        assert missing.status_code == 404
        assert missing.json() == {"errors": [{"code": "CMNC-404", "message": "No Product Found"}]}
        no_contact = get(e, a, "contact-service/contact/1-5")
        assert no_contact.status_code == 404
        assert no_contact.json() == {"errors": [{"code": "CMNC-404", "message": "No Contact Found"}]}
        product = e.account_data(a.accountCode).products[0]
        assert get(e, a, f"product-service/product/{product['id']}").json() == {"response": [product]}
        contact = e.account_data(a.accountCode).contacts[-1]
        body = get(e, a, f"contact-service/contact/{contact['contactId']},1").json()
        assert body["response"] == [contact] and body["pagination"]["resultsReturned"] == 1
        assert get(e, a, "order-service/order/7-3").status_code == 400


def test_order_rows_map_and_local_offsets() -> None:
    accounts = [acct for acct in Emulator(n_accounts=40, seed=3).accounts if acct.enabled]
    with Emulator(accounts, seed=3) as e:
        a = next(x for x in e.accounts if x.currentUtcOffset in ("-03:30", "+05:45"))
        row = next(r for r in search(e, a, "order-service/order-search") if r["updatedOn"] is not None)
        detail = get(e, a, f"order-service/order/{row['orderId']}").json()["response"][0]
        for stamp in (row["createdOn"], row["updatedOn"], detail["createdOn"], detail["updatedOn"], row["taxDate"]):
            assert stamp.endswith(a.currentUtcOffset) and len(stamp) == len("2025-06-01T09:15:00.000-03:30")
        rows = detail["orderRows"]
        assert isinstance(rows, dict) and rows and all(k.isdigit() for k in rows)
        line = next(iter(rows.values()))
        assert list(line) == [
            "orderRowSequence",
            "productId",
            "productName",
            "productSku",
            "quantity",
            "itemCost",
            "productPrice",
            "discountPercentage",
            "rowValue",
            "nominalCode",
            "composition",
            "clonedFromId",
        ]
        assert line["quantity"]["magnitude"].endswith(".0000") and line["discountPercentage"] == "0.00"
        net = sum(float(r["rowValue"]["rowNet"]["value"]) for r in rows.values())
        assert float(detail["totalValue"]["net"]) == pytest.approx(net)
        assert detail["currency"]["orderCurrencyCode"] == detail["currency"]["accountingCurrencyCode"]
        assert detail["orderTypeCode"] in ("SO", "PO") and detail["parentOrderId"] >= 0


def test_touch_and_add_records(emu: Emulator) -> None:
    a = acct_of(emu)
    data = emu.account_data(a.accountCode)
    before = max(instant(o["updatedOn"]) for o in data.orders if "updatedOn" in o) + timedelta(milliseconds=1)
    fresh = data.never_updated("order")[0]
    victim = data.orders[0]["id"] if data.orders[0]["id"] != fresh else data.orders[1]["id"]
    emu.touch(a.accountCode, "order", [victim, fresh])
    new = emu.add_records(a.accountCode, "order", 2)
    assert new[0] > max(o["id"] for o in data.orders[:-2])
    rows = search(emu, a, "order-service/order-search", updatedOn=f"{before.isoformat()}/", sort="updatedOn.ASC")
    assert {r["orderId"] for r in rows} == {victim, fresh}  # new records were never updated
    assert all(instant(r["updatedOn"]) > before and r["updatedOn"].endswith(a.currentUtcOffset) for r in rows)
    touched = get(emu, a, f"order-service/order/{fresh}").json()["response"][0]
    assert list(touched)[list(touched).index("createdOn") + 1] == "updatedOn"  # recorded member order
    assert touched["updatedOn"] == data.table("order").by_id[fresh]["updatedOn"]
    for rid in new:
        assert "updatedOn" not in get(emu, a, f"order-service/order/{rid}").json()["response"][0]
    created = search(emu, a, "order-service/order-search", createdOn=f"{before.isoformat()}/")
    assert {r["orderId"] for r in created} == set(new) and all(r["updatedOn"] is None for r in created)
    contact_ids = emu.add_records(a.accountCode, "contact", 1)
    assert get(emu, a, f"contact-service/contact/{contact_ids[0]}").status_code == 200
    products = emu.add_records(a.accountCode, "product", 1)
    emu.touch(a.accountCode, "product", products)
    product = get(emu, a, f"product-service/product/{products[0]}").json()["response"][0]
    assert product["version"] == int(instant(product["updatedOn"]).timestamp() * 1000)  # recorded: version = updatedOn
    with pytest.raises(ValueError):
        emu.touch(a.accountCode, "invoice", [1])


def test_deterministic_and_fast() -> None:
    first = Emulator(n_accounts=3, seed=9, orders_per_account=2000)
    code = first.accounts[0].accountCode
    t0 = time.perf_counter()
    data = first.account_data(code)
    assert time.perf_counter() - t0 < 0.5
    second = Emulator(n_accounts=3, seed=9, orders_per_account=2000).account_data(code)
    assert data.orders == second.orders and data.contacts == second.contacts
    assert Emulator(n_accounts=3, seed=10).account_data(code).products != data.products[:8]
    updated = [o["updatedOn"] for o in data.orders if "updatedOn" in o]
    assert len(set(updated)) < len(updated)  # deliberate ties
    assert min(updated) >= "2025" and all(o["createdOn"] <= o.get("updatedOn", "9") for o in data.orders)
    never = len(data.orders) - len(updated)
    assert 0.15 < never / len(data.orders) < 0.25  # never_updated_fraction=0.2 by default
    none = Emulator(n_accounts=3, seed=9, orders_per_account=50, never_updated_fraction=0.0).account_data(code)
    assert all("updatedOn" in o for o in none.orders)


def test_per_account_throttle_pools_and_faults() -> None:
    with Emulator(n_accounts=30, seed=11, throttle_quota=2, throttle_window=0.5) as e:
        a, b = [x for x in e.accounts if x.datacentre == "use1" and x.enabled][:2]
        path = "warehouse-service/warehouse"
        assert [get(e, a, path).status_code for _ in range(3)] == [200, 200, 503]
        assert get(e, b, path).status_code == 200  # another account: its own window
        assert requests.get(url(e, a, path)).status_code == 503  # unauthenticated calls share the pool
        e.reset_throttle()
        e.add_fault(f"/public-api/{b.accountCode}/order-service", "status", status=500)
        assert get(e, b, "order-service/order-search").status_code == 500
        assert get(e, b, "order-service/order-search").status_code == 200
