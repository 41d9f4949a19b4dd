"""A default run always delivers installs and timezones: order, opt-in account data, isolated failures.

What a user notices: a plain `tap-brightpearl --config config.json` reads only who installed
the app and each account's timezone (reading business data spends quota in every customer's
account, so it is a choice); the streams run in a fixed order; one failing stream stops
nothing else and the run ends with a summary and one line that says what failed and what
to do; the log is short enough to read.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import (
    ACCOUNT_STREAMS,
    ALL_ACCOUNT_STREAMS,
    DEV_SECRET,
    DEV_TOKEN,
    DEVELOPER_STREAMS,
    EVERY_STREAM,
    TAP,
)
from tests.emulator import Emulator

SUMMARY = "BRIGHTPEARL_RUN_SUMMARY"


def _stream_order(run):
    order = []
    for message in run.messages:
        if message["type"] == "SCHEMA" and message["stream"] not in order:
            order.append(message["stream"])
    return order


def _summary(run):
    [line] = [line for line in run.stderr.splitlines() if SUMMARY in line]
    return json.loads(line)


@pytest.fixture
def no_account_apis():
    """A Brightpearl that answers developer-tools but refuses every account API (an app without data access)."""
    with Emulator(
        n_accounts=12, seed=3, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET, account_apis=False
    ) as emu:
        yield emu


def test_a_plain_run_reads_only_installs_and_timezones(emulator, tap):
    run = tap(emulator.tap_config())
    assert run.returncode == 0, run.stderr
    assert _stream_order(run) == list(DEVELOPER_STREAMS)
    assert len(run.records("installed_accounts")) == len(emulator.accounts)
    assert run.records("account_timezones")
    assert not [r for r in emulator.requests if r.path.startswith("/public-api/")], "account data is opt-in"
    run.assert_no_secrets()


def test_the_catalog_says_which_streams_run_by_default(emulator, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(emulator.tap_config()))
    catalog = json.loads(
        subprocess.run([TAP, "--config", str(config), "--discover"], capture_output=True, text=True, check=True).stdout
    )
    by_default = {
        s["tap_stream_id"]: next(m["metadata"] for m in s["metadata"] if not m["breadcrumb"]).get("selected-by-default")
        for s in catalog["streams"]
    }
    assert [s["tap_stream_id"] for s in catalog["streams"]] == [*DEVELOPER_STREAMS, *ALL_ACCOUNT_STREAMS]
    assert {k for k, v in by_default.items() if v} == set(DEVELOPER_STREAMS)


def test_selected_streams_run_in_the_documented_order(emulator, tap):
    run = tap(emulator.tap_config(), streams=tuple(reversed(EVERY_STREAM)))
    assert run.returncode == 0, run.stderr
    assert _stream_order(run) == list(EVERY_STREAM)


def test_a_private_app_reads_its_account_streams_by_default(emulator, tap):
    account = next(a for a in emulator.accounts if a.enabled and not a.gone)
    emulator.set_private_token(account.accountCode, "private-token-for-default-run")
    run = tap(
        {
            "app_reference": emulator.app_reference,
            "account_code": account.accountCode,
            "account_token": "private-token-for-default-run",
            "datacenter_urls": emulator.base_urls,
            "account_data_centers": {account.accountCode: account.datacentre},
        }
    )
    assert run.returncode == 0, run.stderr
    assert _stream_order(run) == list(ALL_ACCOUNT_STREAMS)
    run.assert_no_secrets("private-token-for-default-run")


def test_without_account_access_the_default_run_still_succeeds(no_account_apis, tap):
    run = tap(no_account_apis.tap_config())
    assert run.returncode == 0, run.stderr
    assert len(run.records("installed_accounts")) == len(no_account_apis.accounts)
    assert run.records("account_timezones")


def test_a_failing_stream_stops_no_other_and_the_last_line_says_what_to_do(no_account_apis, tap):
    run = tap(no_account_apis.tap_config(), streams=EVERY_STREAM)
    assert run.returncode == 1
    assert len(run.records("installed_accounts")) == len(no_account_apis.accounts), "installs come first, complete"
    assert run.records("account_timezones")
    assert run.bookmark("installed_accounts")["replication_key_value"], "its STATE was emitted"
    for stream in ACCOUNT_STREAMS:  # each account stream was tried, and failed on its own
        assert f"{stream} failed" in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert "ERROR" in last
    for stream in ACCOUNT_STREAMS:
        assert stream in last
    assert "refused" in last and "select" in last, "the fix: check the app's access, or deselect the streams"
    assert "Traceback" not in run.stderr
    summary = _summary(run)
    assert summary["status"] == "failed"
    assert summary["failed_streams"] == list(ACCOUNT_STREAMS)
    assert summary["streams"]["installed_accounts"]["status"] == "succeeded"
    run.assert_no_secrets()


def test_the_summary_counts_records_and_accounts_per_stream(emulator, tap):
    gone = next(a for a in emulator.accounts if a.enabled)
    emulator.mark_gone(gone.accountCode)
    run = tap(emulator.tap_config(), streams=EVERY_STREAM)
    assert run.returncode == 0, run.stderr
    summary = _summary(run)
    assert summary["status"] == "succeeded" and summary["failed_streams"] == []
    timezones = summary["streams"]["account_timezones"]
    assert timezones["records"] == len(run.records("account_timezones"))
    assert timezones["accounts_skipped"] == 1
    orders = summary["streams"]["orders"]
    assert orders["records"] == len(run.records("orders"))
    assert orders["accounts_read"] + orders["accounts_skipped"] == orders["accounts"], "the gone account is skipped"
    for stream in EVERY_STREAM:
        figures = summary["streams"][stream]
        assert figures["expected"] == figures["read"], (stream, figures)  # a run that exits 0 read it all
        assert any(line.endswith(" s") and f"Summary: {stream}: succeeded" in line for line in run.stderr.splitlines())


def test_a_default_run_over_fifty_accounts_writes_a_short_readable_log(tap):
    with Emulator(n_accounts=50, seed=7, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET) as emu:
        run = tap(emu.tap_config())
        assert run.returncode == 0, run.stderr
        lines = run.stderr.strip().splitlines()
        assert len(lines) <= 30, "\n".join(lines)
        assert not [line for line in lines if "METRIC" in line]
        assert not [line for line in lines if "Starting incremental sync of" in line]
        debug = tap(emu.tap_config(), env={"TAP_BRIGHTPEARL_LOGLEVEL": "DEBUG"})
        assert "METRIC" in debug.stderr, "metrics are there at DEBUG"
        switched_on = tap(emu.tap_config(log_metrics=True))
        assert "METRIC" in switched_on.stderr


def test_long_streams_log_progress(tap):
    with Emulator(n_accounts=30, seed=7, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET, latency=0.05) as emu:
        run = tap(emu.tap_config(progress_interval_seconds=1, max_concurrency=2))
        assert run.returncode == 0, run.stderr
        progress = [
            line for line in run.stderr.splitlines() if "account_timezones: " in line and " of 30 accounts" in line
        ]
        assert progress, run.stderr
        assert "records" in progress[0] and "/s" in progress[0]


def test_datacentres_are_remembered_whatever_streams_are_selected(emulator, tap):
    first = tap(emulator.tap_config(), streams=("orders",))
    assert first.returncode == 0, first.stderr
    assert first.final_state["bookmarks"]["account_timezones"]["dataCenters"]
    emulator.clear_log()
    second = tap(emulator.tap_config(), streams=("orders",), state=first.final_state)
    assert second.returncode == 0, second.stderr
    assert not [r for r in emulator.requests if "/account-location/" in r.path]


def test_with_sixty_thousand_installs_the_first_record_is_an_install(tmp_path):
    with Emulator(n_accounts=60_000, seed=13, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET) as emu:
        config = tmp_path / "config.json"
        config.write_text(json.dumps(emu.tap_config()))
        proc = subprocess.Popen([TAP, "--config", str(config)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            assert proc.stdout is not None
            first_record = next(line for line in proc.stdout if b'"type":"RECORD"' in line)
            paths = [r.path for r in emu.requests]
        finally:
            proc.kill()
            proc.wait()
        assert json.loads(first_record)["stream"] == "installed_accounts"
        assert all("/installed-accounts/" in p for p in paths), "nothing but the listing was asked before it"
