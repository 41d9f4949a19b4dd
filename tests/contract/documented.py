"""Brightpearl's documented example bodies (docs/ in the recordings), each served where its stream asks.

One `Case` per body: the stream it feeds, the documented request that answers it, the listing the
stream needs first (a search, or a GET of parents) where it has one, and how many records the body
holds. The listings are synthetic (`# synthetic`): they name exactly the ids the documented body
answers for. Everything else the tap asks is unmatched, so the replay server's 404 shows up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.contract.harness import ACC
from tests.contract.replay import Reply, Route, body_file, route

JSON = (("Content-Type", "application/json;charset=UTF-8"),)


def search_answer(column: str, ids: list[int], extra: tuple[str, ...] = ()) -> Reply:  # synthetic
    """A search answer listing `ids` in its id column, shaped as Brightpearl's recorded searches are."""
    names = (column, *extra)
    payload = {
        "response": {
            "results": [[i, *([None] * len(extra))] for i in ids],
            "metaData": {
                "morePagesAvailable": False,
                "resultsAvailable": len(ids),
                "resultsReturned": len(ids),
                "firstResult": 1,
                "lastResult": len(ids),
                "columns": [{"name": n, "reportDataType": "INTEGER" if n == column else "STRING"} for n in names],
            },
        },
        "reference": {},
    }
    return Reply(200, JSON, json.dumps(payload).encode())


def plain(payload: Any) -> Reply:  # synthetic
    """A `{"response": payload}` answer."""
    return Reply(200, JSON, json.dumps({"response": payload}).encode())


@dataclass(frozen=True)
class Case:
    """One documented body and the run that replays it through its stream."""

    stream: str
    body: str  # under docs/
    path: str  # regex of the documented request (after /public-api/{account}/)
    records: int  # records the body holds
    listing: tuple[tuple[str, Reply], ...] = ()  # (path regex, reply) the stream reads first
    others: tuple[tuple[str, Reply], ...] = field(default=())  # other requests of the same stream

    def routes(self, root: Path) -> list[Route]:
        """Every route the run needs."""
        answer = body_file(root, f"docs/{self.body}")
        found = [route("GET", rf"{ACC}/{self.path}", answer)]
        found += [route("GET", rf"{ACC}/{path}", reply) for path, reply in (*self.listing, *self.others)]
        return found

    def items(self, root: Path) -> Any:
        """The documented body's `response`."""
        return json.loads((root / "docs" / self.body).read_text(encoding="utf-8"))["response"]


def _list(stream: str, body: str, path: str, count: int) -> Case:
    return Case(stream, body, rf"{path}/?", count)


CUSTOM_FIELD_PATHS = (
    "order-service/sale/custom-field-meta-data",
    "product-service/product/custom-field-meta-data",
    "contact-service/customer/custom-field-meta-data",
    "contact-service/supplier/custom-field-meta-data",
)

CASES = (
    _list("order_statuses", "order_statuses.body.json", "order-service/order-status", 2),
    _list("order_shipping_statuses", "order_shipping_statuses.body.json", "order-service/order-shipping-status", 4),
    _list("order_types", "order_types.body.json", "order-service/order-type", 4),
    _list("tax_codes", "tax_codes.body.json", "accounting-service/tax-code", 3),
    _list("tax_codes", "tax_codes.idset.body.json", "accounting-service/tax-code", 5),
    _list("nominal_codes", "nominal_codes.body.json", "accounting-service/nominal-code", 2),
    _list("payment_methods", "payment_methods.body.json", "accounting-service/payment-method", 2),
    _list("channels", "channels.body.json", "product-service/channel", 5),
    _list("lead_sources", "lead_sources.body.json", "contact-service/lead-source", 4),
    _list("price_lists", "price_lists.body.json", "product-service/price-list", 3),
    _list("brands", "brands.get.body.json", "product-service/brand", 5),
    _list("product_options", "product_options.get.body.json", "product-service/option", 4),
    _list("warehouses", "warehouse_get.body.json", "warehouse-service/warehouse", 2),
    _list(
        "account_configuration", "account_configuration_get.body.json", "integration-service/account-configuration", 1
    ),
    Case(
        "contact_groups",
        "contact_groups.body.json",
        "contact-service/contact-group/1000-1002",
        3,
        listing=(("contact-service/contact-group-search/?", search_answer("id", [1000, 1001, 1002], ("name",))),),
    ),
    Case(
        "contact_group_members",
        "contact_group_members.body.json",
        "contact-service/contact-group/1000/member",
        8,
        listing=(("contact-service/contact-group-search/?", search_answer("id", [1000], ("name",))),),
    ),
    Case(
        "contact_group_members",
        "contact_group_members.idset_optional.body.json",
        "contact-service/contact-group/1000/member",
        8,
        listing=(("contact-service/contact-group-search/?", search_answer("id", [1000], ("name",))),),
    ),
    Case(
        "custom_fields",
        "custom_fields.purchase.body.json",
        "order-service/purchase/custom-field-meta-data/?",
        3,
        others=tuple((rf"{path}/?", plain([])) for path in CUSTOM_FIELD_PATHS),
    ),
    Case(
        "product_prices",
        "product_prices.body.json",
        "product-service/product-price/1010",
        3,
        listing=(("product-service/product-search/?", search_answer("productId", [1010], ("productName",))),),
    ),
    Case(
        "product_option_values",
        "product_option_values.per_product.body.json",
        "product-service/product/1000/option-value",
        2,
        listing=(("product-service/product-search/?", search_answer("productId", [1000], ("productName",))),),
    ),
    Case(
        "warehouse_locations",
        "warehouse_locations.get.body.json",
        "warehouse-service/warehouse/1/location/?",
        2,
        listing=(("warehouse-service/warehouse/?", plain([{"id": 1, "name": "Main"}])),),
    ),
)

# Bodies no account stream reads, and where they are covered instead.
NOT_ACCOUNT_STREAMS = {
    "installed_accounts.body.json": "tests/contract/test_documented_developer_tools.py (installed_accounts on euw1)",
    "account_location_get.body.json": "tests/contract/test_documented_developer_tools.py (account-location)",
    "order_notes.get.body.json": (
        "the per-order note GET (one request per order, no ID set); order_notes reads order-note-search, "
        "whose documented columns the schema declares (tests/contract/test_documented_bodies.py)"
    ),
}
REPLAYED = frozenset(f"docs/{case.body}" for case in CASES)
