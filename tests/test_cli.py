"""The command line as a person meets it: a closed pipe, the words --about uses, a bad file."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import DEV_SECRET, SECRETS, TAP, run_tap


def test_a_closed_output_pipe_ends_quietly(emulator, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(emulator.tap_config()))
    proc = subprocess.run(
        f"{TAP} --config {config} | head -n 2", shell=True, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0
    assert len(proc.stdout.splitlines()) == 2
    assert "ERROR" not in proc.stderr and "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


def test_about_says_what_the_tap_reads_today():
    about = json.loads(
        subprocess.run([TAP, "--about", "--format", "json"], capture_output=True, text=True, check=True).stdout
    )
    assert "later" not in about["description"].lower()
    assert "business data" in about["description"]
    start = about["settings"]["properties"]["start_date"]["description"]
    assert "installedOn" in start and "updatedOn" in start, "start_date bounds account data too"
    assert sorted(about["supported_python_versions"]) == ["3.10", "3.11", "3.12", "3.13"]


def test_a_state_file_that_is_not_json_is_one_line(emulator, tmp_path):
    (tmp_path / "bad").mkdir()
    state = tmp_path / "bad" / "state.json"
    state.write_text("{not json")
    config = tmp_path / "config.json"
    config.write_text(json.dumps(emulator.tap_config()))
    proc = subprocess.run(
        [TAP, "--config", str(config), "--state", str(state)], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert "ERROR" in last and "state file is not valid JSON" in last
    assert "Traceback" not in proc.stderr
    assert emulator.requests == []


def test_a_config_file_that_is_missing_is_one_line(tmp_path):
    run = run_tap({"app_reference": "x"}, tmp_path, args=("--config", str(tmp_path / "nowhere.json")))
    assert run.returncode == 1
    assert "cannot be read" in run.stderr.strip().splitlines()[-1]
    assert "Traceback" not in run.stderr


def test_about_lists_every_stream_with_its_key_and_replication(emulator, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(emulator.tap_config()))
    catalog = json.loads(
        subprocess.run([TAP, "--config", str(config), "--discover"], capture_output=True, text=True, check=True).stdout
    )
    about = json.loads(
        subprocess.run([TAP, "--about", "--format", "json"], capture_output=True, text=True, check=True).stdout
    )
    listed = {s["name"]: s for s in about["streams"]}
    assert set(listed) == {e["tap_stream_id"] for e in catalog["streams"]}
    for entry in catalog["streams"]:
        row = listed[entry["tap_stream_id"]]
        assert row["key_properties"] == entry["key_properties"], entry["tap_stream_id"]
        key = entry.get("replication_key")
        assert row["replication"] == (f"INCREMENTAL on {key}" if key else "FULL_TABLE"), entry["tap_stream_id"]
    text = subprocess.run([TAP, "--about"], capture_output=True, text=True, check=True).stdout
    assert all(f"  - {name}: key " in text for name in listed), "the text format lists them too"


def test_a_setting_from_the_environment_that_does_not_convert_is_one_line(emulator):
    """`--config ENV`: the SDK converts integers and JSON with int() and json.loads; a value that does not
    convert names its variable and setting in one line, never a traceback, never the value."""
    import os

    base = {f"TAP_BRIGHTPEARL_{k.upper()}": v for k, v in emulator.tap_config().items() if isinstance(v, str)}
    for variable, value, says in (
        ("TAP_BRIGHTPEARL_MAX_CONCURRENCY", "abc", "max_concurrency must be a whole number"),
        ("TAP_BRIGHTPEARL_DATACENTER_URLS", "notjson", "datacenter_urls must be a JSON object"),
        ("TAP_BRIGHTPEARL_CUSTOM_STREAMS", DEV_SECRET, "custom_streams must be a JSON array"),
    ):
        env = {**os.environ, **base, variable: value, "TAP_BRIGHTPEARL_LOGLEVEL": "DEBUG"}
        proc = subprocess.run(
            [TAP, "--config", "ENV"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=env,
        )
        assert proc.returncode == 1
        assert "Traceback" not in proc.stderr
        errors = [line for line in proc.stderr.splitlines() if "ERROR" in line]
        assert len(errors) == 1 and variable in errors[0] and says in errors[0], proc.stderr
        assert not proc.stdout
        for secret in SECRETS:
            assert secret not in proc.stderr
