"""The README is the truth: its commands work as written, its configs are accepted, its tables are complete.

Blocks fenced as ```bash copy``` are meant to be copied: they run here, in order, from the
repository root, right after the two set-up commands (the emulator stands in for Brightpearl).
Blocks fenced as ```json``` are configs a person writes by hand from the README: with real
values in place of "…" the tap accepts each of them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tap_brightpearl.tap import TapBrightpearl
from tests.conftest import TAP

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(info: str) -> list[str]:
    return [body for kind, body in FENCE.findall(README) if kind.strip() == info]


def test_the_copy_blocks_run_as_written(tmp_path):
    script = "\n".join(["set -euo pipefail", *blocks("bash copy")])
    assert script.count("\n") > 10, "the README has runnable blocks"
    for leftover in Path("/tmp").glob("bp-*"):  # the blocks' own scratch files, from an earlier run
        if leftover.is_file():
            leftover.unlink()
    env = {**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(["bash", "-c", script], cwd=REPO, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, f"a README block failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    default = Path("/tmp/bp-default.jsonl").read_text()
    assert '"stream":"installed_accounts"' in default and '"stream":"orders"' not in default
    everything = Path("/tmp/bp-all.jsonl").read_text()
    assert '"stream":"orders"' in everything
    assert {p.name for p in Path("/tmp/bp-csv").glob("*.csv")} >= {"installed_accounts.csv", "account_timezones.csv"}
    assert "Setup check passed" in proc.stderr


@pytest.mark.parametrize("config", blocks("json"), ids=lambda c: json.loads(c.replace("…", "x"))["app_reference"])
def test_every_config_in_the_readme_is_accepted(config):
    filled = json.loads(config.replace("…", "a-real-looking-credential-1234"))
    TapBrightpearl(config=filled, validate_config=True)  # the schema and the tap's own checks


def test_the_stream_table_lists_every_stream_with_its_key():
    about = json.loads(
        subprocess.run([TAP, "--about", "--format", "json"], capture_output=True, text=True, check=True).stdout
    )
    table = README.split("| stream | what | key | replication |", 1)[1].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    for stream in about["streams"]:
        row = next((r for r in rows if f"`{stream['name']}`" in r.split("|")[1]), None)
        assert row is not None, f"README's stream table lacks {stream['name']}"
        for key in stream["key_properties"]:
            assert f"`{key}`" in row.split("|")[3], f"{stream['name']}: key {key} not in its row"
        incremental = stream["replication"].startswith("INCREMENTAL")
        assert ("incremental" in row.split("|")[4]) == incremental, f"{stream['name']}: replication"


def test_the_settings_table_lists_every_setting():
    about = json.loads(
        subprocess.run([TAP, "--about", "--format", "json"], capture_output=True, text=True, check=True).stdout
    )
    builtin: dict = {"properties": {}}
    TapBrightpearl.append_builtin_config(builtin)
    table = README.split("## Settings", 1)[1].split("## How it works", 1)[0]
    for name in about["settings"]["properties"]:
        if name not in builtin["properties"]:
            assert re.search(rf"\b{name}\b", table), f"README's settings table lacks {name}"


def test_the_two_setup_commands_are_the_documented_ones():
    [setup] = blocks("bash setup")
    assert "./scripts/demo.sh" in setup and "./scripts/test.sh" in setup
    ci = (REPO / ".ci" / "run").read_text()
    assert "./scripts/test.sh" in ci
