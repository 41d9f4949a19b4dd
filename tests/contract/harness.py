"""Running the real tap CLI against the replay server, and reading what it printed.

Every contract test runs `tap-brightpearl` as a user would (a subprocess, private-app
mode, one account) so that the whole path from HTTP bytes to Singer messages is covered.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import catalog_selecting
from tests.contract.replay import Logged, ReplayServer, Reply, Route, body_file, recorded, route

TAP = str(Path(sys.executable).with_name("tap-brightpearl"))
ACCOUNT = "barulu"
# Distinctive and made up, so a leak into any output is unmistakable.
ACCOUNT_TOKEN = "acct-tok-Vq7Wm2Lp9Xr4Kd8Zs3NbHy6Tf"
ACC = f"/public-api/{ACCOUNT}"

# Paths the tap reads in private-app mode (regexes matched against the whole path).
ORDER_SEARCH = rf"{ACC}/order-service/order-search/?"
ORDER_DETAIL = rf"{ACC}/order-service/order/([^/]+)"
PRODUCT_SEARCH = rf"{ACC}/product-service/product-search/?"
PRODUCT_DETAIL = rf"{ACC}/product-service/product/([^/]+)"
CONTACT_SEARCH = rf"{ACC}/contact-service/contact-search/?"
CONTACT_DETAIL = rf"{ACC}/contact-service/contact/([^/]+)"
WAREHOUSES = rf"{ACC}/warehouse-service/warehouse/?"
CONFIGURATION = rf"{ACC}/integration-service/account-configuration/?"

# The streams the recordings answer for; a run selects these unless told otherwise.
RECORDED_STREAMS = ("orders", "products", "contacts", "warehouses", "account_configuration")

PATHS = {
    "order_search": ORDER_SEARCH,
    "order_detail": ORDER_DETAIL,
    "product_search": PRODUCT_SEARCH,
    "product_detail": PRODUCT_DETAIL,
    "contact_search": CONTACT_SEARCH,
    "contact_detail": CONTACT_DETAIL,
    "warehouses": WAREHOUSES,
    "configuration": CONFIGURATION,
}


def default_replies(root: Path) -> dict[str, Reply]:
    """A recorded answer for every request a private-app run makes (searches are the recorded ones)."""
    return {
        "order_search": recorded(root, "vcr/order_search.json"),
        "order_detail": recorded(root, "vcr/order_get_one.json"),
        "product_search": recorded(root, "vcr/product_search.json"),
        "product_detail": recorded(root, "vcr/product_get_one.json"),
        "contact_search": recorded(root, "vcr/customer/search/simple_search.json"),
        "contact_detail": recorded(root, "vcr/customer/get/simple_get.json"),
        "warehouses": body_file(root, "docs/warehouse_get.body.json"),
        "configuration": body_file(root, "docs/account_configuration_get.body.json"),
    }


def standard_routes(root: Path, *first: Route, **overrides: Reply | list[Reply]) -> list[Route]:
    """Routes for a whole run: `first` (tried before all others), then each path's reply or replies.

    A keyword (`order_detail=...`) replaces that path's default; a list is served in turn, and
    an empty list removes the path's route (so such requests count as unmatched).
    """
    replies: dict[str, Reply | list[Reply]] = {**default_replies(root), **overrides}
    unknown = set(overrides) - set(PATHS)
    if unknown:
        raise KeyError(f"unknown route names: {sorted(unknown)}")
    routes = list(first)
    for name, answer in replies.items():
        answers = answer if isinstance(answer, list) else [answer]
        if not answers:
            continue
        routes.append(route("GET", PATHS[name], *answers))
    return routes


def base_config(base_url: str, **extra: Any) -> dict[str, Any]:
    """Private-app settings pointing datacentre use1 at the replay server."""
    return {
        "app_reference": "barulu_app",
        "account_code": ACCOUNT,
        "account_token": ACCOUNT_TOKEN,
        "data_center": "use1",
        "datacenter_urls": {"use1": base_url},
        "max_retries": 0,
        "retry_backoff_seconds": 0.01,
        "request_timeout": 10,
        **extra,
    }


@dataclass
class Run:
    """One tap process: exit status, output, Singer messages and what the server was asked."""

    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, Any]]
    requests: list[Logged] = field(repr=False)
    unmatched: list[Logged]

    def records(self, stream: str) -> list[dict[str, Any]]:
        """RECORD payloads of `stream`, in order."""
        return [m["record"] for m in self.messages if m.get("type") == "RECORD" and m.get("stream") == stream]

    def requests_to(self, path_regex: str, method: str = "GET") -> list[Logged]:
        """Logged requests whose path fully matches `path_regex`."""
        return [r for r in self.requests if r.method == method and re.fullmatch(path_regex, r.path)]

    @property
    def final_state(self) -> dict[str, Any]:
        """The last STATE message's value ({} when there was none)."""
        states = [m["value"] for m in self.messages if m.get("type") == "STATE"]
        return states[-1] if states else {}

    def bookmark(self, stream: str, account: str = ACCOUNT) -> Any:
        """The final replication_key_value of `account`'s partition of `stream`, or None."""
        partitions = self.final_state.get("bookmarks", {}).get(stream, {}).get("partitions", [])
        for partition in partitions:
            if partition.get("context", {}).get("accountCode") == account:
                return partition.get("replication_key_value")
        return None

    def describe(self) -> str:
        """The end of stderr, for assertion messages."""
        return f"exit {self.returncode}; stderr tail:\n{self.stderr[-3000:]}"


def run_tap(
    routes: list[Route],
    workdir: Path,
    *,
    state: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    args: tuple[str, ...] = (),
    timeout: float = 120,
    streams: tuple[str, ...] | None = RECORDED_STREAMS,
) -> Run:
    """Serve `routes`, run the CLI once against them, and return what happened.

    `config` adds or replaces settings of the base config; `streams` are selected with a
    catalog (None: no catalog, the tap's default selection).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    with ReplayServer(routes) as server:
        settings = {**base_config(server.base_url), **(config or {})}
        (workdir / "config.json").write_text(json.dumps(settings))
        cmd = [TAP, "--config", str(workdir / "config.json"), *args]
        if streams is not None and "--discover" not in args:
            catalog = catalog_selecting(settings, streams)
            (workdir / "catalog.json").write_text(json.dumps(catalog))
            cmd += ["--catalog", str(workdir / "catalog.json")]
        if state is not None:
            (workdir / "state.json").write_text(json.dumps(state))
            cmd += ["--state", str(workdir / "state.json")]
        env = {**os.environ, "TAP_BRIGHTPEARL_LOGLEVEL": "DEBUG"}
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=workdir, env=env, check=False)
        requests_seen, unmatched = list(server.requests), list(server.unmatched)
    messages = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith('{"type"')]
    return Run(proc.returncode, proc.stdout, proc.stderr, messages, requests_seen, unmatched)


def assert_no_leak(run: Run) -> None:
    """The account token never appears in what the tap printed."""
    assert ACCOUNT_TOKEN not in run.stdout, "the account token leaked into stdout"
    assert ACCOUNT_TOKEN not in run.stderr, "the account token leaked into stderr"


def assert_clean(run: Run, *, unmatched_expected: bool = False) -> None:
    """No token leak, no Python traceback, and (unless expected) nothing asked that no route answers."""
    assert_no_leak(run)
    at = run.stderr.find("Traceback")
    assert at < 0, f"the tap printed a Python traceback (DEBUG logging counts too):\n{run.stderr[at - 300 : at + 1500]}"
    if not unmatched_expected:
        asked = [(r.method, r.path, r.query) for r in run.unmatched]
        assert not asked, f"the tap made requests no recording answers: {asked}"


def expand_id_set(text: str) -> set[int]:
    """Brightpearl's ID set ("1-3,7") as the ids it names."""
    ids: set[int] = set()
    for part in filter(None, text.split(",")):
        low, _, high = part.partition("-")
        ids.update(range(int(low), int(high or low) + 1))
    return ids
