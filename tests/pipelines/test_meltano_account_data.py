"""Account data through `meltano run tap-brightpearl target-postgres` into a real PostgreSQL.

Account streams are opt-in: selected here the way a user selects them for one run
(TAP_BRIGHTPEARL__SELECT). Every enabled account's orders, products and contacts arrive once
each (key includes accountCode) with every member Brightpearl sends, warehouses and
account_configuration as snapshots, and a second run writes only what changed — each
account resuming from its own bookmark in Meltano's state. A fractional setting given as an
environment value ("0.5") reaches the tap as a number.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import DEV_SECRET, DEV_TOKEN
from tests.emulator import Emulator
from tests.pipelines.conftest import Meltano, tap_env
from tests.pipelines.test_meltano_postgres import RUN

pytestmark = pytest.mark.pipeline

KEYS = {"orders": "id", "products": "id", "contacts": "contactId"}
EVERY_STREAM = [
    f"{s}.*"
    for s in (
        "installed_accounts",
        "account_timezones",
        "orders",
        "products",
        "contacts",
        "warehouses",
        "account_configuration",
    )
]


def _rows(query: Any, table: str, key: str) -> dict[tuple[str, int], dict[str, Any]]:
    rows = query(f"select * from {table} where _sdc_deleted_at is null")
    keyed = {(r["accountCode"], r[key]): r for r in rows}
    assert len(keyed) == len(rows), f"{table}: a record has more than one row"
    return keyed


def _written_by_last_run(query: Any, table: str, key: str) -> set[tuple[str, int]]:
    rows = query(
        f'select "accountCode", "{key}" from {table} where _sdc_batched_at = (select max(_sdc_batched_at) from {table})'
    )
    return {(r["accountCode"], r[key]) for r in rows}


@pytest.fixture
def emu() -> Any:
    with Emulator(n_accounts=6, seed=13, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET) as emu:
        yield emu


def test_account_data_loads_once_each_and_a_second_run_writes_only_changes(
    meltano: Meltano, query: Any, emu: Emulator
) -> None:
    env = {
        **tap_env(emu.tap_config(lookback_minutes=0)),
        "TAP_BRIGHTPEARL__SELECT": json.dumps(EVERY_STREAM),
        "TAP_BRIGHTPEARL_RETRY_BACKOFF_SECONDS": "0.5",  # a fraction, as an environment value
    }
    config = meltano("config", "print", "tap-brightpearl", env=env).check()
    assert json.loads(config.output[config.output.index("{") :])["retry_backoff_seconds"] in (0.5, "0.5")
    meltano(*RUN, env=env).check().assert_no_secrets()
    enabled = sorted(a.accountCode for a in emu.accounts if a.enabled and not a.gone)
    for table, key in KEYS.items():
        rows = _rows(query, table, key)
        served = {(c, r[key]) for c in enabled for r in getattr(emu.account_data(c), table)}
        assert set(rows) == served, table
    orders = _rows(query, "orders", "id")
    sample = emu.account_data(enabled[0]).orders[0]
    row = orders[(enabled[0], sample["id"])]
    assert row["totalValue"] == sample["totalValue"]
    assert {r["orderRowId"] for r in row["orderRows"]} == {int(k) for k in sample["orderRows"]}
    for member in ("placedOn", "orderPaymentStatus", "delivery", "invoices", "warehouseId", "assignment", "tax"):
        assert member in row, f"orders has no column {member}: every member reaches the warehouse"
    assert row["orderPaymentStatus"] == sample["orderPaymentStatus"]
    assert isinstance(row["customFields"], dict), "custom fields are read (includeOptional=customFields)"
    configs = {r["accountCode"]: r for r in query("select * from account_configuration")}
    assert set(configs) == set(enabled)
    assert {(r["accountCode"], r["id"]) for r in query("select * from warehouses")} == {
        (c, w["id"]) for c in enabled for w in emu.account_data(c).warehouses
    }

    changed = enabled[1]
    touched = emu.account_data(changed).orders[0]["id"]
    emu.touch(changed, "order", [touched])
    new = emu.add_records(changed, "order", 3)
    meltano(*RUN, env=env).check().assert_no_secrets()
    written = _written_by_last_run(query, "orders", "id")
    assert {(changed, touched)} | {(changed, i) for i in new} <= written
    assert {c for c, _ in written} <= set(enabled)
    # Only the newest record of the other accounts (at their inclusive bookmark) was re-read.
    assert len(written) <= 1 + 3 + len(enabled) * 2
    assert len(_rows(query, "orders", "id")) == len(orders) + 3
