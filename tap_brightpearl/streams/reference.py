"""Each account's reference data: the small lists and searches that say what ids in other records mean.

Lists are read whole every run; searches that offer updatedOn are incremental on it. Every
path and shape here is a guess (no recording shows them; from Brightpearl's docs and
third-party clients): a member the schema does not expect lands in otherMembers, and a path an
account refuses fails only this stream.
"""

from __future__ import annotations

import typing as t

from typing_extensions import override

from tap_brightpearl.errors import NothingFoundError
from tap_brightpearl.records import decoded
from tap_brightpearl.search import Resource, chunks, id_set
from tap_brightpearl.streams.readers import SearchStream, SnapshotStream

Item = dict[str, t.Any]

# stream -> GET path of a list read whole every run (key: id)
LISTS: dict[str, str] = {
    "order_statuses": "order-service/order-status",
    "order_stock_statuses": "order-service/order-stock-status",
    "order_shipping_statuses": "order-service/order-shipping-status",
    "order_types": "order-service/order-type",
    "channels": "product-service/channel",
    "tax_codes": "accounting-service/tax-code",
    "nominal_codes": "accounting-service/nominal-code",
    "currencies": "accounting-service/currency",
    "payment_methods": "accounting-service/payment-method",
    "shipping_methods": "warehouse-service/shipping-method",
    "contact_groups": "contact-service/contact-group",
    "companies": "contact-service/company",
    "lead_sources": "contact-service/lead-source",
}
# stream -> (search path, id column), incremental on updatedOn (else createdOn)
SEARCHES: dict[str, tuple[str, str]] = {
    "brands": ("product-service/brand-search", "brandId"),
    "categories": ("product-service/brightpearl-category-search", "id"),
    "seasons": ("product-service/season-search", "id"),
    "collections": ("product-service/collection-search", "id"),
    "product_types": ("product-service/product-type-search", "id"),
    "product_options": ("product-service/option-search", "optionId"),
    "product_option_values": ("product-service/option-value-search", "optionValueId"),
    "warehouse_locations": ("warehouse-service/location-search", "locationId"),
}
MEMBERS_PATH = "contact-service/contact-group-member"  # guess: takes group ID sets, answers group id -> contacts
GROUPS_PER_GET = 200  # guess: the usual ID-set cap
CUSTOM_FIELD_RESOURCES = {
    "sale": "order-service/sale/custom-field-meta-data",
    "purchase": "order-service/purchase/custom-field-meta-data",
    "product": "product-service/product/custom-field-meta-data",
    "customer": "contact-service/customer/custom-field-meta-data",
    "supplier": "contact-service/supplier/custom-field-meta-data",
}


def _class_name(stream: str) -> str:
    return "".join(part.title() for part in stream.split("_")) + "Stream"


def list_stream(name: str, path: str) -> type[SnapshotStream]:
    """A stream for one reference list."""
    return type(
        _class_name(name),
        (SnapshotStream,),
        {"name": name, "primary_keys": ("accountCode", "id"), "resource_path": path, "__doc__": f"{path}, whole."},
    )


def search_stream(name: str, path: str, id_column: str) -> type[SearchStream]:
    """A stream for one reference search, incremental on updatedOn."""
    return type(
        _class_name(name),
        (SearchStream,),
        {
            "name": name,
            "primary_keys": ("accountCode", id_column),
            "resource": Resource(path, id_column),
            "__doc__": f"{path}, incremental on updatedOn.",
        },
    )


class ContactGroupMembersStream(SnapshotStream):
    """Which contacts are in which contact group: one record per (group, contact)."""

    name = "contact_group_members"
    primary_keys = ("accountCode", "groupId", "contactId")

    @override
    def read(self, account: t.Any, datacentre: str) -> t.Iterator[list[Item]]:
        """The groups first, then their members in ID sets; each answer is a map group id -> contact ids."""
        groups = self.account_get(account, datacentre, LISTS["contact_groups"])
        ids = sorted(
            {g["id"] for g in groups if isinstance(g, dict) and isinstance(g.get("id"), int)}
            if isinstance(groups, list)
            else set()
        )
        for group_ids in chunks(ids, GROUPS_PER_GET):
            try:
                payload = self.account_get(account, datacentre, f"{MEMBERS_PATH}/{id_set(group_ids)}")
            except NothingFoundError:
                continue  # none of these groups has members (or exists any more)
            pairs = [
                {"groupId": int(group), "contactId": contact}
                for group, contacts in (payload.items() if isinstance(payload, dict) else ())
                if str(group).isdigit()
                for contact in (decoded(contacts) or [])
            ]
            yield self.keyed_records(pairs, account.accountCode)


class CustomFieldsStream(SnapshotStream):
    """What each custom field means, for sales and purchase orders, products, customers and suppliers."""

    name = "custom_fields"
    primary_keys = ("accountCode", "resource", "id")

    @override
    def read(self, account: t.Any, datacentre: str) -> t.Iterator[list[Item]]:
        """One GET per kind of record; each field tagged with the kind (`resource`)."""
        for resource, path in CUSTOM_FIELD_RESOURCES.items():
            payload = self.account_get(account, datacentre, path)
            fields = [{"resource": resource, **f} for f in payload or [] if isinstance(f, dict)]
            yield self.keyed_records(fields, account.accountCode)


REFERENCE_STREAMS: tuple[type, ...] = (
    *(list_stream(name, path) for name, path in LISTS.items()),
    ContactGroupMembersStream,
    CustomFieldsStream,
    *(search_stream(name, path, column) for name, (path, column) in SEARCHES.items()),
)
