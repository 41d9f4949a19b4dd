"""Fixtures: the tap's own catalogs, a fake Brightpearl on loopback, a recording proxy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import catalog_selecting
from tests.hostile import private_config, public_config
from tests.hostile.servers import FakeBrightpearl
from tests.support.proxy import Proxy


@pytest.fixture(scope="session")
def public_catalog() -> dict[str, Any]:
    """Every public-app stream (select with tests.hostile.select): account streams become opt-in."""
    return catalog_selecting(public_config("http://127.0.0.1:9"), ())


@pytest.fixture(scope="session")
def private_catalog() -> dict[str, Any]:
    """Every private-app stream."""
    return catalog_selecting(private_config("http://127.0.0.1:9"), ())


@pytest.fixture
def fake() -> Iterator[FakeBrightpearl]:
    """A fake Brightpearl with no installs; tests fill `installs`, `orders` and `hooks`."""
    with FakeBrightpearl() as server:
        yield server


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    """The project's recording proxy: it refuses (403) every host but loopback and logs each request line."""
    with Proxy() as running:
        yield running
