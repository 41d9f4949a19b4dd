"""The replay server itself: the contract tests mean something only if it serves the recorded bytes."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import requests

from tests.contract.replay import ReplayServer, Reply, empty_search, recorded, route, spliced_patch_order


def test_every_recorded_answer_is_served_byte_for_byte(recordings):
    for path in sorted((recordings / "vcr").rglob("*.json")):
        name = str(path.relative_to(recordings))
        interactions = json.loads(path.read_text(encoding="utf-8"))["interactions"]
        for index, interaction in enumerate(interactions):
            method, uri = interaction["request"]["method"], urlsplit(interaction["request"]["uri"])
            path = requests.utils.requote_uri(uri.path)  # the counter-example warehouse_get has "<ACCOUNT>"
            want = interaction["response"]
            with ReplayServer([route(method, re.escape(path), recorded(recordings, name, index))]) as server:
                got = requests.request(method, f"{server.base_url}{path}?{uri.query}", timeout=10)
                assert not server.unmatched, name
            where = f"{name}#{index}"
            assert got.status_code == want["status"], where
            assert got.content == want["body"].encode("utf-8"), where
            assert got.headers["Content-Length"] == str(len(got.content)), where
            assert "Transfer-Encoding" not in got.headers, where
            for header in ("Ruid", "Content-Type", "Date", "Message-Type"):
                assert got.headers.get(header) == want["headers"].get(header), f"{where}: {header}"


def test_replies_in_turn_then_the_last_repeats_and_unmatched_is_404():
    first = Reply(503, (("Content-Type", "application/json"),), b'{"response":"one"}')
    second = Reply(200, (("Content-Type", "application/json"),), b'{"response":"two"}')
    with ReplayServer([route("GET", "/a/[0-9]+", first, second, query=lambda q: q.get("x") == "1")]) as server:
        bodies = [requests.get(f"{server.base_url}/a/7?x=1", timeout=10).content for _ in range(3)]
        missed = requests.get(f"{server.base_url}/a/7?x=2", headers={"X-Probe": "yes"}, timeout=10)
    assert bodies == [first.body, second.body, second.body]
    assert missed.status_code == 404
    assert missed.json() == {"errors": [{"code": "REPLAY-404", "message": "no recording for /a/7"}]}
    assert [(r.method, r.path, r.query) for r in server.unmatched] == [("GET", "/a/7", {"x": "2"})]
    assert server.unmatched[0].headers["x-probe"] == "yes"
    assert len(server.requests) == 4


def test_spliced_patch_order_is_the_patch_order_as_a_detail_list(recordings):
    patch = recorded(recordings, "vcr/order_patch.json", 1)
    spliced = spliced_patch_order(recordings)
    order_bytes = patch.body[len(b'{"response":') : -1]
    assert spliced.body == b'{"response":[' + order_bytes + b"]}"
    (order,) = json.loads(spliced.body)["response"]
    assert order == json.loads(patch.body)["response"]
    assert order["id"] == 329
    assert "updatedOn" not in order


def test_synthetic_empty_search_keeps_the_recorded_columns(recordings):
    search = recorded(recordings, "vcr/order_search.json")
    meta = json.loads(empty_search(search).body)["response"]["metaData"]
    assert meta["columns"] == json.loads(search.body)["response"]["metaData"]["columns"]
    assert meta["resultsReturned"] == 0
    assert meta["morePagesAvailable"] is False
