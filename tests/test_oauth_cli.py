"""`tap-brightpearl-oauth`: a person gets the first refresh token, end to end against the emulator.

The test plays the person: it opens the printed authorize URL (the emulator approves at
once and redirects), the redirect lands on the command's loopback port, and the command
exchanges the code and hands over the refresh token once — printed, or in a file only
its owner can read.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.emulator import Emulator

OAUTH = str(Path(sys.executable).with_name("tap-brightpearl-oauth"))
CLIENT_ID = "bp-client"
CLIENT_SECRET = "client-secret-Ht4Jw8Ue2Rm6Yb1Ko5"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def authorize(emu: Emulator, tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess, str]:
    """Run the command, approve in the 'browser', and return (its result, the account code)."""
    code = next(a.accountCode for a in emu.accounts if a.enabled and not a.gone)
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "account_code": code,
                "app_reference": emu.app_reference,
                "developer_reference": emu.developer_reference,
                "data_center": emu.master,
                "datacenter_urls": emu.base_urls,
            }
        )
    )
    port = free_port()
    authorize_url = emu.base_urls[emu.master] + "/authorize/{account}"
    proc = subprocess.Popen(
        [OAUTH, "--config", str(config), "--port", str(port), "--authorize-url", authorize_url, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    link = next(line.strip() for line in proc.stderr if line.startswith("http"))
    approval = requests.get(link, allow_redirects=False, timeout=10)  # the person approves
    assert approval.status_code == 302
    landed = requests.get(approval.headers["Location"], timeout=10)  # the browser follows the redirect
    assert landed.status_code == 200
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), code


def test_the_command_prints_a_working_refresh_token_once(tmp_path):
    with Emulator(n_accounts=2, seed=51) as emu:
        emu.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        result, _ = authorize(emu, tmp_path)
        assert result.returncode == 0, result.stderr
        token = result.stdout.strip()
        assert token and token in emu.issued_tokens()
        assert token not in result.stderr and CLIENT_SECRET not in result.stderr + result.stdout
        assert emu.oauth_grants == ["authorization_code"]


def test_the_command_can_write_the_token_to_a_file_only_its_owner_reads(tmp_path):
    with Emulator(n_accounts=2, seed=53) as emu:
        emu.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        target = tmp_path / "refresh_token.txt"
        result, _ = authorize(emu, tmp_path, "--out", str(target))
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        token = target.read_text().strip()
        assert token in emu.issued_tokens()
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
        assert token not in result.stderr


def start(emu: Emulator, tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, str, int]:
    """Start the command; return it, the authorize link it printed, and its callback port."""
    code = next(a.accountCode for a in emu.accounts if a.enabled and not a.gone)
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "account_code": code,
                "app_reference": emu.app_reference,
                "developer_reference": emu.developer_reference,
                "data_center": emu.master,
                "datacenter_urls": emu.base_urls,
            }
        )
    )
    port = free_port()
    authorize_url = emu.base_urls[emu.master] + "/authorize/{account}"
    proc = subprocess.Popen(
        [OAUTH, "--config", str(config), "--port", str(port), "--authorize-url", authorize_url, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    link = next(line.strip() for line in proc.stderr if line.startswith("http"))
    return proc, link, port


def approve(link: str) -> None:
    """The person approves and the browser follows Brightpearl's redirect."""
    approval = requests.get(link, allow_redirects=False, timeout=10)
    assert approval.status_code == 302
    assert requests.get(approval.headers["Location"], timeout=10).status_code == 200


def test_a_forged_callback_is_refused_and_the_real_redirect_still_lands(tmp_path):
    with Emulator(n_accounts=2, seed=55) as emu:
        emu.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        proc, link, port = start(emu, tmp_path)
        for forged in ("code=x&state=y", "error=access_denied&state=y", "code=x"):  # any web page can send these
            answer = requests.get(f"http://127.0.0.1:{port}/callback?{forged}", timeout=10)
            assert answer.status_code == 400
        approve(link)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert out.strip() in emu.issued_tokens()
        assert emu.oauth_grants == ["authorization_code"], "the forged code was never exchanged"


def test_an_idle_connection_does_not_block_the_callback(tmp_path):
    with Emulator(n_accounts=2, seed=56) as emu:
        emu.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        proc, link, port = start(emu, tmp_path)
        idle = socket.create_connection(("127.0.0.1", port))  # sends nothing, ever
        half = socket.create_connection(("127.0.0.1", port))
        half.sendall(b"GET /callback?code=")  # half a request line, then silence
        try:
            approve(link)
            out, err = proc.communicate(timeout=60)
        finally:
            idle.close()
            half.close()
        assert proc.returncode == 0, err
        assert out.strip() in emu.issued_tokens()


def test_out_is_written_atomically_0600_and_never_through_a_symlink(tmp_path):
    with Emulator(n_accounts=2, seed=57) as emu:
        emu.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        victim = tmp_path / "victim.txt"
        victim.write_text("someone else's file\n")
        victim.chmod(0o644)
        target = tmp_path / "refresh_token.txt"
        target.symlink_to(victim)
        result, _ = authorize(emu, tmp_path, "--out", str(target))
        assert result.returncode == 0, result.stderr
        assert victim.read_text() == "someone else's file\n", "the symlink's target was not touched"
        assert not target.is_symlink() and stat.S_IMODE(os.lstat(target).st_mode) == 0o600
        assert target.read_text().strip() in emu.issued_tokens()
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tap-brightpearl-oauth-")] == []


def test_ctrl_c_ends_the_command_in_one_line(tmp_path):
    with Emulator(n_accounts=2, seed=58) as emu:
        emu.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        proc, _, _ = start(emu, tmp_path)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)  # a second Ctrl-C while it ends
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err[-3000:]
        assert out == ""
        assert "Traceback" not in err and "KeyboardInterrupt" not in err
        assert err.strip().splitlines() == ["ERROR interrupted (SIGINT): no refresh token was obtained"]
