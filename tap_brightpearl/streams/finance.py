"""Each account's finance: journal lines, customer and supplier payments, price lists (prices: product_sets.py)."""

from __future__ import annotations

import typing as t

from typing_extensions import override

from tap_brightpearl.records import decoded
from tap_brightpearl.search import Resource
from tap_brightpearl.streams.readers import SearchStream, SnapshotStream

Item = dict[str, t.Any]
PAYMENT_COLUMNS = ("createdOn",)


class JournalsStream(SearchStream):
    """Journal lines: one record per credit or debit line of each journal (incremental on createdOn).

    createdOn rather than journalDate: a journal can be dated in the past when it is entered.
    """

    name = "journals"
    primary_keys = ("accountCode", "journalId", "side", "lineIndex")
    resource = Resource(
        "accounting-service/journal-search",
        "journalId",
        "accounting-service/journal",
        200,
        "id",
        changed=("createdOn",),
    )

    @override
    def explode(self, item: Item) -> list[Item]:
        """Each credit and debit line, with the journal's own members and its id."""
        journal = {k: v for k, v in item.items() if k not in ("credits", "debits", "id")}
        lines: list[Item] = []
        for side, member in (("credit", "credits"), ("debit", "debits")):
            for index, line in enumerate(decoded(item.get(member)) or []):
                if isinstance(line, dict):
                    lines.append(
                        {"journalId": decoded(item.get("id")), "side": side, "lineIndex": index, **journal, **line}
                    )
        return lines


class CustomerPaymentsStream(SearchStream):
    """Customer payments (the search rows), incremental on createdOn: they have no updatedOn."""

    name = "customer_payments"
    primary_keys = ("accountCode", "paymentId")
    resource = Resource("accounting-service/customer-payment-search", "paymentId", changed=PAYMENT_COLUMNS)


class SupplierPaymentsStream(SearchStream):
    """Supplier payments, incremental on createdOn.

    Its search is reported to ignore range filters and always claim 500 results: the tap pages
    until a page brings nothing new, and keeps the rows created since the bookmark itself.
    """

    name = "supplier_payments"
    primary_keys = ("accountCode", "paymentId")
    resource = Resource(
        "accounting-service/supplier-payment-search", "paymentId", changed=PAYMENT_COLUMNS, filters_ignored=True
    )


class PriceListsStream(SnapshotStream):
    """Price lists, read whole every run."""

    name = "price_lists"
    primary_keys = ("accountCode", "id")
    resource_path = "product-service/price-list"
