"""Routes of the resources beyond orders, products, contacts, warehouses and settings.

account_routes.py handles auth, then asks ``resource_route`` before its own detail GETs. Only the
request forms a Brightpearl page documents (or, marked so, a third party uses) are served; every
other form, including the ones the tap used to send (contact-service/contact-group without an
ID set, contact-group-member/{ids}, accounting-service/currency, contact-service/company,
location-search, brand-search, option-search, option-value-search, product-type-search),
falls through to the account API's 404 CMNC-404, as a server answering only documented requests
would. The handlers of ID-set GETs are in resources_details.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .account_search import parse_id_set
from .reply import Reply, dumps, errors
from .resources_details import (
    contact_group_members,
    contact_groups,
    goods_in_notes,
    goods_out_notes,
    journals,
    locations,
    order_notes,
    product_availability,
    product_option_values,
    product_prices,
)
from .resources_reference import CUSTOM_FIELD_PATHS, LISTS, custom_field_meta

if TYPE_CHECKING:
    from .account_data import AccountData
    from .account_tables import Record

SEARCH_PATHS = {
    ("warehouse-service", "goods-note", "goods-out-search"): "goods-out-note",
    ("warehouse-service", "goods-movement-search"): "goods-movement",
    ("warehouse-service", "goods-in-search"): "goods-in-note",
    ("accounting-service", "journal-search"): "journal",
    ("accounting-service", "customer-payment-search"): "customer-payment",
    ("accounting-service", "supplier-payment-search"): "supplier-payment",
    ("accounting-service", "currency-search"): "currency",
    ("order-service", "order-note-search"): "order-note",
    ("product-service", "brightpearl-category-search"): "category",
    ("product-service", "season-search"): "season",
    ("product-service", "collection-search"): "collection",  # third party only
    ("contact-service", "contact-group-search"): "contact-group",  # third party only
    ("contact-service", "company-search"): "company",  # third party only
}
# Plain GETs with an optional ID set whose items are stored records (Catalog.get)
CATALOG_GETS = {
    ("product-service", "brand"): "brand",
    ("product-service", "brightpearl-category"): "category",
    ("product-service", "season"): "season",
    ("product-service", "option"): "option",
}


def missing(message: str, headers: dict[str, str] | None = None) -> Reply:
    """The 404 CMNC-404 of an ID-set GET that found nothing (documented: "no results")."""
    return Reply(404, errors("CMNC-404", message), headers=dict(headers or {}))


def listed(items: list[Record], id_set: str | None, ids: Callable[[Record], Iterable[int]] | None) -> Reply:
    """A whole list, or the items an ID set names (``ids`` None: the ID set is ignored, doc)."""
    if id_set is not None and ids is not None:
        wanted = set(parse_id_set(id_set, None))
        items = [item for item in items if wanted.intersection(ids(item))]
        if not items:
            return missing("No resources found")  # guess: wording
    return Reply(200, dumps({"response": items}))


def resource_route(data: AccountData, rest: tuple[str, ...], query: dict[str, str]) -> Reply | None:
    """The reply for one of these resources' GET paths, or None when ``rest`` is none of them."""
    n, key = len(rest), rest[:2]
    tail = rest[3:]
    if key == ("warehouse-service", "order") and n in (5, 6) and rest[3] == "goods-note":
        note_set = rest[5] if n == 6 else None
        if rest[4] == "goods-out":
            return goods_out_notes(data, rest[2], note_set)
        if rest[4] == "goods-in":
            return goods_in_notes(data, rest[2], note_set)
        return None
    if key == ("warehouse-service", "product-availability") and n == 3:
        return product_availability(data, rest[2], query)
    if key == ("warehouse-service", "warehouse") and n in (4, 5) and rest[3] == "location":
        return locations(data, rest[2], rest[4] if n == 5 else None)
    if key == ("product-service", "product-price") and (n == 3 or (n == 5 and rest[3] == "price-list")):
        return product_prices(data, rest[2], rest[4] if n == 5 else None)
    if key == ("product-service", "product") and n in (4, 5) and rest[3] == "option-value":
        return product_option_values(data, rest[2], rest[4] if n == 5 else None)
    if key == ("product-service", "option") and n == 4 and rest[3] == "value":
        values = data.group("catalog").option_values
        return listed(values, rest[2], lambda v: [v["optionId"]]) if values else missing("No option values found")
    if rest[:3] in CUSTOM_FIELD_PATHS and n <= 4:
        return listed(custom_field_meta(CUSTOM_FIELD_PATHS[rest[:3]]), rest[3] if n == 4 else None, _ids)
    if key in CATALOG_GETS and n <= 3:
        catalog = data.group("catalog")
        with data.lock:
            return listed(catalog.get(CATALOG_GETS[key], None), rest[2] if n == 3 else None, _ids)
    if key == ("product-service", "product-type") and n <= 3:
        return listed(data.group("catalog").product_types, rest[2] if n == 3 else None, _ids)
    if key == ("product-service", "price-list") and n <= 3:
        return listed(data.group("catalog").price_lists, rest[2] if n == 3 else None, _ids)
    if key == ("accounting-service", "journal") and n == 3:
        return journals(data, rest[2])
    if key == ("contact-service", "contact-group") and n == 3:
        return contact_groups(data, rest[2])
    if key == ("contact-service", "contact-group") and tail == ("member",):
        return contact_group_members(data, rest[2], query)
    if key == ("order-service", "order") and tail == ("note",):
        return order_notes(data, rest[2])
    if key in LISTS and n <= 3:
        reference = LISTS[key]
        return listed(reference.build(data), rest[2] if n == 3 else None, reference.ids)
    return None


def _ids(item: Record) -> list[int]:
    return [item["id"]]
