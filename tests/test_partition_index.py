"""Finding an account's state partition: the same dict the SDK would find, in constant time.

The SDK scans the partitions list on every lookup (O(n²) over a run of n accounts); the tap's
index must give exactly the SDK's answer, the very dict in the state, whatever happened to the list.
"""

from __future__ import annotations

import inspect

import pytest
from singer_sdk.helpers._state import get_writeable_state_dict

from tap_brightpearl import sdk_private
from tap_brightpearl.partition_index import IndexedStateManager, PartitionIndex


def partitions(n: int) -> list[dict]:
    return [{"context": {"accountCode": f"acct{i:05d}"}, "replication_key_value": str(i)} for i in range(n)]


def test_the_index_hands_back_the_very_dict_the_sdk_finds():
    state = {"bookmarks": {"orders": {"partitions": partitions(500)}}}
    index = PartitionIndex()
    listed = state["bookmarks"]["orders"]["partitions"]
    for i in (0, 250, 499):
        context = {"accountCode": f"acct{i:05d}"}
        assert index.find(listed, context) is get_writeable_state_dict(state, "orders", context)
    assert index.find(listed, {"accountCode": "nobody"}) is None


def test_the_index_follows_appends_replacements_and_moves():
    listed = partitions(3)
    index = PartitionIndex()
    assert index.find(listed, {"accountCode": "acct00001"}) is listed[1]
    listed.append({"context": {"accountCode": "new"}})  # the SDK creates a partition
    assert index.find(listed, {"accountCode": "new"}) is listed[3]
    listed.pop(0)  # an entry removed: positions moved
    assert index.find(listed, {"accountCode": "acct00002"}) is listed[1]
    listed[0] = {"context": {"accountCode": "acct00001"}, "fresh": True}  # replaced in place
    assert index.find(listed, {"accountCode": "acct00001"})["fresh"] is True
    other = partitions(2)  # the state's list itself replaced
    assert index.find(other, {"accountCode": "acct00000"}) is other[0]


def test_a_duplicate_context_is_left_to_the_sdk_which_refuses_it():
    listed = [*partitions(2), {"context": {"accountCode": "acct00001"}}]
    assert PartitionIndex().find(listed, {"accountCode": "acct00001"}) is None
    manager = IndexedStateManager(
        tap_name="tap-brightpearl",
        stream_name="orders",
        tap_state={"bookmarks": {"orders": {"partitions": listed}}},
        state_partitioning_keys=None,
        is_sorted=False,
        check_sorted=True,
    )
    with pytest.raises(ValueError, match="duplicate entries"):
        manager.get_context_state({"accountCode": "acct00001"})


def test_the_sdk_state_manager_still_takes_what_the_tap_builds_it_with():
    parameters = list(inspect.signature(sdk_private.StreamStateManager.__init__).parameters)[1:]
    assert sorted(parameters) == sorted(sdk_private.STATE_MANAGER_PARAMETERS), "singer-sdk changed StreamStateManager"
    assert callable(getattr(sdk_private.StreamStateManager, "get_context_state", None))
