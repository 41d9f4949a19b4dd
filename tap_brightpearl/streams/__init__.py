"""Stream classes, one module per kind of Brightpearl data, in the order a run syncs them."""

from tap_brightpearl.streams.business import (
    ACCOUNT_STREAMS,
    AccountConfigurationStream,
    ContactsStream,
    OrdersStream,
    ProductsStream,
    WarehousesStream,
)
from tap_brightpearl.streams.developer_tools import AccountTimezonesStream, InstalledAccountsStream

DEVELOPER_TOOLS_STREAMS = (InstalledAccountsStream, AccountTimezonesStream)

__all__ = [
    "ACCOUNT_STREAMS",
    "DEVELOPER_TOOLS_STREAMS",
    "AccountConfigurationStream",
    "AccountTimezonesStream",
    "ContactsStream",
    "InstalledAccountsStream",
    "OrdersStream",
    "ProductsStream",
    "WarehousesStream",
]
