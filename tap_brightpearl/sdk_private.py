"""Every private singer-sdk member this tap uses, in one place.

singer-sdk has no public hook for these; each is used for a reason given below, and
tests/test_architecture.py fails loudly when an SDK upgrade renames or reshapes one.
Nothing else in the tap may touch a private SDK member. (One CPython internal is read too: the
stand-ins of deferred_imports.py recognise `importlib._bootstrap._find_and_load_unlocked`, the
import system's frame looking for a submodule; tests/test_deferred_imports.py runs it for real.)

| member | why |
|---|---|
| `Stream._sync_records` | overridden: client.py picks the fast record path; account streams fail after every account |
| `Stream._increment_stream_state` | overridden to cap bookmarks at the run's start; called by the fast path |
| `Stream._write_starting_replication_value` | the fast path writes it per partition, as the SDK loop does |
| `Stream._get_state_partition_context` | the fast path finalizes a partition's state as the SDK loop does |
| `Stream._finalize_state` | the same, for partitions and the stream |
| `Stream._write_state_message` | the fast path writes STATE after the records it covers |
| `Stream.state_manager.is_flushed` | marks state dirty after the fast path moved a bookmark |
| `singer_sdk.helpers._state.PROGRESS_MARKERS` | the key of unfinished progress a failed stream must drop |
| `singer_sdk.streams._state.StreamStateManager` | subclassed: partition_index.py finds partitions by index |
| `PluginBase._setup_signal_handlers` | overridden: stopping.py ends a stopped run with 130/143 (the SDK: 0) |
| `import joblib`, `upath` (target_base, helpers/_batch) | cli.py defers both (deferred_imports.py): ~0.03-0.1 s |
"""

from __future__ import annotations

import typing as t

from singer_sdk.helpers._state import PROGRESS_MARKERS
from singer_sdk.streams._state import StreamStateManager as StreamStateManager  # re-exported
from singer_sdk.streams.core import Stream

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

#: the keyword arguments Stream.state_manager builds the SDK's StreamStateManager with (client.py does the same)
STATE_MANAGER_PARAMETERS = (
    "tap_name",
    "stream_name",
    "tap_state",
    "state_partitioning_keys",
    "is_sorted",
    "check_sorted",
)
#: private members of the SDK's plugin base the tap overrides (tap.py)
PLUGIN_MEMBERS = ("_setup_signal_handlers",)
MEMBERS = (
    "_sync_records",
    "_increment_stream_state",
    "_write_starting_replication_value",
    "_get_state_partition_context",
    "_finalize_state",
    "_write_state_message",
)


def sync_records(stream: Stream, context: Context | None, *, write_messages: bool) -> t.Iterator[dict]:
    """The SDK's own record loop (the base implementation, whatever a subclass overrides)."""
    return Stream._sync_records(stream, context, write_messages=write_messages)


def increment_state(stream: Stream, record: dict[str, t.Any], *, context: Context | None) -> None:
    """The SDK's bookmark step for one record (the base implementation)."""
    Stream._increment_stream_state(stream, record, context=context)


def write_starting_replication_value(stream: Stream, context: Context | None) -> None:
    """Record where a partition's sync starts, as the SDK loop does."""
    stream._write_starting_replication_value(context)


def state_partition_context(stream: Stream, context: Context | None) -> Context | None:
    """The state partition a sync context belongs to."""
    return stream._get_state_partition_context(context)


def finalize_state(stream: Stream, state: dict[str, t.Any]) -> None:
    """Promote progress markers of `state` (a partition's or the stream's)."""
    stream._finalize_state(state)


def write_state_message(stream: Stream) -> None:
    """Write a STATE message now (if the state changed)."""
    stream._write_state_message()


def mark_state_dirty(stream: Stream) -> None:
    """Make the next `write_state_message` write."""
    stream.state_manager.is_flushed = False


def drop_progress_markers(state: dict[str, t.Any]) -> None:
    """Forget unfinished progress so a bookmark stays where it was."""
    state.pop(PROGRESS_MARKERS, None)
