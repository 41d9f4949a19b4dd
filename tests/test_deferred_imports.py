"""The command starts without joblib, upath and fsspec, and whatever needs them still gets them.

`tap_brightpearl/deferred_imports.py` (installed by the command, cli.py) stands in for three
modules singer_sdk imports at start-up but a tap run uses only for a target's sink drain and BATCH
files (issue 22, B10: ~0.1 s of CPU every start). A stand-in that broke either would turn a saving
into a failure, so both are run for real here, in fresh processes.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import DEV_SECRET, DEV_TOKEN, SIGNED, TAP

LIBRARY = """
import json, sys
import tap_brightpearl.tap  # a program importing the package, not the command
print(json.dumps({"joblib": type(sys.modules["joblib"]).__name__, "upath": type(sys.modules["upath"]).__name__}))
"""

JOBLIB = """
import json, sys
from tap_brightpearl import deferred_imports
deferred_imports.install()  # as the command does (cli.py)
import tap_brightpearl.tap
from singer_sdk import target_base  # imported its names from the stand-in
with target_base.parallel_config(backend="threading", n_jobs=2):
    out = target_base.Parallel()(target_base.delayed(abs)(-i) for i in range(4))
print(json.dumps({"out": out, "joblib_is_real": type(sys.modules["joblib"]).__name__ == "module"}))
"""

SUBMODULE = """
import json, sys
from tap_brightpearl import deferred_imports
deferred_imports.install()
import tap_brightpearl.tap
import joblib.externals.loky  # a submodule through the stand-in: the real package is imported
import upath.implementations.local
print(json.dumps({"loky": joblib.externals.loky.__name__, "real": deferred_imports.stood_in()}))
"""


def _text(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode()


def _python(code: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_the_command_starts_without_importing_joblib_upath_or_fsspec() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", TAP, "--about", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "singer_sdk" in imported and "tap_brightpearl.tap" in imported
    # Their submodules too: a real import inside a stand-in prints them, not always the package's own line.
    assert {m for m in imported if m.split(".")[0] in {"joblib", "upath", "fsspec"}} == set()


COMMAND = """
import json, sys
from tap_brightpearl import deferred_imports
deferred_imports.install()  # as the command does (cli.py), then what it imports
from tap_brightpearl.tap import TapBrightpearl
loaded = {m.split(".")[0] for m in sys.modules if type(sys.modules[m]).__name__ == "module"}
real = sorted(loaded & {"joblib", "upath", "fsspec"})
print(json.dumps({"stood_in": deferred_imports.stood_in(), "real": real}))
"""


def test_singer_sdk_takes_its_names_from_the_stand_ins_without_importing_the_real_modules() -> None:
    # `from joblib import Parallel` asks for joblib.__path__ first; a stand-in that answered it by
    # importing joblib kept every name working and saved nothing (0dd49ed to 2026-12-04).
    assert _python(COMMAND) == {"stood_in": ["joblib", "upath"], "real": []}


def test_a_program_that_imports_the_package_keeps_the_real_modules() -> None:
    assert _python(LIBRARY) == {"joblib": "module", "upath": "module"}


def test_a_submodule_import_through_a_stand_in_imports_the_real_package() -> None:
    assert _python(SUBMODULE) == {"loky": "joblib.externals.loky", "real": []}


def test_a_call_through_a_stand_in_runs_the_real_joblib() -> None:
    got = _python(JOBLIB)
    assert got == {"out": [0, 1, 2, 3], "joblib_is_real": True}


def test_batch_files_are_still_written_through_the_real_upath(emulator: Any, tap: Any, tmp_path: Path) -> None:
    root = tmp_path / "batches"
    root.mkdir()
    config = {
        **emulator.tap_config(),
        "batch_config": {"encoding": {"format": "jsonl", "compression": "none"}, "storage": {"root": root.as_uri()}},
    }
    run = tap(config, streams=("installed_accounts",))
    assert run.returncode == 0, run.stderr[-2000:]
    batches = [m for m in run.messages if m["type"] == "BATCH"]
    assert batches, "no BATCH message"
    rows = [
        json.loads(line)
        for m in batches
        for uri in m["manifest"]
        for line in _text(Path(uri.removeprefix("file://"))).splitlines()
    ]
    assert sorted(r["accountCode"] for r in rows) == sorted(a.accountCode for a in emulator.accounts)
    run.assert_no_secrets(DEV_TOKEN, DEV_SECRET, SIGNED)
