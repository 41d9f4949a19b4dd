"""Contract: every row that says it is recorded or documented by a file is replayed from that file.

A row's evidence is what the README and `--about` show a user; a claim no test replays is a claim
nobody checks. Page URLs (documented pages without a stored body) and third-party sources are
shown, not replayed; a guess says so.
"""

from __future__ import annotations

from tap_brightpearl.catalog import ROWS
from tests.contract import documented, scenarios, test_recorded_goods_out
from tests.contract.harness import default_replies

HARNESS_FILES = (
    "vcr/order_search.json",
    "vcr/product_search.json",
    "vcr/customer/search/simple_search.json",
    "vcr/order_get_one.json",
    "vcr/product_get_one.json",
    "vcr/customer/get/simple_get.json",
    "docs/warehouse_get.body.json",
    "docs/account_configuration_get.body.json",
)


def _replayed() -> set[str]:
    return {*scenarios.SOURCES, test_recorded_goods_out.NOTE, *HARNESS_FILES, *documented.REPLAYED}


def test_the_harness_serves_the_files_it_claims(recordings):
    served = {reply.body for reply in default_replies(recordings).values()}
    for name in HARNESS_FILES:
        if name.startswith("docs/"):
            assert (recordings / name).read_bytes() in served, name


def test_every_recorded_or_documented_file_a_row_names_is_replayed(recordings):
    replayed = _replayed()
    unchecked = []
    for row in ROWS:
        for evidence in row.evidence:
            if evidence.kind not in ("recorded", "documented") or evidence.source.startswith("http"):
                continue
            assert (recordings / evidence.source).is_file(), f"{row.name}: {evidence.source} is not in the recordings"
            if evidence.source not in replayed:
                unchecked.append(f"{row.name}: {evidence.source}")
    assert not unchecked, f"rows cite files no contract test replays: {unchecked}"


def test_every_row_says_how_sure_it_is(recordings):
    for row in ROWS:
        assert row.evidence, f"{row.name} has no evidence"
        kinds = {e.kind for e in row.evidence}
        assert kinds <= {"recorded", "documented", "third-party", "guess"}, (row.name, kinds)
