"""Meltano commands of the tests change a copy of the project, never the checkout; the commands that
meltano.yml and the README show for secrets are ones Meltano 4 accepts.

`meltano select` rewrites meltano.yml and `meltano config set` writes .env: run in the checkout (as the
suite once did) they would change a person's project under them, and the person's edits would change the
tests' project. The whole run also checks the checkout afterwards (tests/conftest.py).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.pipelines.conftest import Meltano, meltano_env
from tests.support.project import REPO, footprint_changes, meltano_footprint, project_copy

pytestmark = pytest.mark.pipeline

SECRET = "tok-config-set-Lq7Wd3Zx9Ke2"


def fresh(meltano_exe: Path, tmp_path: Path) -> Meltano:
    """A Meltano runner in a project copy of its own (these tests rewrite the copy's files)."""
    project = project_copy(tmp_path / "project")
    return Meltano(meltano_exe, {"MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}"}, project)


def test_meltano_select_rewrites_the_copy_and_never_the_checkout(meltano_exe: Path, tmp_path: Path) -> None:
    before = meltano_footprint()
    meltano = fresh(meltano_exe, tmp_path)
    meltano("select", "tap-brightpearl", "orders", "*").check()  # in the ci environment, rewriting the file
    assert "- orders.*" in (meltano.project / "meltano.yml").read_text(), "the copy's meltano.yml has the selection"
    assert "- orders.*" not in (REPO / "meltano.yml").read_text()
    assert footprint_changes(before, meltano_footprint()) == []


def header_command() -> str:
    """The `meltano config ... set ...` command meltano.yml's header comment shows for secrets."""
    header = "\n".join(line for line in (REPO / "meltano.yml").read_text().splitlines() if line.startswith("#"))
    [command] = [c for c in re.findall(r"`(meltano config [^`]+)`", header) if " set " in f" {c} "]
    return command


def readme_command() -> str:
    """The `./scripts/meltano config set ...` command of the README's Meltano section."""
    readme = " ".join((REPO / "README.md").read_text().split())
    [command] = re.findall(r"`(\./scripts/meltano config set [^`]+)`", readme)
    return command


@pytest.mark.parametrize("where", ["meltano.yml", "README.md"])
def test_the_documented_config_set_command_stores_the_secret_in_dotenv(
    where: str, meltano_exe: Path, tmp_path: Path
) -> None:
    meltano = fresh(meltano_exe, tmp_path)
    command = header_command() if where == "meltano.yml" else readme_command()
    argv = shlex.split(re.sub(r"(\.\.\.|…)$", SECRET, command.strip()))
    assert SECRET in argv, f"{where}: the command should end in a placeholder value: {command!r}"
    if argv[0] == "meltano":
        argv[0] = str(meltano_exe)
    before = meltano_footprint()
    proc = subprocess.run(
        argv,
        cwd=meltano.project,
        env={**os.environ, **meltano_env(meltano.project)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, (
        f"{where}: `{command}` failed in Meltano 4:\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}"
    )
    dotenv = (meltano.project / ".env").read_text()
    assert f"TAP_BRIGHTPEARL_DEVELOPER_TOKEN='{SECRET}'" in dotenv
    assert SECRET not in (meltano.project / "meltano.yml").read_text(), "a secret never goes in meltano.yml"
    assert SECRET not in proc.stdout + proc.stderr, "Meltano masks the value it stored"
    assert footprint_changes(before, meltano_footprint()) == []
