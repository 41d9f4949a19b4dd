"""Search tables for the resources beyond orders, products and contacts: their column lists.

Most of these searches are all there is of a resource (no detail GET: "the rows are the
records"), so a record here is simply a dict of its column values. Dated columns other than
createdOn/updatedOn keep their epoch millis in the record's extras, so PERIOD filters and
sorting compare instants, never text. Column names, their order and reportDataTypes follow
each search's documented Columns table (the page named above each list, under
https://api-docs.brightpearl.com); the sortable/filterable flags (empty on every stored page)
and anything marked so are guesses.
"""

from __future__ import annotations

from typing import Any

from .account_tables import Column, Reader, Record, Table

Spec = tuple[tuple[str, str], ...]  # (column name, reportDataType)
TIMESTAMPS = ("createdOn", "updatedOn")  # their millis live in Table.created_ms / updated_ms


def _cell(name: str) -> Reader:
    return lambda r, x: r[name]


def _instant(name: str) -> Reader:
    return lambda r, x: x.get(name)


def columns(spec: Spec, read: dict[str, Reader] | None = None) -> tuple[Column, ...]:
    """Columns reading ``record[name]`` (or ``read[name]``); PERIOD ones filter on their millis."""
    read = read or {}
    out = []
    for name, data_type in spec:
        instant = _instant(name) if data_type == "PERIOD" and name not in TIMESTAMPS else None
        out.append(Column(name, data_type, read.get(name) or _cell(name), instant=instant))
    return tuple(out)


def row_table(resource: str, id_field: str, spec: Spec, **options: Any) -> Table:
    """A search whose rows are the records (options: quirks, sort, presorted)."""
    return Table(resource, id_field, columns(spec), **options)


def add_row(table: Table, record: Record, created: int, updated: int | None = None, **instants: Any) -> None:
    """Register a record with its createdOn/updatedOn millis and any other dated column's millis."""
    table.add(record, created, updated, dict(instants) or None)


# -- warehouse ---------------------------------------------------------------------------------
# warehouse/goods-out-note/search.html (the stored copy is cut at a last column "labe..."). The
# detail body is kept as record["note"].
GOODS_OUT_SPEC: Spec = (
    ("goodsOutNoteId", "INTEGER"),
    ("printed", "BOOLEAN"),
    ("picked", "BOOLEAN"),
    ("packed", "BOOLEAN"),
    ("shipped", "BOOLEAN"),
    ("shippedOn", "PERIOD"),  # null until shipped
    ("orderId", "INTEGER"),
    ("shippingMethodId", "IDSET"),
    ("warehouseId", "INTEGER"),
    ("priority", "BOOLEAN"),
    ("createdOn", "PERIOD"),
    ("releaseDate", "PERIOD"),
    ("createdBy", "INTEGER"),
)
GOODS_OUT_READ: dict[str, Reader] = {
    "orderId": lambda r, x: r["note"]["orderId"],
    "shippingMethodId": lambda r, x: r["note"]["shipping"]["shippingMethodId"],
    "warehouseId": lambda r, x: r["note"]["warehouseId"],
    "priority": lambda r, x: r["note"]["priority"],
    "createdOn": lambda r, x: r["note"]["createdOn"],
    "releaseDate": lambda r, x: r["note"]["releaseDate"],
    "createdBy": lambda r, x: r["note"]["createdBy"],
    "shippedOn": lambda r, x: r["note"]["status"].get("shippedOn"),
    **{
        flag: (lambda f: lambda r, x: r["note"]["status"][f])(flag)
        for flag in ("printed", "picked", "packed", "shipped")
    },
}
# warehouse/goods-movement/search.html (cut after goodsNoteTypeCode). updatedOn: third parties
# (three tools) filter on it; # guess: that it is the last column.
GOODS_MOVEMENT_SPEC: Spec = (
    ("goodsMovementId", "IDSET"),
    ("productId", "INTEGER"),
    ("salesOrderRowId", "IDSET"),
    ("purchaseOrderRowId", "IDSET"),
    ("quantity", "INTEGER"),
    ("destinationLocationId", "INTEGER"),
    ("warehouseId", "INTEGER"),
    ("goodsNoteId", "IDSET"),
    ("productValue", "STRING"),
    ("currencyCode", "STRING"),
    ("orderId", "INTEGER"),
    ("isCleared", "BOOLEAN"),
    ("isQuarantine", "BOOLEAN"),
    ("batchId", "INTEGER"),
    ("goodsNoteTypeCode", "STRING"),
    ("updatedOn", "PERIOD"),
)
# warehouse/goods-in-note/search.html (complete): one row per batch, location and price; no
# goods-note id column; sorted by batchId.
GOODS_IN_SPEC: Spec = (
    ("purchaseOrderId", "INTEGER"),
    ("batchId", "INTEGER"),
    ("userBatchRef", "SEARCH_STRING"),
    ("productId", "INTEGER"),
    ("locationId", "INTEGER"),
    ("groupingA", "STRING"),
    ("groupingB", "STRING"),
    ("groupingC", "STRING"),
    ("groupingD", "STRING"),
    ("price", "STRING"),
    ("landedCosts", "STRING"),
    ("currCode", "STRING"),
    ("receivedQuantity", "INTEGER"),
    ("onHand", "INTEGER"),
    ("createdDate", "PERIOD"),
    ("receivedDate", "PERIOD"),
    ("warehouseId", "INTEGER"),
)

# -- accounting and orders ---------------------------------------------------------------------
# accounting/journal/search.html (cut after leadSourceId): one row per journal line.
JOURNAL_SPEC: Spec = (
    ("journalId", "IDSET"),
    ("journalType", "STRING"),
    ("orderId", "IDSET"),
    ("invoiceReference", "SEARCH_STRING"),
    ("channelId", "INTEGER"),
    ("nominalCode", "STRING"),
    ("journalDate", "PERIOD"),  # "the date the journal was created"
    ("journalDebit", "STRING"),
    ("journalCredit", "STRING"),
    ("journalRef", "INTEGER"),
    ("currencyId", "INTEGER"),
    ("exchangeRate", "STRING"),
    ("transactionDebit", "STRING"),
    ("transactionCredit", "STRING"),
    ("projectId", "INTEGER"),
    ("leadSourceId", "INTEGER"),
)
# accounting/customer-payment/search.html and supplier-payment/search.html (both complete).
CUSTOMER_PAYMENT_SPEC: Spec = (
    ("paymentId", "IDSET"),
    ("transactionRef", "STRING"),
    ("transactionCode", "STRING"),
    ("paymentMethodCode", "STRING"),
    ("paymentType", "STRING"),
    ("orderId", "IDSET"),
    ("currencyId", "IDSET"),
    ("currencyCode", "STRING"),
    ("amountAuthorized", "STRING"),
    ("amountPaid", "STRING"),
    ("expires", "PERIOD"),
    ("paymentDate", "PERIOD"),
    ("createdOn", "PERIOD"),
    ("journalId", "IDSET"),
)
SUPPLIER_PAYMENT_SPEC: Spec = tuple(
    c for c in CUSTOMER_PAYMENT_SPEC if c[0] not in ("transactionCode", "amountAuthorized", "expires")
)
# order/order-note/search.html (complete); sorted by noteId.
ORDER_NOTE_SPEC: Spec = (
    ("orderId", "IDSET"),
    ("noteId", "IDSET"),
    ("contactId", "IDSET"),
    ("noteText", "SEARCH_STRING"),
    ("isPublic", "BOOLEAN"),
    ("dateAdded", "PERIOD"),
    ("addedBy", "IDSET"),
    ("orderStatusId", "IDSET"),
)
# accounting/currency/search.html (complete); sorted by id.
CURRENCY_SPEC: Spec = (
    ("id", "IDSET"),
    ("title", "STRING"),
    ("code", "STRING"),
    ("symbol", "STRING"),
    ("exchangeRate", "STRING"),
    ("isDefault", "BOOLEAN"),
    ("exchangeRateVarianceNominalCode", "STRING"),
)
# Third party only (contact-group-search, company-search: their pages are not stored).
# guess: every column but the id columns (id, companyId) the third parties key on.
CONTACT_GROUP_SPEC: Spec = (("id", "IDSET"), ("name", "STRING"), ("description", "STRING"))
COMPANY_SPEC: Spec = (("companyId", "IDSET"), ("name", "STRING"), ("createdOn", "PERIOD"), ("updatedOn", "PERIOD"))

# -- products ----------------------------------------------------------------------------------
_DATED: Spec = (("createdOn", "PERIOD"), ("updatedOn", "PERIOD"))
# product/brightpearl-category/search.html (complete); sorted by id. updatedBy reads updatedById.
CATEGORY_SPEC: Spec = (
    ("id", "INTEGER"),
    ("name", "STRING"),
    ("parentId", "INTEGER"),
    ("active", "BOOLEAN"),
    ("createdOn", "PERIOD"),
    ("createdById", "INTEGER"),
    ("updatedOn", "PERIOD"),
    ("updatedBy", "INTEGER"),
)
CATEGORY_READ: dict[str, Reader] = {"updatedBy": lambda r, x: r["updatedById"]}
# product/season/search.html (complete; its Sorting table is empty). dateFrom/dateTo are kept as
# millis in the extras. # guess: they show as local midnight timestamps, null when unset.
SEASON_SPEC: Spec = (
    ("id", "IDSET"),
    ("name", "STRING"),
    ("description", "STRING"),
    ("dateFrom", "PERIOD"),
    ("dateTo", "PERIOD"),
    *_DATED,
)
SEASON_READ: dict[str, Reader] = {
    "dateFrom": lambda r, x: x.get("dateFromText"),
    "dateTo": lambda r, x: x.get("dateToText"),
}
# Third party only (collection-search keyed collectionId; "a sub-resource of brand").
# guess: every other column.
COLLECTION_SPEC: Spec = (
    ("collectionId", "IDSET"),
    ("name", "STRING"),
    ("description", "STRING"),
    ("brandId", "INTEGER"),
    *_DATED,
)
# Brands and options are plain GETs (no search is documented); their records sit in a Table so
# touch() and delete_records() work on them. These columns are never served.
GET_ONLY_SPEC: Spec = (("id", "IDSET"), *_DATED)


def goods_out_table() -> Table:
    """warehouse-service/goods-note/goods-out-search; records are {"goodsOutNoteId", "note": body}."""
    return Table("goods-out-note", "goodsOutNoteId", columns(GOODS_OUT_SPEC, GOODS_OUT_READ))


def journal_table() -> Table:
    """accounting-service/journal-search: one row per journal line (records keyed by a hidden _row).

    Reported by a third party: a range filter on journalId is refused with a 500 CMNC-018.
    """
    return Table("journal", "_row", columns(JOURNAL_SPEC), quirks=frozenset({"no_id_ranges"}))
