"""The emulator's hostile pagers (issue 19): the real tap reads everything, or fails loudly.

Each test turns one knob of tests/emulator/hostile_pagers.py on (a page cap below 500, ties in a new
order on every request, a search that stops short of what it announced, ids deleted between the
search and the GET) and runs the installed CLI against it, as a user would: every order is
emitted once, or the account's orders stream fails with both counts and its bookmark stays; no
live record is ever flagged deleted. tests/hostile/test_paging.py does the same against a server
this project did not write.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tap_brightpearl.idsets import Ranges
from tests.conftest import DEV_SECRET, DEV_TOKEN
from tests.emulator import Emulator
from tests.emulator.client import get

ORDERS = ("orders",)


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.timezone.utc)


def _codes(emu: Emulator) -> list[str]:
    return sorted(a.accountCode for a in emu.accounts)


def _partition(run, code: str) -> dict:
    return next(p for p in run.bookmark("orders")["partitions"] if p["context"] == {"accountCode": code})


def _bookmark(run, code: str) -> str | None:
    return _partition(run, code).get("replication_key_value")


def _live(run, code: str | None = None) -> list[int]:
    """Ids of orders emitted as records (not as deletes), of one account or all, repeats kept."""
    return [
        r["id"]
        for r in run.records("orders")
        if not r.get("_sdc_deleted_at") and (code is None or r["accountCode"] == code)
    ]


def _deleted(run) -> list[tuple[str, int]]:
    return sorted((r["accountCode"], r["id"]) for r in run.records("orders") if r.get("_sdc_deleted_at"))


def _summary(run) -> dict:
    line = next(line for line in run.stderr.splitlines() if "BRIGHTPEARL_RUN_SUMMARY" in line)
    return json.loads(line[line.index("{") :])["streams"]["orders"]


def _searches(emu: Emulator, code: str) -> list[dict[str, str]]:
    found = [r.path for r in emu.requests if f"/{code}/order-service/order-search" in r.path]
    return [{k: v[0] for k, v in parse_qs(urlsplit(p).query).items()} for p in found]


def _newest(emu: Emulator, code: str) -> dt.datetime:
    """The latest updatedOn (createdOn for a never-updated order) of the account's orders."""
    return max(_utc(o.get("updatedOn") or o["createdOn"]) for o in emu.account_data(code).orders)


@pytest.fixture
def emu():
    """Three readable accounts; the first holds 1,100 orders (pages of 200 and the ID-set GETs' 200 cap)."""
    # Every order updated once (no never-updated ones): a search on updatedOn announces every order.
    with Emulator(
        n_accounts=3,
        seed=19,
        developer_token=DEV_TOKEN,
        developer_secret=DEV_SECRET,
        orders_per_account=40,
        never_updated_fraction=0.0,
    ) as e:
        for account in e.accounts:
            account.enabled, account.gone = True, False
        e.set_account_sizes(_codes(e)[0], orders=1100)
        yield e


@pytest.fixture
def first(emu, tap):
    """A plain first read: the bookmarks and ids a later run starts from."""
    run = tap(emu.tap_config(), streams=ORDERS)
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def test_a_page_cap_of_200_still_emits_every_order_and_the_right_bookmarks(emu, tap):
    emu.hostile_pages(page_cap=200)
    big = _codes(emu)[0]
    answer = get(emu, next(a for a in emu.accounts if a.accountCode == big), "order-service/order-search", pageSize=500)
    meta = answer.json()["response"]["metaData"]
    assert (len(answer.json()["response"]["results"]), meta["resultsReturned"], meta["lastResult"]) == (200, 200, 200)
    assert meta["resultsAvailable"] == 1100 and meta["morePagesAvailable"] is True
    emu.clear_log()
    run = tap(emu.tap_config(), streams=ORDERS)
    assert run.returncode == 0, run.stderr[-2000:]
    total = 0
    for code in _codes(emu):
        orders = sorted(o["id"] for o in emu.account_data(code).orders)
        assert sorted(_live(run, code)) == orders, f"{code}: every order, each once, though pages hold 200"
        assert _utc(_bookmark(run, code)) == _newest(emu, code)
        total += len(orders)
    assert len(run.records("orders")) == total
    assert _summary(run)["expected"] == _summary(run)["read"] == total
    assert len(_searches(emu, big)) >= math.ceil(1100 / 200), "the big account was read in pages of 200"


def test_ties_in_a_new_order_on_every_request_lose_no_order(emu, tap, first):
    big = _codes(emu)[0]
    account = next(a for a in emu.accounts if a.accountCode == big)
    tied = sorted(o["id"] for o in emu.account_data(big).orders)[50:1050]
    emu.touch(big, "order", tied)  # one updatedOn for a thousand orders: ties across every page boundary
    emu.hostile_pages(shuffle_ties=True)
    stamp = _newest(emu, big)
    since = _utc(_bookmark(first, big))  # lookback 0: the orders at the old bookmark come again too
    wanted = {o["id"] for o in emu.account_data(big).orders if _utc(o["updatedOn"]) >= since}

    def tie_order() -> list[int]:
        answer = get(emu, account, "order-service/order-search", pageSize=500, sort="updatedOn.DESC")
        return [row[0] for row in answer.json()["response"]["results"]]

    assert tie_order() != tie_order(), "the knob is on: each request orders the ties anew"
    emu.clear_log()
    run = tap(emu.tap_config(lookback_minutes=0), streams=ORDERS, state=first.final_state)
    assert run.returncode == 0, run.stderr[-2000:]
    emitted = Counter(_live(run, big))
    assert set(tied) <= set(emitted) == wanted, f"lost: {sorted(wanted - set(emitted))[:20]}"
    assert set(emitted.values()) == {1}, "every order exactly once"
    assert _utc(_bookmark(run, big)) == stamp
    assert {q["sort"] for q in _searches(emu, big)} == {"orderId.ASC"}, "sorted by the id no two orders share"


def test_a_search_that_stops_short_fails_the_account_loudly_and_keeps_its_bookmark(emu, tap):
    short = _codes(emu)[0]
    ids = Ranges.of(sorted(o["id"] for o in emu.account_data(short).orders)).text()
    old = "2000-01-01T00:00:00.000Z"
    known = {"context": {"accountCode": short}, "replication_key_value": old, "ids": ids}
    emu.hostile_pages(short, short_by=110)  # the last page never comes: 1,100 announced, 990 delivered
    state = {"bookmarks": {"orders": {"partitions": [known]}}}
    run = tap(emu.tap_config(deletes_now=True), streams=ORDERS, state=state)
    assert run.returncode != 0
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line and f"orders: account '{short}'" in line]
    assert errors, run.stderr[-3000:]
    assert "announced 1100 results" in errors[0] and "990 were read" in errors[0], errors[0]
    assert _bookmark(run, short) == old, "the short account's bookmark does not move"
    assert _partition(run, short)["ids"] == ids, "nor do its known ids"
    for code in _codes(emu)[1:]:
        assert _utc(_bookmark(run, code)) == _newest(emu, code), "the other accounts are read and move on"
        assert sorted(_live(run, code)) == sorted(o["id"] for o in emu.account_data(code).orders)
    assert not _deleted(run), "no record flagged deleted from a short read"
    summary = _summary(run)
    assert summary["expected"] - summary["read"] == 110, summary
    assert "Run again: those accounts' bookmarks stayed" in run.stderr, "the advice fits a short read, not access"


def test_every_account_read_short_is_told_to_run_again_not_to_check_access(emu, tap):
    for code in _codes(emu):
        emu.hostile_pages(code, short_by=110)
    run = tap(emu.tap_config(), streams=ORDERS)
    assert run.returncode == 1, run.stderr[-2000:]
    final = [line for line in run.stderr.splitlines() if "ERROR" in line][-1]
    assert "every account failed" in run.stderr, run.stderr[-2000:]
    assert "Run again: those accounts' bookmarks stayed" in final, final
    assert "may read these accounts' data" not in final, final


def test_a_listing_that_stops_short_runs_no_deletes_pass(emu, tap, first):
    short = _codes(emu)[0]
    touched = sorted(o["id"] for o in emu.account_data(short).orders)[:5]
    emu.touch(short, "order", touched)
    emu.hostile_pages(short, short_by=110, short_where="listing")  # the deletes pass's listing: 990 of 1,100
    since = _utc(_bookmark(first, short))  # lookback 0: the orders at the old bookmark come again too
    wanted = sorted(o["id"] for o in emu.account_data(short).orders if _utc(o["updatedOn"]) >= since)
    run = tap(emu.tap_config(deletes_now=True, lookback_minutes=0), streams=ORDERS, state=first.final_state)
    assert run.returncode == 0, run.stderr[-2000:]
    assert not _deleted(run), "no live order flagged deleted"
    assert set(touched) <= set(wanted) and sorted(_live(run, short)) == wanted
    warning = [line for line in run.stderr.splitlines() if "no deletes pass this run" in line]
    assert warning and f"account '{short}'" in warning[0], run.stderr[-2000:]
    assert "announced 1100 results" in warning[0] and "990 were read" in warning[0], warning[0]
    assert _partition(run, short)["ids"] == _partition(first, short)["ids"], "every known id is kept"
    assert _utc(_bookmark(run, short)) == _newest(emu, short), "the read itself was whole"


def test_ids_deleted_between_the_search_and_the_get_are_rechecked_then_flagged_only_when_gone(emu, tap, first):
    code = _codes(emu)[1]
    touched = sorted(o["id"] for o in emu.account_data(code).orders)[:20]
    emu.touch(code, "order", touched)
    gone = touched[3:5] + touched[12:13]
    emu.vanish_after_search(code, "order", gone)
    emu.clear_log()
    run = tap(emu.tap_config(deletes_now=True), streams=ORDERS, state=first.final_state)
    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(_live(run, code)) == [i for i in touched if i not in gone]
    assert f"orders: account '{code}': 3 of 20 listed record(s) were gone when asked for" in run.stderr
    assert _deleted(run) == [(code, i) for i in gone], "flagged deleted: exactly the vanished, confirmed gone"
    assert _summary(run)["vanished"] == 3, "an orchestrator sees them without parsing prose"
    asked = Counter()
    for request in emu.requests:
        path = urlsplit(request.path).path
        if f"/{code}/order-service/order/" in path:
            for i in Ranges.parse(unquote(path.rsplit("/", 1)[1])).ids():
                asked[i] += 1
    assert all(asked[i] == 3 for i in gone), f"listed, asked again, confirmed by the deletes pass: {asked}"
    live = {o["id"] for o in emu.account_data(code).orders}
    assert not live & {i for _, i in _deleted(run)}, "no live record flagged deleted"
    assert not set(gone) & set(Ranges.parse(_partition(run, code)["ids"]).ids()), "forgotten once reported"


def test_most_listed_ids_missing_from_their_get_are_said_in_a_warning(emu, tap, first):
    # A GET that answers few of the ids its search listed is not passed over in an INFO line.
    code = _codes(emu)[1]
    touched = sorted(o["id"] for o in emu.account_data(code).orders)[:20]
    emu.touch(code, "order", touched)
    emu.vanish_after_search(code, "order", touched[:15])
    run = tap(emu.tap_config(), streams=ORDERS, state=first.final_state)
    assert run.returncode == 0, run.stderr[-2000:]
    warnings = [line for line in run.stderr.splitlines() if "WARNING" in line and f"orders: account '{code}'" in line]
    assert warnings and "15 of 20 listed record(s) were gone" in warnings[0], run.stderr[-3000:]
    assert "so many is unusual" in warnings[0]
    assert sorted(_live(run, code)) == touched[15:]


def test_the_command_line_turns_the_knobs_on_for_every_account():
    from tests.emulator.__main__ import hostile_pages, parse_args

    args = parse_args(["--page-cap", "150", "--shuffle-ties", "--short-by", "2", "--short-listing-only"])
    with Emulator(n_accounts=2, seed=19) as e:
        hostile_pages(e, args)
        knobs = e.pagers.knobs(_codes(e)[1])
    assert (knobs.page_cap, knobs.shuffle_ties, knobs.short_by, knobs.short_where) == (150, True, 2, "listing")
    with pytest.raises(ValueError, match="short_where"):
        e.hostile_pages(short_where="sometimes")
