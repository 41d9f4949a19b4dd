"""The base of every stream: it receives the run's runtime and never reaches into the tap.

It adds three rules to the SDK's stream:
- one failing stream stops nothing else: `sync` reports the failure (one ERROR line naming
  the stream and the fix), drops the stream's unfinished progress so no bookmark moves over
  records it did not read, and lets the run go on;
- no bookmark moves past the run's start (plus a little clock skew): a record dated in
  the far future is still emitted, with a WARNING, but cannot freeze the bookmark;
- the fast record path (fastpath.py) when nothing in the SDK's record pipeline could
  change a record.
"""

from __future__ import annotations

import functools
import threading
import typing as t

import requests
from singer_sdk.exceptions import SyncLifecycleSignal
from singer_sdk.streams import Stream
from typing_extensions import override

from tap_brightpearl import fastpath, sdk_private
from tap_brightpearl.errors import AuthenticationError, BrightpearlError
from tap_brightpearl.installs import format_utc, parse_utc
from tap_brightpearl.partition_index import IndexedStateManager
from tap_brightpearl.transport import describe_transport_failure

if t.TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_brightpearl.runtime import Runtime

_FUTURE_WARNINGS = 10  # named one by one; after that only counted


def _canonical(value: str) -> bool:
    """Already UTC as the tap writes it ("2026-01-31T12:00:00.000Z"): comparable as text."""
    return len(value) == 24 and value[23] == "Z" and value[10] == "T" and value[19] == "."


def describe_failure(exc: BaseException) -> str:
    """One line for why something failed, naming no host and no secret."""
    if isinstance(exc, BrightpearlError):
        return str(exc)
    if isinstance(exc, requests.RequestException):
        return describe_transport_failure(exc)
    return f"internal error ({type(exc).__name__}: {str(exc)[:200]}); please report it with the DEBUG log"


class BrightpearlStream(Stream):
    """Base for developer-tools and account streams."""

    #: streams read per account report accounts read / skipped / failed
    per_account: t.ClassVar[bool] = False
    #: the sentence that tells a user what to do when the stream fails
    failure_hint: t.ClassVar[str] = "Run again; it resumes from its state."

    def __init__(
        self, tap: Tap, runtime: Runtime, *, name: str | None = None, schema: dict[str, t.Any] | None = None
    ) -> None:
        """Keep the runtime: session, throttle, datacentres, accounts and report of the run."""
        super().__init__(tap, schema=schema, name=name)
        self.runtime = runtime
        self._future_seen = 0
        self.raw_ok = False
        self._future_lock = threading.Lock()

    @functools.cached_property
    @override
    def state_manager(self) -> IndexedStateManager:
        """The SDK's state manager, finding each account's partition through an index (partition_index.py)."""
        return IndexedStateManager(
            tap_name=self.tap_name,
            stream_name=self.name,
            tap_state=self.tap_state,
            state_partitioning_keys=self.state_partitioning_keys,
            is_sorted=self.is_sorted,
            check_sorted=self.check_sorted,
        )

    # --- isolation ----------------------------------------------------------------------
    @override
    def sync(self, context: Context | None = None) -> None:
        """Sync, or report why not and let the run go on."""
        self.runtime.report.begin(self.name, per_account=self.per_account)
        try:
            super().sync(context)
        except (SyncLifecycleSignal, BrokenPipeError):
            raise  # the SDK's own dry-run aborts, and a closed output: not this stream's failure
        except Exception as exc:  # every failure is this stream's alone: report it, go on
            if not isinstance(exc, (BrightpearlError, requests.RequestException)):
                self.logger.debug("%s failed", self.name, exc_info=True)  # a bug: keep the trace at DEBUG
            self._drop_unfinished_progress()
            message = describe_failure(exc)
            hint = self.hint_for(exc)
            reason = getattr(exc, "reason", None) or message
            self.runtime.report.end(self.name, error=message, reason=reason, hint=hint)
            self.logger.error("%s failed: %s. %s", self.name, message, hint)
            return
        self.runtime.report.end(self.name)

    def hint_for(self, exc: BaseException) -> str:
        """What to do about `exc`."""
        if isinstance(exc, AuthenticationError):
            return f"{self.runtime.mode.credential_hint}."
        return self.failure_hint

    def _drop_unfinished_progress(self) -> None:
        """Forget progress markers of a failed stream, so its bookmarks stay where they were."""
        try:
            contexts: list[t.Any] = list(self.partitions or [])
        except Exception:
            contexts = []
        for state in [self.stream_state, *(self.get_context_state(c) for c in contexts)]:
            sdk_private.drop_progress_markers(state)

    # --- bookmarks ----------------------------------------------------------------------
    def bookmark_value(self, record: t.Mapping[str, t.Any]) -> str | None:
        """The value this record moves the bookmark to (default: its replication key)."""
        value = record.get(self.replication_key) if self.replication_key else None
        return value if isinstance(value, str) else None

    def bookmark_held(self, context: Context) -> bool:
        """True if this partition's read failed, so its bookmark must stay where it was (account streams)."""
        return False

    def describe_record(self, record: t.Mapping[str, t.Any]) -> str:
        """Name a record in a message (its account and key)."""
        return ", ".join(f"{k} {record.get(k)!r}" for k in self.primary_keys or ())

    @override
    def _increment_stream_state(self, latest_record: dict[str, t.Any], *, context: Context | None = None) -> None:
        """Advance the bookmark over one record (the SDK's record path calls this per record)."""
        self.advance_bookmark([latest_record], context=context)

    def advance_bookmark(self, records: t.Iterable[t.Mapping[str, t.Any]], *, context: Context | None) -> None:
        """Advance the bookmark over records already handed to the writer: one SDK step, for the newest.

        Never past the run's start plus a little clock skew: a record dated later is still
        emitted, with a WARNING, but cannot freeze the bookmark in the future.
        """
        if not self.replication_key:
            return
        records = records if isinstance(records, list) else list(records)
        newest = self._newest_as_written(records)
        if newest is not None:  # the common case, in a few C calls: every value already as the tap writes it
            sdk_private.increment_state(self, {self.replication_key: newest}, context=context)
            return
        ceiling = self._ceiling_text
        for record in records:  # newest is None here
            value = self.bookmark_value(record)
            if value is None:
                continue
            if not _canonical(value):
                moment = parse_utc(value)
                if moment is None:
                    continue
                value = format_utc(moment)
            if value > ceiling:
                self._warn_future(record, value)
                value = self._start_text
            if newest is None or value > newest:
                newest = value
        if newest is not None:
            sdk_private.increment_state(self, {self.replication_key: newest}, context=context)

    def _newest_as_written(self, records: list[t.Mapping[str, t.Any]]) -> str | None:
        """The newest bookmark value when every record has one, in the tap's UTC text, none in the future.

        None otherwise (a record without any, another spelling, a date after the run started):
        `advance_bookmark` then goes record by record, as `bookmark_value` and its warnings say.
        """
        key = self.replication_key
        values = [record.get(key) for record in records]
        if None in values:  # e.g. a never-updated order: bookmark_value says which date stands in
            values = [v if v is not None else self.bookmark_value(r) for v, r in zip(values, records, strict=True)]
        if not values or not all(type(v) is str and _canonical(v) for v in values):
            return None
        newest = max(values)
        return newest if newest <= self._ceiling_text else None

    @functools.cached_property
    def _ceiling_text(self) -> str:
        return format_utc(self.runtime.ceiling)

    @functools.cached_property
    def _start_text(self) -> str:
        return format_utc(self.runtime.started)

    def _warn_future(self, record: t.Mapping[str, t.Any], value: str) -> None:
        with self._future_lock:
            self._future_seen += 1
            seen = self._future_seen
        if seen <= _FUTURE_WARNINGS:
            self.logger.warning(
                "%s: %s is dated %s, after this run started; emitted, but the bookmark stops at the run's start",
                self.name,
                self.describe_record(record),
                value,
            )
        elif seen == _FUTURE_WARNINGS + 1:
            self.logger.warning("%s: more records dated in the future; no longer naming them", self.name)

    # --- the record path ----------------------------------------------------------------
    @override
    def _sync_records(
        self, context: Context | None = None, *, write_messages: bool = True
    ) -> t.Generator[dict, t.Any, t.Any]:
        """The SDK's record loop, or the fast path when nothing in it could change a record."""
        reasons = fastpath.blockers(self, self.runtime.writer) if write_messages and context is None else ["context"]
        self.raw_ok = not reasons  # records may keep members as raw JSON only on the fast path
        if reasons:
            self.logger.debug("%s: SDK record path (%s)", self.name, ", ".join(reasons))
            yield from sdk_private.sync_records(self, context, write_messages=write_messages)
            return
        yield from fastpath.emit(self, self.runtime.writer, self.get_records)
