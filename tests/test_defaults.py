"""Every setting's default is the one `--about` shows, whether the setting is absent or given.

A run from the plain CLI (setting absent) and a run from Meltano (setting given its
default) must behave the same; this reads the defaults from `--about` and checks them
against what the tap actually does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest

from tap_brightpearl.settings import Settings
from tests.conftest import TAP


@pytest.fixture(scope="module")
def about_defaults():
    about = json.loads(
        subprocess.run([TAP, "--about", "--format", "json"], capture_output=True, text=True, check=True).stdout
    )
    return {k: v["default"] for k, v in about["settings"]["properties"].items() if "default" in v}


def test_every_tap_setting_with_a_default_shows_it_in_about(about_defaults):
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    absent = Settings.from_config({"app_reference": "app"})
    for name, value in about_defaults.items():
        if name in fields:
            assert getattr(absent, name) == value, f"{name}: the tap uses {getattr(absent, name)!r} when absent"
    given = Settings.from_config({"app_reference": "app", **{k: v for k, v in about_defaults.items() if k in fields}})
    assert given == absent, "a setting given its default behaves as if absent"
    assert {"lookback_minutes", "max_concurrency", "max_retries", "request_timeout"} <= set(about_defaults)


def test_absent_lookback_minutes_searches_from_the_bookmark_minus_the_default(emulator, tap, about_defaults):
    code = next(a.accountCode for a in emulator.accounts if a.enabled and not a.gone)
    first = tap(emulator.tap_config(account_codes=[code]), streams=("orders",))
    mark = next(p for p in first.bookmark("orders")["partitions"] if p["context"] == {"accountCode": code})
    bookmark = dt.datetime.fromisoformat(mark["replication_key_value"].replace("Z", "+00:00"))
    emulator.clear_log()
    tap(emulator.tap_config(account_codes=[code]), streams=("orders",), state=first.final_state)
    [search] = [r for r in emulator.requests if "/order-search" in r.path and "updatedOn=" in r.path]
    start = parse_qs(urlsplit(search.path).query)["updatedOn"][0].split("/")[0]
    got = dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
    assert bookmark - got == dt.timedelta(minutes=about_defaults["lookback_minutes"])


def test_absent_max_retries_retries_the_default_number_of_times(emulator, tap, about_defaults):
    emulator.add_fault("installed-accounts", "status", status=502, body=b"", times=100)
    run = tap(emulator.tap_config(retry_backoff_seconds=0.01))
    assert run.returncode == 1
    listing = [r for r in emulator.requests if "/installed-accounts/" in r.path]
    assert len(listing) == about_defaults["max_retries"] + 1


def test_absent_data_center_is_the_default_master(emulator, tap, about_defaults):
    config = emulator.tap_config()
    del config["data_center"]
    run = tap(config)
    assert run.returncode == 0, run.stderr
    [listing] = [r for r in emulator.requests if "/installed-accounts/" in r.path]
    assert listing.datacentre == about_defaults["data_center"]
