"""Stream classes, one module per Brightpearl service."""

from tap_brightpearl.streams.developer_tools import AccountTimezonesStream, InstalledAccountsStream

__all__ = ["AccountTimezonesStream", "InstalledAccountsStream"]
