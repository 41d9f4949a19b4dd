"""`tap-brightpearl --test`: the setup check to run before the first sync.

It reads one record per stream. A user notices three things: a good setup exits 0; a wrong
credential or an unreachable datacentre fails within seconds (not after the full retry
schedule) with one line naming the setting to fix; and no secret is ever printed.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from tests.emulator import Emulator

FAST_SECONDS = 10  # the full retry schedule (5 retries from 1 s, doubling) would take 30+ s


def closed_port_url() -> str:
    """A loopback URL where nothing listens (a port just freed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def check(tap: Any, config: dict[str, Any]) -> tuple[Any, float]:
    """Run `--test` and time it."""
    started = time.monotonic()
    run = tap(config, args=("--test",))
    return run, time.monotonic() - started


def error_lines(run: Any) -> list[str]:
    """The setup check's verdict lines."""
    return [line for line in run.stderr.splitlines() if "Setup check" in line]


def test_good_setup_passes(tap: Any, emulator: Emulator) -> None:
    run, elapsed = check(tap, emulator.tap_config())
    assert run.returncode == 0, run.stderr[-3000:]
    assert any("Setup check passed" in line for line in error_lines(run))
    assert elapsed < FAST_SECONDS
    assert {e.auth for e in emulator.requests if "installed-accounts" in e.path} == {"verified"}
    run.assert_no_secrets()


def test_wrong_secret_fails_fast_naming_the_credential_settings(tap: Any, emulator: Emulator) -> None:
    wrong = "sec-not-the-right-one-0000000000000"
    run, elapsed = check(tap, emulator.tap_config(developer_secret=wrong))
    assert run.returncode == 1
    assert elapsed < FAST_SECONDS
    [verdict] = error_lines(run)
    assert "Setup check failed" in verdict
    assert "developer_secret" in verdict and "developer_token" in verdict
    assert "HTTP 401" in verdict
    assert "Traceback" not in run.stderr
    run.assert_no_secrets(wrong)
    # 401 is never retried: exactly one refused call.
    assert [e.status for e in emulator.requests if "installed-accounts" in e.path] == [401]


def test_wrong_developer_reference_is_refused_too(tap: Any, emulator: Emulator) -> None:
    run, elapsed = check(tap, emulator.tap_config(developer_reference="someone-else"))
    assert run.returncode == 1
    assert elapsed < FAST_SECONDS
    assert "developer_reference" in "\n".join(error_lines(run))
    run.assert_no_secrets()


def test_unreachable_master_datacentre_fails_fast_naming_datacenter_urls(tap: Any, emulator: Emulator) -> None:
    config = emulator.tap_config()
    dead = closed_port_url()
    config["datacenter_urls"] = {**config["datacenter_urls"], "euw1": dead}
    run, elapsed = check(tap, config)
    assert run.returncode == 1
    assert elapsed < FAST_SECONDS, f"took {elapsed:.1f} s"
    [verdict] = error_lines(run)
    assert f"datacentre euw1 at {dead}" in verdict
    assert "connection refused" in verdict
    assert "data_center" in verdict and "datacenter_urls" in verdict
    assert "Traceback" not in run.stderr
    run.assert_no_secrets()


def test_unreachable_account_datacentre_names_that_datacentre(tap: Any, emulator: Emulator) -> None:
    config = emulator.tap_config()
    config["datacenter_urls"] = {**config["datacenter_urls"], "use1": closed_port_url()}
    run, elapsed = check(tap, config)
    assert run.returncode == 1
    assert elapsed < FAST_SECONDS, f"took {elapsed:.1f} s"
    [verdict] = error_lines(run)
    assert "datacentre use1" in verdict and "datacenter_urls" in verdict
    run.assert_no_secrets()


def test_unknown_datacentre_code_is_a_config_error_before_any_request(tap: Any, emulator: Emulator) -> None:
    run, elapsed = check(tap, emulator.tap_config(data_center="mars1"))
    assert run.returncode == 1
    assert elapsed < FAST_SECONDS
    assert "data_center 'mars1' is not a known datacentre code" in run.stderr
    assert emulator.requests == []
    run.assert_no_secrets()
