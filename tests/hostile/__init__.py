"""Hostile-input suite helpers: run the real CLI at DEBUG, and hunt for credentials in every form.

A credential can leak without appearing verbatim: as the repr of bytes (`b'tok\\n'`), JSON- or
backslash-escaped, percent-encoded, or base64 of its raw bytes. `assert_no_leak` looks for all of
those, in the output as printed and in the output percent-decoded and backslash-unescaped.
"""

from __future__ import annotations

import base64
import codecs
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote

import pytest

from tests.conftest import DEV_SECRET, DEV_TOKEN, SIGNED, TAP, TapRun
from tests.emulator import sign

DEBUG = {"TAP_BRIGHTPEARL_LOGLEVEL": "DEBUG"}
NO_ENV_PROXY = {k: "" for k in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")}
NO_ENV_PROXY |= {"NO_PROXY": "", "no_proxy": ""}
FAST = {"max_retries": 0, "retry_backoff_seconds": 0.05, "request_timeout": 10}
HANG_GUARD = 60  # seconds; a fixed tap needs a few, a hanging one would need many minutes
DEVELOPER = (DEV_TOKEN, DEV_SECRET, SIGNED)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[nrt0\\'\"])")
_MIN_FORM = 6  # shorter forms would match ordinary words
AS_LIMIT = 2 << 30  # address-space ceiling for runs that today's tap could let grow without bound
# Caps the address space, then becomes the tap (same pid, so wait4 still measures the tap itself).
AS_SHIM = (
    "import os,resource,sys;n=int(sys.argv[1]);"
    "resource.setrlimit(resource.RLIMIT_AS,(n,n));os.execv(sys.argv[2],sys.argv[2:])"
)


def public_config(url: str, **overrides: Any) -> dict[str, Any]:
    """A public-app config whose every datacentre is the test's server."""
    config = {
        "developer_reference": "devref",
        "developer_token": DEV_TOKEN,
        "developer_secret": DEV_SECRET,
        "app_reference": "devref_app",
        "data_center": "euw1",
        "datacenter_urls": {"euw1": url},
        **FAST,
    }
    config.update(overrides)
    return config


def private_config(url: str, token: str = "private-tok-0123456789", **overrides: Any) -> dict[str, Any]:
    """A private-app (system app) config reading `acme` from the test's server."""
    config = {
        "app_reference": "devref_app",
        "account_code": "acme",
        "account_token": token,
        "data_center": "euw1",
        "datacenter_urls": {"euw1": url},
        **FAST,
    }
    config.update(overrides)
    return config


def install(code: str, token: str, installed_on: str = "2024-03-01T10:00:00.000Z", enabled: bool = True) -> dict:
    """One installed-accounts entry as Brightpearl lists it."""
    return {"accountCode": code, "installedOn": installed_on, "unsignedAccountToken": token, "enabled": enabled}


def run_tap(
    config: dict[str, Any] | None,
    where: Path,
    *,
    config_text: str | None = None,
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = HANG_GUARD,
    capped: bool = False,
) -> TapRun:
    """The installed CLI at DEBUG, in `where`; a run that outlives `timeout` is a failed test, not a hang.
    `capped` runs it under AS_LIMIT, for inputs that could make today's tap allocate without bound."""
    where.mkdir(parents=True, exist_ok=True)
    config_path = where / "config.json"
    config_path.write_text(config_text if config_text is not None else json.dumps(config))
    cmd = [TAP, "--config", str(config_path), *args]
    if capped:
        cmd = [sys.executable, "-c", AS_SHIM, str(AS_LIMIT), *cmd]
    if state is not None:
        (where / "state.json").write_text(json.dumps(state))
        cmd += ["--state", str(where / "state.json")]
    if catalog is not None:
        (where / "catalog.json").write_text(json.dumps(catalog))
        cmd += ["--catalog", str(where / "catalog.json")]
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=where,
            env={**os.environ, **NO_ENV_PROXY, **DEBUG, "MALLOC_ARENA_MAX": "2", **(env or {})},
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the tap was still running after {timeout} s (hang)")
    return parse_run(proc.returncode, proc.stdout, proc.stderr)


def parse_run(returncode: int, stdout: str, stderr: str) -> TapRun:
    """Singer messages from complete stdout lines."""
    messages = [json.loads(line) for line in stdout.splitlines() if line.startswith('{"type"')]
    return TapRun(returncode, stdout, stderr, messages)


def forms(secret: str) -> set[str]:
    """Every spelling of `secret` that must never be printed."""
    raw = secret.encode("utf-8")
    found = {
        secret,
        repr(secret)[1:-1],
        repr(raw)[2:-1],
        json.dumps(secret)[1:-1],
        secret.encode("unicode_escape").decode("ascii"),
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(raw).decode("ascii"),
        _CONTROL.sub("", secret),  # the visible part of a value with a control character in it
    }
    return {f for f in found if len(f) >= _MIN_FORM}


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        try:
            return codecs.decode(match.group(0), "unicode_escape")
        except UnicodeDecodeError:
            return match.group(0)

    return _ESCAPE.sub(one, text)


def _views(text: str) -> list[str]:
    """The text as printed, percent-decoded, and backslash-unescaped."""
    return [text, unquote(text), _unescape(text), _unescape(unquote(text))]


def _stdout_views(run: TapRun) -> tuple[str, str]:
    """(stdout without installed_accounts RECORD lines, those lines): the only place account tokens are data."""
    inside, outside = [], []
    for line in run.stdout.splitlines():
        record = line.startswith('{"type"') and '"stream":"installed_accounts"' in line.replace(" ", "")
        (inside if record and '"RECORD"' in line else outside).append(line)
    return "\n".join(outside), "\n".join(inside)


def signed_account_tokens(unsigned: Iterable[str]) -> list[str]:
    """Each unsigned account token and its signature with the test developer secret."""
    out: list[str] = []
    for token in unsigned:
        out += [token, sign(token, DEV_SECRET)]
    return out


def assert_no_leak(run: TapRun, *, account_tokens: Iterable[str] = (), secrets: Iterable[str] = ()) -> None:
    """No developer credential, signed token, account token (unsigned or signed), private-app token or
    other `secrets` in stderr or stdout, in any form. Unsigned account tokens may appear only as data
    in installed_accounts records."""
    outside, records = _stdout_views(run)
    account = signed_account_tokens(account_tokens)
    always = [*DEVELOPER, *secrets, *account[1::2]]
    checks = [("stderr", run.stderr, [*always, *account[0::2]]), ("stdout", outside, [*always, *account[0::2]])]
    checks.append(("installed_accounts records", records, always))
    for name, text, values in checks:
        views = _views(text)
        for value in values:
            for form in forms(value):
                for view in views:
                    assert form not in view, f"a credential leaked into {name} (form {form[:3]!r}...)"


def lines(run: TapRun) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.strip()]


def last_line(run: TapRun) -> str:
    found = lines(run)
    return found[-1] if found else ""


def error_lines(run: TapRun) -> list[str]:
    return [line for line in lines(run) if "ERROR" in line]


def assert_no_traceback(run: TapRun) -> None:
    assert "Traceback" not in run.stderr, "a crash: " + run.stderr[-1500:]


def assert_last_error(run: TapRun, *words: str) -> str:
    """The last stderr line is an ERROR holding each of `words` (case-insensitive), exit 1, no traceback."""
    last = last_line(run)
    assert "ERROR" in last, f"the last stderr line is not an ERROR: {last!r}\n{run.stderr[-1500:]}"
    for word in words:
        assert word.lower() in last.lower(), f"the last ERROR line does not name {word!r}: {last!r}"
    assert run.returncode == 1, f"exit status {run.returncode}, expected 1"
    assert_no_traceback(run)
    return last


def select(catalog: dict[str, Any], *streams: str) -> dict[str, Any]:
    """A copy of `catalog` with exactly `streams` selected."""
    copy = json.loads(json.dumps(catalog))
    for entry in copy["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return copy


# Account routes the tap may call: (service, resource) after /public-api/{accountCode}/, and those
# that take one more segment (an ID set).
ACCOUNT_ROUTES = {
    ("integration-service", "account-configuration"),
    ("warehouse-service", "warehouse"),
    ("order-service", "order-search"),
    ("product-service", "product-search"),
    ("contact-service", "contact-search"),
}
DETAIL_ROUTES = {("order-service", "order"), ("product-service", "product"), ("contact-service", "contact")}
DEVELOPER_ACTIONS = ("installed-accounts", "account-timezone", "account-location")


def path_problems(seen: Iterable[Any], codes: Iterable[str], *, app_reference: str = "devref_app") -> list[str]:
    """Requests (servers.Seen) that are not one of the tap's known routes with each account code as exactly
    one path segment. '.' and '..' are never valid codes; the developer token goes only to installed-accounts
    and account-timezone; account-location and account APIs get no developer token."""
    allowed = {c for c in codes if c not in (".", "..")}
    problems = []
    for request in seen:
        segs = request.segments
        dev_token = "brightpearl-dev-token" in request.headers
        ok = "#" not in request.target
        if segs[:1] == ["developer-tools"]:
            ok = ok and len(segs) == 4 and segs[1] == "devref" and segs[2] in DEVELOPER_ACTIONS and not request.query
            if ok and segs[2] == "installed-accounts":
                ok = segs[3] == app_reference and dev_token
            elif ok:
                ok = unquote(segs[3]) in allowed and dev_token == (segs[2] == "account-timezone")
        elif segs[:1] == ["public-api"] and len(segs) in (4, 5):
            route = (segs[2], segs[3])
            ok = ok and unquote(segs[1]) in allowed and not dev_token
            ok = ok and (route in ACCOUNT_ROUTES if len(segs) == 4 else route in DETAIL_ROUTES)
        else:
            ok = False
        if not ok:
            problems.append(f"{request.method} {request.target!r} (developer token: {dev_token})")
    return problems
