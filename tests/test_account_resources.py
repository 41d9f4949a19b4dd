"""Every account stream beyond orders, products and contacts, over real HTTP against the emulator.

What each stream loads is compared with what the emulator serves for the same request (read with a
plain client, as the row in tap_brightpearl/catalog.py says to ask it), account by account: nothing
lost, nothing twice, every member declared. One account is big enough that searches page (620
goods movements) and ID sets hit their caps (230 journals, 230 products); one account's accounting
service refuses the token (401), so its finance streams skip that account alone, with a WARNING.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tap_brightpearl.catalog import ROWS_BY_NAME
from tap_brightpearl.tap import TapBrightpearl
from tests.conftest import (
    ALL_ACCOUNT_STREAMS,
    DEV_SECRET,
    DEV_TOKEN,
    DEVELOPER_STREAMS,
    MORE_ACCOUNT_STREAMS,
    TapRun,
    catalog_selecting,
    run_tap,
)
from tests.emulator import Emulator
from tests.emulator.client import every_row, get

# Streams whose records are the items of a plain GET, and streams whose records are a search's rows.
LISTS = sorted(n for n in MORE_ACCOUNT_STREAMS if ROWS_BY_NAME[n].get and not ROWS_BY_NAME[n].detail)
SEARCH_ROWS = sorted(
    n for n in MORE_ACCOUNT_STREAMS if ROWS_BY_NAME[n].lists_rows and not ROWS_BY_NAME[n].totals_untrusted
)
REFUSING = "accounting-service/"


def _enabled(emu: Emulator) -> list:
    return sorted((a for a in emu.accounts if a.enabled and not a.gone), key=lambda a: a.accountCode)


def _key(stream: str, record: dict) -> tuple:
    return tuple(record[k] for k in ROWS_BY_NAME[stream].key)


class Fleet:
    """The emulator, its big account, the account whose accounting service refuses, and one run of every stream."""

    def __init__(self, emu: Emulator, run: TapRun, big: str, refused: str) -> None:
        self.emu, self.run, self.big, self.refused = emu, run, big, refused

    def loaded(self, stream: str, code: str) -> list[dict]:
        return [r for r in self.run.records(stream) if r["accountCode"] == code]

    def accounts(self, stream: str) -> list:
        """The accounts whose `stream` the run read (the refusing one is skipped in accounting streams)."""
        row = ROWS_BY_NAME[stream]
        refusing = any(p.startswith(REFUSING) for p in (*row.get, row.search or "", row.detail or ""))
        return [a for a in _enabled(self.emu) if not (refusing and a.accountCode == self.refused)]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    with Emulator(
        n_accounts=4,
        seed=31,
        developer_token=DEV_TOKEN,
        developer_secret=DEV_SECRET,
        orders_per_account=60,
        payments_per_account=12,
    ) as emu:
        accounts = _enabled(emu)
        big, refused = accounts[0].accountCode, accounts[-1].accountCode
        emu.set_account_sizes(big, goods_movements=620, journals=230, products=230)
        emu.add_fault(
            f"/public-api/{refused}/{REFUSING}",
            "status",
            status=401,
            body=b'{"response": "Authorization token expired"}',
            times=10_000,
        )
        config = emu.tap_config()
        where = tmp_path_factory.mktemp("every-stream")
        run = run_tap(config, where, catalog=catalog_selecting(config, MORE_ACCOUNT_STREAMS), timeout=300)
        emu.clear_faults()
        yield Fleet(emu, run, big, refused)


def test_the_catalog_offers_exactly_the_rows_in_sync_order(fleet):
    catalog = TapBrightpearl(config=fleet.emu.tap_config(), validate_config=False).catalog_dict
    offered = [entry["tap_stream_id"] for entry in catalog["streams"]]
    assert offered == [*DEVELOPER_STREAMS, *ALL_ACCOUNT_STREAMS]


def test_the_run_succeeds_and_skips_only_the_refusing_account(fleet):
    run = fleet.run
    assert run.returncode == 0, run.stderr[-3000:]
    for stream in ("journals", "customer_payments", "supplier_payments", "tax_codes", "currencies"):
        assert not fleet.loaded(stream, fleet.refused), stream
        assert f"{stream}: skipping account '{fleet.refused}'" in run.stderr, stream
    assert fleet.loaded("goods_movements", fleet.refused), "the refusing account's other services are still read"
    run.assert_no_secrets()


def test_every_stream_reads_what_brightpearl_announced(fleet):
    line = next(line for line in fleet.run.stderr.splitlines() if "BRIGHTPEARL_RUN_SUMMARY" in line)
    streams = json.loads(line)["streams"]
    for stream in MORE_ACCOUNT_STREAMS:
        assert streams[stream]["status"] == "succeeded", (stream, streams[stream])
        assert streams[stream]["expected"] == streams[stream]["read"], (stream, streams[stream])
    assert "does not declare" not in fleet.run.stderr, "every member the emulator sends is declared"


@pytest.mark.parametrize("stream", LISTS)
def test_lists_load_every_item(fleet, stream):
    row = ROWS_BY_NAME[stream]
    for account in fleet.accounts(stream):
        served = []
        for index, path in enumerate(row.get):
            items = get(fleet.emu, account, path).json()["response"]
            items = [items] if row.answer == "object" else items
            if row.tag_member:
                items = [{row.tag_member: row.tags[index], **item} for item in items]
            served += items
        loaded = fleet.loaded(stream, account.accountCode)
        if stream == "account_configuration":
            assert len(loaded) == 1 and loaded[0]["timeZone"] == served[0]["configuration"]["timeZone"]
            continue
        assert sorted(_key(stream, r) for r in loaded) == sorted(_key(stream, i) for i in served), stream
        assert all(not r.get("otherMembers") for r in loaded), f"{stream}: the schema declares every member"


@pytest.mark.parametrize("stream", SEARCH_ROWS)
def test_searched_rows_load_every_row_of_every_account_once(fleet, stream):
    row = ROWS_BY_NAME[stream]
    for account in fleet.accounts(stream):
        served = sorted(_key(stream, r) for r in every_row(fleet.emu, account, row.search))
        loaded = sorted(_key(stream, r) for r in fleet.loaded(stream, account.accountCode))
        assert loaded == served, f"{stream} of {account.accountCode}"


def test_searches_page_past_500_rows(fleet):
    movements = [r for r in fleet.emu.requests if f"/{fleet.big}/warehouse-service/goods-movement-search" in r.path]
    firsts = {int(m.group(1)) for r in movements if (m := re.search(r"firstResult=(\d+)", r.path))}
    assert len(firsts) >= 2 and max(firsts) > 1, "620 movements need a second page"
    assert len(fleet.loaded("goods_movements", fleet.big)) == 620


def _id_sets(emu: Emulator, code: str, pattern: str) -> list[int]:
    sizes = []
    for request in emu.requests:
        m = re.search(pattern, request.path.split("?")[0])
        if m and f"/{code}/" in request.path:
            ids = 0
            for part in m.group(1).split(","):
                low, _, high = part.partition("-")
                ids += int(high or low) - int(low) + 1
            sizes.append(ids)
    return sizes


@pytest.mark.parametrize(
    ("stream", "pattern", "table"),
    [
        ("journals", r"/accounting-service/journal/([\d,-]+)$", "journal"),
        ("stock_levels", r"/warehouse-service/product-availability/([\d,-]+)$", "product"),
        ("product_prices", r"/product-service/product-price/([\d,-]+)$", "product"),
        ("product_option_values", r"/product-service/product/([\d,-]+)/option-value$", "product"),
    ],
)
def test_id_sets_stay_within_their_cap_and_are_full(fleet, stream, pattern, table):
    cap = ROWS_BY_NAME[stream].detail_cap
    sizes = sorted(_id_sets(fleet.emu, fleet.big, pattern), reverse=True)  # sent a few at a time
    data = fleet.emu.account_data(fleet.big)
    # journals: 230 + one per payment
    records = len(data.group("finance").journals) if table == "journal" else len(data.table(table).records)
    assert records > cap, "the big account needs more than one ID set"
    assert sizes[:-1] == [cap] * (len(sizes) - 1), f"{stream}: every set but the last is full: {sizes}"
    assert 0 < sizes[-1] <= cap and sum(sizes) == records, f"{stream}: ID sets of {sizes}"


def test_journals_are_one_record_per_line_and_balance(fleet):
    for account in fleet.accounts("journals"):
        journals = list(fleet.emu.account_data(account.accountCode).group("finance").journals.values())
        loaded = fleet.loaded("journals", account.accountCode)
        assert len(loaded) == sum(len(j["credits"]) + len(j["debits"]) for j in journals)
        assert {r["journalId"] for r in loaded} == {j["id"] for j in journals}
        for journal in journals:
            lines = [r for r in loaded if r["journalId"] == journal["id"]]
            assert {r["side"] for r in lines} == {"credit", "debit"}
            assert all(r["journalTypeCode"] == journal["journalTypeCode"] for r in lines), "journal members on each"


def test_stock_levels_are_per_product_and_warehouse_and_add_up(fleet):
    loaded = fleet.loaded("stock_levels", fleet.big)
    tracked = {
        p["id"] for p in fleet.emu.account_data(fleet.big).table("product").records if p["stock"]["stockTracked"]
    }
    assert {r["productId"] for r in loaded} == tracked, "every stock-tracked product, no other"
    for product in sorted(tracked)[:20]:
        rows = [r for r in loaded if r["productId"] == product]
        assert sum(r["onHand"] for r in rows) == rows[0]["productTotal"]["onHand"]
    assert len({(r["productId"], r["warehouseId"]) for r in loaded}) == len(loaded)


def test_product_prices_cover_every_product_and_price_list(fleet):
    lists = {r["id"] for r in fleet.loaded("price_lists", fleet.big)}
    loaded = fleet.loaded("product_prices", fleet.big)
    products = {r["productId"] for r in loaded}
    assert {(r["productId"], r["priceListId"]) for r in loaded} == {(p, lst) for p in products for lst in lists}
    assert len(products) == 230


def test_goods_in_notes_are_the_notes_of_the_purchase_orders_the_search_lists(fleet):
    for account in fleet.accounts("goods_in_notes"):
        orders = sorted(
            {r["purchaseOrderId"] for r in every_row(fleet.emu, account, "warehouse-service/goods-in-search")}
        )
        served = {}
        for i in range(0, len(orders), 200):
            ids = ",".join(map(str, orders[i : i + 200]))
            answer = get(fleet.emu, account, f"warehouse-service/order/{ids}/goods-note/goods-in")
            served |= answer.json()["response"] if answer.status_code == 200 else {}
        loaded = fleet.loaded("goods_in_notes", account.accountCode)
        assert sorted(r["goodsNoteId"] for r in loaded) == sorted(int(k) for k in served)


def test_contact_groups_and_their_members_are_read_through_the_documented_paths(fleet):
    code = fleet.big
    account = next(a for a in fleet.emu.accounts if a.accountCode == code)
    groups = {r["id"] for r in every_row(fleet.emu, account, "contact-service/contact-group-search")}
    assert {r["id"] for r in fleet.loaded("contact_groups", code)} == groups
    members = {(m["contactGroupId"], m["contactId"]) for m in fleet.loaded("contact_group_members", code)}
    served = {
        (group, contact)
        for group in groups
        for contact in get(fleet.emu, account, f"contact-service/contact-group/{group}/member").json()["response"][
            "contactMemberIds"
        ]
    }
    assert members == served and members
    asked = [r.path for r in fleet.emu.requests if f"/{code}/contact-service/contact-group/" in r.path]
    assert all(re.search(r"contact-group/(\d+/member|[\d,-]+)(\?|$)", p) for p in asked), asked


def test_warehouse_locations_are_each_warehouses_own(fleet):
    code = fleet.big
    account = next(a for a in fleet.emu.accounts if a.accountCode == code)
    warehouses = [w["id"] for w in get(fleet.emu, account, "warehouse-service/warehouse").json()["response"]]
    served = {
        (w, loc["id"])
        for w in warehouses
        for loc in get(fleet.emu, account, f"warehouse-service/warehouse/{w}/location").json()["response"]
    }
    loaded = {(r["warehouseId"], r["id"]) for r in fleet.loaded("warehouse_locations", code)}
    assert loaded == served and loaded
