"""Answers that would keep the tap busy for ever or eat the machine: a dripped body (item 6), a stop
signal while a worker waits on a silent server (item 7), a gzip bomb and an endless body (item 8), a
search that never ends (item 9), a throttle that never lifts (item 10).

No timed assertions: each run gets a generous guard against a server that would otherwise keep it
busy for many minutes, and the test asserts it finished.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import unquote

import pytest

from tests.conftest import TAP
from tests.hostile import (
    AS_LIMIT,
    AS_SHIM,
    DEBUG,
    HANG_GUARD,
    NO_ENV_PROXY,
    assert_last_error,
    assert_no_leak,
    assert_no_traceback,
    install,
    parse_run,
    private_config,
    public_config,
    run_tap,
    select,
)
from tests.hostile.servers import (
    ORDER_COLUMNS,
    drip,
    endless_chunked,
    errors_answer,
    gzip_bomb,
    gzip_member,
    id_set,
    json_answer,
    never_answer,
    search_page,
)

PRIVATE_TOKEN = "private-tok-0123456789"


@pytest.mark.parametrize("args", [(), ("--test",)], ids=["run", "test"])
def test_body_dripped_a_byte_a_second_ends_at_request_timeout(fake, public_catalog, tmp_path, args):
    fake.on("installed-accounts", lambda seen: drip(length=1500, every=1.0))  # 25 minutes of body
    config = public_config(fake.url, request_timeout=3, max_retries=0)
    catalog = None if args else select(public_catalog, "installed_accounts")
    run = run_tap(config, tmp_path, catalog=catalog, args=args, timeout=90)
    assert_last_error(run, "no answer within request_timeout")
    assert_no_leak(run)


def _stream_lines(proc: subprocess.Popen, into: list[str]) -> threading.Thread:
    def read() -> None:
        for line in proc.stdout:
            into.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stop_signal_ends_a_run_stuck_on_an_account_request(fake, public_catalog, tmp_path, signum):
    tokens = [f"acct-tok-stuck-{i}-9a8b7c6d" for i in range(3)]
    fake.installs = [install(f"acme{i}", t, f"2024-01-0{i + 1}T00:00:00.000Z") for i, t in enumerate(tokens)]
    fake.on("/public-api/", lambda seen: never_answer())
    (tmp_path / "config.json").write_text(json.dumps(public_config(fake.url, request_timeout=600)))
    catalog = select(public_catalog, "installed_accounts", "orders")  # synced in that order
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    cmd = [TAP, "--config", "config.json", "--catalog", "catalog.json"]
    env = {**os.environ, **NO_ENV_PROXY, **DEBUG}
    with (tmp_path / "stderr.txt").open("w") as err:
        proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        out: list[str] = []
        reader = _stream_lines(proc, out)
        deadline = time.monotonic() + HANG_GUARD
        while not (
            any('"installed_accounts"' in line and '"RECORD"' in line for line in out)
            and any(s.target.startswith("/public-api/") for s in fake.requests())
        ):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("the run never got stuck on an account request: " + (tmp_path / "stderr.txt").read_text())
            time.sleep(0.05)
        proc.send_signal(signum)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(f"still running 30 s after {signal.Signals(signum).name}")
        reader.join(10)
    run = parse_run(proc.returncode, "".join(out), (tmp_path / "stderr.txt").read_text())
    newest = None
    for message in run.messages:
        if message["type"] == "RECORD" and message["stream"] == "installed_accounts":
            newest = max(newest or "", message["record"]["installedOn"])
        elif message["type"] == "STATE":
            bookmark = message["value"].get("bookmarks", {}).get("installed_accounts", {}).get("replication_key_value")
            assert bookmark is None or (newest is not None and bookmark <= newest), "a STATE got ahead of its records"
    assert run.states, "no STATE was written"
    assert run.records("orders") == []
    assert_no_traceback(run)
    assert_no_leak(run, account_tokens=tokens)


def run_measured(config: dict, where, catalog: dict) -> tuple:
    """Run the CLI with its address space capped and return (run, its own peak RSS in bytes) via wait4."""
    (where / "config.json").write_text(json.dumps(config))
    (where / "catalog.json").write_text(json.dumps(catalog))
    cmd = [sys.executable, "-c", AS_SHIM, str(AS_LIMIT), TAP, "--config", "config.json", "--catalog", "catalog.json"]
    env = {**os.environ, **NO_ENV_PROXY, **DEBUG, "MALLOC_ARENA_MAX": "2"}
    with (where / "out.txt").open("w") as out, (where / "err.txt").open("w") as err:
        proc = subprocess.Popen(cmd, cwd=where, stdout=out, stderr=err, env=env)
        deadline = time.monotonic() + HANG_GUARD
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                pytest.fail(f"the tap was still running after {HANG_GUARD} s (hang)")
            time.sleep(0.1)
    proc.returncode = os.waitstatus_to_exitcode(status)
    run = parse_run(proc.returncode, (where / "out.txt").read_text(), (where / "err.txt").read_text())
    return run, usage.ru_maxrss * 1024


@pytest.fixture(scope="session")
def bomb_member() -> bytes:
    """64 MiB of zeros as one gzip member (about 64 KB); 48 of them inflate to 3 GiB."""
    return gzip_member(64)


@pytest.mark.parametrize("kind", ["gzip-bomb", "endless-chunked"])
def test_oversized_body_fails_naming_max_response_mb_in_bounded_memory(
    fake, public_catalog, tmp_path, bomb_member, kind
):
    hostile = (lambda seen: gzip_bomb(bomb_member, 48)) if kind == "gzip-bomb" else (lambda seen: endless_chunked())
    fake.on("installed-accounts", hostile)
    config = public_config(fake.url, max_response_mb=16)
    run, peak = run_measured(config, tmp_path, select(public_catalog, "installed_accounts"))
    assert peak < 400 << 20, f"the tap's peak RSS was {peak >> 20} MiB"
    assert_last_error(run, "max_response_mb")
    assert_no_leak(run)


def _lying_search(same_rows: bool, cutoff: int = 150):
    """Every page claims a billion results and more pages; after `cutoff` requests it refuses (so that
    today's tap ends instead of paging for hours)."""
    counter = itertools.count(1)

    def respond(seen):
        n = next(counter)
        if n > cutoff:
            return errors_answer("CMNC-400", "test server: enough searching", 400)
        params = dict(pair.partition("=")[::2] for pair in seen.query.split("&") if pair)
        first = int(unquote(params.get("firstResult", "1")) or 1)
        ids = [1, 2, 3] if same_rows else [n * 10 + i for i in range(3)]
        rows = [[i, "2025-01-01T00:00:00.000Z", "2024-01-01T00:00:00.000Z"] for i in ids]
        return search_page(
            rows, ORDER_COLUMNS, resultsAvailable=1_000_000_000, morePagesAvailable=True, firstResult=first
        )

    return respond


def _details(seen):
    ids = sorted(id_set(seen.path.rsplit("/", 1)[1]))
    return json_answer({"response": [{"id": i, "updatedOn": "2025-01-01T00:00:00.000Z"} for i in ids]})


@pytest.mark.parametrize("same_rows", [True, False], ids=["same-rows", "new-ids-forever"])
def test_search_that_always_has_more_pages_is_bounded(fake, private_catalog, tmp_path, same_rows):
    fake.on("/order-service/order-search", _lying_search(same_rows))
    fake.on("/order-service/order/", _details)
    run = run_tap(private_config(fake.url), tmp_path, catalog=select(private_catalog, "orders"))
    sent = [s for s in fake.requests() if s.target.startswith("/public-api/acme/")]
    assert len(sent) < 60, f"{len(sent)} requests for one account's orders"
    assert run.returncode == 1, "a search that cannot be read whole fails the stream (complete or loud)"
    assert [e for e in run.stderr.splitlines() if "ERROR" in e and "announced more" in e], "no ERROR about it"
    assert_no_traceback(run)
    assert_no_leak(run, secrets=[PRIVATE_TOKEN])


THROTTLED = {"response": "You have sent too many requests. Please wait before sending another request"}


def test_throttle_that_never_lifts_fails_naming_max_throttle_wait_seconds(fake, public_catalog, tmp_path):
    headers = {"brightpearl-next-throttle-period": "100", "brightpearl-requests-remaining": "0"}
    fake.on("installed-accounts", lambda seen: json_answer(THROTTLED, 503, headers))
    config = public_config(fake.url, max_throttle_wait_seconds=2)
    run = run_tap(config, tmp_path, catalog=select(public_catalog, "installed_accounts"))
    assert_last_error(run, "max_throttle_wait_seconds")
    assert_no_leak(run)
