"""The ID-set GETs of resources_routes.py: goods notes, stock, prices, journals, contact groups, ...

Recorded: the goods-out note map and its ``Message-Type: get-goods-out-note``, product-price's 404
``No Product Prices Found`` with ``Message-Type: get-product-price``. Documented: the paths, the
answer shapes (through their Shapes) and the ID-set caps of goods-out notes (500), goods-in notes
(200), product prices (200) and product option values (200); "we use 404 to indicate a request for
multiple resources has returned no results". Everything else is marked "guess".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .account_search import BadRequest, parse_id_set
from .reply import Reply, dumps, errors
from .resources_catalog import OPTION_VALUE_CAP, PRICE_CAP
from .resources_directory import member_body
from .resources_goods_in import GOODS_IN_CAP

if TYPE_CHECKING:
    from .account_data import AccountData

GOODS_OUT_CAP = 500  # doc
AVAILABILITY_CAP = 200  # guess: like the other product GETs
JOURNAL_CAP = 200  # guess: like the other detail GETs
GOODS_OUT_TYPE = {"Message-Type": "get-goods-out-note"}  # recorded
PRICE_TYPE = {"Message-Type": "get-product-price"}  # recorded


def _missing(message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(404, errors("CMNC-404", message), headers=dict(headers or {}))


def _one_id(text: str) -> int | None:
    """The id of a path segment that takes ONE id (doc), or None for anything else (an ID set)."""
    return int(text) if text.isdigit() and int(text) > 0 else None


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


def goods_in_notes(data: AccountData, order_set: str, note_set: str | None) -> Reply:
    """``order/{poIds}/goods-note/goods-in[/{noteIds}]`` or ``order/*/goods-note/goods-in/{noteIds}`` (doc)."""
    orders = None if order_set == "*" else set(parse_id_set(order_set, GOODS_IN_CAP))
    if note_set is None and orders is None:
        # doc: "You cannot request all goods-in notes for all orders". # guess: a 400 CMNC-400
        raise BadRequest(400, "CMNC-400", "You cannot request all goods-in notes for all orders")
    notes = None if note_set is None else set(parse_id_set(note_set, GOODS_IN_CAP))
    with data.lock:
        found = data.group("inventory").goods_in.note_map(orders, notes)
        body = dumps({"response": found})
    if not found:
        return _missing("No goods-in notes found")  # guess: wording
    return Reply(200, body)


def _refused(data: AccountData, ids: list[int], unknown_is_invalid: bool) -> Reply | None:
    """Reported by a third party: one id that is not a (usable) product fails the whole set."""
    table = data.tables["product"]
    bad = [i for i in ids if i in data.bad_product_ids or (unknown_is_invalid and i not in table.by_id)]
    if bad:
        # guess: the message's wording beyond "Invalid product ids"
        return Reply(400, errors("CMNC-400", f"Invalid product ids {','.join(map(str, bad))}"))
    return None


def product_availability(data: AccountData, id_set: str, query: dict[str, str]) -> Reply:
    """product-availability/{productIds}[?includeOptional=breakDownByLocation]: a map by product id (doc).

    Documented: a product that is not stock tracked is ignored.
    """
    ids = parse_id_set(id_set, AVAILABILITY_CAP)
    wanted = {v.strip() for v in query.get("includeOptional", "").split(",")}  # guess: others ignored
    by_location = "breakDownByLocation" in wanted
    with data.lock:
        refused = _refused(data, ids, unknown_is_invalid=True)
        if refused is not None:
            return refused
        stock = data.group("inventory")
        products = data.tables["product"].by_id
        tracked = [i for i in ids if products[i]["stock"]["stockTracked"]]
        # guess: in ascending id order; only untracked products asked: an empty map
        body = dumps({"response": {str(i): stock.availability(products[i], by_location) for i in tracked}})
    return Reply(200, body)


def product_prices(data: AccountData, id_set: str, list_set: str | None) -> Reply:
    """product-price/{productIds}[/price-list/{priceListIds}]: a list, one item per product (doc)."""
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


def product_option_values(data: AccountData, id_set: str, value_set: str | None) -> Reply:
    """product/{productIds}/option-value[/{optionValueIds}] (doc: 200 products, no value cap)."""
    ids = parse_id_set(id_set, OPTION_VALUE_CAP)
    values = None if value_set is None else set(parse_id_set(value_set, None))
    with data.lock:
        found = data.group("catalog").product_option_values(ids, values)
    if not found:
        return _missing("No product option values found")  # guess
    return Reply(200, dumps({"response": found}))


def journals(data: AccountData, id_set: str) -> Reply:
    """accounting-service/journal/{journalIds}: ``{"response": {"journals": [...]}}`` (doc)."""
    ids = parse_id_set(id_set, JOURNAL_CAP)  # guess: the journals found are answered, in id order
    with data.lock:
        bodies = data.group("finance").journals
        found = [bodies[i] for i in ids if i in bodies]
    if not found:
        return _missing("No Journals Found")  # guess: wording
    return Reply(200, dumps({"response": {"journals": found}}))


def locations(data: AccountData, warehouse: str, id_set: str | None) -> Reply:
    """warehouse/{ONE warehouse id}/location[/{locationIds}] (doc: the location ID set is optional)."""
    wid = _one_id(warehouse)
    bodies = data.group("inventory").location_bodies
    if wid is None or wid not in bodies:
        return _missing("No Warehouse Found")  # guess: the recorded "No Contact Found" wording
    items = bodies[wid]
    if id_set is not None:
        wanted = set(parse_id_set(id_set, None))
        items = [loc for loc in items if loc["id"] in wanted]
        if not items:
            return _missing("No locations found")  # guess: wording
    return Reply(200, dumps({"response": items}))


def contact_groups(data: AccountData, id_set: str) -> Reply:
    """contact-group/{ID-SET} (doc: "not limited by size"); the path without an ID set is not served."""
    wanted = parse_id_set(id_set, None)
    groups = data.group("directory").groups
    found = [groups[g] for g in wanted if g in groups]
    if not found:
        return _missing("No contact groups found")  # guess: wording
    return Reply(200, dumps({"response": found}))


def contact_group_members(data: AccountData, group: str, query: dict[str, str]) -> Reply:
    """contact-group/{ONE group id}/member (doc); an ID set there is a form no page documents."""
    gid = _one_id(group)
    directory = data.group("directory")
    if gid is None or gid not in directory.groups:
        return _missing("No Contact Group Found")  # guess: the recorded wording
    include = {v.strip() for v in query.get("includeOptional", "").split(",")}
    exclude = {v.strip() for v in query.get("excludeOptional", "").split(",")}
    with data.lock:
        body = member_body(directory.members(gid), include, exclude)
    return Reply(200, dumps({"response": body}))


def order_notes(data: AccountData, order: str) -> Reply:
    """order-service/order/{ONE order id}/note: that order's notes, oldest first (doc)."""
    oid = _one_id(order)
    with data.lock:
        if oid is None or oid not in data.tables["order"].by_id:
            return _missing("No Order Found")  # guess: the recorded wording
        return Reply(200, dumps({"response": data.group("finance").notes_of(oid)}))
