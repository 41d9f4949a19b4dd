"""Credentials that could reach the output: a token with a control character in it (item 2), and a
server error that echoes a token back (item 3), every run at DEBUG.
"""

from __future__ import annotations

import pytest

from tests.conftest import DEV_SECRET, DEV_TOKEN
from tests.emulator import sign
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
from tests.hostile.servers import Answer

CONTROL_CASES = [  # each setting once, and each kind of control character
    ("account_token", "StaffTok-secret-123\n"),
    ("staff_token", "StaffTok-secret-123\t"),
    ("developer_token", "DevTok-secret-456\x00"),
    ("developer_secret", "DevSec-secret-789\n"),
]


def _control_config(url: str, setting: str, value: str) -> tuple[dict, list[str]]:
    """The config holding `value` in `setting`, and every secret derived from it."""
    if setting in ("account_token", "staff_token"):
        config = private_config(url)
        del config["account_token"]
        return {**config, setting: value}, [value]
    config = public_config(url, **{setting: value})
    return config, [value, sign(config["developer_token"], config["developer_secret"])]


@pytest.mark.parametrize("args", [(), ("--test",)], ids=["run", "test"])
@pytest.mark.parametrize(("setting", "value"), CONTROL_CASES, ids=[f"{s}-{v[-1]!r}" for s, v in CONTROL_CASES])
def test_token_with_a_control_character_stops_at_start_up_unshown(fake, tmp_path, setting, value, args):
    fake.installs = [install("acme", "acct-tok-acme-0f9e8d7c6b")]
    config, derived = _control_config(fake.url, setting, value)
    run = run_tap(config, tmp_path, args=args)
    assert_last_error(run, setting, "control character")
    assert fake.requests() == [], "no request may be made with a setting that cannot be a header"
    assert_no_leak(run, account_tokens=["acct-tok-acme-0f9e8d7c6b"], secrets=derived)


LONG = "longer-account-token-acme2-xyz"
SHORT = "shorttok99"


def _percent(text: str) -> str:
    return "".join(f"%{b:02X}" for b in text.encode())


def _json_escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


def _echo(message: str) -> Answer:
    """A 500 with a non-CMNC code (so it is retried, and logged each time) whose message is raw JSON text."""
    body = '{"errors":[{"code":"CMNX-1","message":"bad account-token=' + message + '"}]}'
    return Answer(500, body.encode(), {"Content-Type": "application/json"})


ECHOES = {
    "public-plain": ("public", LONG),
    "public-url-encoded": ("public", _percent(LONG)),
    "public-json-escaped": ("public", _json_escaped(LONG)),
    "public-signed": ("public", sign(LONG, DEV_SECRET)),
    "private-plain": ("private", SHORT),
    "private-url-encoded": ("private", _percent(SHORT)),
    "private-json-escaped": ("private", _json_escaped(SHORT)),
}


@pytest.mark.parametrize(("mode", "echoed"), ECHOES.values(), ids=ECHOES.keys())
def test_server_error_echoing_an_account_token_is_masked(fake, public_catalog, private_catalog, tmp_path, mode, echoed):
    fake.on("/public-api/", lambda seen: _echo(echoed))
    if mode == "public":
        fake.installs = [install("acme2", LONG)]
        config = public_config(fake.url, max_retries=1)
        catalog = select(public_catalog, "installed_accounts", "account_configuration")
    else:
        config = private_config(fake.url, token=SHORT, max_retries=1)
        catalog = select(private_catalog, "account_configuration")
    run = run_tap(config, tmp_path, catalog=catalog)
    assert any(s.target.startswith("/public-api/") for s in fake.requests()), "the account API was never called"
    assert "CMNX-1" in run.stderr, "the error itself must still be reported"
    assert_no_leak(run, account_tokens=[LONG], secrets=[SHORT, DEV_TOKEN])
    assert_no_traceback(run)
