"""Deletes: Brightpearl keeps no tombstones, so the tap compares live ids with the ids it loaded.

A record deleted in Brightpearl arrives once more, as its key and `_sdc_deleted_at`, on the
next deletes pass (every `deletes_every_days`, or when `deletes_now` is set). A pass that would
mark more than `deletes_max_share` of the known ids deleted (an empty or broken answer) marks
nothing and says so in a WARNING.
"""

from __future__ import annotations

import pytest

from tap_brightpearl.idsets import Ranges
from tests.conftest import DEV_SECRET, DEV_TOKEN
from tests.emulator import Emulator

STREAMS = ("orders", "products", "contacts", "goods_out_notes")


def _ids(text: str) -> set[int]:
    return set(Ranges.parse(text).ids())


def _partition(run, stream: str, code: str) -> dict:
    return next(p for p in run.bookmark(stream)["partitions"] if p["context"] == {"accountCode": code})


def _deleted(run, stream: str) -> list[dict]:
    return [r for r in run.records(stream) if r.get("_sdc_deleted_at")]


def _listings(emu: Emulator, search: str) -> list[str]:
    """Searches with no date filter: a deletes pass listing every live id."""
    return [
        r.path for r in emu.requests if search in r.path and "updatedOn=" not in r.path and "createdOn=" not in r.path
    ]


@pytest.fixture
def emu():
    with Emulator(
        n_accounts=3, seed=61, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET, orders_per_account=50
    ) as e:
        yield e


@pytest.fixture
def first(emu, tap):
    run = tap(emu.tap_config(), streams=STREAMS)
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def _code(emu: Emulator) -> str:
    return sorted(a.accountCode for a in emu.accounts if a.enabled and not a.gone)[0]


def test_the_first_run_remembers_every_id_it_loaded(emu, first):
    code = _code(emu)
    for stream, key in (("orders", "id"), ("products", "id"), ("contacts", "contactId")):
        loaded = {r[key] for r in first.records(stream) if r["accountCode"] == code}
        assert _ids(_partition(first, stream, code)["ids"]) == loaded, stream
        assert _partition(first, stream, code)["deletes_checked_at"].endswith("Z")
    assert not any(_deleted(first, s) for s in STREAMS)


def test_a_deleted_order_and_product_arrive_flagged_on_the_next_pass(emu, tap, first):
    code = _code(emu)
    order = sorted(r["id"] for r in first.records("orders") if r["accountCode"] == code)[3]
    product = sorted(r["id"] for r in first.records("products") if r["accountCode"] == code)[1]
    emu.delete_records(code, "order", [order])
    emu.delete_records(code, "product", [product])
    second = tap(emu.tap_config(deletes_now=True), state=first.final_state, streams=STREAMS)
    assert second.returncode == 0, second.stderr[-2000:]
    assert [(r["accountCode"], r["id"]) for r in _deleted(second, "orders")] == [(code, order)]
    assert [(r["accountCode"], r["id"]) for r in _deleted(second, "products")] == [(code, product)]
    assert not _deleted(second, "contacts") and not _deleted(second, "goods_out_notes")
    assert f"orders: account '{code}': 1 record(s) deleted in Brightpearl since the last pass" in second.stderr
    assert order not in _ids(_partition(second, "orders", code)["ids"]), "reported once, then forgotten"
    third = tap(emu.tap_config(deletes_now=True), state=second.final_state, streams=STREAMS)
    assert not _deleted(third, "orders") and not _deleted(third, "products")


def test_a_deleted_goods_out_note_is_flagged_too(emu, tap, first):
    code = _code(emu)
    note = next(r["goodsOutNoteId"] for r in first.records("goods_out_notes") if r["accountCode"] == code)
    emu.delete_records(code, "goods-out-note", [note])
    second = tap(emu.tap_config(deletes_now=True), state=first.final_state, streams=("goods_out_notes",))
    assert [(r["accountCode"], r["goodsOutNoteId"]) for r in _deleted(second, "goods_out_notes")] == [(code, note)]


def test_between_passes_no_listing_is_made(emu, tap, first):
    emu.clear_log()
    again = tap(emu.tap_config(), state=first.final_state, streams=("orders",))
    assert again.returncode == 0
    assert not _listings(emu, "order-search"), "the last pass was less than deletes_every_days (7) ago"
    emu.clear_log()
    tap(emu.tap_config(deletes_every_days=0.00001), state=first.final_state, streams=("orders",))
    assert _listings(emu, "order-search"), "a pass is due once deletes_every_days have gone by"


def test_deletes_every_days_zero_turns_passes_off(emu, tap, first):
    code = _code(emu)
    emu.delete_records(code, "order", [next(r["id"] for r in first.records("orders") if r["accountCode"] == code)])
    emu.clear_log()
    run = tap(emu.tap_config(deletes_every_days=0), state=first.final_state, streams=("orders",))
    assert not _deleted(run, "orders") and not _listings(emu, "order-search")


def test_a_broken_answer_deletes_nothing_and_says_so(emu, tap, first):
    code = _code(emu)
    known = _ids(_partition(first, "orders", code)["ids"])
    emu.break_search(code, "order", "empty")
    broken = tap(emu.tap_config(deletes_now=True), state=first.final_state, streams=("orders",))
    assert broken.returncode == 0, broken.stderr[-2000:]
    assert not _deleted(broken, "orders")
    # every candidate is asked for by ID-set GET before it is flagged: Brightpearl still has them all
    warnings = [w for w in broken.warnings() if "still there when asked for" in w and code in w]
    assert len(warnings) == 1 and f"{len(known)} id(s) the listing left out" in warnings[0]
    assert _ids(_partition(broken, "orders", code)["ids"]) == known, "the known ids survive a broken pass"
    emu.break_search(code, "order", None)
    deleted = sorted(known)[0]
    emu.delete_records(code, "order", [deleted])
    mended = tap(emu.tap_config(deletes_now=True), state=broken.final_state, streams=("orders",))
    assert [r["id"] for r in _deleted(mended, "orders")] == [deleted]


def test_more_than_the_share_is_refused_unless_the_share_is_raised(emu, tap, first):
    code = _code(emu)
    ids = sorted(r["id"] for r in first.records("orders") if r["accountCode"] == code)
    gone = ids[: len(ids) // 2]
    emu.delete_records(code, "order", gone)
    refused = tap(emu.tap_config(deletes_now=True), state=first.final_state, streams=("orders",))
    assert not _deleted(refused, "orders")
    assert any("deletes_max_share (0.1)" in w for w in refused.warnings())
    allowed = tap(emu.tap_config(deletes_now=True, deletes_max_share=0.6), state=first.final_state, streams=("orders",))
    assert sorted(r["id"] for r in _deleted(allowed, "orders")) == gone
