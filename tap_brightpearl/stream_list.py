"""Every stream the tap offers, in the order a run syncs them.

installed_accounts first (who installed the app), then account_timezones, then each
account's business data: core records, their neighbours, inventory, finance, then the
reference data that says what their ids mean. A run that fails late has still delivered
the installs.
"""

from __future__ import annotations

from tap_brightpearl.streams.business import (
    AccountConfigurationStream,
    ContactsStream,
    OrderNotesStream,
    OrdersStream,
    ProductsStream,
    WarehousesStream,
)
from tap_brightpearl.streams.developer_tools import AccountTimezonesStream, InstalledAccountsStream
from tap_brightpearl.streams.finance import (
    CustomerPaymentsStream,
    JournalsStream,
    PriceListsStream,
    SupplierPaymentsStream,
)
from tap_brightpearl.streams.inventory import GoodsInNotesStream, GoodsMovementsStream, GoodsOutNotesStream
from tap_brightpearl.streams.product_sets import ProductPricesStream, StockLevelsStream
from tap_brightpearl.streams.reference import REFERENCE_STREAMS

DEVELOPER_TOOLS_STREAMS = (InstalledAccountsStream, AccountTimezonesStream)
ACCOUNT_STREAMS = (
    OrdersStream,
    ProductsStream,
    ContactsStream,
    WarehousesStream,
    AccountConfigurationStream,
    OrderNotesStream,
    GoodsOutNotesStream,
    GoodsInNotesStream,
    GoodsMovementsStream,
    StockLevelsStream,
    JournalsStream,
    CustomerPaymentsStream,
    SupplierPaymentsStream,
    PriceListsStream,
    ProductPricesStream,
    *REFERENCE_STREAMS,
)
