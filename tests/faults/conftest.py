"""Fault-suite fixtures: the real CLI at DEBUG, with the secret check applied to every run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEV_SECRET, DEV_TOKEN
from tests.faults import DEBUG, assert_clean, catalog_selecting

DEVELOPER_TOOLS = ("installed_accounts", "account_timezones")


@pytest.fixture(scope="session")
def devtools_catalog(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The tap's catalog with only the developer-tools streams selected (account-data streams are
    other issues' business and would only slow these runs down)."""
    config = {
        "developer_reference": "devref",
        "developer_token": DEV_TOKEN,
        "developer_secret": DEV_SECRET,
        "app_reference": "devref_app",
        "datacenter_urls": {"euw1": "http://127.0.0.1:9"},
    }
    return catalog_selecting(config, Path(tmp_path_factory.mktemp("catalog")), *DEVELOPER_TOOLS)


@pytest.fixture
def debug_tap(tap: Any, devtools_catalog: dict[str, Any]) -> Any:
    """`debug_tap(emu, config, *extra_secrets, **kw)`: run at DEBUG and assert nothing leaked."""

    def _run(emu: Any, config: dict[str, Any], *extra: str, **kwargs: Any) -> Any:
        env = {**DEBUG, **kwargs.pop("env", {})}
        kwargs.setdefault("catalog", devtools_catalog)
        run = tap(config, env=env, **kwargs)
        assert "| DEBUG" in run.stderr, "the run must really log at DEBUG"
        assert_clean(run, emu, *extra)
        return run

    return _run
