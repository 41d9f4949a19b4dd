"""An OAuth pipeline through `meltano run tap-brightpearl-account target-postgres`, twice.

`tap-brightpearl-account` is meltano.yml's extractor for one-account apps (private or
OAuth): the same tap with every stream it offers selected. Meltano regenerates the tap's
config every run, so the refresh token Brightpearl rotated
during the first run can only survive in Meltano's state: the second run must find it there
(encrypted), refresh with it, and load the account's data again.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator import Emulator
from tests.pipelines.conftest import Meltano, tap_env

pytestmark = pytest.mark.pipeline

CLIENT_ID = "bp-client"
CLIENT_SECRET = "client-secret-Xc3Vn8Bm1Qa5Ws9Ed2"
RUN = ("run", "tap-brightpearl-account", "target-postgres")
STATE_ID = "ci:tap-brightpearl-account-to-target-postgres"


def test_an_oauth_pipeline_runs_twice_across_a_rotated_refresh_token(meltano: Meltano, query: Any) -> None:
    with Emulator(n_accounts=3, seed=61) as emu:
        emu.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, access_ttl=1, rotate=True)
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
        }
        env = {f"TAP_BRIGHTPEARL_ACCOUNT_{k[len('TAP_BRIGHTPEARL_') :]}": v for k, v in tap_env(config).items()}
        for _ in range(2):
            run = meltano(*RUN, env=env).check()
            run.assert_no_secrets(CLIENT_SECRET, *emu.issued_tokens())
        assert emu.oauth_refresh_count >= 2, "every short-lived token was refreshed, each rotation kept"
        orders = query("select * from orders")
        assert {r["accountCode"] for r in orders} == {code}
        assert len({r["id"] for r in orders}) == len(emu.account_data(code).orders)
        out = meltano("state", "get", STATE_ID).check().output
        for token in (*emu.issued_tokens(), CLIENT_SECRET):
            assert token not in out, "Meltano's state holds the tokens only encrypted"
