"""Faults a retry can heal: the run waits or backs off, then completes with every account and timezone.

Each case faults one path of the three the tap calls (installed-accounts, account-location,
account-timezone) and is run at DEBUG with the secret check of tests/faults/conftest.py.
"""

from __future__ import annotations

import re

import pytest

from tests.faults import FAST, error_lines, requests_to

LISTING, LOCATION, TIMEZONE = "/installed-accounts/", "/account-location/", "/account-timezone/"


def assert_complete(run, emu):
    """Exit 0, every account listed, every timezone read from the account's own datacentre."""
    assert run.returncode == 0, run.stderr[-3000:]
    assert {r["accountCode"] for r in run.records("installed_accounts")} == {a.accountCode for a in emu.accounts}
    timezones = {r["accountCode"]: r for r in run.records("account_timezones")}
    assert timezones == {
        a.accountCode: {
            "accountCode": a.accountCode,
            "canonicalId": a.canonicalId,
            "currentUtcOffset": a.currentUtcOffset,
            "dataCenter": a.datacentre,
        }
        for a in emu.accounts
    }


def _baseline(emu, path):
    return 1 if path == LISTING else len(emu.accounts)


# (id, path, fault kind, add_fault kwargs, extra tap settings)
HEALED = [
    ("outage-503-no-throttle-words", TIMEZONE, "status", {"status": 503, "body": b"Service Unavailable"}, {}),
    ("outage-502-listing", LISTING, "status", {"status": 502}, {}),
    ("outage-502-location", LOCATION, "status", {"status": 502}, {}),
    ("outage-504-timezone", TIMEZONE, "status", {"status": 504}, {}),
    ("outage-500-without-code", TIMEZONE, "body", {"status": 500, "body": b'{"response":"Internal error"}'}, {}),
    (
        "429-timezone",
        TIMEZONE,
        "body",
        {"status": 429, "body": b'{"response":"slow down"}', "headers": {"brightpearl-next-throttle-period": "100"}},
        {},
    ),
    ("reset-location", LOCATION, "reset", {}, {}),
    ("reset-timezone", TIMEZONE, "reset", {}, {}),
    ("stall-listing", LISTING, "stall", {"delay": 1.5}, {"request_timeout": 0.4}),
    ("stall-timezone", TIMEZONE, "stall", {"delay": 1.5}, {"request_timeout": 0.4}),
    ("truncated-timezone", TIMEZONE, "truncated", {}, {}),
    ("truncated-location", LOCATION, "truncated", {}, {}),
    ("html-200-listing", LISTING, "html", {}, {}),
    ("html-200-location", LOCATION, "html", {}, {}),
]


@pytest.mark.parametrize(("path", "kind", "fault", "settings"), [c[1:] for c in HEALED], ids=[c[0] for c in HEALED])
def test_transient_fault_is_retried_and_the_run_completes(emulator, debug_tap, path, kind, fault, settings):
    emulator.add_fault(path.strip("/"), kind, times=2, **fault)
    run = debug_tap(emulator, emulator.tap_config(**{**FAST, **settings}))
    assert_complete(run, emulator)
    # Exactly one extra request per faulted answer: retried, and nothing else re-asked.
    assert len(requests_to(emulator, path)) == _baseline(emulator, path) + 2
    if kind != "body" or fault["status"] != 429:  # a 429 is a throttle: the pool waits, no backoff line
        assert re.search(rf"WARNING .*Retrying /developer-tools/devref{path}\S+ in \d", run.stderr)


@pytest.mark.parametrize("path", [LISTING, LOCATION, TIMEZONE])
def test_throttle_503_waits_the_announced_period_then_completes(emulator, debug_tap, path):
    emulator.add_fault(path.strip("/"), "throttle", delay=0.6)
    run = debug_tap(emulator, emulator.tap_config(**FAST))
    assert_complete(run, emulator)
    asked = requests_to(emulator, path)
    throttled = next(r for r in asked if r.status == 503)
    again = next(r for r in asked if r.path == throttled.path and r is not throttled)
    assert again.status == 200
    assert again.time - throttled.time >= 0.55, "the retry must wait brightpearl-next-throttle-period"
    assert len(asked) == _baseline(emulator, path) + 1


# (id, path, fault kind, add_fault kwargs, words the last line must hold)
EXHAUSTED = [
    ("outage-503", TIMEZONE, "status", {"status": 503, "body": b"Service Unavailable"}, ["HTTP 503", "Ruid "]),
    ("outage-502-listing", LISTING, "status", {"status": 502}, ["HTTP 502", "Ruid "]),
    ("html-200", TIMEZONE, "html", {}, ["unreadable body", "text/html", "HTTP 200", "Ruid "]),
    ("truncated", LISTING, "truncated", {}, ["cut short", "HTTP 200", "Ruid "]),
    ("reset", TIMEZONE, "reset", {}, ["connection was refused or reset", "max_retries"]),
]


@pytest.mark.parametrize(("path", "kind", "fault", "words"), [c[1:] for c in EXHAUSTED], ids=[c[0] for c in EXHAUSTED])
def test_after_the_retry_budget_the_run_fails_with_one_clear_line(emulator, debug_tap, path, kind, fault, words):
    emulator.add_fault(path.strip("/"), kind, times=50, **fault)
    run = debug_tap(emulator, emulator.tap_config(**{**FAST, "max_retries": 2, "max_concurrency": 1}))
    assert run.returncode == 1
    last = error_lines(run)[-1]
    assert run.stderr.rstrip().endswith(last), "the clear line must be the last thing printed"
    assert f"/developer-tools/devref{path}" in last and "127.0.0.1" not in last
    for word in words:
        assert word in last
    faulted = [r for r in requests_to(emulator, path) if r.path == requests_to(emulator, path)[0].path]
    assert len(faulted) == 3, "max_retries=2 means three tries of the same request"


def test_stall_past_the_budget_names_request_timeout(emulator, debug_tap):
    emulator.add_fault("installed-accounts", "stall", times=5, delay=1.0)
    run = debug_tap(emulator, emulator.tap_config(**{**FAST, "max_retries": 1, "request_timeout": 0.3}))
    assert run.returncode == 1
    last = error_lines(run)[-1]
    assert "request_timeout" in last and "/installed-accounts/" in last
    assert len(requests_to(emulator, LISTING)) == 2
