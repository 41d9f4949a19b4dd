"""Stream classes, one module per kind of Brightpearl access."""

from tap_brightpearl.streams.account_data import (
    AccountConfigurationStream,
    ContactsStream,
    OrdersStream,
    ProductsStream,
    WarehousesStream,
)
from tap_brightpearl.streams.developer_tools import AccountTimezonesStream, InstalledAccountsStream

ACCOUNT_STREAMS = (OrdersStream, ProductsStream, ContactsStream, WarehousesStream, AccountConfigurationStream)

__all__ = [
    "ACCOUNT_STREAMS",
    "AccountConfigurationStream",
    "AccountTimezonesStream",
    "ContactsStream",
    "InstalledAccountsStream",
    "OrdersStream",
    "ProductsStream",
    "WarehousesStream",
]
