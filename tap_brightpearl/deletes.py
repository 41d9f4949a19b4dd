"""Deletes, the Singer way: Brightpearl keeps no tombstones, so the tap compares ids.

Brightpearl never reuses an id. Each account's state partition of a deletable stream keeps the
ids the tap has read (`ids`, written as Brightpearl's own ID-set text: "1-100,105"). On a
deletes pass (every `deletes_every_days` days, or when `deletes_now` is set) the tap lists the
account's live ids and emits a record with `_sdc_deleted_at` for every id it read before and
Brightpearl no longer has, so target-postgres flags (or hard-deletes) the row. A pass that would
mark more than `deletes_max_share` of the known ids is refused with a WARNING: an empty or
broken answer must never wipe a table. One id is always allowed (a table of 8 loses one
record legitimately), except when Brightpearl listed no id at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

IDS_KEY = "ids"
CHECKED_KEY = "deletes_checked_at"
MAX_RANGE = 10_000_000  # one range in a state's id text cannot name more ids than this


@dataclasses.dataclass(frozen=True)
class PartitionNote:
    """What a reader learned about its account for the account's state partition (main thread applies it)."""

    read_ids: frozenset[int] = frozenset()
    live_ids: frozenset[int] | None = None  # set after a deletes pass: the ids Brightpearl has now
    checked_at: str | None = None


def ids_text(ids: t.Iterable[int]) -> str:
    """Ids as an ID set ("1-3,7"): compact for the mostly consecutive ids Brightpearl gives."""
    ordered = sorted(set(ids))
    parts: list[str] = []
    start = prev = None
    for value in ordered:
        if start is not None and value == t.cast("int", prev) + 1:
            prev = value
            continue
        if start is not None:
            parts.append(f"{start}-{prev}" if start != prev else str(start))
        start = prev = value
    if start is not None:
        parts.append(f"{start}-{prev}" if start != prev else str(start))
    return ",".join(parts)


def parse_ids(text: object) -> set[int]:
    """Read an ID-set text back; ValueError when it is not one."""
    if not isinstance(text, str):
        raise ValueError("not text")
    ids: set[int] = set()
    for part in filter(None, text.split(",")):
        low, dash, high = part.partition("-")
        start = int(low)
        end = int(high) if dash else start
        if start < 1 or end < start or end - start > MAX_RANGE:
            raise ValueError(part)
        ids.update(range(start, end + 1))
    return ids


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
    return now - checked >= dt.timedelta(days=every_days)


def apply(partition: dict[str, t.Any], note: PartitionNote) -> None:
    """Record what the reader learned in the account's state partition."""
    known = parse_ids(partition[IDS_KEY]) if IDS_KEY in partition else set()
    if note.live_ids is not None:
        known = set(note.live_ids) | set(note.read_ids)
    else:
        known |= note.read_ids
    if known:
        partition[IDS_KEY] = ids_text(known)
    if note.checked_at:
        partition[CHECKED_KEY] = note.checked_at
