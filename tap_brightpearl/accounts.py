"""Which accounts a run reads business data from, and how it may call each one.

Public app: every installed, enabled account (narrowed by `account_codes`), each called
with its own signed account token. Private app: the one `account_code` with its token.
`shard_count`/`shard_index` split the accounts deterministically so several workers
(for example one Airflow task per shard) can share the load without overlap.
"""

from __future__ import annotations

import logging
import typing as t
import zlib
from dataclasses import dataclass

import requests

from tap_brightpearl.auth import AccountTokenAuthenticator, PrivateAppAuthenticator

if t.TYPE_CHECKING:
    from tap_brightpearl.installs import Install

LOGGER = logging.getLogger("tap_brightpearl.accounts")


@dataclass(frozen=True)
class AccountAccess:
    """One account to read: its code and the authenticator for its calls."""

    accountCode: str
    auth: requests.auth.AuthBase


def shard_of(account_code: str, shard_count: int) -> int:
    """Stable across runs, machines and Python versions (unlike hash())."""
    return zlib.crc32(account_code.encode("utf-8")) % shard_count


def in_shard(account_code: str, config: t.Mapping[str, t.Any]) -> bool:
    """Whether this run's shard owns `account_code`."""
    count = int(config.get("shard_count") or 1)
    return count <= 1 or shard_of(account_code, count) == int(config.get("shard_index") or 0)


def is_private_app(config: t.Mapping[str, t.Any]) -> bool:
    """Single-account mode: an account_code with its own token, no developer-tools access."""
    return bool(config.get("account_code"))


def mode_errors(config: t.Mapping[str, t.Any]) -> list[str]:
    """Settings each mode needs: developer settings for a public app, a token for a private one."""
    errors: list[str] = []
    if is_private_app(config):
        if not (config.get("account_token") or config.get("staff_token")):
            errors.append("account_token: required with account_code (or give staff_token instead)")
        return errors
    for setting in ("developer_reference", "developer_token", "developer_secret"):
        if not config.get(setting):
            errors.append(
                f"{setting}: required (or, for a private app, set account_code with account_token or staff_token)"
            )
    return errors


def private_access(config: t.Mapping[str, t.Any]) -> list[AccountAccess]:
    """The one account of a private app."""
    kind: t.Literal["account", "staff"] = "staff" if config.get("staff_token") else "account"
    auth = PrivateAppAuthenticator(app_reference=config["app_reference"], token=config[f"{kind}_token"], kind=kind)
    return [AccountAccess(str(config["account_code"]), auth)]


def public_access(installs: t.Sequence[Install], config: t.Mapping[str, t.Any]) -> list[AccountAccess]:
    """Installed, enabled accounts with a token, narrowed by account_codes and the shard."""
    wanted = set(config.get("account_codes") or [])
    by_code = {i.accountCode: i for i in installs}
    for missing in sorted(wanted - set(by_code)):
        LOGGER.warning("account_codes: %r is not installed; nothing to read for it", missing)
    chosen: list[AccountAccess] = []
    for install in sorted(installs, key=lambda i: i.accountCode):
        code = install.accountCode
        if (wanted and code not in wanted) or not in_shard(code, config):
            continue
        if install.enabled is False or not install.unsignedAccountToken:
            LOGGER.info("account %r is disabled or has no token; its business data is skipped", code)
            continue
        chosen.append(
            AccountAccess(
                code,
                AccountTokenAuthenticator(
                    developer_reference=config["developer_reference"],
                    app_reference=config["app_reference"],
                    unsigned_account_token=install.unsignedAccountToken,
                    developer_secret=config["developer_secret"],
                ),
            )
        )
    return chosen
