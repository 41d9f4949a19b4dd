"""OAuth apps: one account through a refresh token, kept alive across runs, never shown.

What a user notices: the account's data arrives with only client_id, a refresh token and
the account code; a Brightpearl that rotates the refresh token on every refresh does not
break the next run (the newest token lives, encrypted, in STATE); a refresh token put in
the config later wins; a revoked token stops the run in seconds saying how to get a new
one; and no token appears in the output or in the state in clear.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import ALL_ACCOUNT_STREAMS, TAP
from tests.emulator import Emulator

CLIENT_ID = "bp-client"
CLIENT_SECRET = "client-secret-Qw7Zr3Lk9Vb2Nx6Tp0"
ACCOUNT_STREAMS = ("orders", "products", "contacts", "warehouses", "account_configuration")


@pytest.fixture
def oauth_emu():
    with Emulator(n_accounts=4, seed=41) as emu:
        emu.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, access_ttl=3600, rotate=True)
        yield emu


def account(emu):
    return next(a for a in emu.accounts if a.enabled and not a.gone)


def oauth_config(emu, refresh_token, **overrides):
    """What a user writes: client, refresh token, the account (Fivetran's organization name), references."""
    config = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": refresh_token,
        "account_code": account(emu).accountCode,
        "developer_reference": emu.developer_reference,
        "app_reference": emu.app_reference,
        "data_center": emu.master,
        "datacenter_urls": dict(emu.base_urls),
    }
    config.update(overrides)
    return config


def tokens_of(emu):
    """Every token value the emulator ever issued (for leak checks)."""
    return list(emu.issued_tokens())


def assert_no_tokens(run, emu, *extra):
    state_text = json.dumps(run.states)
    for token in (*tokens_of(emu), CLIENT_SECRET, *extra):
        assert token not in run.stderr, "a token leaked into stderr"
        assert token not in run.stdout, "a token leaked into stdout (records or state)"
        assert token not in state_text


def test_an_oauth_run_reads_the_account_with_a_bearer_token(oauth_emu, tap):
    code = account(oauth_emu).accountCode
    run = tap(oauth_config(oauth_emu, oauth_emu.oauth_refresh_token(code)))
    assert run.returncode == 0, run.stderr
    assert {m["stream"] for m in run.messages if m["type"] == "SCHEMA"} == set(ALL_ACCOUNT_STREAMS)
    assert {r["accountCode"] for r in run.records("orders")} == {code}
    calls = [r for r in oauth_emu.requests if r.path.startswith("/public-api/")]
    assert calls and all(r.auth == "verified" for r in calls)
    assert all(r.headers.get("authorization", "").startswith("Bearer ") for r in calls)
    assert all(r.datacentre == account(oauth_emu).datacentre for r in calls), "calls follow api_domain"
    assert oauth_emu.oauth_grants == ["refresh_token"]
    assert_no_tokens(run, oauth_emu)


def test_the_new_tokens_reach_state_before_any_record(oauth_emu, tap):
    run = tap(oauth_config(oauth_emu, oauth_emu.oauth_refresh_token(account(oauth_emu).accountCode)))
    first_record = next(i for i, m in enumerate(run.messages) if m["type"] == "RECORD")
    sealed = [
        i for i, m in enumerate(run.messages) if m["type"] == "STATE" and "oauth" in m["value"].get("bookmarks", {})
    ]
    assert sealed and sealed[0] < first_record
    kept = run.final_state["bookmarks"]["oauth"]
    assert set(kept) == {"sealed", "generation", "origins"} and kept["generation"] == 1
    assert all(len(mark) == 32 for mark in kept["origins"]), "origin marks are keyed hashes, not tokens"
    assert_no_tokens(run, oauth_emu)


def test_three_runs_in_a_row_survive_a_refresh_token_rotated_every_time(tap):
    with Emulator(n_accounts=3, seed=43) as emu:
        emu.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, access_ttl=3600, rotate=True)
        config = oauth_config(emu, emu.oauth_refresh_token(account(emu).accountCode))
        state = None
        for _ in range(3):
            emu.expire_access_tokens()  # each run must refresh, and each refresh retires the last token
            run = tap(config, state=state)
            assert run.returncode == 0, run.stderr
            assert run.records("orders")
            state = run.final_state
            assert_no_tokens(run, emu)
        assert emu.oauth_refresh_count == 3, "one refresh per run, each with the token the run before kept"


def test_tokens_that_expire_during_the_run_are_refreshed_and_kept(tap):
    with Emulator(n_accounts=3, seed=44, latency=0.2) as emu:  # a run of a few seconds, one request at a time
        emu.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, access_ttl=1, rotate=True)
        config = oauth_config(emu, emu.oauth_refresh_token(account(emu).accountCode), max_concurrency=1)
        first = tap(config)
        assert first.returncode == 0, first.stderr
        assert emu.oauth_refresh_count >= 2, "the one-second token was refreshed during the run"
        second = tap(config, state=first.final_state)  # the last rotated token was kept in STATE
        assert second.returncode == 0, second.stderr
        assert_no_tokens(second, emu)


def test_a_valid_access_token_is_reused_across_runs(oauth_emu, tap):
    config = oauth_config(oauth_emu, oauth_emu.oauth_refresh_token(account(oauth_emu).accountCode))
    first = tap(config)
    second = tap(config, state=first.final_state)
    assert second.returncode == 0, second.stderr
    assert oauth_emu.oauth_refresh_count == 1, "the refresh token turns over when needed, not every run"


def test_a_refresh_token_put_in_the_config_later_wins_over_the_one_in_state(oauth_emu, tap):
    code = account(oauth_emu).accountCode
    first = tap(oauth_config(oauth_emu, oauth_emu.oauth_refresh_token(code)))
    oauth_emu.revoke_refresh_tokens(code)  # the chain in state is dead ...
    fresh = oauth_emu.oauth_refresh_token(code)  # ... and the user pastes a new token
    second = tap(oauth_config(oauth_emu, fresh), state=first.final_state)
    assert second.returncode == 0, second.stderr
    assert second.records("orders")


def test_a_revoked_refresh_token_stops_the_run_naming_it_and_the_way_out(oauth_emu, tap):
    code = account(oauth_emu).accountCode
    token = oauth_emu.oauth_refresh_token(code)
    oauth_emu.revoke_refresh_tokens(code)
    run = tap(oauth_config(oauth_emu, token))
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert "ERROR" in last and "refresh_token" in last and "tap-brightpearl-oauth" in last
    assert [r for r in oauth_emu.requests if "/oauth/token" in r.path], "one token request, no retry"
    assert len([r for r in oauth_emu.requests if "/oauth/token" in r.path]) == 1
    assert not [r for r in oauth_emu.requests if r.path.startswith("/public-api/")]
    assert "Traceback" not in run.stderr
    assert_no_tokens(run, oauth_emu, token)


def test_an_access_token_that_expires_mid_run_is_refreshed_once(oauth_emu, tap):
    config = oauth_config(oauth_emu, oauth_emu.oauth_refresh_token(account(oauth_emu).accountCode))
    first = tap(config)
    oauth_emu.expire_access_tokens()  # the token kept in state is refused from now on
    second = tap(config, state=first.final_state)
    assert second.returncode == 0, second.stderr
    assert second.records("orders")
    assert oauth_emu.oauth_refresh_count == 2


def test_discovery_and_about_make_no_token_request(oauth_emu, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(oauth_config(oauth_emu, oauth_emu.oauth_refresh_token(account(oauth_emu).accountCode)))
    )
    subprocess.run([TAP, "--config", str(config), "--discover"], capture_output=True, check=True)
    subprocess.run([TAP, "--config", str(config), "--about"], capture_output=True, check=True)
    assert oauth_emu.oauth_grants == []


def test_an_api_domain_outside_brightpearl_is_refused(oauth_emu, tap):
    oauth_emu.oauth_api_domain = "evil.example"
    run = tap(oauth_config(oauth_emu, oauth_emu.oauth_refresh_token(account(oauth_emu).accountCode)))
    assert run.returncode == 1
    assert "api_domain" in run.stderr.strip().splitlines()[-1]
    assert not [r for r in oauth_emu.requests if r.path.startswith("/public-api/")]
    assert_no_tokens(run, oauth_emu)


def test_a_public_client_needs_a_token_encryption_key(tap):
    with Emulator(n_accounts=2, seed=47) as emu:
        emu.enable_oauth(client_id=CLIENT_ID, client_secret=None, access_ttl=3600, rotate=True)
        refresh = emu.oauth_refresh_token(account(emu).accountCode)
        config = oauth_config(emu, refresh)
        del config["client_secret"]
        refused = tap(config)
        assert refused.returncode == 1 and "token_encryption_key" in refused.stderr
        run = tap({**config, "token_encryption_key": "a-long-key-only-the-deployment-knows"})
        assert run.returncode == 0, run.stderr
        assert run.records("orders")


@pytest.mark.parametrize("missing", ["client_id", "account_code", "developer_reference", "app_reference"])
def test_oauth_settings_are_named_when_missing(oauth_emu, tap, missing):
    config = oauth_config(oauth_emu, "some-refresh-token-value")
    del config[missing]
    run = tap(config)
    assert run.returncode == 1 and missing in run.stderr.strip().splitlines()[-1]
    assert oauth_emu.requests == []


def test_the_setup_check_refreshes_and_reads_the_account(oauth_emu, tap):
    code = account(oauth_emu).accountCode
    ok = tap(oauth_config(oauth_emu, oauth_emu.oauth_refresh_token(code)), args=("--test",))
    assert ok.returncode == 0, ok.stderr
    assert "Setup check passed" in ok.stderr and "ERROR" not in ok.stderr
    revoked = oauth_emu.oauth_refresh_token(code)
    oauth_emu.revoke_refresh_tokens(code)
    failed = tap(oauth_config(oauth_emu, revoked), args=("--test",))
    assert failed.returncode == 1 and "refresh_token" in failed.stderr.strip().splitlines()[-1]
    assert_no_tokens(failed, oauth_emu)
