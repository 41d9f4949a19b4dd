"""What a row cannot say: the few documented reshapings between a Brightpearl answer and records.

Each hook takes one item of an answer (and the id it was asked for, where the row reads one id
per GET) and returns the records it holds; each converter turns one member's value. Every one
is named in a row (catalog.py) and covered by a contract test that replays the documented body.
A hook never drops a member: what it does not place in a record's own columns stays in the
record, where the shaper keeps anything undeclared in otherMembers.
"""

from __future__ import annotations

import functools
import typing as t

from tap_brightpearl.idsets import IdSetError, Ranges
from tap_brightpearl.records import decoded, flatten_map

Item = dict[str, t.Any]
Hook = t.Callable[[Item, "int | None"], list[Item]]


class ShapeError(ValueError):
    """An answer whose shape a hook cannot read: the stream fails for that account, naming what was sent."""


def configuration(item: Item, asked: int | None) -> list[Item]:
    """account-configuration: the values nested under `configuration` become the record's members."""
    settings = decoded(item.get("configuration"))
    if not isinstance(settings, dict):
        raise ShapeError(f"no 'configuration' object (members: {', '.join(sorted(item)) or 'none'})")
    beside = {k: v for k, v in item.items() if k != "configuration"}
    return [{**settings, **beside}]


def journal_lines(item: Item, asked: int | None) -> list[Item]:
    """A journal: one record per credit and debit line, each with the journal's own members and its id."""
    if "id" not in item:
        raise ShapeError("a journal without 'id'")
    journal = {k: v for k, v in item.items() if k not in ("credits", "debits", "id")}
    lines: list[Item] = []
    for side, member in (("credit", "credits"), ("debit", "debits")):
        entries = decoded(item.get(member))
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise ShapeError(f"journal {item['id']}: {member} is not a list")
        for index, line in enumerate(entries):
            if not isinstance(line, dict):
                raise ShapeError(f"journal {item['id']}: {member}[{index}] is not an object")
            lines.append({"journalId": decoded(item["id"]), "side": side, "lineIndex": index, **journal, **line})
    return lines


def stock_per_warehouse(item: Item, asked: int | None) -> list[Item]:
    """product-availability: one record per product and warehouse, each with the product's totals."""
    warehouses = decoded(item.get("warehouses"))
    if warehouses is None:
        return []  # a product that is stocked nowhere yet
    if not isinstance(warehouses, dict):
        raise ShapeError(f"product {item.get('productId')}: 'warehouses' is not a map")
    product = {k: v for k, v in item.items() if k not in ("warehouses", "total")}
    total = {"productTotal": item["total"]} if "total" in item else {}
    records = []
    for warehouse, levels in warehouses.items():
        if not isinstance(levels, dict) or not str(warehouse).isdigit():
            raise ShapeError(f"product {item.get('productId')}: warehouse {str(warehouse)[:40]!r} is not an id")
        records.append({**product, "warehouseId": int(warehouse), **total, **levels})
    return records


def prices_per_list(item: Item, asked: int | None) -> list[Item]:
    """product-price: one record per product and price list."""
    lists = decoded(item.get("priceLists"))
    if not isinstance(lists, list):
        raise ShapeError(f"product {item.get('productId')}: 'priceLists' is not a list")
    product = {k: v for k, v in item.items() if k != "priceLists"}
    if not all(isinstance(p, dict) for p in lists):
        raise ShapeError(f"product {item.get('productId')}: a price list entry is not an object")
    return [{**product, **price} for price in lists]


def group_members(item: Item, asked: int | None) -> list[Item]:
    """contact-group/{id}/member: the contact ids (a list, or an ID set with includeOptional)."""
    ids = decoded(item.get("contactMemberIds"))
    text = decoded(item.get("contactMemberIdSet"))
    if ids is None and text is None:
        raise ShapeError(f"neither contactMemberIds nor contactMemberIdSet (members: {', '.join(sorted(item))})")
    members: set[int] = set()
    if ids is not None:
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise ShapeError("contactMemberIds is not a list of ids")
        members.update(ids)
    if text is not None:
        try:
            members.update(Ranges.parse(text).ids())
        except IdSetError as exc:
            raise ShapeError(f"contactMemberIdSet {exc}") from None
    rest = {k: v for k, v in item.items() if k not in ("contactMemberIds", "contactMemberIdSet")}
    return [{**rest, "contactId": contact} for contact in sorted(members)]


HOOKS: dict[str, Hook] = {
    "configuration": configuration,
    "journal_lines": journal_lines,
    "stock_per_warehouse": stock_per_warehouse,
    "prices_per_list": prices_per_list,
    "group_members": group_members,
}

CONVERTERS: dict[str, t.Callable[[t.Any], t.Any]] = {
    # orderRows {"rowId": {...}} becomes a list with orderRowId inside (recorded shape)
    "rows_as_list": functools.partial(flatten_map, id_name="orderRowId"),
}
