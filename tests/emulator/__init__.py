"""A fake Brightpearl for tests and benchmarks: real HTTP, several datacentres, no network."""

from .account_data import AccountData
from .data import Account, make_accounts, sign
from .emulator import Emulator, RequestLogEntry

__all__ = ["Account", "AccountData", "Emulator", "RequestLogEntry", "make_accounts", "sign"]
