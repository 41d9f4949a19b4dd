"""Fault suite helpers: every run at DEBUG, every output checked for every secret the emulator knows.

Shared with tests/test_kill_resume.py (catalog selection, streaming secret checks).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import SECRETS, TAP, TapRun

DEBUG = {"TAP_BRIGHTPEARL_LOGLEVEL": "DEBUG"}
FAST = {"retry_backoff_seconds": 0.02, "max_retries": 3, "request_timeout": 5}
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def account_tokens(emu: Any) -> set[str]:
    """Every unsignedAccountToken the emulator has ever listed."""
    return {a.unsignedAccountToken for a in emu.accounts}


def outside_installed_accounts(messages: list[dict[str, Any]]) -> str:
    """stdout as JSON text, minus installed_accounts RECORDs (the only place a token may appear)."""
    return "\n".join(
        json.dumps(m) for m in messages if not (m.get("type") == "RECORD" and m.get("stream") == "installed_accounts")
    )


def assert_clean_text(text: str, tokens: set[str], *extra: str, where: str = "output") -> None:
    """No developer credential, signed token, account token or `extra` string in `text`."""
    for secret in (*SECRETS, *extra):
        assert secret not in text, f"a secret leaked into {where}"
    # Account tokens are UUIDs: find every UUID-shaped string once instead of 50,000 substring scans.
    leaked = set(_UUID.findall(text)) & tokens
    assert not leaked, f"{len(leaked)} unsigned account token(s) leaked into {where}"


def assert_clean(run: TapRun, emu: Any, *extra: str, tokens: set[str] | None = None) -> None:
    """The issue-5 hygiene rule for one run: stderr, and stdout outside installed_accounts records."""
    tokens = account_tokens(emu) if tokens is None else tokens
    assert_clean_text(run.stderr, tokens, *extra, where="stderr")
    assert_clean_text(outside_installed_accounts(run.messages), tokens, *extra, where="stdout")


def requests_to(emu: Any, fragment: str) -> list[Any]:
    """Logged requests whose path contains `fragment`."""
    return [r for r in emu.requests if fragment in r.path]


def error_lines(run: TapRun) -> list[str]:
    """The ERROR lines of a run's stderr."""
    return [line for line in run.stderr.splitlines() if "| ERROR" in line]


def catalog_selecting(config: dict[str, Any], tmp_path: Path, *streams: str) -> dict[str, Any]:
    """The tap's own discovered catalog with only `streams` selected."""
    path = tmp_path / "discover-config.json"
    path.write_text(json.dumps(config))
    out = subprocess.run(
        [TAP, "--config", str(path), "--discover"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    catalog = json.loads(out)
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"] in streams
    return catalog


def only_installed_accounts(catalog: dict[str, Any]) -> dict[str, Any]:
    """A copy of `catalog` with installed_accounts the only selected stream."""
    catalog = json.loads(json.dumps(catalog))
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"] == "installed_accounts"
    return catalog
