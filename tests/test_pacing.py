"""Issue 21: pacing that holds whatever pools a server keeps, and room left for the app's own calls.

The server is `tests/support/windowed.py`, written apart from the emulator with its own
throttle (a request counted on arrival, `brightpearl-next-throttle-period` the time until the
oldest request in the window ages out). What the tap depended on, and the emulator never
varied, is which requests share a pool: the old tap keyed pools by host, so one pool's
headers stood for another's budget. Counts only, no timing; the wall-time ratios are in
tests/test_pacing_matrix.py.
"""

from __future__ import annotations

import time

import pytest

from tap_brightpearl.settings import DEFAULTS
from tap_brightpearl.throttle_pool import reserve_slots
from tests.conftest import ALL_ACCOUNT_STREAMS, DEV_SECRET, DEV_TOKEN
from tests.emulator import Emulator
from tests.emulator.client import account_url, app_headers
from tests.support.neighbour import Neighbour
from tests.support.pacing import Cell, run_cell

CONCURRENCY = DEFAULTS["max_concurrency"]
LEARNT_ACCOUNT_POOLS = "account-timezone calls count against each account's own pool; pacing them apart"


@pytest.mark.parametrize(
    "pools",
    [
        "global",  # one developer pool across every datacentre: the old tap paced three (67-88 refused)
        "mixed",  # account-timezone in each account's pool, the rest in the developer's (13-34 refused)
        "host",  # the emulator's layout
    ],
)
def test_the_issues_rolling_window_server_refuses_at_most_two_at_default_settings(pools):
    # The issue's measurement: 30 requests per rolling second, 5 ms, 120 accounts, default settings.
    outcome = run_cell(Cell(30, 1.0, 0.005, CONCURRENCY, "oldest", pools, 120))
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    assert outcome.records == 240  # installed_accounts and account_timezones, every account
    assert outcome.refused <= 2, f"{outcome.refused} of {outcome.admitted + outcome.refused} refused with 503"
    if pools == "mixed":
        assert LEARNT_ACCOUNT_POOLS in outcome.stderr


@pytest.mark.parametrize("period", ["oldest", "fixed"])
def test_account_timezone_in_each_accounts_pool_never_stands_for_the_developer_pools_budget(period):
    # The issue's second server: every account-timezone answer shows a fresh account pool; the
    # old tap took it for the developer pool's budget and flooded that pool with account-location.
    outcome = run_cell(Cell(30, 1.0, 0.005, CONCURRENCY, period, "mixed", 120))
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    assert outcome.refused <= 2
    developer = outcome.per_pool["euw1/developer"]
    assert developer == 121  # installed-accounts and one account-location per account
    assert outcome.least_free >= reserve_slots(DEFAULTS["throttle_reserve"], 30) - 1


def test_calls_counted_in_each_accounts_pool_are_not_paced_as_one_developer_pool():
    # Both calls about an account in the account's own pool: ten per second per pool. Paced as one
    # developer pool the run would take 24 seconds; paced apart, more than one pool's quota goes
    # out in some second (a count, not a time).
    outcome = run_cell(Cell(10, 1.0, 0.005, CONCURRENCY, "oldest", "account", 120, datacentres=("euw1",)))
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    assert outcome.refused <= 2
    assert outcome.busiest_window > 10, outcome.busiest_window


@pytest.mark.parametrize("reserve", [0.0, 0.5])
def test_throttle_reserve_is_the_share_of_each_pool_the_tap_leaves_free(reserve):
    outcome = run_cell(Cell(20, 1.0, 0.005, CONCURRENCY, "oldest", "host", 30, datacentres=("euw1",), reserve=reserve))
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    assert outcome.records == 60
    if reserve:
        assert outcome.least_free >= 10 - 1, "half of the pool stays free (one request of slack for timing)"
        assert outcome.refused == 0
    else:
        assert outcome.least_free <= 1, "with no reserve the tap uses the whole pool"


def test_the_apps_own_calls_on_the_same_pools_are_never_refused_while_the_tap_runs(tap):
    # The app sends 4 requests per 2-second window to each account's pool (20 per window), from
    # before the tap starts until it ends; the tap reads every account stream of 6 accounts.
    quota, window = 20, 2.0
    with Emulator(
        n_accounts=6,
        seed=11,
        latency=0.02,
        throttle_quota=quota,
        throttle_window=window,
        developer_token=DEV_TOKEN,
        developer_secret=DEV_SECRET,
    ) as emu:
        for account in emu.accounts:
            account.enabled, account.gone = True, False
        remembered = {a.accountCode: a.datacentre for a in emu.accounts}
        state = {"bookmarks": {"account_timezones": {"dataCenters": remembered}}}
        targets = [
            (account_url(emu, a, "integration-service/account-configuration"), app_headers(emu, a))
            for a in emu.accounts
        ]
        with Neighbour(targets, per_window=4, window=window) as app:
            time.sleep(window)  # the app was there first
            before = app.sent
            run = tap(emu.tap_config(), streams=ALL_ACCOUNT_STREAMS, state=state, timeout=300)
            during = app.sent - before
    assert run.returncode == 0, run.stderr[-2000:]
    assert during >= 6 * 4, "the app kept calling through the run"
    assert app.refused == 0, f"the app was refused {app.refused} of {app.sent} times"
    assert run.records("orders") and run.records("contacts")


@pytest.mark.parametrize("value", [-0.1, 0.95, "a lot"])
def test_a_throttle_reserve_out_of_range_stops_at_start_up_naming_it(tap, emulator, value):
    run = tap(emulator.tap_config(throttle_reserve=value))
    assert run.returncode == 1
    assert "throttle_reserve" in run.stderr
    assert run.messages == []
    assert "Traceback" not in run.stderr
