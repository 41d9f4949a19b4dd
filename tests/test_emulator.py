"""The emulator is the tap's test bed, so its own behaviour is pinned down here over real HTTP."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.emulator import Emulator, make_accounts, sign

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(n_accounts=30, seed=11) as e:
        yield e


def dev_headers(e: Emulator) -> dict[str, str]:
    """The three headers the installed-accounts reference page requires."""
    return {
        "brightpearl-dev-ref": e.developer_reference,
        "brightpearl-app-ref": e.app_reference,
        "brightpearl-dev-token": sign(e.developer_token, e.developer_secret),
    }


def installed_url(e: Emulator, dc: str = "euw1") -> str:
    base = f"{e.base_urls[dc]}/developer-tools/{e.developer_reference}"
    return f"{base}/installed-accounts/{e.app_reference}"


def tz_url(e: Emulator, dc: str, code: str) -> str:
    return f"{e.base_urls[dc]}/developer-tools/{e.developer_reference}/account-timezone/{code}"


def loc_url(e: Emulator, dc: str, code: str) -> str:
    return f"{e.base_urls[dc]}/developer-tools/{e.developer_reference}/account-location/{code}"


def test_sign_vector() -> None:
    assert (
        sign(
            "MlcTe8zimMPgYf/batW+ckJEAj467bbapA0cQBx6WwM=",
            "irhkVURWuLDYZwziDKhCsSGYrczWtfL7Pz5oX2GRDXo=",
        )
        == "llWnSJurpSUUTLNOtVd8Ik/ox6+4OVY/TdLSvE1+VWg="
    )


def test_make_accounts_deterministic_and_varied() -> None:
    a = make_accounts(300, seed=3)
    assert a == make_accounts(300, seed=3)
    assert a != make_accounts(300, seed=4)
    assert len({x.accountCode for x in a}) == 300
    assert all(x.accountCode == x.accountCode.lower() for x in a)
    stamps = [x.installedOn for x in a]
    assert stamps == sorted(stamps) and len(set(stamps)) < len(stamps)  # ordered, with ties
    assert {x.datacentre for x in a} == {"euw1", "use1", "usw1"}
    assert 0.35 < sum(x.datacentre == "euw1" for x in a) / 300 < 0.65
    assert {"+05:45", "-03:30"} <= {x.currentUtcOffset for x in a}
    assert 0 < sum(not x.enabled for x in a) < 60
    assert stamps[0].endswith("Z") and len(stamps[0]) == len("2020-01-01T00:00:00.000Z")


def test_installed_accounts_ok_and_shuffled(emu: Emulator) -> None:
    s = requests.Session()
    r = s.get(installed_url(emu), headers=dev_headers(emu))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert r.headers["Ruid"] and "brightpearl-requests-remaining" in r.headers
    rows = r.json()["response"]
    assert {tuple(sorted(row)) for row in rows} == {("accountCode", "enabled", "installedOn", "unsignedAccountToken")}
    codes = [row["accountCode"] for row in rows]
    assert sorted(codes) == sorted(a.accountCode for a in emu.accounts)
    assert codes != [a.accountCode for a in emu.accounts]  # not in installedOn order
    r2 = s.get(installed_url(emu), headers=dev_headers(emu))
    assert r2.headers["Ruid"] != r.headers["Ruid"]
    assert emu.requests[-1].auth == "verified"


def test_installed_accounts_bad_or_missing_token(emu: Emulator) -> None:
    bad = {**dev_headers(emu), "brightpearl-dev-token": sign(emu.developer_token, "wrong")}
    r = requests.get(installed_url(emu), headers=bad)
    assert r.status_code == 401
    assert r.json() == {"response": "Not authenticated. Please check your developer token."}
    assert emu.developer_secret not in r.text and emu.developer_token not in r.text
    assert requests.get(installed_url(emu)).status_code == 401
    assert [e.auth for e in emu.requests] == ["bad", "none"]
    url = installed_url(emu).replace(emu.app_reference, "other_app")
    r = requests.get(url, headers={**dev_headers(emu), "brightpearl-app-ref": "other_app"})
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "CMNC-404"


def test_installed_accounts_only_on_euw1_with_all_three_headers(emu: Emulator) -> None:
    # The reference page: euw1 only, and brightpearl-dev-ref, brightpearl-app-ref and
    # brightpearl-dev-token all required.
    for dc in ("use1", "usw1"):
        r = requests.get(installed_url(emu, dc), headers=dev_headers(emu))
        assert r.status_code == 404 and r.json()["errors"][0]["code"] == "CMNC-404", dc
    for missing in ("brightpearl-app-ref", "brightpearl-dev-ref"):
        headers = {k: v for k, v in dev_headers(emu).items() if k != missing}
        assert requests.get(installed_url(emu), headers=headers).status_code == 401, missing
    other_app = {**dev_headers(emu), "brightpearl-app-ref": "other_app"}  # not the app the path names
    assert requests.get(installed_url(emu), headers=other_app).status_code == 401
    assert requests.get(installed_url(emu), headers=dev_headers(emu)).status_code == 200


def test_timezone_only_on_own_datacentre(emu: Emulator) -> None:
    acct = next(a for a in emu.accounts if a.datacentre == "use1")
    ok = requests.get(tz_url(emu, "use1", acct.accountCode), headers=dev_headers(emu))
    assert ok.status_code == 200
    assert ok.json() == {"response": {"canonicalId": acct.canonicalId, "currentUtcOffset": acct.currentUtcOffset}}
    wrong = requests.get(tz_url(emu, "euw1", acct.accountCode), headers=dev_headers(emu))
    assert wrong.status_code == 404 and wrong.json()["errors"][0]["code"] == "CMNC-404"
    emu.move_account(acct.accountCode, "euw1")
    assert requests.get(tz_url(emu, "euw1", acct.accountCode), headers=dev_headers(emu)).ok
    emu.mark_gone(acct.accountCode)
    gone = requests.get(tz_url(emu, "euw1", acct.accountCode), headers=dev_headers(emu))
    assert gone.status_code == 404
    listed = requests.get(installed_url(emu), headers=dev_headers(emu)).json()["response"]
    assert acct.accountCode in {row["accountCode"] for row in listed}
    emu.remove_account(acct.accountCode)
    listed = requests.get(installed_url(emu), headers=dev_headers(emu)).json()["response"]
    assert acct.accountCode not in {row["accountCode"] for row in listed}
    unauth = requests.get(tz_url(emu, "euw1", emu.accounts[0].accountCode))
    assert unauth.status_code == 401


def test_account_location_master_only_no_auth(emu: Emulator) -> None:
    acct = next(a for a in emu.accounts if a.datacentre == "usw1")
    r = requests.get(loc_url(emu, "euw1", acct.accountCode))
    assert r.status_code == 200
    body = r.json()["response"]
    assert body["datacentreCode"] == "usw1"
    assert set(body["urls"]) == {"login", "authorizeServer", "authorizeInstance"}  # as documented
    assert emu.base_urls["usw1"].endswith(body["apiDomain"])
    assert emu.requests[-1].auth == "none"
    assert requests.get(loc_url(emu, "use1", acct.accountCode)).status_code == 404
    assert requests.get(loc_url(emu, "euw1", "nosuchaccount")).status_code == 404
    emu.account_location = False
    assert requests.get(loc_url(emu, "euw1", acct.accountCode)).status_code == 404


def test_unknown_path_404_with_headers(emu: Emulator) -> None:
    r = requests.get(emu.base_urls["euw1"] + "/nothing/here")
    assert r.status_code == 404
    assert r.json() == {"errors": [{"code": "CMNC-404", "message": "Resource not found"}]}
    assert r.headers["brightpearl-requests-remaining"] == "200"
    assert r.headers["brightpearl-next-throttle-period"] == "60000"


def test_throttle_rolling_window_and_recovery() -> None:
    with Emulator(n_accounts=5, throttle_quota=3, throttle_window=0.5) as e:
        s = requests.Session()
        url = installed_url(e)
        remaining = [s.get(url, headers=dev_headers(e)).headers for _ in range(3)]
        assert [h["brightpearl-requests-remaining"] for h in remaining] == ["2", "1", "0"]
        r = s.get(url)  # unauthenticated: still throttled first
        assert r.status_code == 503
        assert "too many requests" in r.json()["response"]
        assert r.headers["brightpearl-requests-remaining"] == "0"
        assert 0 < int(r.headers["brightpearl-next-throttle-period"]) <= 500
        assert e.throttled_count == 1
        # Another datacentre is another pool (which answers 404: installed-accounts lives on euw1).
        assert s.get(installed_url(e, "use1"), headers=dev_headers(e)).status_code == 404
        time.sleep(int(r.headers["brightpearl-next-throttle-period"]) / 1000 + 0.05)
        assert s.get(url, headers=dev_headers(e)).status_code == 200
        assert [x.status for x in e.requests].count(503) == 1


def test_fault_status_html_body_throttle(emu: Emulator) -> None:
    s = requests.Session()
    url = installed_url(emu)
    emu.add_fault("installed-accounts", "status", times=2, status=500, headers={"X-Fault": "1"})
    for _ in range(2):
        r = s.get(url, headers=dev_headers(emu))
        assert r.status_code == 500 and r.headers["X-Fault"] == "1" and r.headers["Ruid"]
        assert r.json()["errors"][0]["code"] == "CMNC-500"
    assert s.get(url, headers=dev_headers(emu)).status_code == 200
    emu.add_fault("installed-accounts", "status", status=502)
    r = s.get(url, headers=dev_headers(emu))
    assert r.status_code == 502 and r.content == b""
    emu.add_fault("installed-accounts", "html")
    r = s.get(url, headers=dev_headers(emu))
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    emu.add_fault("installed-accounts", "body", body=b'{"response": null}')
    assert s.get(url, headers=dev_headers(emu)).json() == {"response": None}
    emu.add_fault("installed-accounts", "throttle", delay=0.3)
    r = s.get(url, headers=dev_headers(emu))
    assert r.status_code == 503 and r.headers["brightpearl-next-throttle-period"] == "300"
    assert emu.throttled_count == 1
    emu.add_fault("installed-accounts", "status", datacentre="use1")
    assert s.get(url, headers=dev_headers(emu)).status_code == 200  # other datacentre
    assert s.get(installed_url(emu, "use1"), headers=dev_headers(emu)).status_code == 500  # the fault
    emu.clear_faults()
    assert s.get(installed_url(emu, "use1"), headers=dev_headers(emu)).status_code == 404


def test_fault_reset_truncated_stall(emu: Emulator) -> None:
    s = requests.Session()
    url = installed_url(emu)
    emu.add_fault("installed-accounts", "reset")
    with pytest.raises(requests.ConnectionError):
        s.get(url, headers=dev_headers(emu))
    assert emu.requests[-1].status == 0
    emu.add_fault("installed-accounts", "truncated")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        s.get(url, headers=dev_headers(emu))
    emu.add_fault("installed-accounts", "stall", delay=1.0)
    with pytest.raises(requests.Timeout):
        s.get(url, headers=dev_headers(emu), timeout=0.3)
    assert s.get(url, headers=dev_headers(emu), timeout=5).status_code == 200


def test_add_installs_strictly_later_and_deterministic() -> None:
    def run() -> list[str]:
        e = Emulator(n_accounts=10, seed=5)
        before = max(a.installedOn for a in e.accounts)
        new = e.add_installs(4) + e.add_installs(3)
        assert all(a.installedOn > before for a in new)
        assert len({a.accountCode for a in e.accounts}) == 17
        return [f"{a.accountCode}|{a.installedOn}|{a.unsignedAccountToken}" for a in new]

    assert run() == run()


def test_listing_cache_sees_direct_edits_and_installs(emu: Emulator) -> None:
    emu.accounts[0].enabled = not emu.accounts[0].enabled
    new = emu.add_installs(2)
    rows = requests.get(installed_url(emu), headers=dev_headers(emu)).json()["response"]
    by_code = {row["accountCode"]: row for row in rows}
    assert by_code[emu.accounts[0].accountCode]["enabled"] == emu.accounts[0].enabled
    assert {a.accountCode for a in new} <= set(by_code)


def test_request_log_and_keepalive(emu: Emulator) -> None:
    s = requests.Session()
    for _ in range(3):
        s.get(installed_url(emu) + "?x=1", headers={**dev_headers(emu), "X-Extra": "y"})
    assert len(emu.requests) == 3
    first = emu.requests[0]
    assert first.method == "GET" and first.datacentre == "euw1" and first.status == 200
    assert first.path.endswith("/installed-accounts/devref_app?x=1")
    assert first.headers["x-extra"] == "y" and first.auth == "verified"
    assert [x.time for x in emu.requests] == sorted(x.time for x in emu.requests)
    emu.clear_log()
    assert emu.requests == []


def test_large_listing_and_concurrency() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with Emulator(n_accounts=20_000, latency=0.1) as e:
        t0 = time.monotonic()
        with ThreadPoolExecutor(50) as pool:
            codes = [a.accountCode for a in e.accounts[:50]]
            results = list(pool.map(lambda c: requests.get(loc_url(e, "euw1", c), timeout=10).status_code, codes))
        assert results == [200] * 50
        assert time.monotonic() - t0 < 2.0  # latency overlaps across threads
        r = requests.get(installed_url(e), headers=dev_headers(e), timeout=10)
        assert len(r.json()["response"]) == 20_000


def test_cli_prints_config_and_exits_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "cfg.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--accounts", "7", "--config-out", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        urls, buf, config = {}, "", None
        deadline = time.monotonic() + 20
        while config is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, "emulator exited early"
            if not buf and not line.startswith("{"):
                code, url = line.split()
                urls[code] = url
                continue
            buf += line
            with contextlib.suppress(json.JSONDecodeError):
                config = json.loads(buf)
        assert config is not None and config["datacenter_urls"] == urls
        while not out.exists() and time.monotonic() < deadline:  # written once stdout is complete
            time.sleep(0.05)
        assert json.loads(out.read_text()) == config
        e_headers = {
            "brightpearl-dev-ref": config["developer_reference"],
            "brightpearl-app-ref": config["app_reference"],
            "brightpearl-dev-token": sign(config["developer_token"], config["developer_secret"]),
        }
        url = (
            f"{urls['euw1']}/developer-tools/{config['developer_reference']}"
            f"/installed-accounts/{config['app_reference']}"
        )
        assert len(requests.get(url, headers=e_headers, timeout=5).json()["response"]) == 7
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
