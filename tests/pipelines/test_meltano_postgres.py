"""`meltano run tap-brightpearl target-postgres` against the emulator, into a real PostgreSQL.

What a data team notices: the two tables and their values, a second scheduled run that
only adds the accounts installed since (Meltano keeps the bookmark), upserts that never
duplicate an account, and `--full-refresh` reloading everything.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.conftest import DEV_SECRET, DEV_TOKEN
from tests.emulator import Emulator
from tests.emulator.data import Account
from tests.pipelines.conftest import Meltano, tap_env

pytestmark = pytest.mark.pipeline

STATE_ID = "ci:tap-brightpearl-to-target-postgres"
RUN = ("run", "tap-brightpearl", "target-postgres")
TABLES = "select table_name from information_schema.tables where table_schema = current_schema()"
ACCOUNT_STREAMS = ("orders", "products", "contacts", "warehouses", "account_configuration")


def utc(text: str) -> datetime:
    """Brightpearl's `2020-01-01T11:14:54.267Z` as the naive UTC value target-postgres stores."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc).replace(tzinfo=None)


def by_code(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Rows keyed by accountCode, asserting there is exactly one row per account."""
    keyed = {row["accountCode"]: row for row in rows}
    assert len(keyed) == len(rows), "an account has more than one row"
    return keyed


def assert_tables_match(query: Any, accounts: list[Account]) -> None:
    """Every account once in each table, every field equal to what the API served."""
    installed = by_code(query("select * from installed_accounts where _sdc_deleted_at is null"))
    zones = by_code(query("select * from account_timezones where _sdc_deleted_at is null"))
    assert set(installed) == set(zones) == {a.accountCode for a in accounts}
    for acc in accounts:
        row = installed[acc.accountCode]
        assert row["installedOn"] == utc(acc.installedOn), acc.accountCode
        assert row["unsignedAccountToken"] == acc.unsignedAccountToken
        assert row["enabled"] is acc.enabled
        zone = zones[acc.accountCode]
        assert (zone["canonicalId"], zone["currentUtcOffset"], zone["dataCenter"]) == (
            acc.canonicalId,
            acc.currentUtcOffset,
            acc.datacentre,
        ), acc.accountCode


def touched_by_last_run(query: Any, table: str) -> set[str]:
    """Accounts whose row the latest sync wrote (target-postgres stamps each sync)."""
    rows = query(
        f'select "accountCode" from {table} '
        f"where _sdc_sync_started_at = (select max(_sdc_sync_started_at) from {table})"
    )
    return {r["accountCode"] for r in rows}


def bookmark(meltano: Meltano) -> str:
    """installed_accounts' bookmark in Meltano's state for this pipeline."""
    out = meltano("state", "get", STATE_ID).check().output
    state = json.loads(out[out.index("{") :])
    return state["singer_state"]["bookmarks"]["installed_accounts"]["replication_key_value"]


@pytest.fixture
def emu() -> Any:
    """20 accounts over three datacentres, with the known test credentials."""
    with Emulator(n_accounts=20, seed=11, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET) as emu:
        yield emu


def test_first_run_loads_both_tables_field_by_field(meltano: Meltano, query: Any, emu: Emulator) -> None:
    run = meltano(*RUN, env=tap_env(emu.tap_config())).check()
    run.assert_no_secrets()

    columns = query(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = current_schema() and column_name not like '\\_sdc\\_%%' "
        "and table_name in ('installed_accounts', 'account_timezones')"
    )
    types = {(c["table_name"], c["column_name"]): c["data_type"] for c in columns}
    assert types == {
        ("installed_accounts", "accountCode"): "text",
        ("installed_accounts", "installedOn"): "timestamp without time zone",
        ("installed_accounts", "unsignedAccountToken"): "text",
        ("installed_accounts", "enabled"): "boolean",
        ("account_timezones", "accountCode"): "text",
        ("account_timezones", "canonicalId"): "text",
        ("account_timezones", "currentUtcOffset"): "text",
        ("account_timezones", "dataCenter"): "text",
    }
    assert_tables_match(query, emu.accounts)
    tables = {t["table_name"] for t in query(TABLES)}
    assert tables == {"installed_accounts", "account_timezones"}, "meltano.yml as shipped selects no account data"
    # The odd offsets survive the trip as text, not as a rounded number.
    offsets = {r["currentUtcOffset"] for r in query("select * from account_timezones")}
    assert offsets & {"+05:45", "-03:30", "+08:45", "+13:45", "-09:30"}
    assert utc(bookmark(meltano)) == utc(max(a.installedOn for a in emu.accounts))


def test_second_run_adds_only_new_installs_and_full_refresh_reloads(
    meltano: Meltano, query: Any, emu: Emulator
) -> None:
    env = tap_env(emu.tap_config())
    meltano(*RUN, env=env).check()
    first = list(emu.accounts)
    last_install = max(a.installedOn for a in first)
    at_bookmark = {a.accountCode for a in first if a.installedOn == last_install}

    new = emu.add_installs(5)
    second = meltano(*RUN, env=env).check()
    second.assert_no_secrets()
    # Meltano handed the bookmark back: only the new installs (and the install at the
    # bookmark itself, which the tap re-reads inclusively) were extracted and written.
    assert touched_by_last_run(query, "installed_accounts") == {a.accountCode for a in new} | at_bookmark
    # account_timezones is a snapshot: every account again, still one row each.
    assert touched_by_last_run(query, "account_timezones") == {a.accountCode for a in emu.accounts}
    assert_tables_match(query, emu.accounts)
    assert utc(bookmark(meltano)) == utc(max(a.installedOn for a in new))

    # A changed account is picked up by --full-refresh, which ignores the bookmark.
    emu.accounts[0].enabled = not emu.accounts[0].enabled
    full = meltano("run", "--full-refresh", "tap-brightpearl", "target-postgres", env=env).check()
    full.assert_no_secrets()
    assert touched_by_last_run(query, "installed_accounts") == {a.accountCode for a in emu.accounts}
    assert_tables_match(query, emu.accounts)
    assert query("select count(*) as n from installed_accounts")[0]["n"] == 25
    assert query("select count(*) as n from account_timezones")[0]["n"] == 25


def test_refused_credentials_fail_the_run_naming_the_settings(meltano: Meltano, query: Any, emu: Emulator) -> None:
    env = tap_env(emu.tap_config(developer_secret="not-the-right-secret"))
    run = meltano(*RUN, env=env)
    assert run.returncode != 0
    assert "developer_secret" in run.output
    run.assert_no_secrets("not-the-right-secret")
    tables = query("select table_name from information_schema.tables where table_schema = current_schema()")
    for table in tables:
        rows = query(f'select count(*) as n from "{table["table_name"]}"')
        assert rows[0]["n"] == 0, f"{table['table_name']} was loaded although the tap failed"


def test_without_account_access_installs_and_timezones_still_load(meltano: Meltano, query: Any) -> None:
    """A developer whose app cannot read account data: the default run succeeds; selecting the
    account streams loads installs and timezones first, then fails naming the streams and the fix."""
    with Emulator(
        n_accounts=8, seed=17, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET, account_apis=False
    ) as emu:
        env = tap_env(emu.tap_config())
        meltano(*RUN, env=env).check().assert_no_secrets()
        assert_tables_match(query, emu.accounts)
        every = ["installed_accounts.*", "account_timezones.*", *(f"{s}.*" for s in ACCOUNT_STREAMS)]
        emu.add_installs(2)
        run = meltano(*RUN, env={**env, "TAP_BRIGHTPEARL__SELECT": json.dumps(every)})
        assert run.returncode != 0
        run.assert_no_secrets()
        failure = next(line for line in run.output.splitlines() if "stream(s) failed" in line)
        for stream in ACCOUNT_STREAMS:
            assert stream in failure
        assert "meltano select tap-brightpearl --rm" in failure
        assert_tables_match(query, emu.accounts)  # the new installs arrived before the failure
