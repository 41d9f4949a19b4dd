"""Which GETs go straight on urllib3 (`direct.DirectPools`) and which still go through requests.

A host any proxy applies to (the https_proxy setting, whatever NO_PROXY says; HTTPS_PROXY /
HTTP_PROXY unless NO_PROXY exempts the host) must keep going through the session, which sends it
through the proxy; so must anything but a plain GET. The end-to-end proofs (a real proxy, TLS with
and without ca_bundle, redirects never followed) are in test_networking.py and test_request_rules.py.
"""

from __future__ import annotations

import types

import pytest
import requests
import urllib3
from requests.utils import DEFAULT_CA_BUNDLE_PATH

from tap_brightpearl.settings import DEFAULTS
from tap_brightpearl.throttle import Throttle
from tap_brightpearl.transport import Transport, make_session, prepared_get

URL = "https://ws-eu1.brightpearl.com/developer-tools/dev/account-timezone/acme"
PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)


def _transport(https_proxy: str = "", ca_bundle: str | None = None) -> Transport:
    settings = types.SimpleNamespace(**{**DEFAULTS, "https_proxy": https_proxy, "max_response_bytes": 1 << 20})
    session = make_session(settings, user_agent="test", ca_bundle=ca_bundle)  # type: ignore[arg-type]
    return Transport(session, Throttle(), settings)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_an_unproxied_get_goes_straight_on_a_verifying_pool() -> None:
    transport = _transport()
    assert transport.direct is not None
    pool = transport.direct.pool_for(prepared_get(URL, None, {}))
    assert isinstance(pool, urllib3.HTTPSConnectionPool)
    assert (pool.host, pool.port, pool.cert_reqs, pool.ca_certs) == (
        "ws-eu1.brightpearl.com",
        443,
        "CERT_REQUIRED",
        DEFAULT_CA_BUNDLE_PATH,
    )
    assert pool.pool.maxsize == DEFAULTS["max_concurrency"]  # type: ignore[union-attr]
    assert transport.direct.pool_for(prepared_get(URL + "x", None, {})) is pool  # one pool per host


def test_the_ca_bundle_setting_is_the_pool_s_trust() -> None:
    bundle = __file__  # any existing file: the pool is only built here, never connected
    pool = _transport(ca_bundle=bundle).direct.pool_for(prepared_get(URL, None, {}))  # type: ignore[union-attr]
    assert pool is not None and pool.ca_certs == bundle and pool.cert_reqs == "CERT_REQUIRED"


def test_a_missing_ca_bundle_fails_as_requests_fails() -> None:
    transport = _transport(ca_bundle="/nonexistent/bundle.pem")
    with pytest.raises(OSError, match="invalid path"):
        transport.direct.pool_for(prepared_get(URL, None, {}))  # type: ignore[union-attr]


def test_the_https_proxy_setting_keeps_every_get_on_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "ws-eu1.brightpearl.com")  # the setting wins over NO_PROXY
    transport = _transport(https_proxy="http://proxy.example:3128")
    assert transport.direct.pool_for(prepared_get(URL, None, {})) is None  # type: ignore[union-attr]


def test_an_environment_proxy_keeps_gets_on_the_session_unless_no_proxy_exempts_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert _transport().direct.pool_for(prepared_get(URL, None, {})) is None  # type: ignore[union-attr]
    monkeypatch.setenv("NO_PROXY", "brightpearl.com")
    assert _transport().direct.pool_for(prepared_get(URL, None, {})) is not None  # type: ignore[union-attr]


def test_posts_hooks_and_credentials_in_the_url_stay_on_the_session() -> None:
    direct = _transport().direct
    assert direct is not None
    assert direct.pool_for(requests.Request("POST", URL, data={"a": "b"}).prepare()) is None
    hooked = prepared_get(URL, None, {})
    hooked.hooks["response"].append(lambda r, **_: r)
    assert direct.pool_for(hooked) is None
    assert direct.pool_for(prepared_get("https://user:pw@example.com/x", None, {})) is None
