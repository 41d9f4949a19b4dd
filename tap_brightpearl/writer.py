"""The tap's Singer writer: msgspec encoding, whole lines, flushed in chunks.

The SDK's default writer encodes with simplejson and flushes after every message; at
100,000 records that is most of the run. This writer encodes with the SDK's own
msgspec encoder and hands stdout whole lines only: RECORD lines collect in a buffer
that is written out at CHUNK_BYTES or MAX_HOLD_SECONDS, and every other message
(SCHEMA, STATE, ACTIVATE_VERSION, BATCH) first writes out what is pending and then
itself, at once. So a STATE never reaches the target before the records it covers,
every write() ends on a line boundary, and a crash can only lose records that no
STATE has vouched for yet (which the next run re-reads).
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import sys
import threading
import time
import typing as t
import weakref

from singer_sdk.contrib.msgspec import MsgSpecWriter, encoder
from singer_sdk.singerlib.encoding.base import SingerMessageType
from typing_extensions import override

if t.TYPE_CHECKING:
    from singer_sdk.singerlib.encoding.simple import Message

CHUNK_BYTES = 64 * 1024
MAX_HOLD_SECONDS = 1.0

_live: weakref.WeakSet[ChunkedMsgSpecWriter] = weakref.WeakSet()


class ChunkedMsgSpecWriter(MsgSpecWriter):
    """msgspec lines; RECORDs written in chunks, everything else flushes immediately."""

    def __init__(self) -> None:
        """Start with nothing pending; flush whatever is left when the process exits."""
        super().__init__()
        self._pending = bytearray()
        self._since = time.monotonic()
        self._lock = threading.RLock()  # re-entrant: a signal handler may run while the main thread holds it
        _live.add(self)

    @override
    def serialize_message(self, message: Message) -> bytes:  # type: ignore[override]
        """One JSON line, newline included (a fresh bytes object: no shared buffer)."""
        return encoder.encode(message.to_dict()) + b"\n"

    @override
    def write_message(self, message: Message) -> None:
        """Queue a RECORD line; write anything else (and all that is queued before it) now."""
        self._queue(self.format_message(message), now=message.type != SingerMessageType.RECORD)

    def write_record_lines(self, lines: bytes | bytearray) -> None:
        """Queue whole RECORD lines already encoded (the fast record path), same chunking rules.

        A chunk of at least CHUNK_BYTES with nothing pending goes out as it is: copying it into
        the pending buffer first would only cost a copy of every record.
        """
        with self._lock:
            if self._pending or len(lines) < CHUNK_BYTES:
                self._queue(lines, now=False)
                return
            self._pending = lines if isinstance(lines, bytearray) else bytearray(lines)
            self.flush()

    def _queue(self, lines: bytes | bytearray, *, now: bool) -> None:
        with self._lock:
            self._pending += lines
            if now or len(self._pending) >= CHUNK_BYTES or time.monotonic() - self._since >= MAX_HOLD_SECONDS:
                self.flush()

    def flush(self) -> None:
        """Hand every pending line to stdout and flush it through to the OS."""
        with self._lock, _stop_signals_held():
            self._since = time.monotonic()
            if not self._pending:
                return
            data, self._pending = self._pending, bytearray()
            out = sys.stdout
            target = getattr(out, "buffer", None)
            if target is not None:
                out.flush()  # anything written to the text layer goes first
                target.write(data)
            else:  # stdout replaced by a text-only stream (e.g. redirect_stdout(StringIO))
                out.write(data.decode("utf-8"))
            out.flush()


@contextlib.contextmanager
def _stop_signals_held() -> t.Iterator[None]:
    """Hold SIGTERM/SIGINT while a chunk goes out; they are delivered as soon as it is written.

    The stop handler (stopping.py) raises in the main thread, and the run then writes its last
    STATE. Raised inside a write blocked on a full pipe, it cut a line in two and dropped the
    rest of the chunk, records that STATE vouched for (tests/test_kill_resume.py). SIGKILL still
    ends a tap whose target stopped reading.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@atexit.register
def _flush_all() -> None:
    """Deliver pending lines even when a run stops with an exception."""
    for writer in list(_live):
        with contextlib.suppress(OSError, ValueError):  # stdout already closed
            writer.flush()
