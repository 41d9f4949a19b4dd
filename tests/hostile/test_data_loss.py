"""Answers that would make a run silently skip data: far-future timestamps that push a bookmark past every
later change (item 4), a look-back that is off when unset (item 5), an error envelope hidden next to
a valid list (item 12).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

from tests.hostile import (
    assert_last_error,
    assert_no_leak,
    assert_no_traceback,
    install,
    private_config,
    public_config,
    run_tap,
    select,
)
from tests.hostile.servers import json_answer

SLACK = dt.timedelta(minutes=10)
TOKENS = {"acme1": "acct-tok-acme1-3c5d7e9f1a", "future9": "acct-tok-future9-2b4d6f8a0c", "newbie": "acct-tok-new-1e3"}


def _instant(text: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _installs_bookmark(run) -> dt.datetime:
    return _instant(run.bookmark("installed_accounts")["replication_key_value"])


def _orders_bookmark(run, account: str) -> dt.datetime:
    partitions = run.bookmark("orders")["partitions"]
    (value,) = [p["replication_key_value"] for p in partitions if p["context"] == {"accountCode": account}]
    return _instant(value)


def _params(query: str) -> dict[str, str]:
    return dict(pair.partition("=")[::2] for pair in query.split("&") if pair)


def _codes(run) -> set[str]:
    return {r["accountCode"] for r in run.records("installed_accounts")}


def _then_a_new_install(fake, first, tmp_path, catalog):
    """A second run from `first`'s state, after an account installs the app (installedOn: now)."""
    fake.installs = [fake.installs[0], install("newbie", TOKENS["newbie"], _iso(_now()))]
    return run_tap(public_config(fake.url), tmp_path / "second", catalog=catalog, state=first.final_state)


def test_far_future_install_is_emitted_but_does_not_move_the_bookmark_past_now(fake, public_catalog, tmp_path):
    fake.installs = [
        install("acme1", TOKENS["acme1"], "2024-01-01T00:00:00.000Z"),
        install("future9", TOKENS["future9"], "9999-12-31T23:59:59.999999Z"),
    ]
    catalog = select(public_catalog, "installed_accounts")
    first = run_tap(public_config(fake.url), tmp_path / "first", catalog=catalog)
    assert first.returncode == 0, first.stderr[-2000:]
    assert _codes(first) == {"acme1", "future9"}, "a future install is still data"
    assert _installs_bookmark(first) <= _now() + SLACK, "a far-future installedOn became the bookmark"
    assert [w for w in first.warnings() if "future9" in w], "no WARNING names the far-future account"
    # Brightpearl fixes the entry (it disappears), and a new account installs the app.
    second = _then_a_new_install(fake, first, tmp_path, catalog)
    assert "newbie" in _codes(second), "the new install was skipped behind a far-future bookmark"
    for run in (first, second):
        assert_no_traceback(run)
        assert_no_leak(run, account_tokens=TOKENS.values())


def test_future_bookmark_in_state_is_pulled_back_to_now(fake, public_catalog, tmp_path):
    fake.installs = [install("acme1", TOKENS["acme1"], "2024-01-01T00:00:00.000Z")]
    state = {
        "bookmarks": {
            "installed_accounts": {
                "replication_key": "installedOn",
                "replication_key_value": "2999-01-01T00:00:00.000Z",
            }
        }
    }
    catalog = select(public_catalog, "installed_accounts")
    first = run_tap(public_config(fake.url), tmp_path / "first", catalog=catalog, state=state)
    assert first.returncode == 0, first.stderr[-2000:]
    assert _installs_bookmark(first) <= _now() + SLACK, "the bookmark stayed in the year 2999"
    assert [w for w in first.warnings() if "2999" in w], "no WARNING names the future bookmark"
    second = _then_a_new_install(fake, first, tmp_path, catalog)
    assert "newbie" in _codes(second), "new installs hide behind a bookmark in the year 2999"
    for run in (first, second):
        assert_no_traceback(run)
        assert_no_leak(run, account_tokens=TOKENS.values())


def test_far_future_order_is_emitted_but_its_account_bookmark_stays_near_now(fake, private_catalog, tmp_path):
    fake.orders["acme"] = [
        {"id": 1, "updatedOn": "2025-01-01T00:00:00.000Z", "reference": "normal"},
        {"id": 2, "updatedOn": "2099-01-01T00:00:00.000Z", "reference": "from-the-future"},
    ]
    run = run_tap(private_config(fake.url), tmp_path, catalog=select(private_catalog, "orders"))
    assert run.returncode == 0, run.stderr[-2000:]
    assert {r["id"] for r in run.records("orders")} == {1, 2}
    assert _orders_bookmark(run, "acme") <= _now() + SLACK, "an order dated 2099 became the bookmark"
    assert_no_traceback(run)
    assert_no_leak(run, secrets=["private-tok-0123456789"])


def test_unset_lookback_rereads_sixty_minutes_before_the_bookmark(fake, private_catalog, tmp_path):
    bookmark = "2025-06-01T12:00:00.000Z"
    fake.orders["acme"] = [{"id": 7, "updatedOn": "2025-06-02T00:00:00.000Z"}]
    state = {
        "bookmarks": {
            "orders": {
                "partitions": [
                    {
                        "context": {"accountCode": "acme"},
                        "replication_key": "updatedOn",
                        "replication_key_value": bookmark,
                    }
                ]
            }
        }
    }
    config = private_config(fake.url)
    assert "lookback_minutes" not in config
    run = run_tap(config, tmp_path, catalog=select(private_catalog, "orders"), state=state)
    assert run.returncode == 0, run.stderr[-2000:]
    filters = [_params(s.query).get("updatedOn") for s in fake.requests() if "/order-search" in s.path]
    filters = [f for f in filters if f is not None]
    assert filters, "no order search filtered on updatedOn"
    for value in filters:
        since = unquote(value).partition("/")[0]
        assert _instant(since) == _instant(bookmark) - dt.timedelta(minutes=60), f"searched from {since}"
    assert_no_leak(run, secrets=["private-tok-0123456789"])


def test_errors_next_to_a_valid_listing_fail_the_run(fake, public_catalog, tmp_path):
    body = {
        "errors": [{"code": "CMNC-500", "message": "x"}],
        "response": [install("acme1", TOKENS["acme1"])],
    }
    fake.on("installed-accounts", lambda seen: json_answer(body))
    run = run_tap(public_config(fake.url), tmp_path, catalog=select(public_catalog, "installed_accounts"))
    assert run.returncode != 0, "an errors envelope was ignored because a response came with it"
    assert_last_error(run, "CMNC-500")
    assert_no_leak(run, account_tokens=TOKENS.values())
