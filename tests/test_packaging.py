"""The wheel a user installs works outside the repository.

Built with `uv build`, installed into a fresh virtualenv in a temporary folder, and run from
another temporary folder, so nothing can come from the source tree: the JSON schemas must be
inside the wheel (tap_brightpearl/schemas) for `--discover` to describe the streams.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import TAP

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
STREAMS = {"installed_accounts", "account_timezones"}


def run(cmd: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run a command and fail with its output if it fails."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a fresh venv with only the built wheel (and its dependencies) installed."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is needed to build the wheel")
    assert uv is not None
    dist = tmp_path_factory.mktemp("dist")
    run([uv, "build", "--wheel", "--out-dir", str(dist), str(REPO)], cwd=REPO)
    [wheel] = dist.glob("tap_brightpearl-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for schema in (REPO / "schemas").glob("*.json"):  # every stream's schema ships
        assert f"tap_brightpearl/schemas/{schema.name}" in names
    assert not any(n.startswith("tests/") for n in names), "test code must not ship"
    venv = tmp_path_factory.mktemp("venv") / "v"
    run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=dist)
    run([uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel)], cwd=dist)
    return venv / "bin"


def test_about_lists_every_setting_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    about = json.loads(run([str(installed / "tap-brightpearl"), "--about", "--format", "json"], cwd=tmp_path).stdout)
    assert about["name"] == "tap-brightpearl"
    settings = about["settings"]["properties"]
    for name in (
        "developer_reference",
        "developer_token",
        "developer_secret",
        "app_reference",
        "data_center",
        "datacenter_urls",
        "https_proxy",
        "ca_bundle",
    ):
        assert name in settings
    assert settings["developer_token"].get("secret") is True
    assert settings["developer_secret"].get("secret") is True
    assert {"state", "catalog", "discover", "about", "stream-maps"} <= set(about["capabilities"])
    usage = subprocess.run([str(installed / "tap-brightpearl-oauth"), "--help"], capture_output=True, text=True)
    assert usage.returncode == 0 and "--config" in usage.stdout, "the OAuth helper command ships too"


def test_discover_describes_the_streams_from_outside_the_repo(installed: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "developer_reference": "devref",
                "developer_token": "tok-packaging-0000",
                "developer_secret": "sec-packaging-0000",
                "app_reference": "devref_app",
            }
        )
    )
    proc = run([str(installed / "tap-brightpearl"), "--config", str(config), "--discover"], cwd=tmp_path)
    catalog = json.loads(proc.stdout)
    streams = {s["tap_stream_id"]: s for s in catalog["streams"]}
    assert set(streams) >= STREAMS
    installed_schema = streams["installed_accounts"]["schema"]["properties"]
    assert set(installed_schema) >= {"accountCode", "installedOn", "unsignedAccountToken", "enabled"}
    assert installed_schema["installedOn"].get("format") == "date-time"
    assert streams["installed_accounts"]["key_properties"] == ["accountCode"]
    assert streams["installed_accounts"]["replication_key"] == "installedOn"
    zones = streams["account_timezones"]["schema"]["properties"]
    assert set(zones) >= {"accountCode", "canonicalId", "currentUtcOffset", "dataCenter"}
    for secret in ("tok-packaging-0000", "sec-packaging-0000"):
        assert secret not in proc.stdout + proc.stderr


def test_the_declared_pythons_agree_everywhere():
    """requires-python, the classifiers and --about name the same Pythons (scripts/test_pythons.sh tests each)."""
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    classified = sorted(re.findall(r'"Programming Language :: Python :: (3\.\d+)"', pyproject))
    assert 'requires-python = ">=3.10"' in pyproject
    assert classified == ["3.10", "3.11", "3.12", "3.13"]
    about = json.loads(
        subprocess.run([TAP, "--about", "--format", "json"], capture_output=True, text=True, check=True).stdout
    )
    assert sorted(about["supported_python_versions"]) == classified
    # scripts/test_pythons.sh reads the classifiers: its listing names exactly these versions, in order.
    listing = subprocess.run(
        [str(REPO / "scripts" / "test_pythons.sh"), "--list"],
        env={k: v for k, v in os.environ.items() if k != "CI"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert [line.split()[0] for line in listing.stdout.splitlines()] == classified
