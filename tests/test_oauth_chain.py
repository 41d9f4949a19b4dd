"""OAuth that never locks an account out: the token chain survives kills, signals, parallel runs and key changes.

The token server (the emulator's) retires each refresh token when it is used, as Brightpearl
may; a chain whose newest refresh token is lost can only be restored by a person going through
the consent screen again. Every test here ends with the next run reading the account (or, where
nothing can be saved, with one clear line and no retired token spent).
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tap_brightpearl.settings import Settings
from tests.conftest import catalog_selecting
from tests.emulator import Emulator
from tests.support.live import LiveTap, summary, wait_until

CLIENT_ID = "bp-client"
CLIENT_SECRET = "client-secret-Vb7Nm2Qw9Er4Ty6Ui1"
KEY = "deployment-key-Zx8Cv3Bn5Mq1Wl7Kp0"
STORE_FILE = Path("tap-brightpearl") / "oauth-tokens.sqlite3"
DEBUG = {"TAP_BRIGHTPEARL_LOGLEVEL": "DEBUG"}


def account_code(emu: Emulator) -> str:
    return next(a.accountCode for a in emu.accounts if a.enabled and not a.gone)


def oauth_config(emu: Emulator, refresh_token: str, **overrides: Any) -> dict[str, Any]:
    config = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": refresh_token,
        "account_code": account_code(emu),
        "developer_reference": emu.developer_reference,
        "app_reference": emu.app_reference,
        "data_center": emu.master,
        "datacenter_urls": dict(emu.base_urls),
        "request_timeout": 20,
    }
    config.update(overrides)
    return config


@pytest.fixture
def emu():
    with Emulator(n_accounts=2, seed=71) as e:
        e.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, access_ttl=3600, rotate=True)
        yield e


@pytest.fixture
def pg_store() -> Iterator[str]:
    """A PostgreSQL database of this test's own, as an oauth_token_store URL (skipped without PostgreSQL; CI fails)."""
    from tests.pipelines.conftest import database_url, unavailable

    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed (uv sync --group dev)")
    admin = database_url()
    name = f"bp_oauth_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'create database "{name}"')
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL not reachable at {admin}: {str(exc).strip()[:200]}")
    yield urlsplit(admin)._replace(scheme="postgresql+psycopg", path=f"/{name}").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def opened(config: dict[str, Any], kept: dict[str, Any]) -> Any:
    """The link a state's `bookmarks.oauth` holds, opened as the tap would."""
    from tap_brightpearl.oauth_chain import Keys, entry_from_state  # (imported here: this file also runs on old code)

    entry = entry_from_state(kept)
    assert entry is not None, kept
    tokens = Keys(Settings.from_config(config)).open(entry, config["refresh_token"])
    assert tokens is not None, "the kept chain does not open with the run's key"
    return tokens


def stored(state_home: Path) -> list[tuple[int, str]]:
    """(generation, sealed) rows of the default token store."""
    with sqlite3.connect(state_home / STORE_FILE) as db:
        return list(db.execute("select generation, sealed from tap_brightpearl_oauth"))


def chains_in(run: Any) -> list[dict[str, Any]]:
    return [s["bookmarks"]["oauth"] for s in run.states if "oauth" in s.get("bookmarks", {})]


def assert_no_tokens(run: Any, emu: Emulator, *extra: str) -> None:
    for token in (*emu.issued_tokens(), CLIENT_SECRET, KEY, *extra):
        assert token not in run.stderr and token not in run.stdout, "a token leaked"


# --- 1. SIGTERM during a refresh ----------------------------------------------------------
@pytest.mark.parametrize("when", ["at the start", "mid-run, on a worker thread"])
def test_sigterm_during_a_refresh_waits_for_the_answer_and_keeps_the_new_chain(emu, tap, tmp_path, state_home, when):
    code = account_code(emu)
    config = oauth_config(emu, emu.oauth_refresh_token(code))
    catalog = catalog_selecting(config, ("orders", "products"))
    state = None
    if when != "at the start":
        first = tap(config, streams=("orders", "products"))
        assert first.returncode == 0, first.stderr
        state = first.final_state
        emu.expire_access_tokens()  # the next run's first account call is refused: a refresh mid-run
    spent = emu.oauth_refresh_count
    emu.oauth.answer_delay = 4.0  # the server retires the sent token at once and answers 4 s later
    run = LiveTap(config, tmp_path / "signalled", state=state, catalog=catalog, env=DEBUG)
    wait_until(lambda: emu.oauth_refresh_count == spent + 1, what="the refresh")
    time.sleep(1.5)
    run.signal(signal.SIGTERM)
    time.sleep(0.2)
    run.signal(signal.SIGTERM)  # a second signal changes nothing and prints no traceback
    done = run.wait()
    assert done.returncode == 143, done.stderr[-3000:]
    assert summary(done)["status"] == "interrupted" and summary(done)["signal"] == "SIGTERM"
    assert "Traceback" not in done.stderr
    kept = done.final_state["bookmarks"]["oauth"]
    assert opened(config, kept).refresh_token in emu.oauth.live_refresh_tokens(code), "STATE holds the live token"
    assert [g for g, _ in stored(state_home)] == [kept["generation"]], "the store holds the same link"
    assert_no_tokens(done, emu)
    emu.oauth.answer_delay = 0.0
    emu.expire_access_tokens()  # the next run must refresh with what the interrupted run kept
    again = tap(config, streams=("orders",))  # no state at all: the store alone
    assert again.returncode == 0, again.stderr
    assert again.records("orders")


# --- kills before and after a refresh -----------------------------------------------------
def test_a_run_killed_while_waiting_for_the_token_lock_spends_nothing(emu, tap, tmp_path, state_home):
    code = account_code(emu)
    config = oauth_config(emu, emu.oauth_refresh_token(code))
    primed = tap(config, streams=("orders",))  # creates the store
    assert primed.returncode == 0, primed.stderr
    emu.expire_access_tokens()
    spent = emu.oauth_refresh_count
    holder = sqlite3.connect(state_home / STORE_FILE, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another run's refresh holds the lock
    try:
        run = LiveTap(config, tmp_path / "waiting", catalog=catalog_selecting(config, ("orders",)), env=DEBUG)
        time.sleep(3)
        assert run.proc.poll() is None, run.stderr
        run.proc.kill()
        run.wait()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert emu.oauth_refresh_count == spent, "no token request while the lock was held"
    again = tap(config, streams=("orders",))
    assert again.returncode == 0, again.stderr
    assert again.records("orders") and emu.oauth_refresh_count == spent + 1


def test_a_run_killed_right_after_a_refresh_leaves_the_chain_in_the_store(emu, tap, tmp_path):
    """A target holds STATE until it drains: a kill right after the refresh means no STATE reached it."""
    code = account_code(emu)
    config = oauth_config(emu, emu.oauth_refresh_token(code))
    run = LiveTap(config, tmp_path / "killed", catalog=catalog_selecting(config, ("orders",)))
    wait_until(lambda: any(r.path.startswith("/public-api/") for r in emu.requests), what="the first account call")
    run.proc.kill()
    run.wait()
    emu.expire_access_tokens()
    again = tap(config, streams=("orders",))  # the state the target committed: none
    assert again.returncode == 0, again.stderr
    assert again.records("orders")
    assert emu.oauth_refresh_count == 2


# --- 2. two runs, one state ---------------------------------------------------------------
@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_two_runs_started_together_spend_one_refresh_token(emu, tmp_path, request, store):
    code = account_code(emu)
    extra = {"oauth_token_store": request.getfixturevalue("pg_store")} if store == "postgresql" else {}
    config = oauth_config(emu, emu.oauth_refresh_token(code), **extra)
    catalog = catalog_selecting(config, ("orders",))
    emu.oauth.answer_delay = 2.0  # the second run asks while the first one's refresh is in flight
    runs = [LiveTap(config, tmp_path / name, catalog=catalog, env=DEBUG) for name in ("first", "retry")]
    done = [r.wait() for r in runs]
    for run in done:
        assert run.returncode == 0, run.stderr[-3000:]
        assert run.records("orders")
        assert_no_tokens(run, emu)
    assert emu.oauth.token_requests == 1 and emu.oauth_refresh_count == 1, "one refresh for both runs"
    live = emu.oauth.live_refresh_tokens(code)
    for run in done:
        assert chains_in(run) and all(opened(config, kept).refresh_token in live for kept in chains_in(run))


def test_a_run_opening_the_store_while_another_creates_it_waits_its_turn(emu, tap, tmp_path, state_home):
    """The race behind two runs started together, pinned: one run has created the table but not yet
    committed (it holds the write lock) when the other opens the store. The second must wait and read,
    not fail 'database is locked': a run that read the schema in a transaction and then asked to write
    was refused at once by SQLite as soon as the first one committed (seen in CI, 2026-12-04)."""
    code = account_code(emu)
    config = oauth_config(emu, emu.oauth_refresh_token(code))
    elsewhere = {"XDG_STATE_HOME": str(tmp_path / "elsewhere")}  # a store of the tap's own making, for its table
    assert tap(oauth_config(emu, emu.oauth_refresh_token(code)), streams=("orders",), env=elsewhere).returncode == 0
    with sqlite3.connect(tmp_path / "elsewhere" / STORE_FILE) as made:
        (create,) = made.execute("SELECT sql FROM sqlite_master WHERE type = 'table'").fetchone()
    (state_home / STORE_FILE).parent.mkdir(parents=True)
    creator = sqlite3.connect(state_home / STORE_FILE, isolation_level=None, timeout=60)
    creator.execute("BEGIN IMMEDIATE")
    creator.execute(create)  # the first run's CREATE TABLE, not committed yet
    try:
        run = LiveTap(config, tmp_path / "second", catalog=catalog_selecting(config, ("orders",)), env=DEBUG)
        time.sleep(3)  # the second run is at the store by now, waiting for the lock
        assert run.proc.poll() is None, run.stderr[-3000:]
        creator.execute("COMMIT")  # waits for the second run to let go of the file, if it holds it
    finally:
        creator.close()
    done = run.wait()
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.records("orders")
    assert "database is locked" not in done.stderr
    assert_no_tokens(done, emu)
    assert len(stored(state_home)) == 1, "the second run's refresh is in the store"


def test_a_refused_chain_is_never_emitted_again(emu, tap, tmp_path):
    """Two workers with a store each and one state: the loser's STATE must not carry the chain it spent."""
    code = account_code(emu)
    config = oauth_config(emu, emu.oauth_refresh_token(code))
    first = tap(config, streams=("orders",), env={"XDG_STATE_HOME": str(tmp_path / "worker-a")})  # worker A
    assert first.returncode == 0, first.stderr
    emu.expire_access_tokens()
    worker_a, worker_b = ({"XDG_STATE_HOME": str(tmp_path / name)} for name in ("worker-a", "worker-b"))
    winner = tap(config, state=first.final_state, streams=("orders",), env=worker_a)
    assert winner.returncode == 0, winner.stderr
    emu.expire_access_tokens()
    loser = tap(config, state=first.final_state, streams=("orders",), env=worker_b)
    assert loser.returncode == 1
    assert "refresh_token" in loser.stderr.strip().splitlines()[-1]
    dead = first.final_state["bookmarks"]["oauth"]["sealed"]
    assert "oauth" not in loser.final_state["bookmarks"], "the loser's last STATE carries the chain it spent"
    refused_at = next(i for i, s in enumerate(loser.states) if "oauth" not in s.get("bookmarks", {}))
    assert all("oauth" not in s.get("bookmarks", {}) for s in loser.states[refused_at:]), "STATE drops the chain"
    assert dead not in json.dumps(loser.states[refused_at:])
    # Saved after the winner's, the loser's state still lets worker A read the account.
    last = tap(config, state=loser.final_state, streams=("orders",), env=worker_a)
    assert last.returncode == 0, last.stderr


# --- 3. the right key ---------------------------------------------------------------------
def test_rotating_the_client_secret_with_a_key_set_loses_nothing(emu, tap, tmp_path):
    code = account_code(emu)
    config = oauth_config(emu, emu.oauth_refresh_token(code), token_encryption_key=KEY)
    first = tap(config, streams=("orders",))
    assert first.returncode == 0, first.stderr
    new_secret = "client-secret-rotated-Hg5Fd8Sa2Lk4"
    emu.enable_oauth(client_id=CLIENT_ID, client_secret=new_secret, access_ttl=3600, rotate=True)
    emu.expire_access_tokens()
    rotated = {**config, "client_secret": new_secret}
    state = first.final_state
    for env in ({}, {"XDG_STATE_HOME": str(tmp_path / "another-machine")}):  # the store, then STATE alone
        run = tap(rotated, state=state, streams=("orders",), env=env)
        assert run.returncode == 0, run.stderr
        assert run.records("orders")
        assert_no_tokens(run, emu, new_secret)
        state = run.final_state
        emu.expire_access_tokens()
    assert emu.oauth_refresh_count == 3, "each run refreshed with the newest link, never the retired config token"


def test_a_chain_the_key_cannot_open_stops_naming_token_encryption_key(emu, tap, tmp_path):
    code = account_code(emu)
    config = oauth_config(emu, emu.oauth_refresh_token(code), token_encryption_key=KEY)
    first = tap(config, streams=("orders",))
    assert first.returncode == 0, first.stderr
    asked = emu.oauth.token_requests
    other_key = {**config, "token_encryption_key": "another-key-Pq2Wr6Ty8Ui0Op3"}
    run = tap(other_key, state=first.final_state, streams=("orders",))
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert "ERROR" in last and "token_encryption_key" in last and "cannot be opened" in last
    assert emu.oauth.token_requests == asked, "the retired refresh_token in the config was not tried"
    assert "Traceback" not in run.stderr
    fresh = {**other_key, "refresh_token": emu.oauth_refresh_token(code)}  # a person re-authorised: newer
    assert tap(fresh, state=first.final_state, streams=("orders",)).returncode == 0


def test_a_chain_an_older_version_kept_in_state_still_opens(emu, tap):
    """Before this version the chain was sealed with client_secret even when token_encryption_key was set."""
    from tap_brightpearl.oauth_chain import Tokens, _Sealer

    code = account_code(emu)
    original = emu.oauth_refresh_token(code)
    form = {"grant_type": "refresh_token", "refresh_token": original, "client_id": CLIENT_ID}
    answer = requests.post(
        emu.base_urls[emu.master] + "/oauth/token",
        data={**form, "client_secret": CLIENT_SECRET, "account_code": code},
        timeout=10,
    ).json()  # the older version's refresh: `original` is retired now
    context = f"{CLIENT_ID}/{code}"
    old = _Sealer(CLIENT_SECRET, context)
    link = Tokens(
        answer["access_token"],
        answer["refresh_token"],
        time.time() - 60,  # expired: this run must refresh with the kept refresh token
        3600.0,
        answer["api_domain"],
        origin=old.legacy_origin(original),
    )
    state = {"bookmarks": {"oauth": {"sealed": old.seal(link)}}}
    config = oauth_config(emu, original, token_encryption_key=KEY)
    run = tap(config, state=state, streams=("orders",))
    assert run.returncode == 0, run.stderr
    assert run.records("orders")
    kept = run.final_state["bookmarks"]["oauth"]
    assert kept["generation"] == 1 and opened(config, kept).refresh_token in emu.oauth.live_refresh_tokens(code)


# --- 4. bounded refreshes -----------------------------------------------------------------
def test_a_tiny_expires_in_does_not_turn_the_chain_over_on_every_request(emu, tap):
    emu.oauth.expires_in = 1e-6  # the tokens really live an hour
    config = oauth_config(emu, emu.oauth_refresh_token(account_code(emu)))
    run = tap(config, streams=("orders", "products", "contacts"))
    assert run.returncode == 0, run.stderr
    assert len([r for r in emu.requests if r.path.startswith("/public-api/")]) > 3
    assert emu.oauth.token_requests == 1


def test_a_server_that_refuses_every_fresh_token_cannot_spin_the_chain(emu, tap):
    from tap_brightpearl import oauth

    limit = getattr(oauth, "MAX_REFRESHES_PER_RUN", 30)  # (getattr: this file also runs on old code)
    emu.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, access_ttl=0, rotate=True)
    config = oauth_config(emu, emu.oauth_refresh_token(account_code(emu)))
    run = tap(config)
    assert run.returncode == 1
    assert emu.oauth.token_requests <= limit
    assert "Authorization token expired" in run.stderr and "Traceback" not in run.stderr


# --- 5. reserved names --------------------------------------------------------------------
def test_a_custom_stream_named_like_a_state_key_of_the_tap_is_refused(emu, tap):
    stream = {"name": "oauth", "search": "order-service/order-search", "id_column": "orderId"}
    config = oauth_config(emu, emu.oauth_refresh_token(account_code(emu)), custom_streams=[stream])
    run = tap(config)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert "custom_streams[0] ('oauth')" in last and "reserved" in last and "bookmarks.oauth" in last
    assert emu.requests == []


# --- 7. what used to throw the chain away -------------------------------------------------
def test_the_setup_check_keeps_the_token_it_rotated(emu, tap):
    config = oauth_config(emu, emu.oauth_refresh_token(account_code(emu)))
    checked = tap(config, args=("--test",))
    assert checked.returncode == 0, checked.stderr
    emu.expire_access_tokens()
    run = tap(config, streams=("orders",))  # no state: `--test` has none to give
    assert run.returncode == 0, run.stderr
    assert emu.oauth_refresh_count == 2


# --- the store itself ---------------------------------------------------------------------
def test_an_unreachable_store_stops_before_any_token_request(emu, tap):
    url = "postgresql+psycopg://tap:store-pw-Jk3Lm9Nb@127.0.0.1:9/tokens"  # port 9: nothing listens
    run = tap(oauth_config(emu, emu.oauth_refresh_token(account_code(emu)), oauth_token_store=url))
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert "oauth_token_store" in last and "127.0.0.1:9/tokens" in last
    assert "store-pw-Jk3Lm9Nb" not in run.stderr and "Traceback" not in run.stderr
    assert emu.oauth.token_requests == 0


def test_a_store_that_cannot_hold_tokens_is_a_setting_error(emu, tap):
    url = "mysql://tap:store-pw-Qa1Ws2Ed3@db.example/tokens"
    run = tap(oauth_config(emu, emu.oauth_refresh_token(account_code(emu)), oauth_token_store=url))
    assert run.returncode == 1
    assert "oauth_token_store: mysql:// cannot hold the tokens" in run.stderr
    assert "store-pw-Qa1Ws2Ed3" not in run.stderr and emu.requests == []


def test_the_default_store_is_private_to_its_user(emu, tap, state_home):
    run = tap(oauth_config(emu, emu.oauth_refresh_token(account_code(emu))), streams=("orders",))
    assert run.returncode == 0, run.stderr
    path = state_home / STORE_FILE
    assert path.stat().st_mode & 0o077 == 0 and path.parent.stat().st_mode & 0o077 == 0
    text = path.read_bytes()
    for token in (*emu.issued_tokens(), CLIENT_SECRET):
        assert token.encode() not in text, "the store holds tokens only sealed"


def test_a_token_server_that_dies_after_retiring_the_token_ends_the_run_in_one_clear_line(emu, tap):
    """Nothing can save a chain whose answer never arrived; the run says so instead of failing obscurely."""
    config = oauth_config(emu, emu.oauth_refresh_token(account_code(emu)), retry_backoff_seconds=0.05)
    emu.oauth.resets_after_retire = 1
    run = tap(config, streams=("orders",))
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert "ERROR" in last and "refresh_token" in last and "tap-brightpearl-oauth" in last
    assert "Traceback" not in run.stderr
    assert all("oauth" not in s.get("bookmarks", {}) for s in run.states)


@pytest.mark.parametrize("form", ["a file path", "an sqlite URL"])
def test_the_store_can_be_any_sqlite_file(emu, tap, tmp_path, form):
    path = tmp_path / "shared" / "tokens.db"
    setting = str(path) if form == "a file path" else f"sqlite:///{path}"
    config = oauth_config(emu, emu.oauth_refresh_token(account_code(emu)), oauth_token_store=setting)
    assert tap(config, streams=("orders",)).returncode == 0
    assert path.is_file()
    emu.expire_access_tokens()
    again = tap(config, streams=("orders",))  # no state: the chain comes from that file
    assert again.returncode == 0, again.stderr
    assert emu.oauth_refresh_count == 2
