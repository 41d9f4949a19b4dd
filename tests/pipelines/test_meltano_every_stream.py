"""Every stream through `meltano run tap-brightpearl target-postgres`, and deletes reaching PostgreSQL.

Every account stream is selected (`*.*`) and lands in its own table, with the rows the
emulator serves, in warehouse-friendly types: arrays of objects as one jsonb array, money as
numeric (sum() and jsonb_array_elements() work without casts). An order and a product deleted in
Brightpearl are flagged in PostgreSQL
(`_sdc_deleted_at`) after the next deletes pass; a broken answer flags nothing. (target-postgres
upserts the flagged record as a row; its `hard_delete` acts only on ACTIVATE_VERSION, which
this tap does not send.)
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ALL_ACCOUNT_STREAMS, DEV_SECRET, DEV_TOKEN
from tests.emulator import Emulator
from tests.emulator.client import every_row
from tests.pipelines.conftest import Meltano, tap_env
from tests.pipelines.test_meltano_postgres import RUN

pytestmark = pytest.mark.pipeline

ACCOUNT_STREAMS = ALL_ACCOUNT_STREAMS
SEARCHED = {  # stream -> the search whose rows (or ids) are its records
    "goods_movements": "warehouse-service/goods-movement-search",
    "goods_out_notes": "warehouse-service/goods-note/goods-out-search",
    "order_notes": "order-service/order-note-search",
    "customer_payments": "accounting-service/customer-payment-search",
}
TYPES = {  # (table, column) -> the PostgreSQL type it must land as
    ("orders", "orderRows"): "jsonb",
    ("orders", "invoices"): "jsonb",
    ("products", "salesChannels"): "jsonb",
    ("warehouses", "externalTransferSlas"): "jsonb",
    ("customer_payments", "amountPaid"): "numeric",
    ("journals", "transactionAmount"): "numeric",
    ("currencies", "exchangeRate"): "numeric",
}


@pytest.fixture
def emu() -> Any:
    with Emulator(
        n_accounts=4, seed=72, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET, orders_per_account=60
    ) as emu:
        yield emu


def _enabled(emu: Emulator) -> list[str]:
    return sorted(a.accountCode for a in emu.accounts if a.enabled and not a.gone)


def _env(emu: Emulator, **settings: Any) -> dict[str, str]:
    return {**tap_env(emu.tap_config(**settings)), "TAP_BRIGHTPEARL__SELECT": json.dumps(["*.*"])}


def _flagged(query: Any, table: str, key: str) -> set[tuple[str, int]]:
    rows = query(f'select "accountCode", "{key}" from {table} where _sdc_deleted_at is not null')
    return {(r["accountCode"], r[key]) for r in rows}


def test_every_stream_lands_in_postgres_and_deletes_are_flagged(meltano: Meltano, query: Any, emu: Emulator) -> None:
    meltano(*RUN, env=_env(emu)).check().assert_no_secrets()
    tables = {
        r["table_name"]
        for r in query("select table_name from information_schema.tables where table_schema = current_schema()")
    }
    assert set(ACCOUNT_STREAMS) <= tables, f"missing tables: {sorted(set(ACCOUNT_STREAMS) - tables)}"
    enabled = _enabled(emu)
    accounts = [a for a in emu.accounts if a.accountCode in enabled]
    for stream, path in SEARCHED.items():
        served = sum(len(every_row(emu, a, path)) for a in accounts)
        assert query(f"select count(*) as n from {stream}")[0]["n"] == served, stream
    lines = sum(
        len(j["credits"]) + len(j["debits"])
        for c in enabled
        for j in emu.account_data(c).group("finance").journals.values()
    )
    assert query("select count(*) as n from journals")[0]["n"] == lines
    for (table, column), wanted in TYPES.items():
        found = query(
            "select data_type from information_schema.columns where table_schema = current_schema() "
            "and table_name = %s and column_name = %s",
            table,
            column,
        )
        assert found and found[0]["data_type"] == wanted, (table, column, found)
    paid = query('select sum("amountPaid") as total from customer_payments')[0]["total"]
    assert paid is not None and paid > 0, "money sums without a cast"
    rows = query('select count(*) as n from orders, jsonb_array_elements("orderRows") as row')[0]["n"]
    assert rows == sum(len(o["orderRows"]) for c in enabled for o in emu.account_data(c).orders)
    for stream in ACCOUNT_STREAMS:
        assert query(f"select count(*) as n from {stream}")[0]["n"] > 0, f"{stream} loaded no row"

    code = enabled[0]
    order = emu.account_data(code).orders[2]["id"]
    product = emu.account_data(code).products[1]["id"]
    emu.delete_records(code, "order", [order])
    emu.delete_records(code, "product", [product])
    meltano(*RUN, env=_env(emu, deletes_now=True)).check()
    assert _flagged(query, "orders", "id") == {(code, order)}
    assert _flagged(query, "products", "id") == {(code, product)}
    row = query('select * from orders where "accountCode" = %s and id = %s', code, order)[0]
    kept = {k for k, v in row.items() if v is not None and not k.startswith("_sdc_")}
    assert kept == {"accountCode", "id"}, "as the README says: upsert leaves the key and _sdc_deleted_at"
    assert query("select count(*) as n from orders where _sdc_deleted_at is null")[0]["n"] == sum(
        len(emu.account_data(c).orders) for c in enabled
    )

    other = enabled[1]
    emu.break_search(other, "order", "empty")
    emu.break_search(other, "product", "empty")
    meltano(*RUN, env=_env(emu, deletes_now=True)).check()
    assert _flagged(query, "orders", "id") == {(code, order)}, "a broken answer flags nothing"
    assert _flagged(query, "products", "id") == {(code, product)}
