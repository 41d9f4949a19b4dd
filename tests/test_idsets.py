"""ID sets as ranges: what the deletes pass and the state rules rely on, for any set of ids.

The ranges must equal the plain set they stand for under every operation, take memory per range
(not per id), and refuse text past the documented bounds before allocating anything.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_brightpearl.idsets import MAX_IDS, IdSetError, Ranges, id_set

ids = st.sets(st.integers(min_value=1, max_value=300), max_size=120)


@given(ids, ids)
def test_ranges_behave_as_the_sets_they_stand_for(a, b):
    ra, rb = Ranges.of(a), Ranges.of(b)
    assert set(ra.ids()) == a and len(ra) == len(a)
    assert set(ra.union(rb).ids()) == a | b
    assert set(ra.minus(rb).ids()) == a - b
    assert all((i in ra) == (i in a) for i in range(0, 302))
    assert Ranges.parse(ra.text()) == ra
    assert set(Ranges.parse(id_set(a)).ids()) == a


@given(ids, st.lists(st.integers(min_value=1, max_value=300), max_size=120))
def test_ids_added_in_ascending_runs_are_the_same_ranges_as_added_one_by_one(before, batch):
    """What the reader does with each batch of records read (repeats and gaps included)."""
    by_runs, one_by_one = Ranges.of(sorted(before)), Ranges.of(sorted(before))
    by_runs.add_sorted(sorted(batch))
    for value in batch:
        one_by_one.add(value)
    assert by_runs == one_by_one and set(by_runs.ids()) == before | set(batch)


@given(ids, st.integers(min_value=1, max_value=50))
def test_chunks_cover_every_id_once_in_order(a, size):
    pieces = list(Ranges.of(a).chunks(size))
    assert [i for p in pieces for i in p.ids()] == sorted(a)
    assert all(len(p) <= size for p in pieces)


def test_a_million_consecutive_ids_are_one_range():
    ranges = Ranges.of(range(1, 1_000_001))
    assert ranges.range_count == 1 and len(ranges) == 1_000_000 and ranges.text() == "1-1000000"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("1-10000000,20000001-30000000,40000001-50000000", f"names more than {MAX_IDS:,} ids"),
        ("0-5", "not a range of positive ids"),
        ("5-3", "not a range of positive ids"),
        ("1,x", "not an id or a range"),
        ("1-", "not an id or a range"),
    ],
)
def test_bad_or_huge_text_is_refused_before_anything_is_built(text, why):
    with pytest.raises(IdSetError, match=why):
        Ranges.parse(text)


def test_too_many_ranges_are_refused():
    with pytest.raises(IdSetError, match="ranges"):
        Ranges.parse(",".join(str(i * 2) for i in range(1, 50)), max_ranges=10)
