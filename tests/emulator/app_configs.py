"""Tap configs for the two one-account app kinds, against a running emulator.

``Emulator.tap_config`` is a public (partner) app's config. A private app and an OAuth app each read
one account: these helpers pick the first enabled account, give it the credential that kind of app
holds (a private account token; an OAuth client with a refresh token, as if a person had authorized
the app already) and return the config a user would write, token endpoint included.
"""

from __future__ import annotations

import secrets
from typing import Any

from .data import Account
from .emulator import Emulator

OAUTH_CLIENT_ID = "emulator-oauth-app"


def one_account(emu: Emulator) -> Account:
    """The account a one-account app reads: the first enabled, installed one."""
    for account in emu.accounts:
        if account.enabled and not account.gone:
            return account
    raise ValueError("the emulator has no enabled account (use --accounts 1 or more)")


def private_app_config(emu: Emulator) -> dict[str, Any]:
    """A private (system) app: its account token, sent as issued, for one account."""
    account = one_account(emu)
    token = f"private-account-token-{secrets.token_hex(12)}"
    emu.set_private_token(account.accountCode, token)
    return {
        "app_reference": emu.app_reference,
        "account_code": account.accountCode,
        "account_token": token,
        "data_center": account.datacentre,
        "datacenter_urls": dict(emu.base_urls),
    }


def oauth_app_config(emu: Emulator) -> dict[str, Any]:
    """An OAuth app (confidential client) with a live refresh token; refresh tokens rotate on use."""
    account = one_account(emu)
    client_secret = f"oauth-client-secret-{secrets.token_hex(16)}"
    emu.enable_oauth(client_id=OAUTH_CLIENT_ID, client_secret=client_secret, rotate=True)
    return {
        "client_id": OAUTH_CLIENT_ID,
        "client_secret": client_secret,
        "refresh_token": emu.oauth_refresh_token(account.accountCode),
        "account_code": account.accountCode,
        "developer_reference": emu.developer_reference,
        "app_reference": emu.app_reference,
        "data_center": emu.master,
        "oauth_token_url": f"{emu.base_urls[emu.master]}/oauth/token",
        "datacenter_urls": dict(emu.base_urls),
    }


def authorize_url(emu: Emulator) -> str:
    """The emulator's authorize endpoint, as `tap-brightpearl-oauth --authorize-url` takes it."""
    return f"{emu.base_urls[emu.master]}/authorize/{{account}}"
