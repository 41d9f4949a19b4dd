"""Every stream through `meltano run tap-brightpearl target-postgres`, and deletes reaching PostgreSQL.

Every account stream is selected (`*.*`) and lands in its own table, with the rows the
emulator serves. An order and a product deleted in Brightpearl are flagged in PostgreSQL
(`_sdc_deleted_at`) after the next deletes pass; a broken answer flags nothing. (target-postgres
upserts the flagged record as a row; its `hard_delete` acts only on ACTIVATE_VERSION, which
this tap does not send.)
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import DEV_SECRET, DEV_TOKEN
from tests.emulator import Emulator
from tests.pipelines.conftest import Meltano, tap_env
from tests.pipelines.test_meltano_postgres import RUN
from tests.test_account_resources import NEW_STREAMS

pytestmark = pytest.mark.pipeline

ACCOUNT_STREAMS = ("orders", "products", "contacts", "warehouses", "account_configuration", *NEW_STREAMS)
# Resources that only purchase orders make: an account may have none, the fleet has some.
COUNTED = {  # stream -> (emulator resource, how many records one emulator record makes)
    "goods_movements": ("goods-movement", lambda r: 1),
    "goods_out_notes": ("goods-out-note", lambda r: 1),
    "order_notes": ("order-note", lambda r: 1),
    "journals": ("journal", lambda r: len(r["credits"]) + len(r["debits"])),
    "customer_payments": ("customer-payment", lambda r: 1),
    "supplier_payments": ("supplier-payment", lambda r: 1),
    "goods_in_notes": ("goods-in-note", lambda r: 1),
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
    for stream, (resource, makes) in COUNTED.items():
        served = sum(makes(r) for c in enabled for r in emu.account_data(c).table(resource).records)
        loaded = query(f"select count(*) as n from {stream}")[0]["n"]
        assert loaded == served, stream
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
