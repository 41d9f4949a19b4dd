"""What a state file may hold, checked before the run trusts it.

A state comes from Meltano, an orchestrator or a person editing a file. Anything this tap
cannot use stops the run at start-up with one line naming the key (a silently ignored
bookmark would re-read or skip data); a bookmark dated after the run's start (a clock
error, a hostile answer kept by an older version) is pulled back to the start, with a
WARNING, so it cannot hide every later change.
"""

from __future__ import annotations

import datetime as dt
import logging
import typing as t

from tap_brightpearl.datacenters import is_datacentre_code
from tap_brightpearl.errors import BrightpearlError
from tap_brightpearl.idsets import MAX_IDS, MAX_RANGES, IdSetError, Ranges
from tap_brightpearl.installs import format_utc, parse_utc

LOGGER = logging.getLogger("tap_brightpearl.state")
MAX_PARTITIONS = 1_000_000  # one per account: far above any app's installs
DATE_KEYS = ("replication_key_value", "starting_replication_value", "replication_key_signpost")


class StateError(BrightpearlError):
    """The state cannot be used; the message names the key."""


def _fail(path: str, what: str) -> t.NoReturn:
    raise StateError(
        f"state: {path} {what}; fix or remove it in the state file (Meltano: `meltano state` commands), "
        "or run without state to read everything again"
    )


def _check_bookmark(state: dict[str, t.Any], path: str, *, now: dt.datetime, ceiling: dt.datetime) -> None:
    value = state.get("replication_key_value")
    if value is None or "replication_key_value" not in state:
        return
    if not isinstance(value, str):
        _fail(f"{path}.replication_key_value", f"is not a date-time (it is {type(value).__name__})")
    moment = parse_utc(value)
    if moment is None:
        _fail(f"{path}.replication_key_value", "is not a date-time")
    if moment > ceiling:
        LOGGER.warning(
            "state: %s.replication_key_value %s is after this run's start; reading from %s instead",
            path,
            value[:40],
            format_utc(now),
        )
        state["replication_key_value"] = format_utc(now)


def check_state(state: object, *, now: dt.datetime, ceiling: dt.datetime) -> None:
    """Raise StateError naming the first unusable key; pull future bookmarks back to `now` (in place)."""
    if not state:
        return
    if not isinstance(state, dict):
        _fail("(the whole state)", "is not a JSON object")
    bookmarks = state.get("bookmarks", {})
    if bookmarks is None:
        return
    if not isinstance(bookmarks, dict):
        _fail("bookmarks", "is not an object of streams")
    for stream, entry in bookmarks.items():
        path = f"bookmarks.{stream}"
        if not isinstance(entry, dict):
            _fail(path, "is not an object")
        _check_bookmark(entry, path, now=now, ceiling=ceiling)
        partitions = entry.get("partitions", [])
        if not isinstance(partitions, list):
            _fail(f"{path}.partitions", "is not a list")
        if len(partitions) > MAX_PARTITIONS:
            _fail(
                f"{path}.partitions",
                f"holds {len(partitions):,} partitions (at most {MAX_PARTITIONS:,}, one per account)",
            )
        for index, partition in enumerate(partitions):
            where = f"{path}.partitions[{index}]"
            if not isinstance(partition, dict) or not isinstance(partition.get("context", {}), dict):
                _fail(where, "is not an object with a context object")
            _check_bookmark(partition, where, now=now, ceiling=ceiling)
            if "ids" in partition:
                try:
                    Ranges.parse(partition["ids"])
                except IdSetError as exc:
                    _fail(
                        f"{where}.ids",
                        f"{exc}: it must be an ID set like 1-100,105 naming at most {MAX_IDS:,} ids "
                        f"in at most {MAX_RANGES:,} ranges",
                    )
        centres = entry.get("dataCenters")
        if centres is not None:
            if not isinstance(centres, dict):
                _fail(f"{path}.dataCenters", "is not an object of accountCode -> datacentre code")
            bad = [k for k, v in centres.items() if not is_datacentre_code(v)]
            if bad:
                _fail(f"{path}.dataCenters[{bad[0]!r}]", "is not a datacentre code")
