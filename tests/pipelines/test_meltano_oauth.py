"""OAuth pipelines through `meltano run tap-brightpearl-account target-postgres`: the token chain is never lost.

`tap-brightpearl-account` is meltano.yml's extractor for one-account apps (private or
OAuth): the same tap with every stream it offers selected. Meltano regenerates the tap's
config every run and a target holds STATE until it drains, so the refresh token Brightpearl
rotated is kept in the tap's token store (oauth_token_store), as well as, encrypted, in
Meltano's state. Each test ends with a run that reads the account without anyone
re-authorising: after two runs in a row, after the whole pipeline was killed between the
refresh and the target's drain, and after `meltano state clear`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.emulator import Emulator
from tests.pipelines.conftest import Meltano, tap_env

pytestmark = pytest.mark.pipeline

CLIENT_ID = "bp-client"
CLIENT_SECRET = "client-secret-Xc3Vn8Bm1Qa5Ws9Ed2"
RUN = ("run", "tap-brightpearl-account", "target-postgres")
STATE_ID = "ci:tap-brightpearl-account-to-target-postgres"


def account_env(emu: Emulator, **extra: Any) -> tuple[str, dict[str, str]]:
    """The account the pipeline reads, and its TAP_BRIGHTPEARL_ACCOUNT_* settings."""
    code = next(a.accountCode for a in emu.accounts if a.enabled and not a.gone)
    config = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": emu.oauth_refresh_token(code),
        "account_code": code,
        "developer_reference": emu.developer_reference,
        "app_reference": emu.app_reference,
        "data_center": emu.master,
        "datacenter_urls": emu.base_urls,
        **extra,
    }
    return code, {f"TAP_BRIGHTPEARL_ACCOUNT_{k[len('TAP_BRIGHTPEARL_') :]}": v for k, v in tap_env(config).items()}


def assert_orders_loaded(query: Any, emu: Emulator, code: str) -> None:
    orders = query("select * from orders")
    assert {r["accountCode"] for r in orders} == {code}
    assert len({r["id"] for r in orders}) == len(emu.account_data(code).orders)


@pytest.fixture
def token_database(pg_url: str) -> Iterator[str]:
    """A database of this test's own for the token store, as Airflow workers would share one."""
    import psycopg

    name = f"bp_oauth_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    yield urlsplit(pg_url)._replace(scheme="postgresql+psycopg", path=f"/{name}").geturl()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def test_an_oauth_pipeline_runs_twice_across_a_rotated_refresh_token(meltano: Meltano, query: Any) -> None:
    with Emulator(n_accounts=3, seed=61) as emu:
        emu.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, access_ttl=1, rotate=True)
        code, env = account_env(emu)
        for _ in range(2):
            run = meltano(*RUN, env=env).check()
            run.assert_no_secrets(CLIENT_SECRET, *emu.issued_tokens())
        assert emu.oauth_refresh_count >= 2, "every short-lived token was refreshed, each rotation kept"
        assert_orders_loaded(query, emu, code)
        out = meltano("state", "get", STATE_ID).check().output
        for token in (*emu.issued_tokens(), CLIENT_SECRET):
            assert token not in out, "Meltano's state holds the tokens only encrypted"


def test_a_pipeline_killed_between_the_refresh_and_the_drain_loses_no_token(
    meltano: Meltano, query: Any, token_database: str
) -> None:
    """The Airflow set-up: the chain in PostgreSQL; the whole pipeline killed before target-postgres drains."""
    with Emulator(n_accounts=3, seed=62, latency=0.2) as emu:
        emu.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, access_ttl=3600, rotate=True)
        code, env = account_env(emu, oauth_token_store=token_database)
        proc = subprocess.Popen(
            [str(meltano.binary), "--environment", "ci", *RUN],
            cwd=meltano.project,
            env={**os.environ, **meltano.base_env, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # one process group: meltano, the tap and the target
        )
        try:
            deadline = time.monotonic() + 240
            while emu.oauth_refresh_count < 1 or len([r for r in emu.requests if "/public-api/" in r.path]) < 5:
                assert proc.poll() is None, "the pipeline ended before it could be killed"
                assert time.monotonic() < deadline, "the pipeline never refreshed and read"
                time.sleep(0.05)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)  # the worker dies: no STATE reached Meltano
            proc.wait(30)
        assert STATE_ID not in meltano("state", "list").output, "the target never drained, so no state was saved"
        emu.latency = 0.0
        emu.expire_access_tokens()  # the next run must refresh with the token rotated before the kill
        # --force: Meltano still counts the killed job as running (a retry after a lost worker does the same).
        run = meltano(*RUN, "--force", env=env).check()
        run.assert_no_secrets(CLIENT_SECRET, *emu.issued_tokens())
        assert emu.oauth_refresh_count == 2
        assert_orders_loaded(query, emu, code)


def test_meltano_state_clear_loses_no_token(meltano: Meltano, query: Any) -> None:
    with Emulator(n_accounts=3, seed=63) as emu:
        emu.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, access_ttl=3600, rotate=True)
        code, env = account_env(emu)
        meltano(*RUN, env=env).check()
        meltano("state", "clear", "--force", STATE_ID).check()
        emu.expire_access_tokens()
        meltano(*RUN, env=env).check()  # the chain comes from the token store
        assert emu.oauth_refresh_count == 2
        assert_orders_loaded(query, emu, code)
