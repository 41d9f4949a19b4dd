"""Property: whatever installed-accounts and account-location say, a token never leaves the allowed hosts
and every account code travels as exactly one path segment.

Each example is one real CLI run: a fake Brightpearl lists generated account codes and answers
account-location with generated apiDomains, every request goes through the recording proxy (which
refuses all but loopback), and the request lines are the evidence. Allowed: the configured loopback
datacentre, and CONNECT to a plain DNS name under brightpearl.com or brightpearlconnect.com on 443.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from urllib.parse import unquote

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.hostile import assert_no_leak, install, path_problems, public_config, run_tap, select
from tests.hostile.servers import FakeBrightpearl, json_answer
from tests.support.proxy import Proxy

PROXY_PASSWORD = "Pr0xy-pass-Hy9Kd2"
ALLOWED_CONNECT = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:brightpearl|brightpearlconnect)\.com\.?:443", re.IGNORECASE
)
STREAMS = ("installed_accounts", "account_timezones", "account_configuration")

codes = st.one_of(
    st.sampled_from([".", "..", "a/b", "q?x=1&y=", "frag#ment", "%2e%2e", "../x", " acme ", "\u00fcn\u00ef", "50%"]),
    st.text(
        alphabet=st.sampled_from([*"ab/?#%.+&=;", " ", "\t", "\u00e9", "\u4e2d", "\u00a0"]), min_size=1, max_size=8
    ),
)
domains = st.one_of(
    st.none(),  # the ordinary answer: this datacentre
    st.builds(
        "".join,
        st.tuples(
            st.sampled_from(
                ["", "ws-x", "evil.example", "127.0.0.2", "a@evil.example", "evil.example:8443", "w\u0131s"]
            ),
            st.sampled_from(["", ".", "/", "%2F", "?", "#", "@", "\\", " ", "\t", ":443"]),
            st.sampled_from([".brightpearl.com", "brightpearl.com", ".brightpearlconnect.com", ".BRIGHTPEARL.COM"]),
            st.sampled_from(["", ":443", ":8443", "/x", "?q", " ", "\u3002", ".", "@evil.example", ".evil.example"]),
        ),
    ),
)
accounts = st.lists(st.tuples(codes, domains), min_size=1, max_size=4, unique_by=lambda pair: pair[0])


def _locator(fake: FakeBrightpearl, located: dict[str, str | None]):
    """account-location: the generated apiDomain for an account that has one, else this datacentre."""
    numbers = {code: i for i, code in enumerate(located)}

    def respond(seen):
        code = unquote(seen.segments[-1]) if len(seen.segments) == 4 else None
        domain = located.get(code) if code is not None else None
        if domain is None:
            return json_answer({"response": {"datacentreCode": "euw1", "apiDomain": fake.netloc}})
        return json_answer({"response": {"datacentreCode": f"zz{numbers[code]}", "apiDomain": domain}})

    return respond


def _foreign(proxy: Proxy, fake: FakeBrightpearl) -> list[tuple[str, str]]:
    def allowed(method: str, target: str) -> bool:
        if method == "CONNECT":
            return target == fake.netloc or ALLOWED_CONNECT.fullmatch(target) is not None
        return target.startswith(fake.url + "/")

    return [(m, t) for m, t in proxy.seen if not allowed(m, t)]


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: every example is a whole CLI run
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(accounts=accounts)
@example(accounts=[("a/b", "evil.example/.brightpearl.com"), ("acme", None)])
def test_tokens_stay_on_allowed_hosts_and_codes_in_one_segment(public_catalog, accounts):
    tokens = {code: f"acct-tok-prop-{i}-5e6f7a8b9c" for i, (code, _) in enumerate(accounts)}
    with FakeBrightpearl() as fake, Proxy() as proxy, tempfile.TemporaryDirectory() as where:
        fake.installs = [install(code, tokens[code]) for code, _ in accounts]
        fake.on("/account-location/", _locator(fake, dict(accounts)))
        config = public_config(fake.url, https_proxy=proxy.url.replace("http://", f"http://p:{PROXY_PASSWORD}@"))
        run = run_tap(config, Path(where), catalog=select(public_catalog, *STREAMS))
        assert any("installed-accounts" in t for _, t in proxy.seen), "the run must really use the proxy"
        assert _foreign(proxy, fake) == [], "a request went to a host outside the allowed ones"
        assert path_problems(fake.requests(), tokens) == []
    assert_no_leak(run, account_tokens=tokens.values(), secrets=[PROXY_PASSWORD])
