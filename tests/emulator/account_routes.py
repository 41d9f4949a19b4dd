"""The account APIs under /public-api/{accountCode}/: auth, searches, ID-set GETs, settings.

Kept apart from routes.py (developer-tools) because account auth and data are per account.
Recorded behaviours (see tests/test_emulator_fidelity.py): order GET of unknown ids is a 200
``{"response":[]}``, contact GET a 404 "No Contact Found", contact bodies carry top-level
``pagination`` and ``sorting``, a token the account does not accept is a 401
``{"response":"Invalid instance token: <token>"}``. Anything else is marked "guess".
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from .account_data import AccountData
from .account_search import BadRequest, parse_id_set, search
from .data import sign
from .oauth import token_expired
from .reply import Reply, dumps, errors, not_found
from .resources_routes import SEARCH_PATHS, resource_route

if TYPE_CHECKING:
    from .emulator import Emulator
    from .hostile_pagers import HostilePagers

__all__ = ["BadRequest", "account_auth_state", "account_route", "parse_id_set"]

NOT_AUTHENTICATED = b'{"response":"Not authenticated"}'  # guess: wording for a bad signed token
ID_CAPS = {"order": 200, "product": 200, "contact": 200}
SEARCHES = {
    ("order-service", "order-search"): "order",
    ("product-service", "product-search"): "product",
    ("contact-service", "contact-search"): "contact",
    **SEARCH_PATHS,
}
DETAILS = {
    ("order-service", "order"): "order",
    ("product-service", "product"): "product",
    ("contact-service", "contact"): "contact",
}
MESSAGE_TYPES = {"order": "get-order", "product": "product-get", "contact": "get-contact"}  # recorded headers
CONTACT_SORTING = b'"sorting":[{"field":"contactId","direction":"ASC"}]'


def _segments(raw_path: str) -> list[str]:
    return [unquote(s) for s in urlsplit(raw_path).path.split("/") if s]


def _query(raw_path: str) -> dict[str, str]:
    """Parse the query with unquote, not unquote_plus: "+05:45" offsets must survive."""
    out: dict[str, str] = {}
    for pair in urlsplit(raw_path).query.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            out[unquote(name)] = unquote(value)
    return out


def account_auth_state(emu: Emulator, code: str, headers: Mapping[str, str]) -> str:
    """Classify account credentials for ``code``: "none", "verified", "expired" or "bad".

    Accepted: a public app's signed account token (with dev-ref and app-ref), a private app's
    account/staff token registered with Emulator.set_private_token (sent as-is), or an OAuth
    access token issued for this account (``Authorization: Bearer``, with dev-ref and app-ref).
    """
    bearer = _bearer(headers)
    if bearer is not None:
        # guess: a bearer token is judged alone, even if account or staff tokens come along.
        state = emu.oauth.bearer_state(code, bearer)
        refs_ok = (
            headers.get("brightpearl-dev-ref") == emu.developer_reference
            and headers.get("brightpearl-app-ref") == emu.app_reference
        )
        # guess: an expired token is reported before the references are looked at.
        return state if state == "expired" or refs_ok else "bad"
    account_token = headers.get("brightpearl-account-token")
    staff_token = headers.get("brightpearl-staff-token")
    if account_token is None and staff_token is None:
        return "none"
    account = emu.find_account(code)
    if account is None or headers.get("brightpearl-app-ref") != emu.app_reference:
        return "bad"
    if account_token is not None and headers.get("brightpearl-dev-ref") == emu.developer_reference:
        expected = sign(account.unsignedAccountToken, emu.developer_secret)
        if hmac.compare_digest(account_token.encode(), expected.encode()):
            return "verified"
    private = emu.private_tokens.get(code, {})
    for kind, sent in (("account", account_token), ("staff", staff_token)):
        token = private.get(kind)
        if sent is not None and token is not None and hmac.compare_digest(sent.encode(), token.encode()):
            return "verified"
    return "bad"


def _bearer(headers: Mapping[str, str] | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if one was sent."""
    scheme, _, token = (headers or {}).get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def invalid_instance_token(headers: Mapping[str, str] | None) -> Reply:
    """The recorded 401 for a token the account APIs do not accept; the token is echoed back."""
    # guess: recorded with OAuth bearer tokens only; a signed account or staff token is echoed too.
    headers = headers or {}
    token = _bearer(headers) or headers.get("brightpearl-account-token") or headers.get("brightpearl-staff-token")
    if token is None:
        token = headers.get("authorization", "").removeprefix("Bearer ").strip()
    return Reply(401, dumps({"response": f"Invalid instance token: {token}"}), headers={"Message-Type": "api-proxy"})


def account_route(
    emu: Emulator, datacentre: str, method: str, raw_path: str, auth: str, headers: Mapping[str, str] | None = None
) -> Reply:
    """Answer a /public-api/{accountCode}/... request (throttle handled by the caller)."""
    if not emu.account_apis:
        # A developer whose app has no data access: every account call is refused.
        # guess: before any other check (unknown account, wrong datacentre).
        return invalid_instance_token(headers)
    parts = _segments(raw_path)
    if len(parts) < 3:
        return not_found()
    code, rest = parts[1], tuple(parts[2:])
    account = emu.find_account(code)
    # guess: the wrong datacentre looks like an unknown account, as for account-timezone.
    if account is None or account.gone or account.datacentre != datacentre:
        return not_found("Account not found")
    if auth == "expired":
        return token_expired()
    if auth != "verified":
        if _bearer(headers) is not None:
            return invalid_instance_token(headers)  # recorded for unknown bearer tokens
        return Reply(401, NOT_AUTHENTICATED)
    if not account.enabled:
        return token_expired()
    if method != "GET":
        return Reply(405, errors("CMNC-405", f"Method {method} not allowed"))  # guess
    data = emu.account_data(code)
    try:
        return _dispatch(data, rest, _query(raw_path), emu.pagers)
    except BadRequest as exc:
        return exc.reply


def _dispatch(data: AccountData, rest: tuple[str, ...], query: dict[str, str], pagers: HostilePagers) -> Reply:
    if rest in SEARCHES:
        return search(data, data.table(SEARCHES[rest]), query, pagers)
    reply = resource_route(data, rest, query)  # before the detail GETs: product/custom-field-meta-data
    if reply is not None:
        return reply
    if len(rest) == 3 and rest[:2] in DETAILS:
        return _details(data, DETAILS[rest[:2]], rest[2], query)
    if rest[:2] == ("warehouse-service", "warehouse") and len(rest) <= 3:
        return _warehouses(data, rest[2] if len(rest) == 3 else None)
    if rest == ("integration-service", "account-configuration"):
        return Reply(200, dumps({"response": {"configuration": data.configuration}}))
    return not_found()


def _optional(query: dict[str, str]) -> frozenset[str]:
    """includeOptional=customFields,postalAddresses as a set of names."""
    # guess: unknown names are ignored.
    return frozenset(v.strip() for v in query.get("includeOptional", "").split(",") if v.strip())


def _details(data: AccountData, resource: str, id_set: str, query: dict[str, str]) -> Reply:
    table = data.table(resource)
    ids = parse_id_set(id_set, ID_CAPS[resource])
    optional = _optional(query)
    with data.lock:
        # guess: ids in ascending order (one recording answered 1,320,321 as 320,1,321).
        found = [data.detail_json(resource, table.by_id[i], optional) for i in ids if i in table.by_id]
    headers = {"Message-Type": MESSAGE_TYPES[resource]}
    items = b",".join(found)
    if resource == "order":
        return Reply(200, b'{"response":[' + items + b"]}", headers=headers)  # recorded: [] when none
    if not found:
        if resource == "contact":
            return Reply(404, errors("CMNC-404", "No Contact Found"), headers=headers)
        return Reply(404, errors("CMNC-404", "No Product Found"), headers=headers)  # guess: not recorded
    if resource == "contact":
        n = len(found)
        pagination = dumps({"morePagesAvailable": False, "resultsReturned": n, "firstResult": 1, "lastResult": n})
        body = b'{"response":[' + items + b'],"pagination":' + pagination + b"," + CONTACT_SORTING + b"}"
        return Reply(200, body, headers=headers)
    return Reply(200, b'{"response":[' + items + b"]}", headers=headers)


def _warehouses(data: AccountData, id_set: str | None) -> Reply:
    rows = data.warehouses
    if id_set is not None:
        wanted = set(parse_id_set(id_set, None))
        rows = [w for w in rows if w["id"] in wanted]
        if not rows:
            return not_found("No resources found")  # guess: a warehouse id set that found nothing
    return Reply(200, dumps({"response": rows}))
