"""Brightpearl's ID sets ("1-100,105") as ranges, never expanded into one object per id.

Ids are positive integers Brightpearl never reuses, mostly consecutive, so a million ids are a few
ranges. `Ranges` keeps sorted, disjoint, inclusive (start, end) pairs: building one from ids that
arrive in ascending order (an id-sorted search) costs memory per range, not per id, and union and
difference work range by range. Text read from a state file or an answer is checked against the
bounds below before anything is allocated.
"""

from __future__ import annotations

import bisect
import typing as t

MAX_ID = 2**63 - 1  # Brightpearl ids are positive 64-bit integers
MAX_RANGES = 1_000_000  # ranges one ID-set text may hold (a state's `ids`, a contactMemberIdSet)
MAX_IDS = 20_000_000  # ids one ID-set text may name in total


class IdSetError(ValueError):
    """Text that is not an ID set, or one past the bounds; the message says which."""


class Ranges:
    """A set of positive ints as sorted, disjoint, non-adjacent inclusive ranges."""

    __slots__ = ("_ends", "_starts")

    def __init__(self) -> None:
        """Empty."""
        self._starts: list[int] = []
        self._ends: list[int] = []

    @classmethod
    def of(cls, ids: t.Iterable[int]) -> Ranges:
        """The ranges of `ids` (any order; ascending is cheapest)."""
        ranges = cls()
        for value in ids:
            ranges.add(value)
        return ranges

    @classmethod
    def parse(cls, text: object, *, max_ids: int = MAX_IDS, max_ranges: int = MAX_RANGES) -> Ranges:
        """Read "1-3,7" back; IdSetError when it is not an ID set or names more than the bounds allow."""
        if not isinstance(text, str):
            raise IdSetError("is not text")
        ranges, total = cls(), 0
        parts = text.split(",") if text else []
        if len(parts) > max_ranges:
            raise IdSetError(f"holds {len(parts):,} ranges (at most {max_ranges:,})")
        for part in parts:
            low, dash, high = part.strip().partition("-")
            if not low.isdigit() or (dash and not high.isdigit()):
                raise IdSetError(f"has {part[:40]!r}, which is not an id or a range a-b")
            start, end = int(low), int(high) if dash else int(low)
            if start < 1 or end < start or end > MAX_ID:
                raise IdSetError(f"has {part[:40]!r}, which is not a range of positive ids")
            total += end - start + 1
            if total > max_ids:
                raise IdSetError(f"names more than {max_ids:,} ids")
            ranges.add_range(start, end)
        return ranges

    def add(self, value: int) -> None:
        """Add one id (O(1) when it extends the last range, as ascending ids do)."""
        self.add_range(value, value)

    def add_sorted(self, values: t.Iterable[int]) -> None:
        """Add ids given in ascending order (repeats allowed): one `add_range` per run of consecutive ids."""
        start = end = None
        for value in values:
            if end is not None and value <= end + 1:
                end = max(end, value)
                continue
            if start is not None and end is not None:
                self.add_range(start, end)
            start = end = value
        if start is not None and end is not None:
            self.add_range(start, end)

    def add_range(self, start: int, end: int) -> None:
        """Add every id from `start` to `end` inclusive."""
        starts, ends = self._starts, self._ends
        if not starts or start > ends[-1] + 1:
            starts.append(start)
            ends.append(end)
            return
        if start >= starts[-1]:  # overlaps or touches the last range
            ends[-1] = max(ends[-1], end)
            return
        lo = bisect.bisect_left(ends, start - 1)  # first range that ends at or after start - 1
        hi = bisect.bisect_right(starts, end + 1)  # ranges from lo to hi - 1 touch [start, end]
        if lo < hi:
            start, end = min(start, starts[lo]), max(end, ends[hi - 1])
        starts[lo:hi] = [start]
        ends[lo:hi] = [end]

    def __contains__(self, value: object) -> bool:
        """Whether `value` is one of the ids."""
        if not isinstance(value, int):
            return False
        i = bisect.bisect_right(self._starts, value) - 1
        return i >= 0 and value <= self._ends[i]

    def __len__(self) -> int:
        """How many ids (not ranges)."""
        return sum(e - s + 1 for s, e in zip(self._starts, self._ends, strict=True))

    def __bool__(self) -> bool:
        """Whether there is any id."""
        return bool(self._starts)

    @property
    def range_count(self) -> int:
        """How many ranges."""
        return len(self._starts)

    def pairs(self) -> t.Iterator[tuple[int, int]]:
        """The (start, end) ranges in order."""
        return zip(self._starts, self._ends, strict=True)

    def ids(self) -> t.Iterator[int]:
        """Every id in order (for sets a caller knows to be small)."""
        for start, end in self.pairs():
            yield from range(start, end + 1)

    def union(self, other: Ranges) -> Ranges:
        """Every id in either."""
        out = Ranges()
        merged = sorted([*self.pairs(), *other.pairs()])
        for start, end in merged:
            out.add_range(start, end)
        return out

    def minus(self, other: Ranges) -> Ranges:
        """The ids here that are not in `other`."""
        out = Ranges()
        theirs = list(other.pairs())
        j = 0
        for start, end in self.pairs():
            while j < len(theirs) and theirs[j][1] < start:
                j += 1
            k, cursor = j, start
            while k < len(theirs) and theirs[k][0] <= end:
                if theirs[k][0] > cursor:
                    out.add_range(cursor, theirs[k][0] - 1)
                cursor = max(cursor, theirs[k][1] + 1)
                k += 1
            if cursor <= end:
                out.add_range(cursor, end)
        return out

    def text(self) -> str:
        """Brightpearl's ID-set text: "1-3,7"."""
        return ",".join(f"{s}-{e}" if s != e else str(s) for s, e in self.pairs())

    def chunks(self, size: int) -> t.Iterator[Ranges]:
        """Consecutive pieces of at most `size` ids each (the ID sets of capped GETs)."""
        piece, count = Ranges(), 0
        for start, end in self.pairs():
            while start <= end:
                take = min(end - start + 1, size - count)
                piece.add_range(start, start + take - 1)
                count += take
                start += take
                if count == size:
                    yield piece
                    piece, count = Ranges(), 0
        if piece:
            yield piece

    def __eq__(self, other: object) -> bool:
        """Same ids."""
        return isinstance(other, Ranges) and list(self.pairs()) == list(other.pairs())

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        """Short: the count, not the ids."""
        return f"Ranges({len(self)} ids in {self.range_count} ranges)"


def id_set(ids: t.Iterable[int]) -> str:
    """Ids as Brightpearl's ID-set text, runs as ranges ("1-3,7,9-10")."""
    return Ranges.of(sorted(set(ids))).text()


def chunks(ids: t.Sequence[int], size: int) -> t.Iterator[list[int]]:
    """Split ids into groups of at most `size` (a resource's detail cap), in their order."""
    for i in range(0, len(ids), size):
        yield list(ids[i : i + size])
