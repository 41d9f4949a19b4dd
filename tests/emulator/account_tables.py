"""Searchable resources: the recorded search columns, and a Table holding one resource's records.

Column lists, their order and their metadata are copied from real recorded searches
(order-search 19 columns, product-search 18, contact-search 21). Search rows, search keys
and encoded detail bodies are kept per record and refreshed only when that record changes,
so a search over 50,000 orders does no per-record work beyond filtering and sorting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from msgspec.json import encode  # byte-identical to compact json.dumps, several times faster

Record = dict[str, Any]
Reader = Callable[[Record, Record], Any]  # (detail body, search-only extras) -> cell


@dataclass(frozen=True)
class Column:
    """One search column: name, Brightpearl type, recorded flags, and how to read its cell."""

    name: str
    data_type: str  # IDSET | INTEGER | STRING | SEARCH_STRING | BOOLEAN | PERIOD
    read: Reader
    sortable: bool = True
    filterable: bool = True
    reference: tuple[str, ...] = ()
    instant: Reader | None = None  # PERIOD columns: the epoch millis to filter and sort on

    def meta(self) -> dict[str, Any]:
        """Describe the column exactly as a recorded metaData.columns entry does."""
        return {
            "name": self.name,
            "sortable": self.sortable,
            "filterable": self.filterable,
            "reportDataType": self.data_type,
            "referenceData": list(self.reference),
            "isFreeTextSearchable": False,
            "required": False,
        }


def _col(name: str, data_type: str, read: Reader, **flags: Any) -> Column:
    return Column(name, data_type, read, **flags)


@dataclass
class Table:
    """One resource: detail bodies (as served), true instants, search rows/keys and caches.

    ``updated_ms[id]`` is None for a record that was never updated: its body has no
    ``updatedOn`` member and its search row shows null, as recorded.
    """

    resource: str
    id_field: str
    columns: tuple[Column, ...]
    reference: Callable[[list[list[Any]], list[Record]], dict[str, Any]] = lambda rows, records: {}
    # guess (third-party claim, opt-in): contact-search rows show a null updatedOn cell.
    hide_updated: bool = False
    # Reported search quirks: "ignore_ranges" (supplier payments) and "no_id_ranges" (journals).
    quirks: frozenset[str] = frozenset()
    sort: str | None = None  # the documented default sort column (None: the first column)
    presorted: bool = True  # records are kept in the first column's order (no sort needed for it)
    records: list[Record] = field(default_factory=list)
    by_id: dict[int, Record] = field(default_factory=dict)
    created_ms: dict[int, int] = field(default_factory=dict)
    updated_ms: dict[int, int | None] = field(default_factory=dict)
    extras: dict[int, Record] = field(default_factory=dict)  # search-only values per record

    version: int = 0
    _rows: dict[int, list[Any]] = field(default_factory=dict)
    _keys: dict[int, list[Any]] = field(default_factory=dict)
    _keyed: tuple[int, list[tuple[list[Any], Record]]] | None = None
    _json: dict[int, bytes] = field(default_factory=dict)
    _json_optional: dict[int, dict[frozenset[str], bytes]] = field(default_factory=dict)
    _index: dict[str, int] = field(default_factory=dict)
    top_id: int = 0  # highest id ever added: deleted ids are never handed out again

    def __post_init__(self) -> None:
        """Index the columns by name; which key cells hold epoch millis instead of text."""
        self._index = {c.name: i for i, c in enumerate(self.columns)}
        self._created_at = self._index.get("createdOn")
        self._updated_at = self._index.get("updatedOn")
        self._instants = [(i, c.instant) for i, c in enumerate(self.columns) if c.instant is not None]
        dated = {self._created_at, self._updated_at} | {i for i, _ in self._instants}
        self.millis_at = frozenset(i for i in dated if i is not None)

    def add(self, record: Record, created: int, updated: int | None, extras: Record | None = None) -> None:
        """Register a record built by the generator (ids ascending)."""
        rid = record[self.id_field]
        if rid <= self.top_id:  # a knob may create a record below the newest: keep id order
            at = next((n for n, r in enumerate(self.records) if r[self.id_field] > rid), len(self.records))
            self.records.insert(at, record)
        else:
            self.records.append(record)
        self.top_id = max(self.top_id, rid)
        self.by_id[rid] = record
        self.created_ms[rid] = created
        self.updated_ms[rid] = updated
        if extras:
            self.extras[rid] = extras
        self.changed(rid)

    def changed(self, rid: int) -> None:
        """Recompute a record's search row and key; forget its encoded body."""
        self.version += 1
        self._json.pop(rid, None)
        self._json_optional.pop(rid, None)
        record = self.by_id[rid]
        extras = self.extras.get(rid, _NO_EXTRAS)
        row = [col.read(record, extras) for col in self.columns]
        key = list(row)
        if self._created_at is not None:
            key[self._created_at] = self.created_ms[rid]
        if self._updated_at is not None:
            key[self._updated_at] = self.updated_ms[rid]
            if self.hide_updated:
                row[self._updated_at] = None
        for index, instant in self._instants:
            key[index] = instant(record, extras)
        self._rows[rid] = row
        self._keys[rid] = key

    def remove(self, ids: list[int]) -> None:
        """Forget records for good (a delete): gone from searches and detail GETs."""
        gone = set(ids)
        self.records = [r for r in self.records if r[self.id_field] not in gone]
        for rid in gone:
            del self.by_id[rid]
            # created_ms stays: groups built later start from the records as first generated.
            for cache in (self.updated_ms, self.extras, self._rows, self._keys, self._json):
                cache.pop(rid, None)
            self._json_optional.pop(rid, None)
        self.version += 1

    def keyed(self) -> list[tuple[list[Any], Record]]:
        """(search key, record) for every record, cached until the table changes.

        A key is the row with createdOn/updatedOn as epoch millis (None when never updated).
        """
        if self._keyed is None or self._keyed[0] != self.version:
            keys = self._keys
            self._keyed = (self.version, [(keys[r[self.id_field]], r) for r in self.records])
        return self._keyed[1]

    def row(self, record: Record) -> list[Any]:
        """The cells a search result row shows, in column order."""
        return self._rows[record[self.id_field]]

    def record_json(self, record: Record) -> bytes:
        """The record as served, encoded once until it changes."""
        rid = record[self.id_field]
        cached = self._json.get(rid)
        if cached is None:
            cached = self._json[rid] = encode(record)
        return cached

    def optional_json(self, record: Record, optional: frozenset[str], build: Callable[[Record], Record]) -> bytes:
        """The record with includeOptional members (built by ``build``), encoded once per set."""
        per_set = self._json_optional.setdefault(record[self.id_field], {})
        cached = per_set.get(optional)
        if cached is None:
            cached = per_set[optional] = encode(build(record))
        return cached

    def column_index(self, name: str) -> int | None:
        """Find a column by name (None when unknown)."""
        return self._index.get(name)

    def latest_ms(self) -> int:
        """Latest createdOn or updatedOn instant (0 when empty)."""
        updated = (u for u in self.updated_ms.values() if u is not None)
        return max(max(updated, default=0), max(self.created_ms.values(), default=0))

    def next_id(self) -> int:
        """A fresh id after every id ever used (deleted ones included)."""
        return self.top_id + 1


_NO_EXTRAS: Record = {}

# -- reference data named by search columns ----------------------------------------------------
ORDER_TYPE_NAMES = {"1": "SALES_ORDER", "2": "PURCHASE_ORDER", "3": "SALES_CREDIT", "4": "PURCHASE_CREDIT"}
ORDER_STATUS_NAMES = {
    1: "Draft / Quote",  # guess: name
    2: "New web order",  # guess: name
    3: "New phone order",
    4: "Invoiced",
    5: "Cancelled",  # guess: name
    6: "Pending PO",
    7: "Placed with supplier",  # guess: name
}
# code in the detail body -> (search id, name). Recorded pairs: NON/NST new orders show 13 "Unset"
# and 1 "No stock tracked products on order", NOT_APPLICABLE shows 5; a new purchase order's row
# showed 13 too (so PON 13, though the documented stock-status list gives PON the id 4).
# Documented (order-stock-status and order-shipping-status GET): SOA 3; SNS 2, SPS 3, ASS 4.
# guess: PAID and UNPAID.
STOCK_STATUS = {"NON": (13, "Unset"), "PON": (13, "Unset"), "SOA": (3, "Sales Order All Fulfilled")}
PAYMENT_STATUS = {"PAID": (1, "PAID"), "UNPAID": (2, "UNPAID"), "NOT_APPLICABLE": (5, "NOT_APPLICABLE")}
SHIPPING_STATUS = {
    "NST": (1, "No stock tracked products on order"),
    "SNS": (2, "Stock not shipped"),
    "SPS": (3, "Stock part shipped"),
    "ASS": (4, "All stock shipped"),
}


def _names(rows: list[list[Any]], index: int, names: dict[int, str]) -> dict[str, str]:
    return {str(i): names[i] for i in sorted({row[index] for row in rows}) if i in names}


def _order_reference(rows: list[list[Any]], records: list[Record]) -> dict[str, Any]:
    # guess: maps list the ids on this page (the recording's 4 rows showed exactly their own
    # statuses), orderTypeNames all four types; an empty page has an empty reference.
    if not rows:
        return {}
    stock = {i: n for i, n in STOCK_STATUS.values()}
    pay = {i: n for i, n in PAYMENT_STATUS.values()}
    ship = {i: n for i, n in SHIPPING_STATUS.values()}
    return {
        "orderShippingStatusNames": _names(rows, 11, ship),
        "orderTypeNames": ORDER_TYPE_NAMES,
        "orderPaymentStatusNames": _names(rows, 8, pay),
        "orderStockStatusNames": _names(rows, 4, stock),
        "orderStatusNames": _names(rows, 3, ORDER_STATUS_NAMES),
    }


def _product_reference(rows: list[list[Any]], records: list[Record]) -> dict[str, Any]:
    # Recorded: {"productCategoryMembership": {"<productId>": [categoryId, ...]}} for the rows shown.
    if not rows:
        return {}  # guess
    return {
        "productCategoryMembership": {
            str(r["id"]): [int(c["categoryCode"]) for c in r["salesChannels"][0]["categories"]] for r in records
        }
    }


def _order_columns() -> tuple[Column, ...]:
    def party(r: Record) -> Record:
        parties = r["parties"]
        return parties.get("customer") or parties.get("supplier") or {}

    def invoice_date(r: Record, x: Record) -> Any:
        return r["invoices"][0].get("taxDate") if r["invoices"] else None

    return (
        _col("orderId", "IDSET", lambda r, x: r["id"]),
        _col(
            "orderTypeId", "IDSET", lambda r, x: 2 if r["orderTypeCode"] == "PO" else 1, reference=("orderTypeNames",)
        ),
        _col("contactId", "INTEGER", lambda r, x: party(r).get("contactId")),
        _col(
            "orderStatusId", "INTEGER", lambda r, x: r["orderStatus"]["orderStatusId"], reference=("orderStatusNames",)
        ),
        _col(
            "orderStockStatusId",
            "INTEGER",
            lambda r, x: STOCK_STATUS[r["stockStatusCode"]][0],
            reference=("orderStockStatusNames",),
        ),
        _col("createdOn", "PERIOD", lambda r, x: r["createdOn"]),
        _col("createdById", "INTEGER", lambda r, x: r["createdById"]),
        _col("customerRef", "STRING", lambda r, x: r["reference"]),
        _col(
            "orderPaymentStatusId",
            "INTEGER",
            lambda r, x: PAYMENT_STATUS[r["orderPaymentStatus"]][0],
            reference=("orderPaymentStatusNames",),
        ),
        _col("updatedOn", "PERIOD", lambda r, x: r.get("updatedOn")),
        _col("parentOrderId", "IDSET", lambda r, x: r["parentOrderId"]),
        _col(
            "orderShippingStatusId",
            "INTEGER",
            lambda r, x: SHIPPING_STATUS[r["shippingStatusCode"]][0],
            reference=("orderShippingStatusNames",),
        ),
        _col("externalRef", "STRING", lambda r, x: x.get("externalRef")),
        _col("installedIntegrationInstanceId", "INTEGER", lambda r, x: x.get("installedIntegrationInstanceId")),
        _col("warehouseId", "IDSET", lambda r, x: r["warehouseId"]),
        _col("staffOwnerContactId", "INTEGER", lambda r, x: r["assignment"]["current"]["staffOwnerContactId"]),
        _col("taxDate", "PERIOD", invoice_date),
        _col("departmentId", "INTEGER", lambda r, x: 0),
        _col("deliveryDate", "PERIOD", lambda r, x: r["delivery"].get("deliveryDate")),
    )


def _product_columns() -> tuple[Column, ...]:
    return (
        _col("productId", "IDSET", lambda r, x: r["id"], reference=("productCategoryMembership",)),
        _col("productName", "SEARCH_STRING", lambda r, x: r["salesChannels"][0]["productName"]),
        _col("SKU", "STRING", lambda r, x: r["identity"]["sku"]),
        _col("barcode", "STRING", lambda r, x: r["identity"].get("barcode")),
        _col("EAN", "STRING", lambda r, x: r["identity"].get("ean")),
        _col("UPC", "STRING", lambda r, x: r["identity"].get("upc")),
        _col("ISBN", "STRING", lambda r, x: r["identity"].get("isbn")),
        _col("MPN", "STRING", lambda r, x: r["identity"].get("mpn")),
        _col("stockTracked", "BOOLEAN", lambda r, x: r["stock"]["stockTracked"]),
        _col("salesChannelName", "STRING", lambda r, x: r["salesChannels"][0]["salesChannelName"], filterable=False),
        _col("createdOn", "PERIOD", lambda r, x: r["createdOn"]),
        _col("updatedOn", "PERIOD", lambda r, x: r.get("updatedOn")),
        _col(
            "brightpearlCategoryCode",
            "IDSET",
            lambda r, x: int(r["salesChannels"][0]["categories"][0]["categoryCode"]),
            sortable=False,
        ),
        _col("productGroupId", "INTEGER", lambda r, x: r.get("productGroupId")),
        _col("brandId", "IDSET", lambda r, x: r["brandId"]),
        _col("productTypeId", "IDSET", lambda r, x: r["productTypeId"]),
        _col("productStatus", "STRING", lambda r, x: r["status"]),
        _col("primarySupplierId", "IDSET", lambda r, x: x.get("primarySupplierId")),
    )


def _contact_columns() -> tuple[Column, ...]:
    def email(r: Record, kind: str) -> str:
        return r["communication"]["emails"].get(kind, {}).get("email", "")

    def phone(r: Record, kind: str) -> str:
        return r["communication"]["telephones"].get(kind, "")

    return (
        _col("contactId", "IDSET", lambda r, x: r["contactId"]),
        _col("primaryEmail", "SEARCH_STRING", lambda r, x: email(r, "PRI")),
        _col("secondaryEmail", "SEARCH_STRING", lambda r, x: email(r, "SEC")),
        _col("tertiaryEmail", "SEARCH_STRING", lambda r, x: email(r, "TER")),
        _col("firstName", "SEARCH_STRING", lambda r, x: r["firstName"]),
        _col("lastName", "SEARCH_STRING", lambda r, x: r["lastName"]),
        _col("isSupplier", "BOOLEAN", lambda r, x: r["relationshipToAccount"]["isSupplier"], sortable=False),
        _col("companyName", "SEARCH_STRING", lambda r, x: x.get("companyName", "")),
        _col("isStaff", "BOOLEAN", lambda r, x: r["relationshipToAccount"]["isStaff"], sortable=False),
        _col("isCustomer", "BOOLEAN", lambda r, x: not r["relationshipToAccount"]["isSupplier"], sortable=False),
        _col("createdOn", "PERIOD", lambda r, x: r["createdOn"]),
        _col("updatedOn", "PERIOD", lambda r, x: r.get("updatedOn")),
        _col("lastContactedOn", "PERIOD", lambda r, x: None),
        _col("lastOrderedOn", "PERIOD", lambda r, x: None),
        _col("nominalCode", "INTEGER", lambda r, x: int(r["financialDetails"]["nominalCode"])),
        _col("isPrimary", "BOOLEAN", lambda r, x: r["isPrimaryContact"]),
        _col("pri", "STRING", lambda r, x: phone(r, "PRI"), sortable=False),
        _col("sec", "STRING", lambda r, x: phone(r, "SEC"), sortable=False),
        _col("mob", "STRING", lambda r, x: phone(r, "MOB"), sortable=False),
        _col("exactCompanyName", "STRING", lambda r, x: x.get("companyName", "")),
        _col("title", "STRING", lambda r, x: None),
    )


def order_table() -> Table:
    """Orders: detail GET order-service/order/{ids}, search order-service/order-search."""
    return Table("order", "id", _order_columns(), reference=_order_reference)


def product_table() -> Table:
    """Products: product-service/product/{ids} and product-search."""
    return Table("product", "id", _product_columns(), reference=_product_reference)


def contact_table(hide_updated: bool = False) -> Table:
    """Contacts: contact-service/contact/{ids} and contact-search (its reference is recorded empty)."""
    return Table("contact", "contactId", _contact_columns(), hide_updated=hide_updated)
