"""A tiny client for the account APIs, as a public app calls them: for tests that speak real HTTP."""

from __future__ import annotations

from typing import Any

import requests

from .data import Account, sign
from .emulator import Emulator


def account_with_purchases(e: Emulator) -> Account:
    """An enabled account with purchase orders (goods-in notes and supplier payments need them)."""
    for a in e.accounts:
        if a.enabled and any(o["orderTypeCode"] == "PO" for o in e.account_data(a.accountCode).orders):
            return a
    raise LookupError("no enabled account with purchase orders")


def app_headers(e: Emulator, a: Account) -> dict[str, str]:
    """A public app's headers: references and the signed account token."""
    return {
        "brightpearl-dev-ref": e.developer_reference,
        "brightpearl-app-ref": e.app_reference,
        "brightpearl-account-token": sign(a.unsignedAccountToken, e.developer_secret),
    }


def account_url(e: Emulator, a: Account, path: str) -> str:
    """The URL of ``path`` under the account, on its own datacentre."""
    return f"{e.base_urls[a.datacentre]}/public-api/{a.accountCode}/{path}"


def get(e: Emulator, a: Account, path: str, **params: Any) -> requests.Response:
    """GET as the app."""
    return requests.get(account_url(e, a, path), headers=app_headers(e, a), params=params, timeout=10)


def rows(e: Emulator, a: Account, path: str, **params: Any) -> list[dict[str, Any]]:
    """One search page of up to 500 rows, each zipped with its column names."""
    r = get(e, a, path, pageSize=500, **params)
    if r.status_code != 200:
        raise AssertionError(f"{path}: {r.status_code} {r.text}")
    response = r.json()["response"]
    names = [c["name"] for c in response["metaData"]["columns"]]
    return [dict(zip(names, row, strict=True)) for row in response["results"]]


def every_row(e: Emulator, a: Account, path: str, **params: Any) -> list[dict[str, Any]]:
    """All pages of a sound search (never supplier-payment-search: its pages do not end)."""
    found: list[dict[str, Any]] = []
    while True:
        page = rows(e, a, path, firstResult=len(found) + 1, **params)
        found += page
        if len(page) < 500:
            return found


def error(r: requests.Response) -> tuple[int, str]:
    """(status, first error code) of an error answer."""
    return r.status_code, r.json()["errors"][0]["code"]
