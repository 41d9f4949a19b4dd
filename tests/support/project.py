"""The checkout's Meltano files, and copies of the project for Meltano to work in.

Meltano writes where it runs: `.meltano/` (plugin venvs, logs, a system database), `.env`
(`meltano config set`) and `meltano.yml` itself (`meltano select`). A test run that does that in the
checkout clashes with a person using the same project, so every test that runs Meltano works in a copy
made by scripts/copy_project.sh (the same copy the demo makes), and the whole run checks that the
checkout's files stayed as they were (tests/conftest.py).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def project_copy(dest: Path, *, venv: bool = False) -> Path:
    """A copy of the project at `dest` (which must not exist); `venv`: with the running .venv linked in."""
    subprocess.run(
        [str(REPO / "scripts" / "copy_project.sh"), str(dest)], check=True, capture_output=True, text=True, timeout=120
    )
    if venv:
        (dest / ".venv").symlink_to(Path(sys.prefix))
    return dest


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def meltano_footprint(root: Path = REPO) -> dict[str, object]:
    """What Meltano run in `root` would change: meltano.yml, .env, and whether .meltano/ exists."""
    return {
        "meltano.yml": _digest(root / "meltano.yml"),
        ".env": _digest(root / ".env"),
        ".meltano/ exists": (root / ".meltano").exists(),
    }


def footprint_changes(before: dict[str, object], after: dict[str, object]) -> list[str]:
    """What changed between two footprints, in words; a .meltano/ there before is the person's, not ours."""
    changes = []
    if before["meltano.yml"] != after["meltano.yml"]:
        changes.append("meltano.yml was rewritten")
    if before[".env"] != after[".env"]:
        changes.append(".env was created or changed")
    if not before[".meltano/ exists"] and after[".meltano/ exists"]:
        changes.append(".meltano/ was created")
    return changes
