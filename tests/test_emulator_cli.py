"""`python -m tests.emulator` prints (and writes) a working config for each of the three app kinds.

What a person trying the tap notices: with `--private-config-out` and `--oauth-config-out` the same
emulator also serves a private app and an OAuth app (token endpoint and authorize page included), and
the configs it hands out work with the real CLI as they are; the README's walkthrough uses them.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The emulator CLI with all three configs asked for; what it printed and wrote."""
    paths = {kind: tmp_path / f"{kind}.json" for kind in ("public", "private", "oauth")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.emulator",
            "--accounts",
            "4",
            "--seed",
            "3",
            "--config-out",
            str(paths["public"]),
            "--private-config-out",
            str(paths["private"]),
            "--oauth-config-out",
            str(paths["oauth"]),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not paths["public"].exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the emulator did not write its configs"
            time.sleep(0.05)
        # The public config is written last: by now the other two are whole.
        configs = {kind: json.loads(path.read_text()) for kind, path in paths.items()}
        yield {"configs": configs, "proc": proc}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def printed_sections(stdout: str) -> dict[str, Any]:
    """stdout after the datacentre lines: the public config, then one `# ...` line before each other one."""
    sections: dict[str, Any] = {}
    lines = [line for line in stdout.splitlines() if line.split(" ")[0] not in ("euw1", "use1", "usw1")]
    title, buffer = "public", []
    for line in lines:
        if line.startswith("# "):
            if buffer:
                sections[title] = json.loads("\n".join(buffer))
            title, buffer = line, []
        else:
            buffer.append(line)
    if buffer:
        sections[title] = json.loads("\n".join(buffer))
    sections["titles"] = [line for line in lines if line.startswith("# ")]
    return sections


def test_the_printed_configs_are_the_written_ones(served: dict[str, Any]) -> None:
    proc, configs = served["proc"], served["configs"]
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    sections = printed_sections(stdout)
    assert sections["public"] == configs["public"]
    [private_title, oauth_title, authorize_line] = sections["titles"]
    assert sections[private_title] == configs["private"] and "private app config" in private_title
    assert sections[oauth_title] == configs["oauth"] and "OAuth app config" in oauth_title
    master = configs["public"]["datacenter_urls"]["euw1"]
    assert authorize_line.endswith(f"{master}/authorize/{{account}}")


def test_the_private_app_config_reads_its_account_with_the_real_cli(served: dict[str, Any], tap: Any) -> None:
    private = served["configs"]["private"]
    assert set(private) == {"app_reference", "account_code", "account_token", "data_center", "datacenter_urls"}
    check = tap(private, args=("--test",))
    assert check.returncode == 0, check.stderr
    assert "answered with private app credentials" in check.stderr
    run = tap(private)
    assert run.returncode == 0, run.stderr
    assert {r["accountCode"] for r in run.records("orders")} == {private["account_code"]}
    assert not run.records("installed_accounts"), "a private app has no developer-tools access"
    run.assert_no_secrets(private["account_token"])


def test_the_oauth_app_config_names_its_token_endpoint_and_reads_its_account(served: dict[str, Any], tap: Any) -> None:
    oauth = served["configs"]["oauth"]
    master = served["configs"]["public"]["datacenter_urls"]["euw1"]
    assert oauth["oauth_token_url"] == f"{master}/oauth/token"
    assert {"client_id", "client_secret", "refresh_token", "account_code"} <= set(oauth)
    run = tap(oauth)
    assert run.returncode == 0, run.stderr
    assert {r["accountCode"] for r in run.records("orders")} == {oauth["account_code"]}
    run.assert_no_secrets(oauth["client_secret"], oauth["refresh_token"])
    # The endpoint is a real OAuth token endpoint: the refresh token it handed out was used up (rotated).
    answer = requests.post(
        oauth["oauth_token_url"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": oauth["refresh_token"],
            "client_id": oauth["client_id"],
            "client_secret": oauth["client_secret"],
            "account_code": oauth["account_code"],
        },
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_without_the_new_options_the_emulator_serves_no_oauth(tmp_path: Path) -> None:
    config_path = tmp_path / "public.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--accounts", "2", "--config-out", str(config_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not config_path.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        master = json.loads(config_path.read_text())["datacenter_urls"]["euw1"]
        assert (
            requests.post(f"{master}/oauth/token", data={"grant_type": "refresh_token"}, timeout=10).status_code == 404
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        stdout, _ = proc.communicate(timeout=10)
    assert "# " not in stdout, "only the public config is printed"
