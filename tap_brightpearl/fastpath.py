"""A fast record path for streams whose records need nothing from the SDK's per-record pipeline.

The SDK spends most of each record on machinery these streams do not use: selection
masks, type conformance, stream maps, one message object per record. When none of that
can change a record (no stream maps, flattening or batch files, every property selected,
not a `--test` dry run, our own writer) and the stream builds records that already match
its schema, `emit` writes the same Singer lines straight from the records. It keeps the
SDK's state rules: partitions one after another, the bookmark advanced per record through
the SDK's own `_increment_stream_state`, a STATE every `STATE_MSG_FREQUENCY` records, after a
partition completes once STATE_EVERY_SECONDS have passed, and at the end, and never a STATE
that vouches for records not yet handed to the writer.
"""

from __future__ import annotations

import datetime as dt
import time
import typing as t

from singer_sdk.contrib.msgspec import encoder
from singer_sdk.mapper import SameRecordTransform

from tap_brightpearl import sdk_private
from tap_brightpearl.writer import ChunkedMsgSpecWriter

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.core import Stream

LINES_PER_WRITE = 512
# A STATE after an account's partition completes, once this long has passed since the last: a run
# killed mid-stream resumes from the accounts it finished (a STATE only at a stream's end lost them all).
STATE_EVERY_SECONDS = 5.0
CLOCK_EVERY = 64  # records sharing one time_extracted reading (well under a millisecond apart)


def blockers(stream: Stream, writer: object) -> list[str]:
    """Why the fast path cannot run for `stream` writing to `writer` (empty: it can)."""
    reasons = []
    if not isinstance(writer, ChunkedMsgSpecWriter):
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
    if stream.child_streams:
        reasons.append("child streams")
    if stream.replication_method != "INCREMENTAL" and stream.emit_activate_version_messages:
        reasons.append("ACTIVATE_VERSION")
    return reasons


class _Lines:
    """RECORD lines of one partition queued here, and the records they carry."""

    def __init__(self, stream: Stream, writer: ChunkedMsgSpecWriter, context: Context | None, counter: t.Any) -> None:
        self.stream, self.writer, self.context, self.counter = stream, writer, context, counter
        self.buffer = bytearray()
        self.pending: list[dict] = []

    def add(self, head: bytes, record: dict, tail: bytes) -> None:
        """Queue one line: the record is encoded straight into the buffer (no copy of a large line)."""
        buffer = self.buffer
        buffer += head
        encoder.encode_into(record, buffer, -1)
        buffer += tail
        self.pending.append(record)

    def hand_over(self) -> None:
        """Give the writer the lines, then advance the bookmark over their records.

        The bookmark follows what the writer holds, never this buffer: the STATE the SDK
        writes on SIGTERM must not vouch for records still here (tests/test_kill_resume.py).
        """
        if not self.pending:
            return
        self.writer.write_record_lines(self.buffer)
        self.buffer = bytearray()
        self.stream.advance_bookmark(self.pending, context=self.context)  # the stream's own rule
        self.counter.increment(len(self.pending))
        self.pending.clear()
        sdk_private.mark_state_dirty(self.stream)


def emit(
    stream: Stream, writer: object, read: t.Callable[[Context | None], t.Iterable[dict[str, t.Any]]]
) -> t.Iterator[dict]:
    """Sync every partition of `stream` (or the stream itself) with `read(context)` as the source.

    A generator like the SDK's `_sync_records`: it yields each record after queuing it.
    """
    prefix = b'{"type":"RECORD","stream":' + encoder.encode(stream.name) + b',"record":'
    middle, suffix = b',"time_extracted":"', b'"}\n'
    every = stream.STATE_MSG_FREQUENCY
    counter, timer = stream.get_record_counter(), stream.get_sync_timer()
    last_state = time.monotonic()
    with counter, timer:
        for context in stream.partitions or [None]:
            counter.with_context(context or {})
            timer.with_context(context or {})
            state_context = sdk_private.state_partition_context(stream, context)
            sdk_private.write_starting_replication_value(stream, context)
            lines = _Lines(stream, t.cast("ChunkedMsgSpecWriter", writer), context, counter)
            tail = b""
            for count, record in enumerate(read(context), start=1):
                if count % CLOCK_EVERY == 1:
                    tail = middle + dt.datetime.now(dt.timezone.utc).isoformat().encode() + suffix
                lines.add(prefix, record, tail)
                if count % LINES_PER_WRITE == 0:
                    lines.hand_over()
                if count % every == 0:
                    lines.hand_over()
                    sdk_private.write_state_message(stream)  # after the records it covers
                yield record
            lines.hand_over()
            if context is not None and stream.bookmark_held(context):  # failed: its last records moved it again
                sdk_private.drop_progress_markers(stream.get_context_state(context))
            if context == state_context:
                sdk_private.finalize_state(stream, stream.get_context_state(context))
                if time.monotonic() - last_state >= STATE_EVERY_SECONDS:
                    sdk_private.mark_state_dirty(stream)
                    sdk_private.write_state_message(stream)  # after the records it covers
                    last_state = time.monotonic()
        sdk_private.finalize_state(stream, stream.stream_state)
        sdk_private.write_state_message(stream)
