"""Contract: an incremental order run from a bookmark, against the recorded order search.

The recorded order search (ids 322-325) has `updatedOn` null in every row: orders created
and never updated. A range filter on updatedOn will not find them (a guess: a null never
matches), so the tap must also search on createdOn, read them, and move its bookmark on
(falling back to createdOn where updatedOn is null).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.contract.compare import parse_instant
from tests.contract.harness import (
    ORDER_DETAIL,
    ORDER_SEARCH,
    Run,
    assert_clean,
    expand_id_set,
    run_tap,
    standard_routes,
)
from tests.contract.replay import empty_search, recorded, route

BOOKMARK = "2022-01-26T00:00:00.000Z"
STATE = {
    "bookmarks": {
        "orders": {
            "partitions": [
                {
                    "context": {"accountCode": "barulu"},
                    "replication_key": "updatedOn",
                    "replication_key_value": BOOKMARK,
                }
            ]
        }
    }
}


@pytest.fixture(scope="module")
def incremental_run(recordings, tmp_path_factory) -> Run:
    """One run from the bookmark, lookback_minutes not set.

    order-search with an updatedOn filter: an empty result (synthetic, same columns as the
    recording). With a createdOn filter: the recorded search. Any other order-search is
    unmatched. The detail GET is answered with vcr/order_get_multiple.json, the only
    recorded multi-order body (it holds 320, 1, 321, not 322-325). An unfiltered order-search
    (the first deletes pass listing every live id) gets the recorded search.
    """
    search = recorded(recordings, "vcr/order_search.json")
    routes = standard_routes(
        recordings,
        route("GET", ORDER_SEARCH, empty_search(search), query=lambda q: "updatedOn" in q),  # synthetic
        route("GET", ORDER_SEARCH, search, query=lambda q: "createdOn" in q),
        # The first deletes pass lists every live id (no filter): the recorded search.
        route("GET", ORDER_SEARCH, search, query=lambda q: "updatedOn" not in q and "createdOn" not in q),
        order_search=[],
        order_detail=recorded(recordings, "vcr/order_get_multiple.json"),
    )
    # The base config has no lookback_minutes: the default look-back applies.
    return run_tap(routes, tmp_path_factory.mktemp("incremental"), state=STATE)


def _filter_start(value: str) -> dt.datetime | None:
    start = value.split("/", 1)[0]
    try:
        return parse_instant(start) if start else None
    except ValueError:
        return None


def test_incremental_run_ends_cleanly(incremental_run):
    assert incremental_run.returncode == 0, incremental_run.describe()
    assert_clean(incremental_run)


def test_search_starts_sixty_minutes_before_the_bookmark_by_default(incremental_run):
    """lookback_minutes defaults to 60: updatedOn=2022-01-25T23:00:00Z/ (any RFC 3339 spelling)."""
    filters = [r.query["updatedOn"] for r in incremental_run.requests_to(ORDER_SEARCH) if "updatedOn" in r.query]
    want = parse_instant("2022-01-25T23:00:00Z")
    assert any(_filter_start(f) == want for f in filters), f"updatedOn filters sent: {filters}"


def test_never_updated_orders_created_after_the_bookmark_are_read(incremental_run):
    asked: set[int] = set()
    for request in incremental_run.requests_to(ORDER_DETAIL):
        asked |= expand_id_set(re.fullmatch(ORDER_DETAIL, request.path).group(1))
    searches = [r.query for r in incremental_run.requests_to(ORDER_SEARCH)]
    assert {322, 323, 324, 325} <= asked, f"detail GETs asked for {sorted(asked)}; searches sent: {searches}"


def test_bookmark_moves_to_the_newest_change_among_the_records_read(incremental_run):
    """The bookmark is the newest updatedOn (createdOn where updatedOn is null) of what was read.

    The replay answers the ids 322-325 with the recorded bodies of orders 1, 320 and 321 (no
    recording has those ids), so the bookmark follows those bodies; tests/test_incremental.py
    shows the createdOn fall-back on records that do lack updatedOn.
    """
    value = incremental_run.bookmark("orders")
    assert value, f"no orders bookmark for barulu in the final state: {incremental_run.final_state}"
    records = incremental_run.records("orders")
    newest = max(parse_instant(r.get("updatedOn") or r["createdOn"]) for r in records)
    assert parse_instant(value) == newest
    assert parse_instant(value) > parse_instant(BOOKMARK), "the bookmark moved forward"
    assert parse_instant(value) <= dt.datetime.now(dt.timezone.utc), f"bookmark {value} is in the future"
