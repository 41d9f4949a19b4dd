"""Contract: installed-accounts and account-location, from Brightpearl's documented examples.

Brightpearl's reference page says installed-accounts is served by euw1 only ("not available in other
datacentres") and needs `brightpearl-dev-ref`, `brightpearl-app-ref` and `brightpearl-dev-token`.
Two replay servers stand for euw1 and use1; the app is configured with `data_center: use1`, as a
US developer would. The documented installs must arrive, asked of euw1 with all three headers,
and nothing developer-tools may be asked of use1.
"""

from __future__ import annotations

import json
import os
import subprocess

from tests.conftest import DEV_SECRET, DEV_TOKEN, SIGNED
from tests.contract.harness import TAP
from tests.contract.replay import ReplayServer, Reply, body_file, route

JSON = (("Content-Type", "application/json;charset=UTF-8"),)
DEV, APP = "acmewidgets", "autoship"  # the page's own example references
INSTALLS = rf"/developer-tools/{DEV}/installed-accounts/{APP}"


def _timezone() -> Reply:  # from the help article's example (no recording exists)
    return Reply(
        200, JSON, json.dumps({"response": {"canonicalId": "Europe/London", "currentUtcOffset": "+00:00"}}).encode()
    )


def _records(stdout: str, stream: str) -> list[dict]:
    messages = [json.loads(line) for line in stdout.splitlines() if line.startswith('{"type"')]
    return [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == stream]


def _run(tmp_path, euw1: ReplayServer, use1: ReplayServer):
    config = {
        "developer_reference": DEV,
        "developer_token": DEV_TOKEN,
        "developer_secret": DEV_SECRET,
        "app_reference": APP,
        "data_center": "use1",
        "datacenter_urls": {"euw1": euw1.base_url, "use1": use1.base_url},
        "max_retries": 0,
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    env = {**os.environ, "TAP_BRIGHTPEARL_LOGLEVEL": "DEBUG"}
    return subprocess.run(
        [TAP, "--config", str(tmp_path / "config.json")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
        check=False,
    )


def test_installed_accounts_is_asked_of_euw1_with_all_three_headers(recordings, tmp_path):
    euw1 = ReplayServer(
        [
            route("GET", INSTALLS, body_file(recordings, "docs/installed_accounts.body.json")),
            route(
                "GET",
                rf"/developer-tools/{DEV}/account-location/[^/]+",
                body_file(recordings, "docs/account_location_get.body.json"),
            ),
            route("GET", rf"/developer-tools/{DEV}/account-timezone/[^/]+", _timezone()),
        ]
    )
    use1 = ReplayServer()
    with euw1, use1:
        proc = _run(tmp_path, euw1, use1)
        asked = euw1.requests_to(INSTALLS)
        elsewhere = [r.path for r in use1.requests]
    assert proc.returncode == 0, proc.stderr[-3000:]
    installs = _records(proc.stdout, "installed_accounts")
    documented = json.loads((recordings / "docs/installed_accounts.body.json").read_text())["response"]
    assert sorted(i["accountCode"] for i in installs) == sorted(d["accountCode"] for d in documented)
    assert len(asked) == 1, "installed-accounts asked of euw1, once"
    headers = asked[0].headers
    assert headers.get("brightpearl-dev-ref") == DEV and headers.get("brightpearl-app-ref") == APP
    assert headers.get("brightpearl-dev-token") == SIGNED
    assert not elsewhere, f"nothing asked of use1 (the documented location is euw1): {elsewhere}"
    timezones = _records(proc.stdout, "account_timezones")
    assert {t["accountCode"]: t["dataCenter"] for t in timezones} == {d["accountCode"]: "euw1" for d in documented}
    for secret in (DEV_TOKEN, DEV_SECRET, SIGNED):
        assert secret not in proc.stderr
