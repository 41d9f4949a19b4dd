"""A fast record path for a large, flat, pre-sorted stream (installed_accounts).

The SDK spends most of each record on machinery this stream does not need: selection
masks, type conformance, stream maps, one message object and one dict per record. When
none of that can change a record (no stream maps, flattening or batch files for the
stream, every property selected, not a `--test` dry run, our own writer), `emit` writes
the same Singer lines straight from the records and keeps the bookmark exactly as the
SDK does for a sorted stream: it follows each record, and a STATE goes out every
`STATE_MSG_FREQUENCY` records, after the records it covers. Otherwise the SDK path runs.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from singer_sdk.contrib.msgspec import encoder
from singer_sdk.mapper import SameRecordTransform

from tap_brightpearl.writer import ChunkedMsgSpecWriter

if t.TYPE_CHECKING:
    from singer_sdk.streams.core import Stream

LINES_PER_WRITE = 512
CLOCK_EVERY = 64  # records sharing one time_extracted reading (well under a millisecond apart)


def blockers(stream: Stream) -> list[str]:
    """Why the fast path cannot run for `stream` (empty: it can)."""
    reasons = []
    if not isinstance(stream._tap.message_writer, ChunkedMsgSpecWriter):
        reasons.append("another message writer")
    maps = stream.stream_maps
    if len(maps) != 1 or type(maps[0]) is not SameRecordTransform or maps[0].stream_alias != stream.name:
        reasons.append("stream maps")
    if stream.config.get("flattening_enabled") or stream.config.get("batch_config"):
        reasons.append("flattening or batch files")
    if not all(stream.mask.values()):
        reasons.append("deselected properties")
    if stream.ABORT_AT_RECORD_COUNT is not None:
        reasons.append("a record limit (dry run)")
    if stream.child_streams or stream.replication_key is None or not stream.is_sorted:
        reasons.append("not a flat sorted stream")
    if stream.replication_method != "INCREMENTAL" and stream.emit_activate_version_messages:
        reasons.append("ACTIVATE_VERSION")
    return reasons


def emit(stream: Stream, records: t.Iterable[dict[str, t.Any]]) -> t.Iterator[dict[str, t.Any]]:
    """Write RECORD lines for `records` (already in replication-key order) and keep state.

    A generator like the SDK's `_sync_records`: it yields each record after writing it.
    """
    writer = t.cast("ChunkedMsgSpecWriter", stream._tap.message_writer)
    prefix = b'{"type":"RECORD","stream":' + encoder.encode(stream.name) + b',"record":'
    middle = b',"time_extracted":"'
    suffix = b'"}\n'
    key = t.cast("str", stream.replication_key)
    every = stream.STATE_MSG_FREQUENCY
    incremental = stream.replication_method == "INCREMENTAL"
    counter, timer = stream.get_record_counter(), stream.get_sync_timer()
    with counter, timer:
        stream._write_starting_replication_value(None)
        state = stream.stream_state
        buffer = bytearray()
        stamp = b""
        count = 0
        for record in records:
            if count % CLOCK_EVERY == 0:
                stamp = dt.datetime.now(dt.timezone.utc).isoformat().encode()
            buffer += prefix + encoder.encode(record) + middle + stamp + suffix
            count += 1
            if incremental:
                state["replication_key"] = key
                state["replication_key_value"] = record[key]
            if count % LINES_PER_WRITE == 0:
                writer.write_record_lines(buffer)
                buffer = bytearray()
                stream.state_manager.is_flushed = False
                counter.increment(LINES_PER_WRITE)
            if count % every == 0:
                writer.write_record_lines(buffer)
                buffer = bytearray()
                stream.state_manager.is_flushed = False
                stream._write_state_message()
            yield record
        writer.write_record_lines(buffer)
        counter.increment(count % LINES_PER_WRITE)
        if count:
            stream.state_manager.is_flushed = False
        stream._finalize_state(stream.stream_state)
        stream._write_state_message()
