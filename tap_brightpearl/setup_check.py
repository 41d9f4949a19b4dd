"""`tap-brightpearl --test`: the check to run before the first sync.

It fails in seconds (retries and timeouts are capped) with one line naming what to fix,
and a passing check logs no ERROR line. It calls, with the run's own credentials:
- a public app: installed-accounts on euw1 (served there only, whatever data_center says), then every
  other datacentre the settings name must answer like Brightpearl (a wrong URL for an account
  datacentre could hide behind a healthy master), and one account's timezone;
  then one account-configuration call, whose refusal is only a WARNING (account data is
  opt-in and some apps have no access to it);
- a private app or OAuth: the account's account-configuration.
"""

from __future__ import annotations

import logging
import typing as t

import requests

from tap_brightpearl.datacenters import MASTER
from tap_brightpearl.errors import APP_NOT_FOUND_HINT, AuthenticationError, BrightpearlError, NotFoundError
from tap_brightpearl.transport import describe_transport_failure

if t.TYPE_CHECKING:
    from tap_brightpearl.runtime import Runtime

LOGGER = logging.getLogger("tap-brightpearl")
CAPS = {"max_retries": 1, "retry_backoff_seconds": 0.5, "request_timeout": 15.0, "max_throttle_wait_seconds": 60.0}
DEVELOPER_HINT = "Check the developer_reference, developer_token and developer_secret settings"


class SetupCheckError(Exception):
    """The check failed; the message is the one line to show."""


def capped(config: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The config with retries and timeouts capped, so a wrong setting fails in seconds."""
    out = dict(config)
    for key, cap in CAPS.items():
        value = out.get(key, cap)
        out[key] = min(value, cap) if isinstance(value, (int, float)) else cap
    return out


def run(runtime: Runtime) -> str:
    """Make the calls; return what passed, or raise SetupCheckError with the line to show."""
    try:
        runtime.mode.prepare()
        if runtime.mode.developer_tools:
            return _public(runtime)
        return _single_account(runtime)
    except requests.exceptions.RequestException as exc:
        where = _where(runtime, str(getattr(exc.request, "url", "") or ""))
        raise SetupCheckError(describe_transport_failure(exc, where=where)) from None


def _where(runtime: Runtime, url: str) -> str:
    return runtime.datacentres.locate(url)


def _public(runtime: Runtime) -> str:
    settings = runtime.settings
    auth = runtime.mode.developer_auth
    try:
        runtime.get(runtime.developer_url(MASTER, "installed-accounts", settings.app_reference), auth=auth)
    except AuthenticationError as exc:
        raise SetupCheckError(f"{DEVELOPER_HINT}: {exc}") from None
    except NotFoundError as exc:
        raise SetupCheckError(f"{APP_NOT_FOUND_HINT}: {exc}") from None
    except BrightpearlError as exc:
        raise SetupCheckError(_not_brightpearl(runtime, MASTER, exc)) from None
    installs = runtime.installs()
    probe = installs[0].accountCode if installs else "setup-check"
    codes = {settings.data_center, *settings.datacenter_urls, *settings.account_data_centers.values()} - {MASTER}
    for code in sorted(codes):
        try:  # any answer in Brightpearl's envelope (a 404 for an account that lives elsewhere too) will do
            runtime.get(runtime.developer_url(code, "account-timezone", probe), auth=auth)
        except (AuthenticationError, NotFoundError):
            pass
        except BrightpearlError as exc:
            raise SetupCheckError(_not_brightpearl(runtime, code, exc)) from None
    codes.add(MASTER)
    done = f"installed-accounts answered on euw1 ({len(installs)} installs), {len(codes)} datacentre(s) answered"
    accounts = runtime.accounts()
    if not accounts:
        return done
    first = accounts[0]
    datacentre, _ = runtime.router.route(first.accountCode)
    try:
        runtime.get(runtime.developer_url(datacentre, "account-timezone", first.accountCode), auth=auth)
        runtime.get(
            runtime.account_url(datacentre, first.accountCode, "integration-service/account-configuration"),
            auth=first.auth,
        )
    except AuthenticationError as exc:
        LOGGER.warning(
            "Setup check: account %r refused this app's account-data access (%s); the account streams "
            "would fail for it",
            first.accountCode,
            exc,
        )
        return done
    except BrightpearlError as exc:
        LOGGER.warning("Setup check: account %r could not be read: %s", first.accountCode, exc)
        return done
    return f"{done}; account {first.accountCode!r} answered for its timezone and its data"


def _not_brightpearl(runtime: Runtime, code: str, exc: BaseException) -> str:
    return (
        f"datacentre {code} at {runtime.datacentres.url(code)} did not answer like Brightpearl: {exc}. "
        "Check datacenter_urls"
    )


def _single_account(runtime: Runtime) -> str:
    [account] = runtime.accounts()
    datacentre, _ = runtime.router.route(account.accountCode)
    url = runtime.account_url(datacentre, account.accountCode, "integration-service/account-configuration")
    try:
        runtime.get(url, auth=account.auth)
    except AuthenticationError as exc:
        raise SetupCheckError(f"{runtime.mode.credential_hint}: {exc}") from None
    except BrightpearlError as exc:
        raise SetupCheckError(f"account {account.accountCode!r} could not be read: {exc}") from None
    return f"account {account.accountCode!r} answered with {runtime.mode.name} credentials"
