"""An account's state partition found by its context in constant time, not by a scan.

singer-sdk finds a partition by comparing the wanted context with every entry of the stream's
`partitions` list (singer_sdk.helpers._state), several times per account read, so a run over n
accounts costs O(n^2): at 5,000 accounts it was most of the tap's CPU (bench B8). The index maps
each context to its position in that same list and hands back the SDK's own dict, so every write
still lands in the state; it follows the list as the SDK appends, re-reads it whole when it was
replaced or shrank, and leaves anything it cannot vouch for (a duplicate context, which the SDK
refuses loudly) to the SDK.
"""

from __future__ import annotations

import threading
import typing as t

from tap_brightpearl.sdk_private import StreamStateManager

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

_Key = tuple[tuple[str, t.Any], ...]


def _key(context: t.Any) -> _Key | None:
    """A hashable form of a partition context (None if it has none)."""
    if not isinstance(context, dict):
        return None
    try:
        key = tuple(sorted(context.items()))
        hash(key)
    except TypeError:  # an unhashable value: leave that partition to the SDK
        return None
    return key


class PartitionIndex:
    """Where each context sits in one `partitions` list."""

    def __init__(self) -> None:
        """Empty: the first lookup reads the list."""
        self._list: list[dict[str, t.Any]] | None = None
        self._seen = 0
        self._at: dict[_Key, int] = {}
        self._ambiguous: set[_Key] = set()
        self._lock = threading.Lock()

    def find(self, partitions: list[dict[str, t.Any]], context: t.Mapping[str, t.Any]) -> dict[str, t.Any] | None:
        """The partition dict of `context` in `partitions`, or None (absent, or the SDK's to decide)."""
        key = _key(dict(context))
        if key is None:
            return None
        with self._lock:
            for _ in range(2):  # once as indexed, once after re-reading a list changed under us
                self._follow(partitions)
                if key in self._ambiguous:
                    return None
                at = self._at.get(key)
                if at is None:
                    return None
                if at < len(partitions) and _key(partitions[at].get("context")) == key:
                    return partitions[at]
                self._list = None  # an entry moved: read the list again
        return None

    def _follow(self, partitions: list[dict[str, t.Any]]) -> None:
        if partitions is not self._list or len(partitions) < self._seen:
            self._list, self._seen, self._at, self._ambiguous = partitions, 0, {}, set()
        for at in range(self._seen, len(partitions)):
            entry = partitions[at]
            key = _key(entry.get("context") if isinstance(entry, dict) else None)
            if key is None:
                continue
            if key in self._at:
                self._ambiguous.add(key)
            self._at[key] = at
        self._seen = len(partitions)


class IndexedStateManager(StreamStateManager):
    """The SDK's state manager, with partitions found through a PartitionIndex."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """As the SDK's, plus an empty index."""
        super().__init__(*args, **kwargs)
        self._index = PartitionIndex()

    def get_context_state(self, context: Context | None) -> dict:
        """The partition's writable dict, from the index; anything else as the SDK does it."""
        partition = self.get_state_partition_context(context)
        if partition:
            partitions = self.stream_state.get("partitions")
            if isinstance(partitions, list):
                found = self._index.find(partitions, partition)
                if found is not None:
                    return found
        return super().get_context_state(context)
