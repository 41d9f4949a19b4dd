"""The singer-sdk standard tap and stream tests, run against the emulator over real HTTP."""

from __future__ import annotations

import atexit

from singer_sdk.testing import get_tap_test_class

from tap_brightpearl.catalog import ROWS
from tap_brightpearl.stream_list import DEVELOPER_TOOLS_STREAMS
from tap_brightpearl.tap import TapBrightpearl
from tests.conftest import DEV_SECRET, DEV_TOKEN, catalog_selecting
from tests.emulator import Emulator

# The SDK builds its test class at import time from a config, so the emulator
# starts here and lives for the whole session.
_EMULATOR = Emulator(n_accounts=25, seed=5, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET).start()
atexit.register(_EMULATOR.stop)

_CONFIG = _EMULATOR.tap_config(start_date="2000-01-01T00:00:00Z")

# Every stream selected, account streams included: they are opt-in for a public app.
_EVERY_STREAM = (*(s.name for s in DEVELOPER_TOOLS_STREAMS), *(row.name for row in ROWS))
TestTapBrightpearl = get_tap_test_class(
    tap_class=TapBrightpearl,
    config=_CONFIG,
    catalog=catalog_selecting(_CONFIG, _EVERY_STREAM),
)
