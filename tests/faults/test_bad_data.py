"""Bad data from the API, over real HTTP (the emulator's "body" fault): a defined outcome for each.

Either the entry is skipped with a WARNING naming the account (the run goes on), or the run fails
with one clear line. Never a silently wrong record.
"""

from __future__ import annotations

import json
import random

import pytest

from tests.faults import FAST, error_lines, only_installed_accounts, requests_to

LISTING = "installed-accounts"


def _body(entries) -> bytes:
    return json.dumps({"response": entries}).encode()


def test_bad_entries_are_skipped_by_name_and_the_good_ones_are_exact(emulator, debug_tap):
    good = [a.listing() for a in emulator.accounts[:6]]
    tokenless = dict(emulator.accounts[6].listing())
    del tokenless["unsignedAccountToken"]
    bad = [
        ({"installedOn": "2021-01-01T00:00:00.000Z", "unsignedAccountToken": "t", "enabled": True}, "entry #"),
        ({"accountCode": "nodate", "unsignedAccountToken": "t-nodate", "enabled": True}, "'nodate'"),
        ({"accountCode": "epochms", "installedOn": 1408579200000, "enabled": True}, "'epochms'"),
        ({"accountCode": "yesterday", "installedOn": "yesterday", "enabled": True}, "'yesterday'"),
        ({"accountCode": "month13", "installedOn": "2021-13-01T00:00:00Z", "enabled": True}, "'month13'"),
        ({"accountCode": "yearzero", "installedOn": "0001-01-01T00:00:00+05:00", "enabled": True}, "'yearzero'"),
        ({"accountCode": 42, "installedOn": "2021-01-01T00:00:00Z", "enabled": True}, "no accountCode"),
        ({"accountCode": "yesno", "installedOn": "2021-01-01T00:00:00Z", "enabled": "yes"}, "'yesno'"),
        ({"accountCode": "numtoken", "installedOn": "2021-01-01T00:00:00Z", "unsignedAccountToken": 7}, "'numtoken'"),
        (None, "not an object"),
        ("acme", "not an object"),
    ]
    entries = [*good, tokenless, *(entry for entry, _ in bad)]
    random.Random(5).shuffle(entries)
    emulator.add_fault(LISTING, "body", body=_body(entries))
    run = debug_tap(emulator, emulator.tap_config(**FAST))
    assert run.returncode == 0, run.stderr[-3000:]
    records = {r["accountCode"]: r for r in run.records("installed_accounts")}
    expected = {e["accountCode"]: e for e in good}
    expected[tokenless["accountCode"]] = {**tokenless, "unsignedAccountToken": None}
    assert records == expected
    skips = [w for w in run.warnings() if "installed-accounts: skipping" in w]
    assert len(skips) == len(bad)
    for _, named in bad:
        assert any(named in w for w in skips), named
    assert any(f"'{tokenless['accountCode']}' has no unsignedAccountToken" in w for w in run.warnings())
    # Only the accounts that were kept get a timezone.
    assert {r["accountCode"] for r in run.records("account_timezones")} == set(expected)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"response":null}', "installed-accounts answered null instead of a list"),
        (b'{"response":{"accounts":[]}}', "installed-accounts answered dict instead of a list"),
        (b'{"response":"OK"}', "installed-accounts answered str instead of a list"),
        (b'{"accounts":[]}', "reply has no 'response' member"),
    ],
    ids=["null", "object", "string", "no-envelope"],
)
def test_not_a_list_is_a_clear_failure_never_zero_accounts(emulator, debug_tap, body, words):
    emulator.add_fault(LISTING, "body", body=body)
    run = debug_tap(emulator, emulator.tap_config(**FAST))
    assert run.returncode == 1
    last = error_lines(run)[-1]
    assert words in last and run.stderr.rstrip().endswith(last)
    assert run.records("installed_accounts") == [] and run.records("account_timezones") == []
    assert len(requests_to(emulator, LISTING)) == 1, "a well-formed but wrong answer is not retried"


def test_an_empty_list_is_zero_accounts_and_keeps_the_bookmark(emulator, debug_tap):
    state = {
        "bookmarks": {
            "installed_accounts": {
                "replication_key": "installedOn",
                "replication_key_value": "2023-05-06T07:08:09.000Z",
            }
        }
    }
    emulator.add_fault(LISTING, "body", body=_body([]))
    run = debug_tap(emulator, emulator.tap_config(**FAST), state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.records("installed_accounts") == [] and run.records("account_timezones") == []
    assert "installed-accounts lists 0 accounts" in run.stderr
    assert run.bookmark("installed_accounts")["replication_key_value"] == "2023-05-06T07:08:09.000Z"


def test_duplicate_accountCodes_keep_the_newest_installation_once(emulator, debug_tap):
    account = emulator.accounts[3]
    older, newer = dict(account.listing()), dict(account.listing())
    older["installedOn"], newer["installedOn"] = "2019-01-01T00:00:00.000Z", "2030-01-01T00:00:00.000Z"
    entries = [a.listing() for a in emulator.accounts if a is not account] + [newer, account.listing(), older]
    emulator.add_fault(LISTING, "body", body=_body(entries))
    run = debug_tap(emulator, emulator.tap_config(**FAST))
    assert run.returncode == 0, run.stderr[-3000:]
    mine = [r for r in run.records("installed_accounts") if r["accountCode"] == account.accountCode]
    assert [r["installedOn"] for r in mine] == ["2030-01-01T00:00:00.000Z"]
    assert len(run.records("installed_accounts")) == len(emulator.accounts)
    assert f"'{account.accountCode}' is listed more than once" in run.stderr
    assert "2 duplicate entries dropped" in run.stderr
    assert [r["accountCode"] for r in run.records("account_timezones")].count(account.accountCode) == 1


def test_a_very_large_list_with_noise_comes_out_whole_sorted_and_unique(emulator, debug_tap, devtools_catalog):
    n = 50_000
    rng = random.Random(11)
    entries = [
        {
            "accountCode": f"acct{i:06d}",
            "installedOn": f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}T00:00:00.000Z",
            "unsignedAccountToken": f"tok{i}",
            "enabled": i % 7 != 0,
        }
        for i in range(n)
    ]
    entries += [dict(rng.choice(entries)) for _ in range(50)]  # exact duplicates
    entries += [{"accountCode": f"broken{i}", "installedOn": "not a date"} for i in range(20)]
    rng.shuffle(entries)
    emulator.add_fault(LISTING, "body", body=_body(entries))
    catalog = only_installed_accounts(devtools_catalog)
    run = debug_tap(emulator, emulator.tap_config(**FAST), catalog=catalog)
    assert run.returncode == 0, run.stderr[-3000:]
    records = run.records("installed_accounts")
    assert len(records) == n and len({r["accountCode"] for r in records}) == n
    keys = [(r["installedOn"], r["accountCode"]) for r in records]
    assert keys == sorted(keys)
    assert len([w for w in run.warnings() if "skipping account 'broken" in w]) == 20


def test_bad_timezone_answers_skip_that_account_by_name(emulator, debug_tap):
    bodies = [
        b'{"response":[]}',
        b'{"response":"Europe/London"}',
        b'{"response":null}',
        b'{"response":{"canonicalId":"Europe/London"}}',
        b'{"response":{"canonicalId":5,"currentUtcOffset":"+01:00"}}',
        b'{"response":{"canonicalId":"","currentUtcOffset":"+01:00"}}',
    ]
    victims = emulator.accounts[: len(bodies)]
    for account, body in zip(victims, bodies, strict=True):
        emulator.add_fault(f"account-timezone/{account.accountCode}", "body", body=body)
    run = debug_tap(emulator, emulator.tap_config(**FAST))
    assert run.returncode == 0, run.stderr[-3000:]
    records = {r["accountCode"]: r for r in run.records("account_timezones")}
    assert set(records) == {a.accountCode for a in emulator.accounts[len(bodies) :]}
    assert all(r["canonicalId"] and r["currentUtcOffset"] for r in records.values()), "no record of nulls"
    for account in victims:
        assert len([w for w in run.warnings() if f"skipping account '{account.accountCode}'" in w]) == 1
    assert f"{len(bodies)} skipped" in run.stderr


def test_a_nonsense_account_location_answer_falls_back_to_data_center(emulator, debug_tap):
    home = next(a for a in emulator.accounts if a.datacentre == "euw1")
    away = next(a for a in emulator.accounts if a.datacentre == "use1")
    emulator.add_fault(f"account-location/{home.accountCode}", "body", body=b'{"response":[]}')
    emulator.add_fault(
        f"account-location/{away.accountCode}",
        "body",
        body=b'{"response":{"datacentreCode":"zz9","apiDomain":"user:pw@evil.example"}}',
    )
    run = debug_tap(emulator, emulator.tap_config(**FAST))
    assert run.returncode == 0, run.stderr[-3000:]
    records = {r["accountCode"]: r for r in run.records("account_timezones")}
    assert records[home.accountCode]["dataCenter"] == "euw1"
    assert away.accountCode not in records
    assert "Ignoring datacentre zz9 from account-location" in run.stderr
    assert not [r for r in emulator.requests if r.datacentre not in emulator.datacentres]
