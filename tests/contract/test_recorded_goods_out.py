"""Contract: goods-out notes, from the recorded goods-out note GET (a map keyed by note id).

No recording shows the goods-out search, so the search answer here is synthetic (a guess in
the documented column names); the note body the tap emits is the recorded one, byte for byte
as Brightpearl sent it.
"""

from __future__ import annotations

import json

from tests.contract.compare import parse_instant, record_problems
from tests.contract.harness import ACC, assert_clean
from tests.contract.replay import recorded, route, with_body

NOTE = "vcr/goods_out_note/get/by_gon_id.json"
SEARCH = rf"{ACC}/warehouse-service/goods-note/goods-out-search/?"
DETAIL = rf"{ACC}/warehouse-service/order/\*/goods-note/goods-out/12447605"
COLUMNS = ("goodsOutNoteId", "orderId", "warehouseId", "createdOn", "shipped")


def _search(note_reply):  # synthetic: one row naming the recorded note
    note = json.loads(note_reply.body)["response"]["12447605"]
    payload = {
        "response": {
            "results": [[12447605, note["orderId"], note["warehouseId"], note["createdOn"], True]],
            "metaData": {
                "resultsAvailable": 1,
                "resultsReturned": 1,
                "firstResult": 1,
                "lastResult": 1,
                "morePagesAvailable": False,
                "columns": [{"name": c} for c in COLUMNS],
            },
        },
        "reference": {},
    }
    return with_body(note_reply, json.dumps(payload).encode())


def _routes(recordings):
    note = recorded(recordings, NOTE)
    return [route("GET", SEARCH, _search(note)), route("GET", DETAIL, note)]


def test_the_recorded_goods_out_note_arrives_whole_with_its_events(recordings, schemas, tap):
    run = tap(_routes(recordings), streams=("goods_out_notes",))
    assert_clean(run)
    assert run.returncode == 0, run.describe()
    records = run.records("goods_out_notes")
    assert len(records) == 1, f"the note is found by the dated search and the not-shipped search; one record: {records}"
    body = json.loads(recorded(recordings, NOTE).body)["response"]["12447605"]
    record = records[0]
    assert record["goodsOutNoteId"] == 12447605, "the map key becomes the record's id"
    problems = record_problems("goods_out_notes", record, body, schemas["goods_out_notes"])
    assert not problems, "\n".join(problems)
    assert [e["eventCode"] for e in record["events"]] == ["PLA", "SHW", "PRI", "PIC", "PAC"]
    assert "otherMembers" not in record or not record["otherMembers"], "the schema declares every recorded member"


def test_the_goods_out_bookmark_is_the_notes_createdOn_in_utc(recordings, tap):
    run = tap(_routes(recordings), streams=("goods_out_notes",))
    assert parse_instant(run.bookmark("goods_out_notes")) == parse_instant("2025-11-04T10:17:45.000-06:00")
    assert run.bookmark("goods_out_notes").endswith("Z"), run.final_state
