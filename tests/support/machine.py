"""This machine's Pythons and tools, and a bare environment like a newcomer's shell.

Shared by the set-up tests (tests/test_setup_scripts.py, tests/pipelines/test_first_run.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.pipelines.conftest import unavailable

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def externally_managed_python() -> Path:
    """The machine's own python3, if its distribution marks it externally managed (PEP 668)."""
    for marker in sorted(Path("/usr/lib").glob("python3*/EXTERNALLY-MANAGED")):
        interpreter = Path("/usr/bin") / marker.parent.name
        if interpreter.is_file() and os.access(interpreter, os.X_OK):
            return interpreter
    unavailable("no externally managed Python here (/usr/lib/python3.X/EXTERNALLY-MANAGED with /usr/bin/python3.X)")
    raise AssertionError  # unreachable


def is_externally_managed(interpreter: str) -> bool:
    """PEP 668's test: an EXTERNALLY-MANAGED file in the interpreter's standard library directory."""
    code = (
        "import os, sysconfig; print(os.path.isfile(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))"
    )
    return subprocess.run([interpreter, "-c", code], capture_output=True, text=True).stdout.strip() == "True"


def real_uv() -> Path:
    """A uv executable of this machine, to stand in for the one ensure_meltano.sh installs."""
    for candidate in (shutil.which("uv"), Path.home() / ".local" / "bin" / "uv"):
        if candidate and Path(candidate).is_file():
            return Path(candidate).resolve()
    unavailable("uv is not installed on this machine")
    raise AssertionError  # unreachable


def path_without(*tools: str) -> str:
    """The default PATH minus every directory holding one of `tools`."""
    keep = [d for d in DEFAULT_PATH.split(":") if not any((Path(d) / t).exists() for t in tools)]
    return ":".join(keep)


def bare_env(tmp_path: Path, python: Path, **extra: str) -> dict[str, str]:
    """A fresh HOME and cache, `python` first on PATH as python3 (and as its own name), no uv on PATH."""
    first = tmp_path / "python-first"
    first.mkdir()
    for name in ("python3", python.name):
        (first / name).symlink_to(python)
    home = tmp_path / "home"
    home.mkdir()
    return {"HOME": str(home), "PATH": f"{first}:{path_without('uv')}", "LANG": "C.UTF-8", **extra}
