"""Rules every request shares: envelope, error messages, and retrying only what can succeed."""

from __future__ import annotations

import re

FAST = {"retry_backoff_seconds": 0.05}


def _listing(emu):
    return [r for r in emu.requests if "/installed-accounts/" in r.path]


def test_coded_500_fails_at_once_with_code_message_status_path_and_ruid(emulator, tap):
    emulator.add_fault(
        "installed-accounts",
        "body",
        status=500,
        body=b'{"errors":[{"code":"CMNC-018","message":"Invalid filter value"}]}',
    )
    run = tap(emulator.tap_config(**FAST))
    assert run.returncode == 1
    line = next(line for line in run.stderr.splitlines() if "CMNC-018" in line)
    assert "Invalid filter value" in line and "HTTP 500" in line
    assert "/developer-tools/devref/installed-accounts/" in line and "127.0.0.1" not in line
    assert re.search(r"Ruid [0-9a-f]{8,}", line)
    assert len(_listing(emulator)) == 1, "a CMNC-coded 500 must not be retried"
    run.assert_no_secrets()


def test_errors_envelope_on_200_is_a_failure_not_an_empty_list(emulator, tap):
    emulator.add_fault(
        "installed-accounts", "body", status=200, body=b'{"errors":[{"code":"CMNC-404","message":"No app"}]}'
    )
    run = tap(emulator.tap_config(**FAST))
    assert run.returncode == 1 and "CMNC-404" in run.stderr


def test_outage_502_is_retried_then_the_run_completes(emulator, tap):
    emulator.add_fault("installed-accounts", "status", status=502, body=b"", times=2)
    run = tap(emulator.tap_config(**FAST))
    assert run.returncode == 0, run.stderr
    assert [r.status for r in _listing(emulator)] == [502, 502, 200]
    assert len(run.records("installed_accounts")) == len(emulator.accounts)
    assert "Retrying /developer-tools/devref/installed-accounts/" in run.stderr
    run.assert_no_secrets()


def test_retry_budget_ends_in_a_clear_failure(emulator, tap):
    emulator.add_fault("installed-accounts", "status", status=504, body=b"", times=10)
    run = tap(emulator.tap_config(max_retries=2, **FAST))
    assert run.returncode == 1
    assert len(_listing(emulator)) == 3
    assert "HTTP 504" in run.stderr.splitlines()[-1]


def test_4xx_is_never_retried(emulator, tap):
    emulator.add_fault(
        "installed-accounts",
        "body",
        status=400,
        body=b'{"errors":[{"code":"CMNC-400","message":"Bad request"}]}',
        times=5,
    )
    run = tap(emulator.tap_config(**FAST))
    assert run.returncode == 1 and len(_listing(emulator)) == 1


def test_throttle_503_waits_next_throttle_period_then_completes(emulator, tap):
    emulator.add_fault("installed-accounts", "throttle", delay=0.6)
    run = tap(emulator.tap_config(**FAST))
    assert run.returncode == 0, run.stderr
    first, second = _listing(emulator)[:2]
    assert first.status == 503 and second.status == 200
    assert second.time - first.time >= 0.55, "the retry must wait brightpearl-next-throttle-period"
    assert len(run.records("installed_accounts")) == len(emulator.accounts)


def test_truncated_and_html_bodies_are_retried(emulator, tap):
    emulator.add_fault("installed-accounts", "truncated")
    emulator.add_fault("installed-accounts", "html")
    run = tap(emulator.tap_config(**FAST))
    assert run.returncode == 0, run.stderr
    assert len(_listing(emulator)) == 3
    assert len(run.records("installed_accounts")) == len(emulator.accounts)


def test_connection_reset_is_retried(emulator, tap):
    emulator.add_fault("installed-accounts", "reset")
    run = tap(emulator.tap_config(**FAST))
    assert run.returncode == 0, run.stderr
    assert len(run.records("installed_accounts")) == len(emulator.accounts)


def test_html_error_page_after_the_budget_names_path_and_ruid(emulator, tap):
    emulator.add_fault("installed-accounts", "html", times=10)
    run = tap(emulator.tap_config(max_retries=1, **FAST))
    assert run.returncode == 1
    last = run.stderr.splitlines()[-1]
    assert "unreadable body" in last and "/installed-accounts/" in last and "Ruid" in last
