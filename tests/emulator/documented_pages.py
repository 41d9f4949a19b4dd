"""Shapes documented by a reference page whose example is not stored as a body under docs/.

Each Shape names the page it was read from (see /work/evidence-table.md and
../shared/brightpearl-api.md, "Evidence per stream"); a member marked ``# guess`` is not on the
page. Generators build these items through ``Shape.item`` as they do the docs/ ones.
"""

from __future__ import annotations

from .documented import Shape

_I, _S, _B, _O, _A = "integer", "string", "boolean", "object", "array"
API = "https://api-docs.brightpearl.com"


def page(name: str, url: str, spec: tuple[tuple[str, str], ...]) -> Shape:
    """A Shape from (member, JSON type) pairs; a trailing "?" marks a member some items leave out."""
    members = tuple((m.rstrip("?"), frozenset({kind})) for m, kind in spec)
    optional = frozenset(m.rstrip("?") for m, _ in spec if m.endswith("?"))
    return Shape(name, members, optional, url)


ORDER_STOCK_STATUSES = page(
    "order_stock_statuses", f"{API}/order/order-stock-status/get.html", (("id", _I), ("code", _S), ("description", _S))
)
SHIPPING_METHODS = page(  # Example 1: code, carrier and channelBrandTemplates are left out when unset
    "shipping_methods",
    f"{API}/warehouse/shipping-method/get.html",
    (
        ("id", _I),
        ("name", _S),
        ("code?", _S),
        ("breaks", _S),  # a comma-separated string
        ("methodType", _I),
        ("additionalInformationRequired", _B),
        ("carrier?", _S),
        ("countries", _S),  # a comma-separated string, "" for none
        ("channelBrandTemplates?", _O),  # channel brand id -> template id
    ),
)
OPTION_VALUES = page(  # option/{ids}/value; the page's description also names a sort order (not in its example)
    "option_values",
    f"{API}/product/option-value/get.html",
    (("optionValueId", _I), ("optionValueName", _S), ("optionId", _I)),
)
PRODUCT_TYPES = page(  # associations only where the type has options
    "product_types", f"{API}/product/product-type/get.html", (("id", _I), ("name", _S), ("associations?", _O))
)
CATEGORIES = page(
    "categories",
    f"{API}/product/brightpearl-category/get.html",
    (
        ("id", _I),
        ("name", _S),
        ("parentId", _I),  # 0: a root category
        ("active", _B),
        ("createdOn", _S),
        ("createdById", _I),
        ("updatedOn", _S),
        ("updatedById", _I),
        ("description", _O),  # {languageCode, text, format}
    ),
)
SEASONS = page(  # dateFrom and dateTo are yyyy-mm-dd, absent when unset
    "seasons",
    f"{API}/product/season/get.html",
    (("id", _I), ("name", _S), ("description", _S), ("dateFrom?", _S), ("dateTo?", _S)),
)
JOURNALS = page(  # answered as {"response": {"journals": [...]}}
    "journals",
    f"{API}/accounting/journal/get.html",
    (
        ("id", _I),
        ("contactId", _I),
        ("journalTypeCode", _S),
        ("taxDate", _S),
        ("dueDate", _S),
        ("createdOn", _S),
        ("createdByContactId", _I),
        ("taxReconciliation?", _O),  # guess: absent until the journal is tax-reconciled
        ("credits", _A),
        ("debits", _A),
        ("currencyId", _I),
        ("exchangeRate", _S),
    ),
)
JOURNAL_LINES = page(
    "journal_lines",
    f"{API}/accounting/journal/get.html",
    (
        ("nominalCode", _S),
        ("change", _O),  # {"value": "15.66"}
        ("assignment", _O),  # channelId, and projectId / leadSourceId when set
        ("orderId", _I),
        ("invoiceReference", _S),
        ("taxCode", _S),
        ("transactionAmount", _S),
    ),
)
GOODS_IN_NOTES = page(  # a map goods-in note id -> note
    "goods_in_notes",
    f"{API}/warehouse/goods-in-note/get.html",
    (
        ("goodsNoteId", _I),
        ("orderId", _I),
        ("transfer", _B),
        ("goodsNoteStatus", _S),  # OPEN, CLOSED or CANCELLED
        ("userBatchReference?", _S),  # "optional but unique"
        ("receivedOn", _S),
        ("createdBy", _I),
        ("goodsMoved", _A),
    ),
)
GOODS_IN_MOVES = page(  # the page's table is cut after "cleared"
    "goods_in_moves",
    f"{API}/warehouse/goods-in-note/get.html",
    (
        ("productId", _I),
        ("purchaseOrderRowId", _I),
        ("quantity", _I),  # written "Quantity" in the page's table, "quantity" in its POST example
        ("warehouseId", _I),
        ("destinationLocationId", _I),
        ("goodsNoteId", _I),
        ("batchGoodsNoteId", _I),  # "the batchId of the stock"
        ("productValue", _O),  # {currency, value: a decimal string}
        ("cleared", _B),  # guess: the JSON type (the page is cut at its row)
    ),
)
