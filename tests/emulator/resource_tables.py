"""Search tables for the resources beyond orders, products and contacts.

Most of these searches are all there is of a resource (no detail GET: "the rows are the
records"), so a record here is simply a dict of its column values. Dated columns other than
createdOn/updatedOn keep their epoch millis in the record's extras, so PERIOD filters and
sorting compare instants, never text. Column lists follow the docs where they name columns
(see ../shared/brightpearl-api.md, "More resources"); the JSON types and flags are guesses
unless a comment says otherwise.
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


def row_table(resource: str, id_field: str, spec: Spec, quirks: frozenset[str] = frozenset()) -> Table:
    """A search whose rows are the records."""
    return Table(resource, id_field, columns(spec), quirks=quirks)


def add_row(table: Table, record: Record, created: int, updated: int | None = None, **instants: Any) -> None:
    """Register a record with its createdOn/updatedOn millis and any other dated column's millis."""
    table.add(record, created, updated, dict(instants) or None)


# -- the column lists -------------------------------------------------------------------------
# Goods-out notes (doc: these columns, and no updatedOn). # guess: their reportDataTypes and order.
# The detail body is kept as record["note"].
GOODS_OUT_SPEC: Spec = (
    ("goodsOutNoteId", "IDSET"),
    ("orderId", "INTEGER"),
    ("warehouseId", "INTEGER"),
    ("createdOn", "PERIOD"),
    ("releaseDate", "PERIOD"),
    ("shippedOn", "PERIOD"),  # null until shipped
    ("printed", "BOOLEAN"),
    ("picked", "BOOLEAN"),
    ("packed", "BOOLEAN"),
    ("shipped", "BOOLEAN"),
)
GOODS_OUT_READ: dict[str, Reader] = {
    "orderId": lambda r, x: r["note"]["orderId"],
    "warehouseId": lambda r, x: r["note"]["warehouseId"],
    "createdOn": lambda r, x: r["note"]["createdOn"],
    "releaseDate": lambda r, x: r["note"]["releaseDate"],
    "shippedOn": lambda r, x: r["note"]["status"].get("shippedOn"),
    **{
        flag: (lambda f: lambda r, x: r["note"]["status"][f])(flag)
        for flag in ("printed", "picked", "packed", "shipped")
    },
}
# Goods movements (3rd: filterable on updatedOn; doc: goodsNoteTypeCode, SC = stock correction).
# guess: the other columns, all reportDataTypes.
GOODS_MOVEMENT_SPEC: Spec = (
    ("goodsMovementId", "IDSET"),
    ("productId", "INTEGER"),
    ("warehouseId", "INTEGER"),
    ("locationId", "INTEGER"),
    ("goodsNoteId", "INTEGER"),
    ("goodsNoteTypeCode", "STRING"),  # guess: GO, GI and TR beside the documented SC
    ("quantity", "INTEGER"),  # guess: an INTEGER column (stock leaving is negative)
    ("createdOn", "PERIOD"),
    ("updatedOn", "PERIOD"),
)
# Goods-in notes (doc: one row per batch and location, createdDate / receivedDate). # guess: the rest.
GOODS_IN_SPEC: Spec = (
    ("goodsNoteId", "IDSET"),
    ("purchaseOrderId", "INTEGER"),
    ("productId", "INTEGER"),
    ("warehouseId", "INTEGER"),
    ("locationId", "INTEGER"),
    ("batchId", "INTEGER"),
    ("quantity", "INTEGER"),
    ("createdDate", "PERIOD"),
    ("receivedDate", "PERIOD"),
)
LOCATION_SPEC: Spec = (  # guess: every column (3rd: location-search exists and has updatedOn)
    ("locationId", "IDSET"),
    ("warehouseId", "INTEGER"),
    ("name", "STRING"),
    ("createdOn", "PERIOD"),
    ("updatedOn", "PERIOD"),
)
# Journals (doc: journal-search, dated journalDate). # guess: the other columns, one row per journal
# (the doc speaks of one row per journal line; this emulator keeps lines in the detail GET only).
JOURNAL_SPEC: Spec = (
    ("journalId", "IDSET"),
    ("journalTypeCode", "STRING"),
    ("journalDate", "PERIOD"),
    ("createdOn", "PERIOD"),
    ("contactId", "INTEGER"),
    ("orderId", "INTEGER"),
    ("description", "STRING"),
)
JOURNAL_READ: dict[str, Reader] = {
    "journalId": lambda r, x: r["id"],
    "journalDate": lambda r, x: r["taxDate"],
}
# Customer and supplier payments (doc: dated createdOn and paymentDate, no updatedOn). # guess: the rest.
PAYMENT_SPEC: Spec = (
    ("paymentId", "IDSET"),
    ("transactionRef", "STRING"),
    ("transactionCode", "STRING"),
    ("paymentMethodCode", "STRING"),
    ("paymentType", "STRING"),  # guess: RECEIPT | PAYMENT
    ("orderId", "INTEGER"),
    ("currencyId", "INTEGER"),
    ("currencyCode", "STRING"),
    ("amountPaid", "STRING"),  # guess: money as a string, like every recorded Brightpearl amount
    ("paymentDate", "PERIOD"),
    ("createdOn", "PERIOD"),
    ("journalId", "INTEGER"),
)
ORDER_NOTE_SPEC: Spec = (  # doc: dated dateAdded. # guess: the other columns
    ("noteId", "IDSET"),
    ("orderId", "INTEGER"),
    ("text", "STRING"),
    ("addedBy", "INTEGER"),
    ("dateAdded", "PERIOD"),
    ("isPublic", "BOOLEAN"),
)
# Reference searches (3rd: each has updatedOn). # guess: every other column.
_DATED: Spec = (("createdOn", "PERIOD"), ("updatedOn", "PERIOD"))
REFERENCE_SPECS: dict[str, tuple[str, Spec]] = {
    "brand": ("brandId", (("brandId", "IDSET"), ("name", "STRING"), ("description", "STRING"), *_DATED)),
    "category": (
        "id",
        (("id", "IDSET"), ("name", "STRING"), ("parentId", "INTEGER"), ("active", "BOOLEAN"), *_DATED),
    ),
    "season": ("id", (("id", "IDSET"), ("name", "STRING"), ("description", "STRING"), *_DATED)),
    "collection": ("id", (("id", "IDSET"), ("name", "STRING"), ("description", "STRING"), *_DATED)),
    "product-type": ("id", (("id", "IDSET"), ("name", "STRING"), *_DATED)),
    "option": ("optionId", (("optionId", "IDSET"), ("optionName", "STRING"), *_DATED)),
    "option-value": (
        "optionValueId",
        (
            ("optionValueId", "IDSET"),
            ("optionId", "INTEGER"),
            ("optionValueName", "STRING"),
            ("sortOrder", "INTEGER"),
            *_DATED,
        ),
    ),
}


def goods_out_table() -> Table:
    """warehouse-service/goods-note/goods-out-search; records are {"goodsOutNoteId", "note": body}."""
    return Table("goods-out-note", "goodsOutNoteId", columns(GOODS_OUT_SPEC, GOODS_OUT_READ))


def journal_table() -> Table:
    """accounting-service/journal-search; records are the journal detail bodies.

    Reported by a third party: a range filter on journalId is refused with a 500 CMNC-018.
    """
    return Table("journal", "id", columns(JOURNAL_SPEC, JOURNAL_READ), quirks=frozenset({"no_id_ranges"}))
