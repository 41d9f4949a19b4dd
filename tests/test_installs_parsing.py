"""Parsing the installed-accounts list: never a silently wrong record."""

from __future__ import annotations

import logging

import pytest

from tap_brightpearl.errors import FatalBrightpearlError
from tap_brightpearl.installs import parse_installs


def _entry(code, installed="2021-03-04T05:06:07.000Z", **extra):
    return {
        "accountCode": code,
        "installedOn": installed,
        "unsignedAccountToken": "t-" + code,
        "enabled": True,
        **extra,
    }


def test_other_offsets_become_utc_in_one_fixed_width_format():
    installs = parse_installs(
        [
            _entry("a", "2021-03-04T07:06:07.000+02:00"),
            _entry("b", "2021-03-04T05:06:07.123456Z"),
            _entry("c", "2021-03-04T05:06:07"),
        ],
        where="test",
    )
    records = {i.accountCode: i.record()["installedOn"] for i in installs}
    assert records == {
        "a": "2021-03-04T05:06:07.000Z",
        "b": "2021-03-04T05:06:07.123Z",
        "c": "2021-03-04T05:06:07.000Z",
    }


def test_invalid_entries_are_skipped_with_a_warning_naming_the_account(caplog):
    with caplog.at_level(logging.WARNING):
        installs = parse_installs(
            [
                _entry("good"),
                _entry("baddate", "yesterday"),
                {"installedOn": "2021-01-01T00:00:00Z"},
                _entry("badenabled", enabled="yes"),
                None,
            ],
            where="test",
        )
    assert [i.accountCode for i in installs] == ["good"]
    assert "'baddate'" in caplog.text and "'badenabled'" in caplog.text and "no accountCode" in caplog.text
    assert "t-good" not in caplog.text and "t-baddate" not in caplog.text


def test_duplicate_accountCode_keeps_the_newest_installation(caplog):
    installs = parse_installs(
        [
            _entry("dup", "2021-01-01T00:00:00Z"),
            _entry("dup", "2022-01-01T00:00:00Z"),
            _entry("dup", "2020-01-01T00:00:00Z"),
        ],
        where="test",
    )
    assert len(installs) == 1 and installs[0].record()["installedOn"].startswith("2022")
    assert "listed more than once" in caplog.text


@pytest.mark.parametrize("payload", [None, {"accounts": []}, "nope"])
def test_anything_but_a_list_is_a_failure_not_zero_accounts(payload):
    with pytest.raises(FatalBrightpearlError, match="instead of a list"):
        parse_installs(payload, where="app x")


def test_an_empty_list_is_zero_accounts():
    assert parse_installs([], where="test") == []
