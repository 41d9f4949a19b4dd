"""Deletes, the Singer way: Brightpearl keeps no tombstones, so the tap compares ids.

Brightpearl never reuses an id. Each account's state partition of a deletable stream keeps the
ids the tap has read (`ids`, Brightpearl's own ID-set text: "1-100,105"), kept and compared as
ranges, never one object per id. A deletes pass (every `deletes_every_days` days, or when
`deletes_now` is set) lists the account's live ids; it runs only on a listing that delivered every
id it announced. Each id read before and no longer listed is a candidate, and each candidate is
asked for once more by ID-set GET: an id Brightpearl still returns is not deleted. What is left is
emitted with `_sdc_deleted_at`, unless it is more than `deletes_max_share` of the known ids (one id
is always allowed), which is refused with a WARNING as a last guard against a broken answer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

from tap_brightpearl.idsets import Ranges

IDS_KEY = "ids"
CHECKED_KEY = "deletes_checked_at"


@dataclasses.dataclass(frozen=True)
class PartitionNote:
    """What a reader learned about its account for the account's state partition (main thread applies it)."""

    read_ids: Ranges = dataclasses.field(default_factory=Ranges)
    live_ids: Ranges | None = None  # after a deletes pass: the ids Brightpearl has now
    checked_at: str | None = None


def known_ids(partition: t.Mapping[str, t.Any]) -> Ranges:
    """The ids this account's partition says were read (state_rules checked the text and its bounds)."""
    return Ranges.parse(partition[IDS_KEY]) if IDS_KEY in partition else Ranges()


def believable(missing: int, known: int, live: int, share: float) -> bool:
    """Whether `missing` of `known` ids gone (with `live` ids listed) is a real deletion, not a broken answer."""
    if live == 0:
        return False
    return missing <= max(1, share * known)


def due(partition: t.Mapping[str, t.Any], *, now: dt.datetime, every_days: float, on_demand: bool) -> bool:
    """Whether this account's deletes pass should run now."""
    if on_demand:
        return True
    if every_days <= 0:
        return False
    last = partition.get(CHECKED_KEY)
    if not isinstance(last, str):
        return True
    try:
        checked = dt.datetime.fromisoformat(last.replace("Z", "+00:00"))
    except ValueError:
        return True
    if checked.tzinfo is None:
        checked = checked.replace(tzinfo=dt.timezone.utc)
    return now - checked >= dt.timedelta(days=every_days)


def apply(partition: dict[str, t.Any], note: PartitionNote) -> None:
    """Record what the reader learned in the account's state partition."""
    if note.live_ids is not None:
        known = note.live_ids.union(note.read_ids)
    else:
        known = known_ids(partition).union(note.read_ids)
    if known:
        partition[IDS_KEY] = known.text()
    if note.checked_at:
        partition[CHECKED_KEY] = note.checked_at
