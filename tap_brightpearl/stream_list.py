"""Every stream the tap offers, in the order a run syncs them.

installed_accounts first (who installed the app), then account_timezones, then each
account's business data: a run that fails late has still delivered the installs.
"""

from __future__ import annotations

from tap_brightpearl.streams.business import (
    AccountConfigurationStream,
    ContactsStream,
    OrdersStream,
    ProductsStream,
    WarehousesStream,
)
from tap_brightpearl.streams.developer_tools import AccountTimezonesStream, InstalledAccountsStream

DEVELOPER_TOOLS_STREAMS = (InstalledAccountsStream, AccountTimezonesStream)
ACCOUNT_STREAMS = (OrdersStream, ProductsStream, ContactsStream, WarehousesStream, AccountConfigurationStream)
