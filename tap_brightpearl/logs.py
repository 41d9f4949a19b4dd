"""Log lines a person can read: the SDK's per-partition and metric chatter goes to DEBUG.

A run over 50 accounts used to write 600 lines, most of them METRIC or the same SDK line
once per account. Here the SDK's METRIC lines appear only at DEBUG (or with the
`log_metrics` setting), and the SDK lines that repeat per partition or duplicate the tap's
own report are shown only at DEBUG.
"""

from __future__ import annotations

import logging
import typing as t

from singer_sdk.metrics import get_metrics_logger
from typing_extensions import override

#: SDK messages (as formatted) that repeat per account or restate the tap's own lines
QUIET = (
    "Starting incremental sync of '",
    "Skipping deselected stream '",
    "Skipping parse of env var settings",
    "An unhandled error occurred while syncing '",
    "Total Sync costs for stream",
    "New replication value is null",
)


class _Quiet(logging.Filter):
    """Show QUIET messages only when DEBUG is on, as DEBUG lines."""

    def __init__(self, debug: t.Callable[[], bool]) -> None:
        super().__init__()
        self._debug = debug

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO or record.levelno > logging.ERROR:
            return True
        message = str(record.msg)
        if not message.startswith(QUIET):
            return True
        if not self._debug():
            return False
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


_QUIET = _Quiet(lambda: logging.getLogger("tap-brightpearl").getEffectiveLevel() <= logging.DEBUG)
logging.getLogger("tap-brightpearl").addFilter(_QUIET)  # lines the tap logs before handlers exist
_installed: list[_Quiet] = []


def tidy(*, plugin_logger: logging.Logger, log_metrics: bool) -> None:
    """Quiet the SDK's chatter on every handler of the root logger (once per process)."""
    metrics = get_metrics_logger()
    debug = plugin_logger.getEffectiveLevel() <= logging.DEBUG
    if not log_metrics and not debug:
        metrics.setLevel(logging.WARNING)
    if _installed:
        return
    _installed.append(_QUIET)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_QUIET)
