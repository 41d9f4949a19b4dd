"""Fixtures for the pipeline tests: real meltano, real target-postgres, real PostgreSQL.

A missing tool or database skips these tests on a laptop, but fails them under CI=true,
so a CI machine without PostgreSQL or Meltano can never pass by skipping.
Install Meltano with `scripts/ensure_meltano.sh`. Meltano runs in a copy of the project
(`meltano_project`), never in the checkout: its .meltano/, .env and meltano.yml stay the user's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import SECRETS
from tests.emulator import Emulator
from tests.support.project import project_copy

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE_URL_ENV = "BRIGHTPEARL_TEST_DATABASE_URL"
MELTANO_VERSION = "4.4.1"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tap-brightpearl"


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI: a pipeline test that cannot run must not look green there."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)")
    pytest.skip(reason)


def find_meltano() -> Path | None:
    """$MELTANO_BIN, then the cache venv scripts/ensure_meltano.sh makes, then PATH."""
    candidates = [
        os.environ.get("MELTANO_BIN"),
        str(CACHE / f"meltano-{MELTANO_VERSION}" / "bin" / "meltano"),
        shutil.which("meltano"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def database_url() -> str:
    """The PostgreSQL the tests load into (trust auth on CI machines)."""
    return os.environ.get(DATABASE_URL_ENV, DEFAULT_DATABASE_URL)


def target_postgres_env(url: str, schema: str) -> dict[str, str]:
    """TARGET_POSTGRES_* settings for `url`, the way a deployment passes them.

    sqlalchemy_url rather than host/user/...: target-postgres insists on a password
    otherwise, and CI's PostgreSQL uses trust auth.
    """
    parts = urlsplit(url)
    return {
        "TARGET_POSTGRES_SQLALCHEMY_URL": parts._replace(scheme="postgresql+psycopg").geturl(),
        "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
    }


def tap_env(config: dict[str, Any]) -> dict[str, str]:
    """TAP_BRIGHTPEARL_* variables for a tap config (objects as JSON, as Meltano expects)."""
    return {
        f"TAP_BRIGHTPEARL_{key.upper()}": value if isinstance(value, str) else json.dumps(value)
        for key, value in config.items()
    }


@dataclass
class MeltanoRun:
    """One finished `meltano` command."""

    args: list[str]
    returncode: int
    output: str

    def check(self) -> MeltanoRun:
        """Fail with the log tail if the command failed."""
        assert self.returncode == 0, f"meltano {' '.join(self.args)} failed:\n{self.output[-4000:]}"
        return self

    def assert_no_secrets(self, *extra: str) -> None:
        """No developer token, secret or signed token in anything meltano printed."""
        for secret in (*SECRETS, *extra):
            assert secret not in self.output, "a secret leaked into the meltano output"


def meltano_env(project: Path) -> dict[str, str]:
    """What every Meltano command of the tests runs with: the project copy, no usage stats."""
    return {"MELTANO_PROJECT_ROOT": str(project), "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}


@dataclass
class Meltano:
    """Run meltano in a copy of the project with a private system database (so private state)."""

    binary: Path
    base_env: dict[str, str]
    project: Path

    def __call__(self, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> MeltanoRun:
        """Run `meltano --environment ci ARGS` with extra environment variables."""
        full_env = {**os.environ, **meltano_env(self.project), **self.base_env, **(env or {})}
        proc = subprocess.run(
            [str(self.binary), "--environment", "ci", *args],
            cwd=self.project,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        return MeltanoRun(list(args), proc.returncode, proc.stdout)


@pytest.fixture(scope="session")
def meltano_exe() -> Path:
    """The Meltano executable (no plugin installed by this fixture)."""
    found = find_meltano()
    if found is None:
        unavailable("meltano not found: run scripts/ensure_meltano.sh (or set MELTANO_BIN)")
    assert found is not None
    return found


@pytest.fixture(scope="session")
def meltano_project(meltano_exe: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with its plugins installed: where every Meltano command of the tests runs.

    DAG runs get it as BRIGHTPEARL_MELTANO_PROJECT_DIR; `meltano select` or `config set` there
    rewrites the copy's meltano.yml or .env, never the checkout's.
    """
    project = project_copy(tmp_path_factory.mktemp("meltano") / "project")
    proc = subprocess.run(
        [str(meltano_exe), "install", "tap-brightpearl", "tap-brightpearl-account", "target-postgres"],
        cwd=project,
        env={**os.environ, **meltano_env(project)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, f"meltano install failed:\n{proc.stdout[-4000:]}"
    return project


@pytest.fixture(scope="session")
def meltano_bin(meltano_exe: Path, meltano_project: Path) -> Path:
    """The Meltano executable, with this project's plugins installed in `meltano_project` (run it there)."""
    return meltano_exe


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A reachable PostgreSQL URL, or skip/fail with the reason."""
    url = database_url()
    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed (uv sync --group dev)")
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("select 1")
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL not reachable at {url} ({DATABASE_URL_ENV}): {str(exc).strip()[:200]}")
    return url


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[str]:
    """A schema unique to this test, dropped afterwards."""
    import psycopg

    schema = f"bp_test_{uuid.uuid4().hex[:12]}"
    yield schema
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'drop schema if exists "{schema}" cascade')


@pytest.fixture
def query(pg_url: str, pg_schema: str) -> Any:
    """`query(sql, *params)` -> list of dict rows, with the test schema first on search_path."""
    import psycopg
    from psycopg.rows import dict_row

    def _query(sql: str, *params: Any) -> list[dict[str, Any]]:
        with psycopg.connect(pg_url, row_factory=dict_row, autocommit=True) as conn:
            conn.execute(f'set search_path to "{pg_schema}"')
            return list(conn.execute(sql, params).fetchall())

    return _query


@pytest.fixture
def meltano(pg_url: str, pg_schema: str, meltano_bin: Path, meltano_project: Path, tmp_path: Path) -> Meltano:
    """A meltano runner in the project copy, loading into this test's schema, with its own state database."""
    env = {
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        **target_postgres_env(pg_url, pg_schema),
    }
    return Meltano(meltano_bin, env, meltano_project)


__all__ = ["Emulator", "Meltano", "MeltanoRun", "meltano_env", "tap_env", "unavailable"]
