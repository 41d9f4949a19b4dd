"""Every stream the tap offers, in the order a run syncs them.

installed_accounts first (who installed the app), then account_timezones, then each
account's business data, one row each (catalog.py), then the user's custom_streams. A run
that fails late has still delivered the installs.
"""

from __future__ import annotations

import typing as t

from tap_brightpearl.catalog import ROWS
from tap_brightpearl.rows import Row
from tap_brightpearl.streams.developer_tools import AccountTimezonesStream, InstalledAccountsStream

DEVELOPER_TOOLS_STREAMS = (InstalledAccountsStream, AccountTimezonesStream)
BUILTIN_NAMES = frozenset({*(s.name for s in DEVELOPER_TOOLS_STREAMS), *(row.name for row in ROWS)})


def account_rows(custom_streams: t.Iterable[t.Mapping[str, t.Any]]) -> tuple[Row, ...]:
    """The built-in rows, then one per custom_streams entry (checked at start-up by rows.setting_problems)."""
    return (*ROWS, *(Row.from_setting(entry) for entry in custom_streams))
