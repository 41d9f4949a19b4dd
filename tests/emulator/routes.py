"""The developer-tools endpoints, as plain functions from a parsed request to a Reply."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from .account_routes import account_auth_state, account_route
from .data import sign
from .documented import SHAPES
from .oauth import is_token_path
from .reply import Reply, dumps, not_found

if TYPE_CHECKING:
    from .emulator import Emulator

NOT_AUTHENTICATED = b'{"response":"Not authenticated. Please check your developer token."}'
# doc (installed-accounts reference page): served by euw1 only ("not available in other
# datacentres"), with brightpearl-dev-ref, brightpearl-app-ref and brightpearl-dev-token.
INSTALLS_DATACENTRE = "euw1"


def split_path(raw: str) -> list[str]:
    """Return the decoded, non-empty path segments (query dropped)."""
    return [unquote(s) for s in urlsplit(raw).path.split("/") if s]


def pool_of(datacentre: str, raw_path: str) -> tuple[str, str]:
    """Name the throttle pool: (datacentre, developerRef) for developer-tools paths."""
    parts = split_path(raw_path)
    if len(parts) >= 2 and parts[0] == "developer-tools":
        return (datacentre, parts[1])
    if len(parts) >= 2 and parts[0] == "public-api":
        return (datacentre, "account:" + parts[1])
    return (datacentre, "")


def auth_state(emu: Emulator, headers: dict[str, str], raw_path: str = "") -> str:
    """Classify credentials: "none" (no token), "verified" or "bad" (account ones on /public-api)."""
    parts = split_path(raw_path) if raw_path else []
    if len(parts) >= 2 and parts[0] == "public-api":
        return account_auth_state(emu, parts[1], headers)
    token = headers.get("brightpearl-dev-token")
    if token is None:
        return "none"
    expected = sign(emu.developer_token, emu.developer_secret)
    good_token = hmac.compare_digest(token.encode(), expected.encode())
    good_ref = headers.get("brightpearl-dev-ref") == emu.developer_reference
    return "verified" if good_token and good_ref else "bad"


def route(
    emu: Emulator,
    datacentre: str,
    method: str,
    raw_path: str,
    auth: str,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> Reply:
    """Answer one request the way the real service would (throttle handled by the caller)."""
    parts = split_path(raw_path)
    if parts and parts[0] == "public-api":
        return account_route(emu, datacentre, method, raw_path, auth, headers)
    # guess: every datacentre serves OAuth (the real authorize host is oauth.brightpearl.com).
    if is_token_path(parts):
        return emu.oauth.token(method, parts, headers or {}, body)
    if parts and parts[0] == "authorize":
        return emu.oauth.authorize(method, parts, raw_path)
    if method != "GET" or len(parts) != 4 or parts[0] != "developer-tools":
        return not_found()
    _, dev_ref, action, arg = parts
    if action == "installed-accounts":
        return _installed_accounts(emu, datacentre, dev_ref, arg, auth, headers or {})
    if action == "account-timezone":
        return _account_timezone(emu, datacentre, dev_ref, arg, auth)
    if action == "account-location":
        return _account_location(emu, datacentre, dev_ref, arg)
    return not_found()


def _unauthenticated() -> Reply:
    return Reply(401, NOT_AUTHENTICATED)


def _installed_accounts(
    emu: Emulator, datacentre: str, dev_ref: str, app_ref: str, auth: str, headers: Mapping[str, str]
) -> Reply:
    if datacentre != INSTALLS_DATACENTRE:
        return not_found()  # guess: what any datacentre answers for a path it does not serve
    # guess: a missing or other brightpearl-app-ref is a 401 like a bad token (the page only says "required")
    if auth != "verified" or headers.get("brightpearl-app-ref") != app_ref:
        return _unauthenticated()
    if dev_ref != emu.developer_reference or app_ref != emu.app_reference:
        return not_found("Developer or app not found")
    return Reply(200, emu.listing_body())


def _account_timezone(emu: Emulator, datacentre: str, dev_ref: str, code: str, auth: str) -> Reply:
    if auth != "verified":
        return _unauthenticated()
    if dev_ref != emu.developer_reference:
        return not_found("Developer or app not found")
    account = emu.find_account(code)
    # Like the real API (as far as known): the wrong datacentre looks like an unknown account.
    if account is None or account.gone or account.datacentre != datacentre:
        return not_found("Account not found")
    tz = {"canonicalId": account.canonicalId, "currentUtcOffset": account.currentUtcOffset}
    return Reply(200, dumps({"response": tz}))


def _account_location(emu: Emulator, datacentre: str, dev_ref: str, code: str) -> Reply:
    if not emu.account_location or datacentre != emu.master:
        return not_found()
    if dev_ref != emu.developer_reference:
        return not_found("Developer or app not found")
    account = emu.find_account(code)
    if account is None or account.datacentre not in emu.base_urls:
        return not_found("Account not found")
    base = emu.base_urls[account.datacentre]
    # doc (docs/account_location_get.body.json): the login and authorize URLs of the datacentre.
    # guess: they live on the datacentre's own host here (the emulator has no brightpearlapp.com).
    urls = {"login": f"{base}/outerheaven.login", "authorizeServer": f"{base}/authorize/server"}
    urls["authorizeInstance"] = f"{base}/authorize_instance.php"
    body = {"datacentreCode": account.datacentre, "apiDomain": urlsplit(base).netloc, "urls": urls}
    return Reply(200, dumps({"response": SHAPES["account_location"].item(body)}))
