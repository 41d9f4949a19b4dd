"""The set-up scripts on the Pythons people have: externally managed ones, several versions, pyenv or not.

What a newcomer notices: on Debian's or Ubuntu's own `python3` (PEP 668, "externally managed") the scripts
never ask pip to install into it; the uv that ensure_meltano.sh installed is the one every script uses;
a missing or old Python is one line saying what is needed; and scripts/test_pythons.sh finds each Python
the machine has wherever it lives, and fails under CI=true when a declared one is missing.
(tests/pipelines/test_first_run.py runs the two README commands themselves that way.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.pipelines.conftest import unavailable
from tests.support.machine import DEFAULT_PATH, bare_env, externally_managed_python, is_externally_managed, real_uv

REPO = Path(__file__).resolve().parents[1]
DECLARED = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', (REPO / "pyproject.toml").read_text())


def source_uv(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", 'source scripts/_uv.sh && command -v uv && echo "PY=$PY"'],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_uv_ensure_meltano_installed_is_used_and_pip_never_touches_the_system_python(tmp_path: Path) -> None:
    python = externally_managed_python()
    cache = tmp_path / "home" / ".cache" / "tap-brightpearl"
    env = bare_env(tmp_path, python)
    # What ensure_meltano.sh leaves behind on such a machine: uv in a venv of its own in the cache.
    (cache / "uv-venv" / "bin").mkdir(parents=True)
    (cache / "uv-venv" / "bin" / "uv").symlink_to(real_uv())
    proc = source_uv(env)
    assert proc.returncode == 0, proc.stderr
    assert "externally-managed-environment" not in proc.stderr
    assert "installing" not in proc.stderr, "nothing to install: uv is there"
    uv_path, py_line = proc.stdout.split()
    assert Path(uv_path).resolve() == real_uv(), "the cached uv is the one on PATH now"
    assert is_externally_managed(py_line.removeprefix("PY=")), "the scripts ran with the externally managed Python"
    # Only uv (and uvx) went on PATH: not the uv venv's python, which would shadow the machine's.
    assert not (cache / "bin" / "python").exists()


@pytest.mark.parametrize("python", ["/nowhere/python3", "/bin/false"])
def test_an_unusable_python_is_one_line_saying_what_is_needed(tmp_path: Path, python: str) -> None:
    env = {"HOME": str(tmp_path), "PATH": DEFAULT_PATH, "PYTHON": python}
    proc = source_uv(env)
    assert proc.returncode == 1
    [line] = proc.stderr.strip().splitlines()
    assert python in line and "Python 3.10 or newer is needed" in line


def test_an_old_python_is_one_line_naming_its_version(tmp_path: Path) -> None:
    old = sorted(Path.home().glob(".pyenv/versions/3.[6-9].*/bin/python3")) + sorted(
        Path("/usr/bin").glob("python3.[6-9]")
    )
    if not old:
        pytest.skip("no Python older than 3.10 on this machine to try")
    proc = source_uv({"HOME": str(tmp_path), "PATH": DEFAULT_PATH, "PYTHON": str(old[0])})
    assert proc.returncode == 1
    [line] = proc.stderr.strip().splitlines()
    assert re.search(r"is Python 3\.[6-9]\.\d+; Python 3\.10 or newer is needed", line), line


# -- scripts/test_pythons.sh -------------------------------------------------------------------


def interpreters_of(version: str) -> list[Path]:
    """Every Python `version` this machine has in the usual places (pyenv's versions, PATH, /usr/bin, ...)."""
    roots = [Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")), Path.home() / ".pyenv"]
    found = [p for root in roots for p in root.glob(f"versions/{version}.*/bin/python{version}")]
    for directory in [*os.environ.get("PATH", "").split(":"), "/usr/local/bin", "/usr/bin"]:
        found.append(Path(directory) / f"python{version}")
    working = []
    for candidate in found:
        probe = f"import sys; sys.exit(sys.version_info[:2] != {tuple(map(int, version.split('.')))})"
        if candidate.is_file() and subprocess.run([candidate, "-c", probe], capture_output=True).returncode == 0:
            working.append(candidate)
    return working


def listed(env: dict[str, str], root: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(root / "scripts" / "test_pythons.sh"), "--list"], env=env, capture_output=True, text=True, timeout=120
    )


def test_every_python_the_machine_has_is_found_without_pyenv_on_path() -> None:
    have = {version for version in DECLARED if interpreters_of(version)}
    if not have:
        unavailable("none of the declared Pythons is on this machine")
    # A shell without pyenv's shims and bin on PATH (a CI job, cron, another user's shell).
    path = ":".join(d for d in os.environ["PATH"].split(":") if ".pyenv" not in d)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYENV")} | {"PATH": path}
    env.pop("CI", None)
    proc = listed(env)
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines())
    assert list(lines) == DECLARED, "one line per declared Python, in order"
    for version in sorted(have):
        assert lines[version] != "missing", f"Python {version} is on this machine ({interpreters_of(version)[0]})"
        version_out = subprocess.run([lines[version], "-V"], capture_output=True, text=True).stdout
        assert version_out.startswith(f"Python {version}."), lines[version]


def project_declaring(tmp_path: Path, versions: list[str]) -> Path:
    """scripts/ and a pyproject.toml whose classifiers declare exactly `versions`."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "scripts", root / "scripts")
    text = (REPO / "pyproject.toml").read_text()
    text = re.sub(r'\s*"Programming Language :: Python :: 3\.\d+",', "", text)
    classifiers = "".join(f'\n    "Programming Language :: Python :: {v}",' for v in versions)
    (root / "pyproject.toml").write_text(text.replace("classifiers = [", "classifiers = [" + classifiers, 1))
    return root


@pytest.mark.parametrize("ci", [True, False], ids=["CI=true", "locally"])
def test_a_declared_python_the_machine_lacks_fails_under_ci_and_is_reported_elsewhere(tmp_path: Path, ci: bool) -> None:
    root = project_declaring(tmp_path, ["3.11", "3.99"])  # 3.11 is the main run's; no machine has 3.99
    env = {k: v for k, v in os.environ.items() if k != "CI"} | ({"CI": "true"} if ci else {})
    proc = subprocess.run(
        [str(root / "scripts" / "test_pythons.sh")], env=env, capture_output=True, text=True, timeout=120
    )
    assert "Python 3.99 not found" in proc.stderr and "skipped" in proc.stderr
    if ci:
        assert proc.returncode == 1
        assert "CI=true and Python 3.99 (declared in pyproject.toml) not found" in proc.stderr.splitlines()[-1]
    else:
        assert proc.returncode == 0, proc.stderr
    listing = listed(env, root)
    assert "3.99 missing" in listing.stdout.splitlines()
    assert listing.returncode == (1 if ci else 0)
