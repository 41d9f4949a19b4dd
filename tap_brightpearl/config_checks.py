"""The checks JSON Schema cannot make on settings; each message names its setting and never shows a secret."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import typing as t
from urllib.parse import urlsplit

from tap_brightpearl.oauth import STATE_KEY as OAUTH_STATE_KEY
from tap_brightpearl.runtime import DATACENTRES_KEY
from tap_brightpearl.settings import DEFAULTS, EARLIEST_START, REFERENCE_SETTINGS, SECRET_SETTINGS, parse_start
from tap_brightpearl.token_store import SCHEMES, scheme_of
from tap_brightpearl.transport import SOCKS_NEEDS

#: keys of state["bookmarks"] the tap writes for itself: a stream by that name would share (and lose) them
RESERVED_STATE_KEYS = {
    OAUTH_STATE_KEY: "the OAuth token chain",
    DATACENTRES_KEY[0]: "each account's datacentre",
}


def _has_control(value: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)


def _secret_problem(name: str, value: object) -> str | None:
    """What is wrong with a credential, without ever showing it."""
    if value is None:
        return None
    if not isinstance(value, str):
        return f"{name}: must be text (value not shown)"
    if _has_control(value):
        return f"{name}: contains a control character such as a newline or tab (value not shown); paste it again"
    if not value.isascii() or not value.isprintable():
        return f"{name}: contains characters a Brightpearl credential cannot have (value not shown)"
    if len(value.strip()) < 4:
        return f"{name}: too short to be a Brightpearl credential (value not shown)"
    if value != value.strip():
        return f"{name}: has leading or trailing spaces (value not shown)"
    return None


def _reference_problem(name: str, value: object) -> str | None:
    """References become URL path segments and header values: plain printable ASCII only."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        return f"{name}: must be non-empty text"
    if _has_control(value) or not value.isascii() or not value.isprintable() or " " in value:
        return f"{name}: must be plain ASCII without spaces or control characters, like 'yourdevref'"
    if value in (".", "..") or "/" in value:
        return f"{name}: {value!r} cannot be one segment of a URL path"
    return None


def _number_problem(name: str, value: object) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return f"{name}: must be a finite number"
    return None


def _proxy_problem(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or _has_control(value):
        return "https_proxy: must be a URL like http://proxy.example.com:3128 (value not shown)"
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        return "https_proxy: is not a valid URL (value not shown)"
    if parts.scheme not in ("http", "https", "socks5", "socks5h") or not parts.hostname:
        return "https_proxy: must be a URL like http://proxy.example.com:3128 (value not shown)"
    if parts.scheme.startswith("socks") and importlib.util.find_spec("socks") is None:
        return f"https_proxy: {SOCKS_NEEDS}"
    return None


def _store_problem(value: object) -> str | None:
    """oauth_token_store: a file path or a URL of a database that can hold the tokens (never shown: a password)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or _has_control(value):
        return (
            "oauth_token_store: must be a file path or a URL like postgresql+psycopg://user@host/db (value not shown)"
        )
    scheme = scheme_of(value)
    if scheme is not None and scheme not in SCHEMES:
        return (
            f"oauth_token_store: {scheme}:// cannot hold the tokens; give a file path (SQLite), an sqlite:/// "
            "or a postgresql+psycopg:// URL"
        )
    return None


def reserved_stream_names(entries: object, builtin: t.Collection[str]) -> list[str]:
    """custom_streams whose name is a state key the tap keeps for itself (built-in names are refused elsewhere)."""
    found = []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(name, str) and name in RESERVED_STATE_KEYS and name not in builtin:
            found.append(
                f"custom_streams[{index}] ({name!r}): the name is reserved: state keeps "
                f"{RESERVED_STATE_KEYS[name]} under bookmarks.{name}; choose another name"
            )
    return found


def problems(config: t.Mapping[str, t.Any]) -> list[str]:
    """Checks beyond JSON Schema; each message names its setting and never shows a secret."""
    found: list[str] = []
    for name in SECRET_SETTINGS:
        found.append(_secret_problem(name, config.get(name)) or "")
    for name in REFERENCE_SETTINGS:
        found.append(_reference_problem(name, config.get(name)) or "")
    for name in (
        "request_timeout",
        "retry_backoff_seconds",
        "max_throttle_wait_seconds",
        "progress_interval_seconds",
        "deletes_every_days",
        "deletes_max_share",
    ):
        found.append(_number_problem(name, config.get(name)) or "")
    found.append(_proxy_problem(config.get("https_proxy")) or "")
    found.append(_store_problem(config.get("oauth_token_store")) or "")
    codes = config.get("account_codes")
    if isinstance(codes, list):
        bad = [c for c in codes if _reference_problem("account_codes", c)]
        if bad:
            found.append("account_codes: every entry must be an account code like 'acme1'")
    start = config.get("start_date")
    if isinstance(start, str):
        parsed = parse_start(start)
        if parsed is None:
            found.append("start_date: not a date-time; use RFC 3339 such as 2024-01-31T00:00:00Z")
        elif parsed < EARLIEST_START:
            found.append("start_date: must be on or after 1900-01-01T00:00:00Z (Brightpearl holds nothing older)")
    count, index = config.get("shard_count", DEFAULTS["shard_count"]), config.get("shard_index", 0)
    if isinstance(count, int) and isinstance(index, int) and index >= count:
        found.append(f"shard_index: {index} must be below shard_count ({count}); shards are numbered from 0")
    bundle = config.get("ca_bundle")
    if isinstance(bundle, str) and not os.path.isfile(bundle):
        found.append("ca_bundle: no such file; give the path of a PEM file of certificate authorities")
    return [f for f in found if f]


def _kinds(schema: t.Mapping[str, t.Any]) -> set[str]:
    kinds = schema.get("type")
    if kinds is None:
        kinds = [kind for option in schema.get("anyOf", []) for kind in _kinds(option)]
    return {kinds} if isinstance(kinds, str) else set(kinds)


def env_problems(schema: t.Mapping[str, t.Any], prefix: str, environ: t.Mapping[str, str]) -> list[str]:
    """Settings given as environment variables that the SDK could not convert (it would crash).

    Integers, objects and non-string arrays are converted by the SDK with int() and json.loads;
    a value that does not convert is named here, with its setting, and never shown.
    """
    found: list[str] = []
    for name, declared in (schema.get("properties") or {}).items():
        variable = prefix + name.upper().replace("-", "_")
        if variable not in environ:
            continue
        value, kinds = environ[variable], _kinds(declared)
        if "string" in kinds:
            continue
        if "integer" in kinds:
            try:
                int(value)
            except ValueError:
                found.append(f"{variable}: {name} must be a whole number (value not shown)")
            continue
        wanted = "object" if "object" in kinds else "array" if "array" in kinds else None
        items = _kinds(declared.get("items") or {})
        if wanted is None or (wanted == "array" and items == {"string"}):
            continue  # booleans read any text; arrays of strings also accept a,b,c
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict if wanted == "object" else list):
            found.append(f"{variable}: {name} must be a JSON {wanted} (value not shown)")
    return found
