"""Fixtures for the contract tests: the recordings, the tap's own catalog, cached tap runs.

The recordings live outside the repository (`../shared/brightpearl-recordings` from the repo
root) and are read at test time, never copied in. Where they are missing the tests cannot
say anything: in CI (CI=true) that is a failure, elsewhere a skip with the reason.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RECORDINGS
from tests.contract.harness import Run, assert_clean, run_tap, standard_routes
from tests.contract.scenarios import run_routes


@pytest.fixture(scope="session")
def recordings() -> Path:
    """The recordings folder; fail in CI and skip elsewhere when it is missing."""
    if not (RECORDINGS / "README.md").is_file():
        reason = f"the recorded Brightpearl responses are not at {RECORDINGS}"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"{reason} (CI=true: the contract tests must run in CI)")
        pytest.skip(reason)
    return RECORDINGS


@pytest.fixture(scope="session")
def schemas(recordings: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each stream's schema, from `tap-brightpearl --discover` (what the tap tells its targets)."""
    run = run_tap(standard_routes(recordings), tmp_path_factory.mktemp("discover"), args=("--discover",))
    assert run.returncode == 0, f"--discover failed; {run.describe()}"
    assert_clean(run)
    catalog = json.loads(run.stdout)
    return {entry["tap_stream_id"]: entry["schema"] for entry in catalog["streams"]}


@pytest.fixture(scope="session")
def scenario_run(recordings: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Run]:
    """`scenario_run(name)`: the run serving that scenario's recordings (one CLI run per name per session)."""
    cache: dict[str, Run] = {}

    def get(name: str) -> Run:
        if name not in cache:
            cache[name] = run_tap(run_routes(recordings, name), tmp_path_factory.mktemp(f"run-{name}"))
        return cache[name]

    return get


@pytest.fixture
def tap(tmp_path: Path) -> Callable[..., Run]:
    """`tap(routes, **kw)`: one CLI run in a fresh directory (see harness.run_tap)."""
    counter = iter(range(100))

    def run(routes: list, **kwargs: Any) -> Run:
        return run_tap(routes, tmp_path / f"run{next(counter)}", **kwargs)

    return run
