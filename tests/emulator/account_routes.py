"""The account APIs under /public-api/{accountCode}/: auth, searches, ID-set GETs, settings.

Kept apart from routes.py (developer-tools) because account auth and data are per account.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .account_data import AccountData, Table, parse_instant
from .data import sign
from .reply import Reply, dumps, errors, not_found

if TYPE_CHECKING:
    from .emulator import Emulator

NOT_AUTHENTICATED = b'{"response":"Not authenticated"}'
TOKEN_EXPIRED = b'{"response":"Authorization token expired"}'
MAX_PAGE_SIZE = 500  # larger requests are clamped silently, like Brightpearl
DEFAULT_PAGE_SIZE = 200
ID_CAPS = {"order": 200, "product": 200, "contact": 200}
SEARCHES = {
    ("order-service", "order-search"): "order",
    ("product-service", "product-search"): "product",
    ("contact-service", "contact-search"): "contact",
}
DETAILS = {
    ("order-service", "order"): "order",
    ("product-service", "product"): "product",
    ("contact-service", "contact"): "contact",
}


class BadRequest(ValueError):
    """A malformed parameter; carries the reply the real service would give."""

    def __init__(self, status: int, code: str, message: str) -> None:
        """Remember the status and error envelope."""
        super().__init__(message)
        self.reply = Reply(status, errors(code, message))


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


def account_auth_state(emu: Emulator, code: str, headers: dict[str, str]) -> str:
    """Classify account credentials for ``code``: "none", "verified" or "bad".

    Accepted: a public app's signed account token (with dev-ref and app-ref), or a private
    app's account/staff token registered with Emulator.set_private_token (sent as-is).
    """
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


def account_route(emu: Emulator, datacentre: str, method: str, raw_path: str, auth: str) -> Reply:
    """Answer a /public-api/{accountCode}/... request (throttle handled by the caller)."""
    parts = _segments(raw_path)
    if len(parts) < 3:
        return not_found()
    code, rest = parts[1], tuple(parts[2:])
    account = emu.find_account(code)
    # The wrong datacentre looks like an unknown account, as for account-timezone.
    if account is None or account.gone or account.datacentre != datacentre:
        return not_found("Account not found")
    if auth != "verified":
        return Reply(401, NOT_AUTHENTICATED)
    if not account.enabled:
        return Reply(401, TOKEN_EXPIRED)
    if method != "GET":
        return Reply(405, errors("CMNC-405", f"Method {method} not allowed"))
    data = emu.account_data(code)
    try:
        return _dispatch(data, rest, _query(raw_path))
    except BadRequest as exc:
        return exc.reply


def _dispatch(data: AccountData, rest: tuple[str, ...], query: dict[str, str]) -> Reply:
    if rest in SEARCHES:
        return _search(data, data.table(SEARCHES[rest]), query)
    if len(rest) == 3 and rest[:2] in DETAILS:
        resource = DETAILS[rest[:2]]
        return _details(data, data.table(resource), rest[2], ID_CAPS[resource])
    if rest[:2] == ("warehouse-service", "warehouse") and len(rest) <= 3:
        return _warehouses(data, rest[2] if len(rest) == 3 else None)
    if rest == ("integration-service", "account-configuration"):
        return Reply(200, dumps({"response": data.configuration}))
    return not_found()


# -- ID sets ---------------------------------------------------------------------------------
def parse_id_set(text: str, cap: int | None) -> list[int]:
    """Expand "1-100,105" into sorted unique ids; over ``cap`` ids is a 400, like Brightpearl."""
    ranges: list[tuple[int, int]] = []
    try:
        for item in text.split(","):
            low, dash, high = item.strip().partition("-")
            start = int(low)
            end = int(high) if dash else start
            if start < 1 or end < start:
                raise ValueError(item)
            ranges.append((start, end))
    except ValueError:
        raise BadRequest(400, "CMNC-400", f"Invalid id set {text!r}") from None
    if cap is not None and sum(end - start + 1 for start, end in ranges) > cap:
        raise BadRequest(400, "CMNC-400", f"Too many ids requested (max {cap})")
    return sorted({i for start, end in ranges for i in range(start, end + 1)})


def _no_results() -> Reply:
    return not_found("No resources found")  # a multi-resource GET that found nothing is a 404


def _details(data: AccountData, table: Table, id_set: str, cap: int) -> Reply:
    ids = parse_id_set(id_set, cap)
    with data.lock:
        found = [table.record_json(table.by_id[i]) for i in ids if i in table.by_id]
        if not found:
            return _no_results()
        return Reply(200, b'{"response":[' + b",".join(found) + b"]}")


def _warehouses(data: AccountData, id_set: str | None) -> Reply:
    rows = data.warehouses
    if id_set is not None:
        wanted = set(parse_id_set(id_set, None))
        rows = [w for w in rows if w["id"] in wanted]
        if not rows:
            return _no_results()
    return Reply(200, dumps({"response": rows}))


# -- searches --------------------------------------------------------------------------------
def _malformed(message: str) -> BadRequest:
    # Brightpearl answers malformed search parameters with a 500 CMNC-018 (a client bug).
    return BadRequest(500, "CMNC-018", message)


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    try:
        value = int(query.get(name, default))
    except ValueError:
        raise _malformed(f"{name} must be an integer") from None
    if value < 1:
        raise _malformed(f"{name} must be at least 1")
    return value


def _period_filter(index: int, value: str, offset: str) -> Callable[[list[Any]], bool]:
    """``from/``, ``from/to`` or ``/to``: inclusive from, exclusive to, compared as instants."""
    low_text, slash, high_text = value.partition("/")
    try:
        low = parse_instant(low_text, offset) if low_text else None
        high = parse_instant(high_text, offset) if high_text else None
    except ValueError:
        raise _malformed(f"Invalid date range {value!r}") from None
    if not slash and low is not None:
        high = low + 1  # a bare instant: that exact millisecond
    return lambda key: (low is None or key[index] >= low) and (high is None or key[index] < high)


def _equal_filter(index: int, data_type: str, value: str) -> Callable[[list[Any]], bool]:
    if data_type == "INTEGER":
        try:
            wanted: Any = int(value)
        except ValueError:
            raise _malformed(f"Invalid integer filter {value!r}") from None
    else:
        wanted = value
    return lambda key: key[index] == wanted


def _search(data: AccountData, table: Table, query: dict[str, str]) -> Reply:
    page_size = min(_int_param(query, "pageSize", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    first = _int_param(query, "firstResult", 1)
    sort = query.get("sort") or f"{table.columns[0].name}.ASC"
    name, _, direction = sort.rpartition(".")
    sort_index = table.column_index(name)
    if sort_index is None or direction.upper() not in ("ASC", "DESC"):
        raise _malformed(f"Invalid sort {sort!r}")
    filters: list[Callable[[list[Any]], bool]] = []
    for param, value in query.items():
        index = table.column_index(param)
        if index is None:
            continue
        col = table.columns[index]
        if col.data_type == "PERIOD":
            filters.append(_period_filter(index, value, data.offset))
        else:
            filters.append(_equal_filter(index, col.data_type, value))
    with data.lock:
        matches = [(k, r) for k, r in table.keyed() if all(f(k) for f in filters)]
        # Ties on the sort column fall back to id order, so paging is stable.
        matches.sort(key=lambda kr: (kr[0][sort_index], kr[0][0]), reverse=direction.upper() == "DESC")
        page = matches[first - 1 : first - 1 + page_size]
        results = [table.row(r) for _, r in page]
    total = len(matches)
    meta = {
        "morePagesAvailable": first - 1 + len(results) < total,
        "resultsAvailable": total,
        "resultsReturned": len(results),
        "firstResult": first,
        "lastResult": first - 1 + len(results),
        "columns": [c.meta() for c in table.columns],
    }
    return Reply(200, dumps({"response": {"results": results, "metaData": meta}, "reference": {}}))
