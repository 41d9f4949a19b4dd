"""The README is the truth: its commands work as written, its configs are accepted, its tables are complete.

Blocks fenced as ```bash copy``` are meant to be copied: they run here, in order, from the root of a
copy of the project (its Meltano commands must not touch the checkout) with the running .venv, as
right after the two set-up commands (the emulator stands in for Brightpearl).
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
from tests.support.project import project_copy

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(info: str) -> list[str]:
    return [body for kind, body in FENCE.findall(README) if kind.strip() == info]


def records_by_stream(path: Path) -> dict[str, list[dict]]:
    """RECORD messages of one tap output file, by stream."""
    found: dict[str, list[dict]] = {}
    for line in path.read_text().splitlines():
        if line.startswith('{"type":"RECORD"'):
            message = json.loads(line)
            found.setdefault(message["stream"], []).append(message["record"])
    return found


def test_the_copy_blocks_run_as_written(tmp_path):
    # The blocks' scratch files (/tmp/bp-*) go to a folder of this test's own, so a person following
    # the README on this machine meanwhile keeps theirs.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    script = "\n".join(["set -euo pipefail", *blocks("bash copy")]).replace("/tmp/bp-", f"{scratch}/bp-")
    assert script.count("\n") > 10, "the README has runnable blocks"
    assert "/tmp/" not in script.replace(str(tmp_path), ""), "every scratch path of the README is under /tmp/bp-"
    project = project_copy(tmp_path / "project", venv=True)
    env = {**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("MELTANO_PROJECT_ROOT", None)
    proc = subprocess.run(["bash", "-c", script], cwd=project, capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, f"a README block failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    default = (scratch / "bp-default.jsonl").read_text()
    assert '"stream":"installed_accounts"' in default and '"stream":"orders"' not in default
    everything = (scratch / "bp-all.jsonl").read_text()
    assert '"stream":"orders"' in everything
    assert {p.name for p in (scratch / "bp-csv").glob("*.csv")} >= {"installed_accounts.csv", "account_timezones.csv"}
    assert "Setup check passed" in proc.stderr
    # The private app and the OAuth app each read one account's streams, and nothing of developer tools.
    private = json.loads((scratch / "bp-private.json").read_text())
    oauth = json.loads((scratch / "bp-oauth.json").read_text())
    for output, config in (("private", private), ("oauth-1", oauth), ("oauth-2", oauth), ("oauth-3", oauth)):
        streams = records_by_stream(scratch / f"bp-{output}.jsonl")
        assert "installed_accounts" not in streams, output
        assert {r["accountCode"] for r in streams.get("orders", [])} == {config["account_code"]}, output
    assert len(records_by_stream(scratch / "bp-private.jsonl")) >= 30, "a private app reads every account stream"
    assert "answered with private app credentials" in proc.stderr
    # The refresh token the walkthrough got from tap-brightpearl-oauth replaced the emulator's first one.
    assert oauth["refresh_token"] == (scratch / "bp-refresh-token").read_text().strip()
    assert ((scratch / "bp-refresh-token").stat().st_mode & 0o077) == 0, "the token file is readable by its owner only"


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


def test_the_stream_table_is_the_catalog_with_its_evidence():
    """The README's table is made from the rows `--about` shows (about_streams.readme_table): it cannot drift."""
    from tap_brightpearl.about_streams import readme_table

    assert readme_table() in README, (
        "README's stream table differs from the catalog: paste about_streams.readme_table()"
    )
    about = json.loads(
        subprocess.run([TAP, "--about", "--format", "json"], capture_output=True, text=True, check=True).stdout
    )
    for stream in about["streams"]:
        assert stream["evidence"], stream["name"]
        assert all(e.split(":")[0] in ("recorded", "documented", "third-party", "guess") for e in stream["evidence"])


def test_the_settings_table_lists_every_setting():
    about = json.loads(
        subprocess.run([TAP, "--about", "--format", "json"], capture_output=True, text=True, check=True).stdout
    )
    builtin: dict = {"properties": {}}
    TapBrightpearl.append_builtin_config(builtin)
    table = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
    for name in about["settings"]["properties"]:
        if name not in builtin["properties"]:
            assert re.search(rf"\b{name}\b", table), f"README's settings table lacks {name}"


def test_the_two_setup_commands_are_the_documented_ones():
    [setup] = blocks("bash setup")
    assert "./scripts/demo.sh" in setup and "./scripts/test.sh" in setup
    ci = (REPO / ".ci" / "run").read_text()
    assert "./scripts/test.sh" in ci


def test_the_readme_says_which_about_lists_the_defaults():
    """Plain `--about` lists names, types and environment variables; only --format markdown/json list defaults."""
    plain = subprocess.run([TAP, "--about"], capture_output=True, text=True, check=True).stdout
    markdown = subprocess.run([TAP, "--about", "--format", "markdown"], capture_output=True, text=True, check=True)
    about = json.loads(
        subprocess.run([TAP, "--about", "--format", "json"], capture_output=True, text=True, check=True).stdout
    )
    settings = about["settings"]["properties"]
    for name in settings:
        assert f"Name: {name}" in plain and f"TAP_BRIGHTPEARL_{name.upper()}" in plain
    assert "Default" not in plain and "default" not in plain.split("Streams:")[0].lower()
    rows = {line.split("|")[1].strip(): line for line in markdown.stdout.splitlines() if line.startswith("| ")}
    for name, schema in settings.items():
        if "default" in schema:
            assert name in rows and str(schema["default"]).lower() in rows[name].lower(), name
    prose = " ".join(FENCE.sub("", README).split())
    for sentence in re.split(r"(?<=[.:])\s", prose):
        if "--about" in sentence and "default" in sentence:  # defaults are credited to `--about --format ...`
            assert "--about --format" in sentence, f"the README credits plain --about with the defaults: {sentence!r}"
