"""`tap-brightpearl --test`: the setup check to run before the first sync.

A user notices: a good setup exits 0 with no ERROR line; a wrong credential or an unreachable
datacentre fails after one short try (retries and timeouts are capped, so no full retry schedule)
with one line naming the setting to fix; a bad setting is one line too, never a traceback; and no
secret is ever printed, even one pasted into the wrong setting.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.conftest import DEV_SECRET
from tests.emulator import Emulator


def closed_port_url() -> str:
    """A loopback URL where nothing listens (a port just freed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def check(tap: Any, config: dict[str, Any]) -> tuple[Any, None]:
    """Run `--test`."""
    return tap(config, args=("--test",)), None


def error_lines(run: Any) -> list[str]:
    """The setup check's verdict lines."""
    return [line for line in run.stderr.splitlines() if "Setup check" in line]


def test_good_setup_passes(tap: Any, emulator: Emulator) -> None:
    run, _ = check(tap, emulator.tap_config())
    assert run.returncode == 0, run.stderr[-3000:]
    assert any("Setup check passed" in line for line in error_lines(run))
    assert "ERROR" not in run.stderr, "a passing check logs no ERROR line"
    assert "Traceback" not in run.stderr
    assert {e.auth for e in emulator.requests if "installed-accounts" in e.path} == {"verified"}
    run.assert_no_secrets()


def test_wrong_secret_fails_fast_naming_the_credential_settings(tap: Any, emulator: Emulator) -> None:
    wrong = "sec-not-the-right-one-0000000000000"
    run, _ = check(tap, emulator.tap_config(developer_secret=wrong))
    assert run.returncode == 1
    [verdict] = error_lines(run)
    assert "Setup check failed" in verdict
    assert "developer_secret" in verdict and "developer_token" in verdict
    assert "HTTP 401" in verdict
    assert "Traceback" not in run.stderr
    run.assert_no_secrets(wrong)
    # 401 is never retried: exactly one refused call.
    assert [e.status for e in emulator.requests if "installed-accounts" in e.path] == [401]


def test_wrong_developer_reference_is_refused_too(tap: Any, emulator: Emulator) -> None:
    run, _ = check(tap, emulator.tap_config(developer_reference="someone-else"))
    assert run.returncode == 1
    assert "developer_reference" in "\n".join(error_lines(run))
    run.assert_no_secrets()


def test_an_app_reference_brightpearl_does_not_know_is_named(tap: Any, emulator: Emulator) -> None:
    """Developer-tools answers 404 "Developer or app not found": the check and the run name app_reference."""
    config = emulator.tap_config(app_reference=f"{emulator.tap_config()['developer_reference']}_other")
    run, _ = check(tap, config)
    assert run.returncode == 1
    [verdict] = error_lines(run)
    assert "app_reference" in verdict and "datacenter_urls" not in verdict, verdict
    sync = tap(config)
    assert sync.returncode == 1
    final = [line for line in sync.stderr.splitlines() if "ERROR" in line][-1]
    assert "app_reference" in final and "resumes from its state" not in final, final
    assert "Traceback" not in run.stderr + sync.stderr
    run.assert_no_secrets()
    sync.assert_no_secrets()


def test_unreachable_master_datacentre_fails_fast_naming_datacenter_urls(tap: Any, emulator: Emulator) -> None:
    config = emulator.tap_config()
    dead = closed_port_url()
    config["datacenter_urls"] = {**config["datacenter_urls"], "euw1": dead}
    run, _ = check(tap, config)
    assert run.returncode == 1
    [verdict] = error_lines(run)
    assert f"datacentre euw1 at {dead}" in verdict
    assert "connection refused" in verdict
    assert "data_center" in verdict and "datacenter_urls" in verdict
    assert "Traceback" not in run.stderr
    run.assert_no_secrets()


def test_unreachable_account_datacentre_names_that_datacentre(tap: Any, emulator: Emulator) -> None:
    config = emulator.tap_config()
    config["datacenter_urls"] = {**config["datacenter_urls"], "use1": closed_port_url()}
    run, _ = check(tap, config)
    assert run.returncode == 1
    [verdict] = error_lines(run)
    assert "datacentre use1" in verdict and "datacenter_urls" in verdict
    run.assert_no_secrets()


def test_unknown_datacentre_code_is_a_config_error_before_any_request(tap: Any, emulator: Emulator) -> None:
    run, _ = check(tap, emulator.tap_config(data_center="mars1"))
    assert run.returncode == 1
    assert "data_center 'mars1' is not a known datacentre code" in run.stderr
    assert emulator.requests == []
    run.assert_no_secrets()


def test_an_unreachable_master_is_tried_once_not_the_full_retry_schedule(tap: Any, emulator: Emulator) -> None:
    emulator.add_fault("installed-accounts", "status", status=502, body=b"", times=20)
    run, _ = check(tap, emulator.tap_config(max_retries=10))
    assert run.returncode == 1
    assert len([e for e in emulator.requests if "installed-accounts" in e.path]) == 2, "one try and one retry"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"app_reference": None}, "app_reference"),
        ({"data_center": "mars1"}, "data_center"),
        ({"data_center": DEV_SECRET}, "data_center"),  # the secret pasted into the wrong setting
    ],
    ids=["missing-app_reference", "unknown-data_center", "secret-in-data_center"],
)
def test_a_bad_setting_is_one_error_line_naming_it(tap: Any, emulator: Emulator, change: dict, named: str) -> None:
    config = {**emulator.tap_config(), **change}
    config = {k: v for k, v in config.items() if v is not None}
    run, _ = check(tap, config)
    assert run.returncode == 1
    lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
    assert len([line for line in lines if "ERROR" in line]) == 1
    assert "ERROR" in lines[-1] and named in lines[-1]
    assert "Traceback" not in run.stderr
    assert emulator.requests == []
    run.assert_no_secrets()
