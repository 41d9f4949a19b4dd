"""Company-network settings, for real: `ca_bundle` against a TLS emulator with a private CA,
and `https_proxy` through a real proxy process.

What a user notices: with the bundle the run works, without it the run stops at once with
a certificate error (no retry loop); with a proxy set, every request goes through it, even
when NO_PROXY would exempt the host.
"""

from __future__ import annotations

import importlib.util
import json
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import trustme

from tests.conftest import DEV_SECRET, DEV_TOKEN
from tests.emulator import Emulator
from tests.support.proxy import Proxy

FAST_SECONDS = 15  # a refused certificate must not sit through retries (5 retries = 30+ s)
NO_ENV_PROXY = {
    "HTTPS_PROXY": "",
    "https_proxy": "",
    "HTTP_PROXY": "",
    "http_proxy": "",
    "ALL_PROXY": "",
    "all_proxy": "",
    "NO_PROXY": "",
    "no_proxy": "",
}


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A private certificate authority, like a company's TLS-inspecting proxy has."""
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_bundle(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CA as a PEM file, what a user points `ca_bundle` at."""
    path = tmp_path_factory.mktemp("tls") / "company-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def _emulator(ssl_context: ssl.SSLContext | None = None) -> Emulator:
    emu = Emulator(n_accounts=8, seed=3, developer_token=DEV_TOKEN, developer_secret=DEV_SECRET)
    emu.ssl_context = ssl_context  # type: ignore[attr-defined]  # read by the emulator's servers
    return emu


@pytest.fixture
def tls_emu(ca: trustme.CA) -> Iterator[Emulator]:
    """The emulator served over HTTPS with a certificate for 127.0.0.1 signed by the private CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with _emulator(context) as emu:
        assert all(url.startswith("https://") for url in emu.base_urls.values())
        yield emu


@pytest.fixture
def http_emu() -> Iterator[Emulator]:
    """The plain-http emulator (loopback only, as the tap allows)."""
    with _emulator() as emu:
        yield emu


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    """A real forwarding/CONNECT proxy on a loopback port."""
    with Proxy() as running:
        yield running


def _hostports(emu: Emulator) -> set[str]:
    """host:port of every datacentre the tap actually called (from the emulator's log)."""
    used = {entry.datacentre for entry in emu.requests}
    return {urlsplit(emu.base_urls[dc]).netloc for dc in used}


def test_tls_with_ca_bundle_loads_every_account(tap: Any, tls_emu: Emulator, ca_bundle: Path) -> None:
    run = tap(tls_emu.tap_config(ca_bundle=str(ca_bundle)), env=NO_ENV_PROXY)
    assert run.returncode == 0, run.stderr[-3000:]
    codes = {a.accountCode for a in tls_emu.accounts}
    assert {r["accountCode"] for r in run.records("installed_accounts")} == codes
    assert {r["accountCode"] for r in run.records("account_timezones")} == codes
    assert {e.auth for e in tls_emu.requests if "installed-accounts" in e.path} == {"verified"}
    run.assert_no_secrets()


def test_tls_without_ca_bundle_is_refused_at_once(tap: Any, tls_emu: Emulator) -> None:
    started = time.monotonic()
    run = tap(tls_emu.tap_config(), env=NO_ENV_PROXY)
    elapsed = time.monotonic() - started
    assert run.returncode != 0
    assert elapsed < FAST_SECONDS, f"took {elapsed:.1f} s: a certificate error must not be retried"
    assert "SSLError" in run.stderr or "CERTIFICATE_VERIFY_FAILED" in run.stderr
    assert "Retrying" not in run.stderr
    assert not run.records("installed_accounts")
    assert tls_emu.requests == []  # refused in the handshake: no request was ever read
    run.assert_no_secrets()


def test_setup_check_without_ca_bundle_names_the_setting(tap: Any, tls_emu: Emulator) -> None:
    run = tap(tls_emu.tap_config(), args=("--test",), env=NO_ENV_PROXY)
    assert run.returncode == 1
    assert "ca_bundle" in run.stderr
    assert "Traceback" not in run.stderr
    run.assert_no_secrets()


def test_https_proxy_tunnels_every_tls_request(tap: Any, tls_emu: Emulator, ca_bundle: Path, proxy: Proxy) -> None:
    # NO_PROXY exempts loopback here: the explicit setting must win anyway.
    env = {**NO_ENV_PROXY, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    run = tap(tls_emu.tap_config(ca_bundle=str(ca_bundle), https_proxy=proxy.url), env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(run.records("account_timezones")) == len(tls_emu.accounts)
    methods = {method for method, _ in proxy.seen}
    assert methods == {"CONNECT"}
    assert {target for _, target in proxy.seen} == _hostports(tls_emu)
    assert len(_hostports(tls_emu)) >= 2  # several datacentres, each tunnelled
    run.assert_no_secrets()


def test_https_proxy_forwards_plain_http_requests(tap: Any, http_emu: Emulator, proxy: Proxy) -> None:
    run = tap(http_emu.tap_config(https_proxy=proxy.url), env=NO_ENV_PROXY)
    assert run.returncode == 0, run.stderr[-3000:]
    forwarded = [target for method, target in proxy.seen if method == "GET"]
    # Every request the emulator received came through the proxy, and nothing else did.
    assert len(forwarded) == len(http_emu.requests) == len(proxy.seen)
    origin_form = sorted(urlsplit(t)._replace(scheme="", netloc="").geturl() for t in forwarded)
    assert origin_form == sorted(e.path for e in http_emu.requests)
    assert any("/installed-accounts/" in t for t in forwarded)
    run.assert_no_secrets()


def test_https_proxy_environment_variable_is_honoured_without_the_setting(
    tap: Any, tls_emu: Emulator, ca_bundle: Path, proxy: Proxy
) -> None:
    env = {**NO_ENV_PROXY, "HTTPS_PROXY": proxy.url, "https_proxy": proxy.url}
    run = tap(tls_emu.tap_config(ca_bundle=str(ca_bundle)), env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert {target for _, target in proxy.seen} == _hostports(tls_emu)


def test_unreachable_proxy_fails_fast_naming_https_proxy(tap: Any, http_emu: Emulator) -> None:
    dead = "http://127.0.0.1:9"  # discard port: nothing listens
    started = time.monotonic()
    run = tap(http_emu.tap_config(https_proxy=dead), args=("--test",), env=NO_ENV_PROXY)
    assert run.returncode == 1
    assert time.monotonic() - started < FAST_SECONDS
    assert "https_proxy" in run.stderr
    assert http_emu.requests == []
    run.assert_no_secrets()


def test_a_dead_proxy_costs_one_request_its_retries_and_fails_every_other_stream_at_once(
    tap: Any, http_emu: Emulator
) -> None:
    """Every stream of a private app fails, each naming https_proxy, after the first request's retries only."""
    from tests.emulator.app_configs import private_app_config

    streams = ("orders", "products", "contacts", "warehouses", "account_configuration")
    config = {**private_app_config(http_emu), "https_proxy": "http://127.0.0.1:9", "max_retries": 2}
    config["retry_backoff_seconds"] = 0.1
    run = tap(config, streams=streams, env=NO_ENV_PROXY)
    assert run.returncode == 1, run.stderr[-2000:]
    retries = [line for line in run.stderr.splitlines() if "Retrying" in line]
    assert len(retries) == 2, "only the first request through the dead proxy is retried:\n" + "\n".join(retries)
    summary = json.loads(next(x for x in run.stderr.splitlines() if "BRIGHTPEARL_RUN_SUMMARY" in x))
    assert sorted(summary["failed_streams"]) == sorted(streams)
    for name in streams:
        assert "https_proxy" in summary["streams"][name]["error"], summary["streams"][name]
    assert http_emu.requests == []
    run.assert_no_secrets(config["account_token"])


class _AsksForCredentials(socketserver.BaseRequestHandler):
    """A proxy that answers every request 407 (it wants a user and password the config lacks)."""

    def handle(self) -> None:
        self.request.recv(65536)
        self.request.sendall(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=x\r\n"
            b"Content-Length: 0\r\nConnection: close\r\n\r\n"
        )


def test_a_proxy_asking_for_credentials_is_named_not_blamed_on_brightpearl(tap: Any, http_emu: Emulator) -> None:
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _AsksForCredentials) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        proxy = f"http://127.0.0.1:{server.server_address[1]}"
        run = tap(http_emu.tap_config(https_proxy=proxy), env=NO_ENV_PROXY)
        server.shutdown()
    assert run.returncode == 1, run.stderr[-2000:]
    assert "the proxy asked for credentials" in run.stderr and "https_proxy" in run.stderr
    assert "Brightpearl rejected" not in run.stderr
    run.assert_no_secrets()


@pytest.mark.skipif(importlib.util.find_spec("socks") is not None, reason="PySocks is installed: SOCKS proxies work")
def test_a_socks_proxy_without_pysocks_fails_in_one_line_naming_what_to_install(tap: Any, http_emu: Emulator) -> None:
    """The https_proxy setting: refused at start-up. ALL_PROXY: the first request fails, naming its path."""
    run = tap(http_emu.tap_config(https_proxy="socks5://127.0.0.1:9"), env=NO_ENV_PROXY)
    last = run.stderr.strip().splitlines()[-1]
    assert run.returncode == 1 and "https_proxy" in last and "PySocks" in last, run.stderr[-2000:]
    assert http_emu.requests == []
    socks = "socks5://127.0.0.1:9"  # both spellings: an empty all_proxy unsets ALL_PROXY (urllib)
    run = tap(http_emu.tap_config(), env={**NO_ENV_PROXY, "ALL_PROXY": socks, "all_proxy": socks})
    last = run.stderr.strip().splitlines()[-1]
    assert run.returncode == 1 and "ALL_PROXY" in last and "PySocks" in last, run.stderr[-2000:]
    assert "/developer-tools/devref/installed-accounts/" in last  # the path, not "GET ?"
    assert "Traceback" not in run.stderr
    run.assert_no_secrets()
