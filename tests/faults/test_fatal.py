"""Faults no retry can heal: the run stops at the first one with a line that says what to check.

On account-location (deprecated, optional) the same faults only cost that account its discovery.
"""

from __future__ import annotations

import re

import pytest

from tests.emulator.routes import NOT_AUTHENTICATED
from tests.faults import FAST, error_lines, requests_to

CMNC_018 = b'{"errors":[{"code":"CMNC-018","message":"Invalid filter value"}]}'
CMNC_400 = b'{"errors":[{"code":"CMNC-400","message":"Bad request"}]}'
SETTINGS_NAMED = ("developer_reference", "developer_token", "developer_secret")

# (id, path, status, body, words the last line must hold)
FATAL = [
    ("401-listing", "/installed-accounts/", 401, NOT_AUTHENTICATED, (*SETTINGS_NAMED, "HTTP 401")),
    (
        "401-timezone",
        "/account-timezone/",
        401,
        b'{"response":"Authorization token expired"}',
        (*SETTINGS_NAMED, "HTTP 401", "token expired"),
    ),
    ("cmnc-500-listing", "/installed-accounts/", 500, CMNC_018, ("CMNC-018", "Invalid filter value", "HTTP 500")),
    ("cmnc-500-timezone", "/account-timezone/", 500, CMNC_018, ("CMNC-018", "Invalid filter value", "HTTP 500")),
    ("400-timezone", "/account-timezone/", 400, CMNC_400, ("CMNC-400", "HTTP 400")),
]


@pytest.mark.parametrize(("path", "status", "body", "words"), [c[1:] for c in FATAL], ids=[c[0] for c in FATAL])
def test_fatal_fault_stops_the_run_at_once_with_a_clear_line(emulator, debug_tap, path, status, body, words):
    emulator.add_fault(path.strip("/"), "body", status=status, body=body, times=20)
    run = debug_tap(emulator, emulator.tap_config(**FAST, max_concurrency=1))
    assert run.returncode == 1
    last = error_lines(run)[-1]
    assert run.stderr.rstrip().endswith(last)
    for word in words:
        assert word in last
    assert f"/developer-tools/devref{path}" in last and "127.0.0.1" not in last
    assert re.search(r"Ruid [0-9a-f]{8,}", last)
    refused = [r for r in requests_to(emulator, path) if r.status == status]
    assert len(refused) == 1, "a fatal answer is never retried, and the run stops at the first one"
    assert "Retrying" not in run.stderr
    assert run.records("account_timezones") == []


@pytest.mark.parametrize(
    ("status", "body"),
    [(401, NOT_AUTHENTICATED), (500, CMNC_018), (502, b"")],
    ids=["401", "cmnc-500", "502-past-budget"],
)
def test_account_location_failure_falls_back_to_data_center(emulator, debug_tap, status, body):
    """Discovery failing for one account is not fatal: it is read from data_center, or skipped by name."""
    elsewhere = next(a for a in emulator.accounts if a.datacentre != "euw1")
    emulator.add_fault(f"account-location/{elsewhere.accountCode}", "body", status=status, body=body, times=20)
    run = debug_tap(emulator, emulator.tap_config(**{**FAST, "max_retries": 1}))
    assert run.returncode == 0, run.stderr[-3000:]
    codes = {r["accountCode"] for r in run.records("account_timezones")}
    assert codes == {a.accountCode for a in emulator.accounts} - {elsewhere.accountCode}
    warning = [w for w in run.warnings() if f"skipping account '{elsewhere.accountCode}'" in w]
    assert len(warning) == 1 and "HTTP 404" in warning[0]
    assert "1 skipped" in run.stderr
    # It was looked for on data_center (euw1), where it is not.
    asked = requests_to(emulator, f"/account-timezone/{elsewhere.accountCode}")
    assert [r.datacentre for r in asked] == ["euw1"]
