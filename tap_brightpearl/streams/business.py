"""Each account's core business data: orders, products, contacts, warehouses, settings."""

from __future__ import annotations

import functools
import typing as t

from typing_extensions import override

from tap_brightpearl.records import OTHER, flatten_map
from tap_brightpearl.search import Resource
from tap_brightpearl.streams.readers import SearchStream, SnapshotStream

if t.TYPE_CHECKING:
    from tap_brightpearl.modes import Account
    from tap_brightpearl.streams.account_data import Batch


class OrdersStream(SearchStream):
    """Orders and credits (sales and purchase) with their rows, flattened from Brightpearl's map."""

    name = "orders"
    primary_keys = ("accountCode", "id")
    deletable = True
    resource = Resource(
        "order-service/order-search", "orderId", "order-service/order", 200, "id", include_optional="customFields"
    )
    # orderRows {"rowId": {...}} becomes a list with orderRowId inside.
    converters: t.ClassVar[dict[str, t.Callable[[t.Any], t.Any]]] = {
        "orderRows": functools.partial(flatten_map, id_name="orderRowId")
    }


class ProductsStream(SearchStream):
    """Products, with their custom fields."""

    name = "products"
    primary_keys = ("accountCode", "id")
    deletable = True
    resource = Resource(
        "product-service/product-search",
        "productId",
        "product-service/product",
        200,
        "id",
        include_optional="customFields",
    )


class ContactsStream(SearchStream):
    """Contacts; custom fields and postal addresses where the account offers them (a guess: not recorded)."""

    name = "contacts"
    primary_keys = ("accountCode", "contactId")
    deletable = True
    resource = Resource(
        "contact-service/contact-search",
        "contactId",
        "contact-service/contact",
        200,
        "contactId",
        include_optional="customFields,postalAddresses",
    )


class OrderNotesStream(SearchStream):
    """Order notes (the search rows), incremental on dateAdded: a guess, no recording shows them."""

    name = "order_notes"
    primary_keys = ("accountCode", "noteId")
    resource = Resource("order-service/order-note-search", "noteId", changed=("dateAdded",))


class WarehousesStream(SnapshotStream):
    """Warehouses, read whole every run."""

    name = "warehouses"
    primary_keys = ("accountCode", "id")
    resource_path = "warehouse-service/warehouse"


class AccountConfigurationStream(SnapshotStream):
    """Account settings (time zone, base currency, ...): one record per account.

    Brightpearl nests them under `configuration`; the record carries them at the top level,
    each as the string Brightpearl sends, and anything beside `configuration` in otherMembers.
    """

    name = "account_configuration"
    primary_keys = ("accountCode",)
    resource_path = "integration-service/account-configuration"

    @override
    def read(self, account: Account, datacentre: str) -> t.Iterator[Batch]:
        """One GET, one record."""
        payload = self.account_get(account, datacentre, self.resource_path)
        if not isinstance(payload, dict):
            self.logger.warning(
                "%s: account %r answered %s; nothing read", self.name, account.accountCode, type(payload).__name__
            )
            yield []
            return
        settings = payload.get("configuration")
        if isinstance(settings, dict):
            beside = {k: v for k, v in payload.items() if k != "configuration"}
            record = self.shaper.shape(settings, account.accountCode)
            if beside:
                record[OTHER] = {**record.get(OTHER, {}), **beside}
        else:  # an older or other shape: the members themselves
            record = self.shaper.shape(payload, account.accountCode)
        yield [record]
