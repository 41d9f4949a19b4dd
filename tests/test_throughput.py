"""Concurrency, the shared throttle, remembered datacentres and the fast record path.

No timing assertions (the machine is noisy): only what was sent, what came out, and the
order of events in the emulator's request log.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

from singer_sdk.singerlib import RecordMessage, StateMessage

from tests.conftest import DEV_SECRET, DEV_TOKEN, REPO, TAP, catalog_selecting
from tests.emulator import Emulator

TZ = "account_timezones"


def _emu(**kwargs):
    kwargs.setdefault("seed", 7)
    return Emulator(developer_token=DEV_TOKEN, developer_secret=DEV_SECRET, **kwargs)


def _catalog_only(config, *streams):
    return catalog_selecting(config, streams)


def _by_code(records):
    return {r["accountCode"]: r for r in records}


def test_concurrency_gives_the_same_records_as_one_at_a_time(tap):
    with _emu(n_accounts=120, latency=0.005) as emu:
        emu.mark_gone(emu.accounts[5].accountCode)
        one = tap(emu.tap_config(max_concurrency=1))
        many = tap(emu.tap_config(max_concurrency=16))
    assert one.returncode == 0 and many.returncode == 0, many.stderr[-2000:]
    for stream in ("installed_accounts", TZ):
        assert many.records(stream) == one.records(stream)  # same records, same order
    assert len(many.records(TZ)) == 119
    assert many.bookmark(TZ)["dataCenters"] == one.bookmark(TZ)["dataCenters"]


def test_a_throttled_run_reads_every_account_with_at_most_one_503(tap):
    with _emu(n_accounts=60, throttle_quota=15, throttle_window=0.4) as emu:
        run = tap(emu.tap_config(max_concurrency=8))
        throttled = emu.throttled_count
        expected = {a.accountCode for a in emu.accounts}
    assert run.returncode == 0, run.stderr[-2000:]
    assert set(_by_code(run.records(TZ))) == expected
    assert throttled <= 1


def test_a_503_pauses_every_worker_of_the_pool():
    latency, pause = 0.02, 0.6
    with _emu(n_accounts=80, latency=latency, datacentres=("euw1",)) as emu:
        emu.add_fault("account-timezone", "throttle", delay=pause)
        config = emu.tap_config(max_concurrency=8)
        run = _run_cli(config, _catalog_only(config, TZ))
        log = list(emu.requests)
    assert len([m for m in run if m["type"] == "RECORD"]) == 80
    throttled = [r for r in log if r.status == 503]
    assert len(throttled) == 1
    # Requests already on the wire when the 503 came back may still land just after it;
    # from then until the window the server named, nothing may arrive on that pool.
    start = throttled[0].time + latency + 0.1
    end = throttled[0].time + latency + pause - 0.05
    during = [r.path for r in log if start <= r.time <= end]
    assert during == []
    assert any(r.time > end for r in log)  # and the run went on afterwards


def test_a_second_run_given_the_state_asks_no_account_location(tap):
    with _emu(n_accounts=40) as emu:
        first = tap(emu.tap_config())
        assert first.returncode == 0, first.stderr[-2000:]
        assert any("account-location" in r.path for r in emu.requests)
        emu.clear_log()
        second = tap(emu.tap_config(), state=first.final_state)
        paths = [r.path for r in emu.requests]
    assert second.returncode == 0, second.stderr[-2000:]
    assert not [p for p in paths if "account-location" in p]
    assert len(second.records(TZ)) == 40


def test_a_moved_account_is_rediscovered_and_read_from_its_new_datacentre(tap):
    with _emu(n_accounts=30) as emu:
        first = tap(emu.tap_config())
        moved = next(a for a in emu.accounts if a.datacentre == "use1")
        emu.move_account(moved.accountCode, "usw1")
        emu.clear_log()
        second = tap(emu.tap_config(max_concurrency=4), state=first.final_state)
        log = list(emu.requests)
    assert second.returncode == 0, second.stderr[-2000:]
    record = _by_code(second.records(TZ))[moved.accountCode]
    assert record["dataCenter"] == "usw1"
    locations = [r.path for r in log if "account-location" in r.path]
    assert locations == [p for p in locations if moved.accountCode in p] and len(locations) == 1
    assert second.bookmark(TZ)["dataCenters"][moved.accountCode] == "usw1"
    assert len(second.records(TZ)) == 30


def _run_cli(config, catalog, *launcher):
    """Run the tap (or `launcher`) in a scratch dir and parse every stdout line strictly."""
    import tempfile
    from pathlib import Path

    where = Path(tempfile.mkdtemp(prefix="bp-throughput-"))
    (where / "config.json").write_text(json.dumps(config))
    (where / "catalog.json").write_text(json.dumps(catalog))
    argv = [*(launcher or [TAP]), "--config", str(where / "config.json"), "--catalog", str(where / "catalog.json")]
    proc = subprocess.run(argv, capture_output=True, cwd=REPO, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert proc.stdout.endswith(b"\n")
    return [json.loads(line) for line in proc.stdout.splitlines()]  # every line whole JSON


def test_the_fast_record_path_emits_the_same_records_as_sdk_defaults():
    with _emu(n_accounts=300) as emu:
        emu.mark_gone(emu.accounts[3].accountCode)
        config = emu.tap_config()
        catalog = _catalog_only(config, "installed_accounts", TZ)
        fast = _run_cli(config, catalog)
        sdk = _run_cli(config, catalog, sys.executable, "-m", "bench.sdk_defaults")

    def meaning(messages):
        records = [(m["stream"], m["record"]) for m in messages if m["type"] == "RECORD"]
        states = [m["value"] for m in messages if m["type"] == "STATE"]
        schemas = [m for m in messages if m["type"] == "SCHEMA"]
        return records, states[-1], schemas

    assert meaning(fast) == meaning(sdk)
    assert len(meaning(fast)[0]) == 300 + 299
    assert all("time_extracted" in m for m in fast if m["type"] == "RECORD")


def test_the_writer_sends_pending_records_before_any_state(monkeypatch):
    from tap_brightpearl.writer import ChunkedMsgSpecWriter

    fake_stdout = io.BytesIO()
    text = io.TextIOWrapper(fake_stdout, encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", text)  # in the test body: pytest swaps it per phase
    writer = ChunkedMsgSpecWriter()
    for i in range(3):
        writer.write_message(RecordMessage(stream="s", record={"n": i, "t": "é\n"}))
    assert fake_stdout.getvalue() == b""  # held: a RECORD alone does not flush
    writer.write_message(StateMessage(value={"bookmarks": {"s": {"n": 2}}}))
    lines = fake_stdout.getvalue().split(b"\n")
    assert lines[-1] == b""  # ends on a line boundary
    parsed = [json.loads(line) for line in lines[:-1]]
    assert [m["type"] for m in parsed] == ["RECORD"] * 3 + ["STATE"]
    assert [m["record"]["n"] for m in parsed[:3]] == [0, 1, 2]
    assert parsed[0]["record"]["t"] == "é\n"


def test_an_unthrottled_pool_never_pauses_however_many_requests(tap):
    # The emulator without a quota always answers "200 remaining, next period 60 s": more
    # than 200 requests on one pool must not make the tap wait for a window.
    with _emu(n_accounts=150) as emu:
        run = tap(emu.tap_config())
        on_master = sum(r.datacentre == "euw1" for r in emu.requests)
    assert run.returncode == 0, run.stderr[-2000:]
    assert on_master > 200
    assert "pausing" not in run.stderr
    assert len(run.records(TZ)) == 150
