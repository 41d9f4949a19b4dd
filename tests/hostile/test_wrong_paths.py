"""Where signed tokens go: a hostile account-location answer or accountCode must not steer them elsewhere.

Items 1 and 11 of the review. Every request goes through a recording proxy (item 1) or is
checked as it arrived at the server (item 11): the raw request line is the evidence.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from tests.hostile import (
    assert_last_error,
    assert_no_leak,
    install,
    path_problems,
    public_config,
    run_tap,
    select,
)
from tests.hostile.servers import json_answer

PROXY_PASSWORD = "Pr0xy-pass-Wq7Zr4"
TOKENS = {"acme1": "acct-tok-acme1-5b1f0c2e9a", "acme2": "acct-tok-acme2-77d3e8f1b4"}
DATA_STREAMS = ("installed_accounts", "account_timezones", "account_configuration")

HOSTILE_DOMAINS = {
    "path": "evil.example/.brightpearl.com",
    "encoded-slash": "evil.example%2F.brightpearl.com",
    "tab": "ws-x\t.brightpearl.com",
    "port": "ws-x.brightpearl.com:8443",
    "userinfo": "a@ws-x.brightpearl.com",
}


def _with_password(url: str) -> str:
    return url.replace("http://", f"http://hostile:{PROXY_PASSWORD}@", 1)


def _foreign(proxy, fake) -> list[tuple[str, str]]:
    """Proxy requests for anything but the configured loopback datacentre."""
    local = {("CONNECT", fake.netloc)}
    return [(m, t) for m, t in proxy.seen if (m, t) not in local and not t.startswith(fake.url + "/")]


def _run_located(fake, proxy, public_catalog, tmp_path, domain):
    fake.installs = [install(code, token) for code, token in TOKENS.items()]
    location = {"response": {"datacentreCode": "zz9", "apiDomain": domain}}
    fake.on("account-location/acme1", lambda seen: json_answer(location))
    config = public_config(fake.url, https_proxy=_with_password(proxy.url))
    run = run_tap(config, tmp_path, catalog=select(public_catalog, *DATA_STREAMS))
    assert any("installed-accounts" in t for _, t in proxy.seen), "the run must really use the proxy"
    return run


@pytest.mark.parametrize("domain", HOSTILE_DOMAINS.values(), ids=HOSTILE_DOMAINS.keys())
def test_hostile_api_domain_never_receives_a_request(fake, proxy, public_catalog, tmp_path, domain):
    run = _run_located(fake, proxy, public_catalog, tmp_path, domain)
    assert _foreign(proxy, fake) == [], "a request left for a host account-location named"
    assert run.returncode == 0, run.stderr[-2000:]
    assert [w for w in run.warnings() if "acme1" in w or "zz9" in w], "the refused answer needs a WARNING"
    assert_no_leak(run, account_tokens=TOKENS.values(), secrets=[PROXY_PASSWORD])


def test_legitimate_new_datacentre_is_still_used(fake, proxy, public_catalog, tmp_path):
    run = _run_located(fake, proxy, public_catalog, tmp_path, "ws-new.brightpearl.com")
    assert set(_foreign(proxy, fake)) == {("CONNECT", "ws-new.brightpearl.com:443")}
    assert_no_leak(run, account_tokens=TOKENS.values(), secrets=[PROXY_PASSWORD])


HOSTILE_CODES = [
    "acme",
    "../../developer-tools/devref/installed-accounts/devref_app",
    "q?x=1&y=",
    "frag#ment",
    "a/b",
    ".",
    "..",
]


def test_hostile_account_codes_stay_inside_one_path_segment(fake, public_catalog, tmp_path):
    tokens = {code: f"acct-tok-{i}-c0ffee5e11" for i, code in enumerate(HOSTILE_CODES)}
    fake.installs = [install(code, token) for code, token in tokens.items()]
    catalog = select(public_catalog, *DATA_STREAMS, "orders")
    run = run_tap(public_config(fake.url), tmp_path, catalog=catalog)
    seen = fake.requests()
    assert path_problems(seen, HOSTILE_CODES) == []
    for code in HOSTILE_CODES[:5]:
        assert any(r.segments[0] == "public-api" and _decoded(r, 1) == code for r in seen), f"{code!r} was not read"
    for dots in (".", ".."):
        assert [w for w in run.warnings() if repr(dots) in w], f"no WARNING names the entry {dots!r}"
    assert_no_leak(run, account_tokens=tokens.values())


def _decoded(seen, index: int) -> str:
    segs = seen.segments
    return unquote(segs[index]) if len(segs) > index else ""


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("developer_reference", ".."),
        ("developer_reference", "dev/ref"),
        ("app_reference", ".."),
        ("app_reference", "a/x"),
    ],
)
def test_reference_that_would_escape_its_path_segment_is_a_config_error(fake, tmp_path, setting, value):
    fake.installs = [install("acme1", TOKENS["acme1"])]
    run = run_tap(public_config(fake.url, **{setting: value}), tmp_path)
    assert_last_error(run, setting)
    assert fake.requests() == [], "a bad setting must stop the run before any request"
    assert_no_leak(run, account_tokens=[TOKENS["acme1"]])
