"""Settings and states that crash or mislead today's tap at start-up (item 13). Each must stop with exit
status 1, no traceback, and a last stderr line that is an ERROR naming the setting or state key.

Runs are capped in address space: `max_concurrency` 1000000000 would otherwise let today's tap fill
gigabytes with an oversized connection pool.
"""

from __future__ import annotations

import json

import pytest

from tests.hostile import assert_last_error, assert_no_leak, install, private_config, public_config, run_tap, select

TOKEN = "acct-tok-acme-6e5d4c3b2a"
PRIVATE_TOKEN = "private-tok-0123456789"


def _installed(value: object) -> dict:
    return {"bookmarks": {"installed_accounts": {"replication_key": "installedOn", "replication_key_value": value}}}


def _orders(value: object) -> dict:
    partition = {"context": {"accountCode": "acme"}, "replication_key": "updatedOn", "replication_key_value": value}
    return {"bookmarks": {"orders": {"partitions": [partition]}}}


def _datacentres(value: object) -> dict:
    return {"bookmarks": {"account_timezones": {"dataCenters": value}}}


DEVTOOLS = ("installed_accounts", "account_timezones")
# id: (mode, setting overrides, state, streams selected, the name the ERROR line must hold)
CASES = {
    "start_date-year-1-with-lookback": (
        "private",
        {"start_date": "0001-01-01T00:00:00Z", "lookback_minutes": 60},
        None,
        ("orders",),
        "start_date",
    ),
    "installed-int-bookmark": ("public", {}, _installed(12345), DEVTOOLS, "bookmarks.installed_accounts"),
    "installed-junk-bookmark": ("public", {}, _installed("last tuesday"), DEVTOOLS, "bookmarks.installed_accounts"),
    "orders-int-bookmark": ("private", {}, _orders(12345), ("orders",), "bookmarks.orders"),
    "orders-junk-bookmark": ("private", {}, _orders("last tuesday"), ("orders",), "bookmarks.orders"),
    "bookmarks-string": ("public", {}, {"bookmarks": "x"}, DEVTOOLS, "bookmarks"),
    "dataCenters-string": ("public", {}, _datacentres("x"), DEVTOOLS, "bookmarks.account_timezones.dataCenters"),
    "dataCenters-list": ("public", {}, _datacentres(["euw1"]), DEVTOOLS, "bookmarks.account_timezones.dataCenters"),
    "developer_reference-curly-quote": (
        "public",
        {"developer_reference": "dev\u2019ref"},
        None,
        DEVTOOLS,
        "developer_reference",
    ),
    "developer_reference-newline": (
        "public",
        {"developer_reference": "devref\n"},
        None,
        DEVTOOLS,
        "developer_reference",
    ),
    "app_reference-curly-quote": ("public", {"app_reference": "devref\u2019app"}, None, DEVTOOLS, "app_reference"),
    "app_reference-newline": ("public", {"app_reference": "devref_app\n"}, None, DEVTOOLS, "app_reference"),
    "max_concurrency-huge": ("public", {"max_concurrency": 1_000_000_000}, None, DEVTOOLS, "max_concurrency"),
    "shard_index-out-of-range": ("public", {"shard_count": 2, "shard_index": 5}, None, ("orders",), "shard_index"),
}


@pytest.mark.parametrize(("mode", "overrides", "state", "streams", "named"), CASES.values(), ids=CASES.keys())
def test_bad_setting_or_state_stops_with_one_error_line(
    fake, public_catalog, private_catalog, tmp_path, mode, overrides, state, streams, named
):
    fake.installs = [install("acme", TOKEN)]
    fake.orders["acme"] = [{"id": 1, "updatedOn": "2025-01-01T00:00:00.000Z"}]
    public = mode == "public"
    config = public_config(fake.url, **overrides) if public else private_config(fake.url, **overrides)
    catalog = select(public_catalog if public else private_catalog, *streams)
    run = run_tap(config, tmp_path, state=state, catalog=catalog, capped=True)
    assert_last_error(run, named)
    assert_no_leak(run, account_tokens=[TOKEN], secrets=[PRIVATE_TOKEN])


def test_missing_ca_bundle_stops_before_any_request(fake, public_catalog, tmp_path):
    fake.installs = [install("acme", TOKEN)]
    config = public_config(fake.url, ca_bundle=str(tmp_path / "no-such-ca.pem"))
    run = run_tap(config, tmp_path, catalog=select(public_catalog, *DEVTOOLS))
    assert_last_error(run, "ca_bundle")
    assert fake.requests() == [], "the missing file must be found at start-up, before any request"
    assert_no_leak(run, account_tokens=[TOKEN])


@pytest.mark.parametrize(("setting", "literal"), [("request_timeout", "NaN"), ("retry_backoff_seconds", "Infinity")])
def test_non_finite_number_in_the_config_file_is_named(fake, public_catalog, tmp_path, setting, literal):
    fake.installs = [install("acme", TOKEN)]
    config = public_config(fake.url)
    config.pop(setting)
    text = json.dumps(config)[:-1] + f', "{setting}": {literal}}}'  # written by hand: JSON has no NaN
    run = run_tap(None, tmp_path, config_text=text, catalog=select(public_catalog, *DEVTOOLS))
    assert_last_error(run, setting)
    assert_no_leak(run, account_tokens=[TOKEN])
