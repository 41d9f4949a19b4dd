"""Shared fixtures: a running emulator and the real tap CLI run against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tap_brightpearl.catalog import ROWS
from tests.emulator import Emulator, sign
from tests.support.project import footprint_changes, meltano_footprint

REPO = Path(__file__).resolve().parents[1]
# Real recorded Brightpearl answers: ../shared beside the checkout, or BRIGHTPEARL_RECORDINGS (a clone elsewhere).
RECORDINGS = Path(
    os.environ.get("BRIGHTPEARL_RECORDINGS") or REPO.parent / "shared" / "brightpearl-recordings"
).resolve()
TAP = str(Path(sys.executable).with_name("tap-brightpearl"))

# Known, distinctive credentials so every test can assert they never leak.
DEV_TOKEN = "tok-Zq8RkP2vW9xLm4Tn7Hj3Bc6Df1Gs5Ya0"
DEV_SECRET = "sec-Uu4Ee8Ii2Oo6Aa1Yy5Ww9Qq3Rr7Tt0Pp"
SIGNED = sign(DEV_TOKEN, DEV_SECRET)
SECRETS = (DEV_TOKEN, DEV_SECRET, SIGNED)
# The contract's settings that hold a secret (https_proxy may carry a proxy password): secret in
# --about, sensitive in meltano.yml and the Meltano Hub file, masked in every log line.
SECRET_SETTINGS = (
    "developer_token",
    "developer_secret",
    "account_token",
    "staff_token",
    "client_secret",
    "refresh_token",
    "token_encryption_key",
    "https_proxy",
)
DEVELOPER_STREAMS = ("installed_accounts", "account_timezones")
ACCOUNT_STREAMS = ("orders", "products", "contacts", "warehouses", "account_configuration")
EVERY_STREAM = (*DEVELOPER_STREAMS, *ACCOUNT_STREAMS)
# Every account stream, in the order a run syncs them: the catalog's rows (tap_brightpearl/catalog.py).
ALL_ACCOUNT_STREAMS = tuple(row.name for row in ROWS)
MORE_ACCOUNT_STREAMS = tuple(name for name in ALL_ACCOUNT_STREAMS if name not in ACCOUNT_STREAMS)


@dataclass
class TapRun:
    """What one tap process printed, parsed into Singer messages."""

    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [m["record"] for m in self.messages if m.get("type") == "RECORD" and m["stream"] == stream]

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m.get("type") == "STATE"]

    @property
    def final_state(self) -> dict[str, Any]:
        return self.states[-1]

    def bookmark(self, stream: str) -> dict[str, Any]:
        return self.final_state["bookmarks"][stream]

    def warnings(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if "WARNING" in line]

    def assert_no_secrets(self, *extra: str) -> None:
        """No credential in stderr, nor in stdout outside installed_accounts records."""
        stdout_outside_records = "\n".join(
            json.dumps(m)
            for m in self.messages
            if not (m.get("type") == "RECORD" and m.get("stream") == "installed_accounts")
        )
        for secret in (*SECRETS, *extra):
            assert secret not in self.stderr, "a secret leaked into stderr"
            assert secret not in stdout_outside_records, "a secret leaked into stdout"


def run_tap(
    config: dict[str, Any],
    tmp_path: Path,
    *,
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> TapRun:
    """Run the installed `tap-brightpearl` CLI, as a user would."""
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    cmd = [TAP, "--config", str(config_path), *args]
    if state is not None:
        (tmp_path / "state.json").write_text(json.dumps(state))
        cmd += ["--state", str(tmp_path / "state.json")]
    if catalog is not None:
        (tmp_path / "catalog.json").write_text(json.dumps(catalog))
        cmd += ["--catalog", str(tmp_path / "catalog.json")]
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=tmp_path,
        env={**os.environ, **(env or {})},
        check=False,
    )
    messages = []
    for line in proc.stdout.splitlines():
        if line.startswith('{"type"'):
            messages.append(json.loads(line))
    return TapRun(proc.returncode, proc.stdout, proc.stderr, messages)


def catalog_selecting(config: dict[str, Any], streams: set[str] | tuple[str, ...]) -> dict[str, Any]:
    """The tap's own catalog (built in-process, no request) with only `streams` selected."""
    from tap_brightpearl.tap import TapBrightpearl

    catalog = TapBrightpearl(config=config, validate_config=False).catalog_dict
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if not meta["breadcrumb"]:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


@pytest.fixture
def emulator() -> Any:
    """A three-datacentre emulator with 20 accounts and the known test credentials."""
    with Emulator(n_accounts=20, seed=7, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET) as emu:
        yield emu


@pytest.fixture
def tap(tmp_path: Path) -> Any:
    """`tap(config, **kw)` runs the CLI in a fresh directory per call.

    `streams=(...)` selects exactly those streams with a catalog, as a user selecting the
    opt-in account streams would.
    """
    counter = iter(range(1000))

    def _run(config: dict[str, Any], *, streams: tuple[str, ...] | None = None, **kwargs: Any) -> TapRun:
        where = tmp_path / f"run{next(counter)}"
        where.mkdir()
        if streams is not None:
            kwargs["catalog"] = catalog_selecting(config, streams)
        return run_tap(config, where, **kwargs)

    return _run


@pytest.fixture(scope="session", autouse=True)
def the_checkout_is_left_alone() -> Any:
    """Tests run Meltano in copies of the project: after the run the checkout's meltano.yml and .env are
    byte for byte what they were, and there is no .meltano/ that was not there before."""
    before = meltano_footprint()
    yield
    changes = footprint_changes(before, meltano_footprint())
    assert not changes, f"the test run changed the checkout ({REPO}): {'; '.join(changes)} (by you, meanwhile?)"
