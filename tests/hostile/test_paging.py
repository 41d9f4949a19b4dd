"""Complete or loud: searches that page in hostile but plausible ways (issue 19, "What was measured").

Every order is emitted, or the account's stream fails with the expected and read counts and its
bookmark stays; no live record is ever flagged deleted; the run summary carries expected and read.
"""

from __future__ import annotations

import json

import pytest

from tap_brightpearl.tap import TapBrightpearl
from tests.hostile import assert_no_leak, assert_no_traceback, private_config, run_tap, select
from tests.hostile.pagers import Knobs, PagingBrightpearl, order

TOKEN = "private-tok-0123456789"


def _orders(count: int, *, updated: str = "2025-03-01T10:00:00.000Z", first: int = 1) -> list[dict]:
    return [order(i, updated) for i in range(first, first + count)]


def _run(tmp_path, server: PagingBrightpearl, *, state=None, **settings):
    config = private_config(server.url, **settings)
    catalog = select(TapBrightpearl(config=config, validate_config=False).catalog_dict, "orders")
    return run_tap(config, tmp_path, catalog=catalog, state=state)


def _summary(run) -> dict:
    line = next(line for line in run.stderr.splitlines() if "BRIGHTPEARL_RUN_SUMMARY" in line)
    return json.loads(line[line.index("{") :])["streams"]["orders"]


def _ids(run) -> list[int]:
    return sorted(r["id"] for r in run.records("orders") if not r.get("_sdc_deleted_at"))


def _bookmark(run) -> str | None:
    partitions = run.final_state["bookmarks"]["orders"].get("partitions", [])
    return next((p.get("replication_key_value") for p in partitions if p["context"]["accountCode"] == "acme"), None)


def test_a_server_that_pages_by_200_loses_nothing(tmp_path):
    with PagingBrightpearl(_orders(1000), Knobs(page_cap=200)) as server:
        run = _run(tmp_path, server)
    assert run.returncode == 0, run.stderr[-2000:]
    assert _ids(run) == list(range(1, 1001)), "every order, though each page held 200 rows, not 500"
    assert _summary(run)["expected"] == _summary(run)["read"] == 1000
    assert_no_leak(run)


def test_paging_parameters_in_custom_streams_are_refused_at_start_up(tmp_path):
    entry = {"name": "my_orders", "search": "order-service/order-search", "id_column": "orderId"}
    entry["params"] = {"pageSize": "100"}
    with PagingBrightpearl(_orders(10)) as server:
        run = run_tap(private_config(server.url, custom_streams=[entry]), tmp_path)
        asked = list(server.seen)
    assert run.returncode == 1
    assert "custom_streams[0] ('my_orders'): params may not set pageSize" in run.stderr
    assert not asked, "refused before any request"
    assert_no_traceback(run)


def test_orders_sharing_one_timestamp_all_arrive_whatever_order_their_ties_come_in(tmp_path):
    same = _orders(1500, updated="2025-03-01T10:00:00.000Z")
    later = [order(i, f"2025-03-01T11:{i - 1501:02d}:00.000Z") for i in range(1501, 1551)]
    state = {
        "bookmarks": {
            "orders": {
                "partitions": [
                    {"context": {"accountCode": "acme"}, "replication_key_value": "2025-03-01T10:00:00.000Z"}
                ]
            }
        }
    }
    with PagingBrightpearl(same + later, Knobs(shuffle_ties=True)) as server:
        run = _run(tmp_path, server, state=state, lookback_minutes=0)
        sorts = {q.get("sort") for q in server.search_log}
    assert run.returncode == 0, run.stderr[-2000:]
    assert _ids(run) == list(range(1, 1551))
    assert sorts == {"orderId.ASC"}, "pages sorted by the id, which no two orders share"
    assert _bookmark(run) == "2025-03-01T11:49:00.000Z"


def test_a_search_that_ignores_the_sort_fails_loudly_and_keeps_the_bookmark(tmp_path):
    state = {
        "bookmarks": {
            "orders": {
                "partitions": [
                    {"context": {"accountCode": "acme"}, "replication_key_value": "2025-01-01T00:00:00.000Z"}
                ]
            }
        }
    }
    orders = [order(i, f"2025-03-01T10:00:{(1000 - i) % 60:02d}.000Z") for i in range(1, 1001)]
    with PagingBrightpearl(orders, Knobs(ignore_sort=True)) as server:
        run = _run(tmp_path, server, state=state)
    assert run.returncode == 1
    assert "did not sort by orderId" in run.stderr
    assert _bookmark(run) == "2025-01-01T00:00:00.000Z", "the bookmark stays where it was"
    assert_no_traceback(run)


def test_a_listing_that_stops_short_flags_no_live_record_deleted(tmp_path):
    known = {"context": {"accountCode": "acme"}, "replication_key_value": "2025-06-01T00:00:00.000Z", "ids": "1-1000"}
    state = {"bookmarks": {"orders": {"partitions": [known]}}}
    with PagingBrightpearl(_orders(1000), Knobs(deliver_only=935)) as server:
        run = _run(tmp_path, server, state=state, deletes_now=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert not [r for r in run.records("orders") if r.get("_sdc_deleted_at")], "no live order flagged deleted"
    warning = [line for line in run.stderr.splitlines() if "no deletes pass this run" in line]
    assert warning and "announced 1000" in warning[0] and "935" in warning[0], run.stderr[-2000:]


def test_an_incremental_read_that_stops_short_fails_with_both_counts(tmp_path):
    state = {
        "bookmarks": {
            "orders": {
                "partitions": [
                    {"context": {"accountCode": "acme"}, "replication_key_value": "2020-01-01T00:00:00.000Z"}
                ]
            }
        }
    }

    class ShortServer(PagingBrightpearl):
        def _search(self, query):
            answer = super()._search(query)
            body = json.loads(answer.body)
            body["response"]["metaData"]["resultsAvailable"] = 1000  # announced; 935 exist
            return type(answer)(answer.status, json.dumps(body).encode(), answer.headers)

    with ShortServer(_orders(935)) as server:
        run = _run(tmp_path, server, state=state)
    assert run.returncode == 1
    line = next(line for line in run.stderr.splitlines() if "ERROR" in line and "announced 1000" in line)
    assert "935 were read" in line and "orders" in line
    assert _bookmark(run) == "2020-01-01T00:00:00.000Z", "the bookmark does not move over a short read"
    assert _summary(run)["expected"] == 1000 and _summary(run)["read"] == 935


def test_ids_that_vanish_between_search_and_get_are_asked_once_more_then_counted(tmp_path):
    with PagingBrightpearl(_orders(300), Knobs(vanish={7, 8, 250})) as server:
        run = _run(tmp_path, server)
        gets = [s.target for s in server.seen if "/order-service/order/" in s.target]
    assert run.returncode == 0, run.stderr[-2000:]
    assert _ids(run) == [i for i in range(1, 301) if i not in (7, 8, 250)]
    rechecks = [g.split("?")[0].rsplit("/", 1)[1] for g in gets if "-200?" not in g and "-300?" not in g]
    assert rechecks == ["7-8", "250"], f"one re-check per ID set, of its missing ids only: {gets}"
    assert "3 of 300 listed record(s) were gone when asked for" in run.stderr


def test_rows_deleted_between_pages_shift_nothing_past_the_tap(tmp_path):
    with PagingBrightpearl(_orders(1200), Knobs(page_cap=200, delete_after_first_page=set(range(50, 80)))) as server:
        run = _run(tmp_path, server)
    assert run.returncode == 0, run.stderr[-2000:]
    wanted = [i for i in range(1, 1201) if not 50 <= i < 80]
    assert set(wanted) <= set(_ids(run)), f"lost: {sorted(set(wanted) - set(_ids(run)))[:20]}"


@pytest.mark.parametrize(
    "ranges", ["1-10000000,20000001-30000000,40000001-50000000,60000001-70000000,80000001-90000000"]
)
def test_a_state_naming_50_million_ids_is_refused_in_one_line(tmp_path, ranges):
    state = {"bookmarks": {"orders": {"partitions": [{"context": {"accountCode": "acme"}, "ids": ranges}]}}}
    assert len(json.dumps(state)) < 300
    with PagingBrightpearl(_orders(5)) as server:
        config = private_config(server.url)
        run = run_tap(config, tmp_path, state=state, capped=True)
        asked = list(server.seen)
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "bookmarks.orders.partitions[0].ids" in errors[0], run.stderr[-1500:]
    assert "MemoryError" not in run.stderr and not asked
    assert_no_traceback(run)
