"""The emulator's account APIs (/public-api/...) pinned down over real HTTP: the tap's streams rely on them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
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


def test_public_app_auth_and_own_datacentre_only(emu: Emulator) -> None:
    a = acct_of(emu)
    path = "integration-service/account-configuration"
    ok = get(emu, a, path)
    assert ok.status_code == 200 and "brightpearl-requests-remaining" in ok.headers
    assert ok.json()["response"] == {
        "accountCode": a.accountCode,
        "accountName": emu.account_data(a.accountCode).configuration["accountName"],
        "timeZone": a.canonicalId,
        "baseCurrencyCode": "GBP",
        "accountVersion": 2,
    }
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
    assert len(r.json()["response"]) == 2 and set(r.json()["response"][0]["address"]) == {
        "addressLine1",
        "postalCode",
        "countryIsoCode",
    }
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
        assert body["reference"] == {}
        meta = body["response"]["metaData"]
        assert meta["resultsReturned"] == 500 and meta["resultsAvailable"] == 1203
        assert (meta["firstResult"], meta["lastResult"], meta["morePagesAvailable"]) == (1, 500, True)
        names = [c["name"] for c in meta["columns"]]
        assert names == ["orderId", "orderTypeCode", "contactId", "orderStatusId", "createdOn", "updatedOn"]
        assert meta["columns"][0] == {
            "name": "orderId",
            "sortable": True,
            "filterable": True,
            "reportDataType": "INTEGER",
        }
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
        row = dict(zip(names, body["response"]["results"][0], strict=True))
        order = by_id[row["orderId"]]
        assert row == {
            "orderId": order["id"],
            "orderTypeCode": "SO",
            "contactId": order["parties"]["customer"]["contactId"],
            "orderStatusId": order["orderStatus"]["orderStatusId"],
            "createdOn": order["createdOn"],
            "updatedOn": order["updatedOn"],
        }


def test_sort_and_period_filter(emu: Emulator) -> None:
    a = acct_of(emu)
    orders = emu.account_data(a.accountCode).orders
    rows = get(emu, a, "order-service/order-search", sort="updatedOn.ASC").json()["response"]["results"]
    stamps = [instant(r[5]) for r in rows]
    assert stamps == sorted(stamps) and [r[0] for r in rows] != sorted(r[0] for r in rows)
    cut = stamps[len(stamps) // 2]
    cut_z = cut.astimezone().isoformat()  # same instant, a different offset
    since = get(emu, a, "order-service/order-search", updatedOn=f"{cut_z}/").json()["response"]
    expected = {o["id"] for o in orders if instant(o["updatedOn"]) >= cut}
    assert {r[0] for r in since["results"]} == expected and since["metaData"]["resultsAvailable"] == len(expected)
    window = get(emu, a, "order-service/order-search", updatedOn=f"{stamps[2].isoformat()}/{cut.isoformat()}")
    assert {r[0] for r in window.json()["response"]["results"]} == {
        o["id"] for o in orders if stamps[2] <= instant(o["updatedOn"]) < cut
    }
    none = get(emu, a, "order-service/order-search", updatedOn="2030-01-01T00:00:00Z/").json()["response"]
    assert none["results"] == [] and none["metaData"]["resultsAvailable"] == 0
    products = get(emu, a, "product-service/product-search", sort="productId.ASC").json()["response"]
    assert [r[0] for r in products["results"]] == [p["id"] for p in emu.account_data(a.accountCode).products]
    bad = get(emu, a, "order-service/order-search", updatedOn="yesterday/")
    assert bad.status_code == 500 and bad.json()["errors"][0]["code"] == "CMNC-018"


def test_contact_search_hides_updated_on_but_filters_on_it(emu: Emulator) -> None:
    a = acct_of(emu)
    contacts = emu.account_data(a.accountCode).contacts
    page = get(emu, a, "contact-service/contact-search", sort="updatedOn.ASC").json()["response"]
    assert [c["name"] for c in page["metaData"]["columns"]][-1] == "updatedOn"
    assert all(row[4] is None for row in page["results"])
    by_updated = sorted(contacts, key=lambda c: (instant(c["updatedOn"]), c["contactId"]))
    assert [row[0] for row in page["results"]] == [c["contactId"] for c in by_updated]
    latest = by_updated[-1]["updatedOn"]
    tail = get(emu, a, "contact-service/contact-search", updatedOn=f"{latest}/").json()["response"]
    assert {row[0] for row in tail["results"]} == {c["contactId"] for c in contacts if c["updatedOn"] == latest}


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
        assert get(e, a, "order-service/order/1-200").status_code == 404  # in cap, none exist
        missing = get(e, a, "product-service/product/1-5")
        assert missing.status_code == 404
        assert missing.json() == {"errors": [{"code": "CMNC-404", "message": "No resources found"}]}
        product = e.account_data(a.accountCode).products[0]
        assert get(e, a, f"product-service/product/{product['id']}").json() == {"response": [product]}
        contact = e.account_data(a.accountCode).contacts[-1]
        assert get(e, a, f"contact-service/contact/{contact['contactId']}").json()["response"] == [contact]
        assert get(e, a, "order-service/order/7-3").status_code == 400


def test_order_rows_map_and_local_offsets() -> None:
    accounts = [acct for acct in Emulator(n_accounts=40, seed=3).accounts if acct.enabled]
    with Emulator(accounts, seed=3) as e:
        a = next(x for x in e.accounts if x.currentUtcOffset in ("-03:30", "+05:45"))
        order = get(e, a, "order-service/order-search").json()["response"]["results"][0]
        detail = get(e, a, f"order-service/order/{order[0]}").json()["response"][0]
        for stamp in (order[4], order[5], detail["createdOn"], detail["updatedOn"]):
            assert stamp.endswith(a.currentUtcOffset) and len(stamp) == len("2025-06-01T09:15:00.000-03:30")
        rows = detail["orderRows"]
        assert isinstance(rows, dict) and rows and all(k.isdigit() for k in rows)
        row = next(iter(rows.values()))
        assert set(row) == {"productId", "productName", "quantity", "rowValue"}
        assert row["quantity"]["magnitude"].endswith(".0000") and row["rowValue"]["rowNet"]["value"]
        net = sum(float(r["rowValue"]["rowNet"]["value"]) for r in rows.values())
        assert float(detail["totalValue"]["net"]) == pytest.approx(net)
        assert detail["currency"] == {"orderCurrencyCode": "GBP"} and detail["orderTypeCode"] == "SO"


def test_touch_and_add_records_move_after_previous_max(emu: Emulator) -> None:
    a = acct_of(emu)
    data = emu.account_data(a.accountCode)
    before = max(instant(o["updatedOn"]) for o in data.orders)
    victim = data.orders[0]["id"]
    emu.touch(a.accountCode, "order", [victim])
    new = emu.add_records(a.accountCode, "order", 2)
    assert new[0] > max(o["id"] for o in data.orders[:-2])
    since = get(emu, a, "order-service/order-search", updatedOn=f"{before.isoformat()}/", sort="updatedOn.ASC")
    rows = since.json()["response"]["results"]
    assert {r[0] for r in rows} >= {victim, *new}
    assert all(instant(r[5]) > before for r in rows if r[0] in {victim, *new})
    assert all(r[5].endswith(a.currentUtcOffset) for r in rows)
    served = get(emu, a, f"order-service/order/{victim}").json()["response"][0]
    assert served["updatedOn"] == data.orders[0]["updatedOn"] and instant(served["updatedOn"]) > before
    contact_ids = emu.add_records(a.accountCode, "contact", 1)
    assert get(emu, a, f"contact-service/contact/{contact_ids[0]}").status_code == 200
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
    updated = [o["updatedOn"] for o in data.orders]
    assert len(set(updated)) < len(updated)  # deliberate ties
    assert min(updated) >= "2025" and all(o["createdOn"] <= o["updatedOn"] for o in data.orders)


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
