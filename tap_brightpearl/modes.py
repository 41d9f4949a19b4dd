"""How this run reaches Brightpearl: one access mode, chosen from the settings.

- `PublicApp` (legacy partner app): developer-tools access with a signed developer token;
  the installed accounts are read with their own signed account tokens.
- `PrivateApp` (legacy): one account, an account or staff token sent as issued.
- `OAuthApp`: one account, a bearer token from a refresh token (see oauth.py).

Each mode says which settings it needs, whether it has developer-tools streams, which
accounts it reads and how a request for an account is authenticated. Nothing outside
this module asks which mode is running.
"""

from __future__ import annotations

import abc
import functools
import logging
import typing as t
import zlib
from dataclasses import dataclass

from typing_extensions import override

from tap_brightpearl.auth import AccountTokenAuthenticator, DeveloperTokenAuthenticator, PrivateAppAuthenticator
from tap_brightpearl.urls import is_safe_code

if t.TYPE_CHECKING:
    import requests

    from tap_brightpearl.datacenters import DatacentreTable
    from tap_brightpearl.errors import AuthenticationError
    from tap_brightpearl.installs import Install
    from tap_brightpearl.settings import Settings

LOGGER = logging.getLogger("tap_brightpearl.modes")


@dataclass(frozen=True)
class Account:
    """One account whose business data this run reads, with the credentials for its calls."""

    accountCode: str
    auth: requests.auth.AuthBase


def shard_of(account_code: str, shard_count: int) -> int:
    """Stable across runs, machines and Python versions (unlike hash())."""
    return zlib.crc32(account_code.encode("utf-8")) % shard_count


class AccessMode(abc.ABC):
    """What differs between the ways an app reaches Brightpearl."""

    name: t.ClassVar[str]
    #: the settings to check when Brightpearl refuses this mode's credentials
    credential_hint: t.ClassVar[str] = "Check the credential settings"
    #: installed_accounts and account_timezones exist only with developer-tools access;
    #: without it the account streams are the only streams and run by default.
    developer_tools: t.ClassVar[bool] = False

    def __init__(self, settings: Settings) -> None:
        """Keep the settings; nothing is requested here."""
        self.settings = settings
        #: called when this mode has something new for state that must be written at once
        self.on_new_tokens: t.Callable[[], None] = lambda: None

    @classmethod
    @abc.abstractmethod
    def problems(cls, config: t.Mapping[str, t.Any]) -> list[str]:
        """Settings this mode needs that are missing, each named."""

    @abc.abstractmethod
    def accounts(self, installs: t.Callable[[], list[Install]]) -> list[Account]:
        """The accounts to read, in accountCode order."""

    @property
    def developer_auth(self) -> requests.auth.AuthBase | None:
        """The authenticator for developer-tools calls (None without that access)."""
        return None

    def pinned(self) -> dict[str, str]:
        """Datacentres known before any request (`account_data_centers`)."""
        return dict(self.settings.account_data_centers)

    def prepare(self) -> None:  # noqa: B027 - optional hook
        """Get ready to send the first request of a sync (OAuth: a valid access token)."""

    def bind(self, *, post: t.Callable[[str, dict[str, str]], t.Any], datacentres: DatacentreTable) -> None:  # noqa: B027
        """Receive the run's means to ask for tokens and to place accounts (OAuth only needs them)."""

    def restore(self, state: t.Mapping[str, t.Any]) -> None:  # noqa: B027
        """Take what an earlier run kept in state for this mode (OAuth: its tokens)."""

    def keep_in(self, state: dict[str, t.Any]) -> None:  # noqa: B027
        """Put into state what the next run needs from this mode."""

    def retry_after_refusal(self, exc: AuthenticationError, started: float) -> bool:
        """Whether a request refused for its credentials may be sent again (OAuth: after a refresh)."""
        return False


class PublicApp(AccessMode):
    """A partner app: signed developer token, every installed account with its own token."""

    name = "public app"
    developer_tools = True
    credential_hint = "Check the developer_reference, developer_token and developer_secret settings"

    @classmethod
    @override
    def problems(cls, config: t.Mapping[str, t.Any]) -> list[str]:
        """The three developer settings are needed."""
        hint = "required (or, for a private app, set account_code with account_token or staff_token)"
        return [
            f"{s}: {hint}" for s in ("developer_reference", "developer_token", "developer_secret") if not config.get(s)
        ]

    @functools.cached_property
    def developer_auth(self) -> requests.auth.AuthBase:
        """The signed developer token (signed once: the signature never changes within a run)."""
        return DeveloperTokenAuthenticator(
            developer_reference=str(self.settings.developer_reference),
            app_reference=self.settings.app_reference,
            developer_token=str(self.settings.developer_token),
            developer_secret=str(self.settings.developer_secret),
        )

    @override
    def accounts(self, installs: t.Callable[[], list[Install]]) -> list[Account]:
        """Installed, enabled accounts with a token, narrowed by account_codes and the shard."""
        settings = self.settings
        listed = installs()
        wanted = set(settings.account_codes)
        by_code = {i.accountCode: i for i in listed}
        for missing in sorted(wanted - set(by_code)):
            LOGGER.warning("account_codes: %r is not installed; nothing to read for it", missing)
        chosen: list[Account] = []
        disabled = 0
        for install in sorted(listed, key=lambda i: i.accountCode):
            code = install.accountCode
            if (wanted and code not in wanted) or not self._in_shard(code):
                continue
            if not is_safe_code(code):
                LOGGER.warning("installed-accounts: skipping account %r: it cannot be used in a URL", code)
                continue
            if install.enabled is False or not install.unsignedAccountToken:
                disabled += 1
                LOGGER.debug("account %r is disabled or has no token; its business data is skipped", code)
                continue
            auth = AccountTokenAuthenticator(
                developer_reference=str(settings.developer_reference),
                app_reference=settings.app_reference,
                unsigned_account_token=install.unsignedAccountToken,
                developer_secret=str(settings.developer_secret),
            )
            chosen.append(Account(code, auth))
        if disabled:
            LOGGER.info("%d disabled account(s) (or without a token) are not read for business data", disabled)
        return chosen

    def _in_shard(self, code: str) -> bool:
        count = self.settings.shard_count
        return count <= 1 or shard_of(code, count) == self.settings.shard_index


class PrivateApp(AccessMode):
    """A private (legacy) app: one account, its token sent as issued."""

    name = "private app"
    credential_hint = "Check the account_code, app_reference and account_token (or staff_token) settings"

    @classmethod
    @override
    def problems(cls, config: t.Mapping[str, t.Any]) -> list[str]:
        """A token is needed."""
        if config.get("account_token") or config.get("staff_token"):
            return []
        return ["account_token: required with account_code (or give staff_token instead)"]

    @override
    def accounts(self, installs: t.Callable[[], list[Install]]) -> list[Account]:
        """The one account."""
        settings = self.settings
        kind: t.Literal["account", "staff"] = "staff" if settings.staff_token else "account"
        token = settings.staff_token if kind == "staff" else settings.account_token
        auth = PrivateAppAuthenticator(app_reference=settings.app_reference, token=str(token), kind=kind)
        return [Account(str(settings.account_code), auth)]
