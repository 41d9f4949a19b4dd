"""Routes of the resources beyond orders, products, contacts, warehouses and settings.

account_routes.py handles auth, then asks ``resource_route`` before its own detail GETs. Recorded:
the goods-out note map and its ``Message-Type: get-goods-out-note``, product-price's 404
``No Product Prices Found`` with ``Message-Type: get-product-price``. Documented: the paths and the
ID-set caps of goods-out notes (500) and product prices (200). Everything else is marked "guess".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .account_search import BadRequest, parse_id_set
from .reply import Reply, dumps, errors
from .resources_reference import LISTS, by_ids, group_members, reference_list

if TYPE_CHECKING:
    from .account_data import AccountData

SEARCH_PATHS = {
    ("warehouse-service", "goods-note", "goods-out-search"): "goods-out-note",
    ("warehouse-service", "goods-movement-search"): "goods-movement",
    ("warehouse-service", "goods-in-search"): "goods-in-note",
    ("warehouse-service", "location-search"): "location",
    ("accounting-service", "journal-search"): "journal",
    ("accounting-service", "customer-payment-search"): "customer-payment",
    ("accounting-service", "supplier-payment-search"): "supplier-payment",
    ("order-service", "order-note-search"): "order-note",
    ("product-service", "brand-search"): "brand",
    ("product-service", "brightpearl-category-search"): "category",
    ("product-service", "season-search"): "season",
    ("product-service", "collection-search"): "collection",
    ("product-service", "product-type-search"): "product-type",
    ("product-service", "option-search"): "option",
    ("product-service", "option-value-search"): "option-value",
}
GOODS_OUT_CAP = 500  # doc
AVAILABILITY_CAP = 200  # guess: like the other product GETs
PRICE_CAP = 200  # doc
JOURNAL_CAP = 200  # guess: like the other detail GETs
GOODS_OUT_TYPE = {"Message-Type": "get-goods-out-note"}  # recorded
PRICE_TYPE = {"Message-Type": "get-product-price"}  # recorded
GOODS_OUT_PATH = ("goods-note", "goods-out")


def _missing(message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(404, errors("CMNC-404", message), headers=dict(headers or {}))


def resource_route(data: AccountData, rest: tuple[str, ...], query: dict[str, str]) -> Reply | None:
    """The reply for one of these resources' GET paths, or None when ``rest`` is none of them."""
    service, name = rest[:2] if len(rest) >= 2 else ("", "")
    if (service, name) == ("warehouse-service", "order") and len(rest) in (5, 6) and rest[3:5] == GOODS_OUT_PATH:
        return goods_out_notes(data, rest[2], rest[5] if len(rest) == 6 else None)
    if (service, name) == ("warehouse-service", "product-availability") and len(rest) == 3:
        return availability(data, rest[2], query)
    if (service, name) == ("product-service", "product-price") and (
        len(rest) == 3 or (len(rest) == 5 and rest[3] == "price-list")
    ):
        return product_prices(data, rest[2], rest[4] if len(rest) == 5 else None)
    if (service, name) == ("product-service", "price-list") and len(rest) <= 3:
        lists = data.group("catalog").price_lists
        return _listed(lists, rest[2] if len(rest) == 3 else None, "No price lists found")
    if (service, name) == ("accounting-service", "journal") and len(rest) == 3:
        return journals(data, rest[2])
    if (service, name) == ("contact-service", "contact-group-member") and len(rest) == 3:
        members = group_members(data, parse_id_set(rest[2], None))
        # guess: unknown groups are left out; none known is a 404
        return Reply(200, dumps({"response": members})) if members else _missing("No contact groups found")
    items = reference_list(data, rest)
    if items is not None:
        return Reply(200, dumps({"response": items}))
    if len(rest) == 3 and rest[:2] in LISTS:  # guess: every list also answers for an ID set
        return _listed(reference_list(data, rest[:2]) or [], rest[2], "No resources found")
    return None


def _listed(items: list[dict[str, object]], id_set: str | None, message: str) -> Reply:
    if id_set is not None:
        items = by_ids(items, "id", set(parse_id_set(id_set, None)))
        if not items:
            return _missing(message)  # guess: an ID set that found nothing
    return Reply(200, dumps({"response": items}))


def goods_out_notes(data: AccountData, order_set: str, note_set: str | None) -> Reply:
    """``order/{orderIds|*}/goods-note/goods-out/{noteIds}``: a map keyed by note id (recorded)."""
    orders = None if order_set == "*" else set(parse_id_set(order_set, GOODS_OUT_CAP))  # guess: order cap
    if note_set is None and orders is None:
        # guess: "*" needs note ids (the recording asked one order for all its notes)
        raise BadRequest(400, "CMNC-400", "A goods-out note id set is required with *")
    notes = None if note_set is None else set(parse_id_set(note_set, GOODS_OUT_CAP))
    with data.lock:
        found = data.group("inventory").note_bodies(orders, notes)
        body = dumps({"response": {str(nid): note for nid, note in found}})
    if not found:
        return _missing("No goods-out notes found", GOODS_OUT_TYPE)  # guess: wording
    return Reply(200, body, headers=dict(GOODS_OUT_TYPE))


def _refused(data: AccountData, ids: list[int], unknown_is_invalid: bool) -> Reply | None:
    """Reported by a third party: one id that is not a (usable) product fails the whole set."""
    table = data.tables["product"]
    bad = [i for i in ids if i in data.bad_product_ids or (unknown_is_invalid and i not in table.by_id)]
    if bad:
        # guess: the message's wording beyond "Invalid product ids"
        return Reply(400, errors("CMNC-400", f"Invalid product ids {','.join(map(str, bad))}"))
    return None


def availability(data: AccountData, id_set: str, query: dict[str, str]) -> Reply:
    """product-availability/{productIds}[?includeOptional=breakDownByLocation] (doc)."""
    ids = parse_id_set(id_set, AVAILABILITY_CAP)
    wanted = {v.strip() for v in query.get("includeOptional", "").split(",")}  # guess: others ignored
    by_location = "breakDownByLocation" in wanted
    with data.lock:
        refused = _refused(data, ids, unknown_is_invalid=True)
        if refused is not None:
            return refused
        stock = data.group("inventory")
        products = data.tables["product"].by_id
        # guess: a map keyed by product id, in ascending id order
        body = dumps({"response": {str(i): stock.availability(products[i], by_location) for i in ids}})
    return Reply(200, body)


def product_prices(data: AccountData, id_set: str, list_set: str | None) -> Reply:
    """product-price/{productIds}[/price-list/{priceListIds}]: a list, one item per product."""
    ids = parse_id_set(id_set, PRICE_CAP)
    lists = None if list_set is None else set(parse_id_set(list_set, None))
    with data.lock:
        refused = _refused(data, ids, unknown_is_invalid=False)
        if refused is not None:
            return refused
        catalog = data.group("catalog")
        known = data.tables["product"].by_id
        on_lists = lists is None or any(p["id"] in lists for p in catalog.price_lists)
        if not on_lists or any(i not in known for i in ids):
            # Recorded for one unknown product. # guess: any unknown product (or no known price list)
            # fails the whole set the same way.
            return _missing("No Product Prices Found", PRICE_TYPE)
        body = dumps({"response": catalog.prices(ids, lists)})
    return Reply(200, body, headers=dict(PRICE_TYPE))


def journals(data: AccountData, id_set: str) -> Reply:
    """accounting-service/journal/{journalIds}: a list of journals with their credits and debits."""
    ids = parse_id_set(id_set, JOURNAL_CAP)  # guess: the journals found are answered, in id order
    with data.lock:
        table = data.table("journal")
        found = [table.record_json(table.by_id[i]) for i in ids if i in table.by_id]
    if not found:
        return _missing("No Journals Found")  # guess: wording
    return Reply(200, b'{"response":[' + b",".join(found) + b"]}")
