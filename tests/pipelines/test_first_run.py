"""The README's two commands, as a newcomer on Debian or Ubuntu runs them: a fresh copy of the project,
a fresh HOME, the system's externally managed `python3` (PEP 668) first on PATH, and no uv anywhere.

Before, `./scripts/demo.sh` stopped after ensure_meltano.sh had installed uv into
~/.cache/tap-brightpearl/uv-venv: scripts/_uv.sh never looked there and ran `pip install --user uv`, which
such a Python refuses (`externally-managed-environment`). `./scripts/test.sh` stopped the same way.

The test command runs with a one-file selection (`tests/test_signing.py`): the set-up is what is tested
here, and the whole suite would include this test again. Packages come from uv's own cache when this
machine has one (UV_CACHE_DIR), so a run downloads little; uv itself comes from PyPI, with pip, as for
the newcomer.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.machine import bare_env, externally_managed_python
from tests.support.project import footprint_changes, meltano_footprint, project_copy
from tests.test_readme import blocks

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]

# How this machine reaches PyPI (proxies, a TLS-inspecting proxy's CA, a mirror): the network, not the set-up.
NETWORK = {
    *("http_proxy", "https_proxy", "no_proxy", "ssl_cert_file", "ssl_cert_dir", "requests_ca_bundle"),
    *("curl_ca_bundle", "pip_cert", "pip_index_url", "pip_extra_index_url", "pip_find_links"),
    *("uv_index_url", "uv_default_index", "uv_extra_index_url", "uv_index", "uv_native_tls", "uv_system_certs"),
}


def readme_commands() -> list[str]:
    """The commands of the README's set-up block, without their comments."""
    [setup] = blocks("bash setup")
    return [line.split("#", 1)[0].strip() for line in setup.splitlines() if line.startswith("./")]


def uv_cache() -> str | None:
    """This machine's uv package cache, if it has uv (only the packages are shared, not uv itself)."""
    for uv in ("uv", str(Path.home() / ".local" / "bin" / "uv")):
        try:
            proc = subprocess.run([uv, "cache", "dir"], capture_output=True, text=True, timeout=30, check=False)
        except OSError:
            continue
        if proc.returncode == 0 and proc.stdout.strip():
            return proc.stdout.strip()
    return None


def test_the_two_readme_commands_pass_with_an_externally_managed_python_and_no_uv(tmp_path: Path) -> None:
    python = externally_managed_python()
    demo_command, test_command = readme_commands()
    assert (demo_command, test_command) == ("./scripts/demo.sh", "./scripts/test.sh")
    before = meltano_footprint()
    clone = project_copy(tmp_path / "clone")
    env = bare_env(tmp_path, python)
    env |= {k: v for k, v in os.environ.items() if k.lower() in NETWORK}
    if cache := uv_cache():
        env["UV_CACHE_DIR"] = cache

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=clone, env=env, capture_output=True, text=True, timeout=1500, check=False)

    demo = run(demo_command)
    output = demo.stdout + demo.stderr
    assert "externally-managed-environment" not in output
    assert demo.returncode == 0, f"{demo_command} failed:\n{demo.stdout[-2000:]}\n{demo.stderr[-3000:]}"
    installing = [line for line in demo.stderr.splitlines() if "uv is not on PATH" in line]
    assert len(installing) == 1 and "installing it from PyPI into" in installing[0], demo.stderr[-2000:]
    assert re.search(r"25 accounts", demo.stdout), demo.stdout[-2000:]
    assert (clone / "demo-output" / "installed_accounts.csv").is_file()
    assert not (clone / ".meltano").exists(), "the demo's Meltano ran in a copy of its own"

    tests = run(test_command, "tests/test_signing.py", "-q", "-p", "no:cacheprovider")
    output = tests.stdout + tests.stderr
    assert "externally-managed-environment" not in output
    assert tests.returncode == 0, f"{test_command} failed:\n{tests.stdout[-3000:]}\n{tests.stderr[-3000:]}"
    assert re.search(r"\d+ passed", tests.stdout)
    assert "uv is not on PATH" not in tests.stderr, "the uv the demo installed is found again"
    for version in ("3.10", "3.12", "3.13"):  # with no CI=true, a Python this fresh shell cannot see is a line
        assert f"test_pythons: Python {version} " in tests.stderr
    assert footprint_changes(before, meltano_footprint()) == []
