"""The one place that builds Brightpearl URLs.

Every value that comes from a setting or an answer (developer and app references, account
codes, ids) becomes exactly one percent-encoded path segment, so no answer can turn a URL
into another path, query or host. `.` and `..` are refused outright: HTTP libraries
collapse them, which would move a signed header onto another path.
"""

from __future__ import annotations

import re
from urllib.parse import quote

# A URL requests' `prepare_url` (urllib3's parse_url, then requote_uri) leaves as it is:
# lower-case ASCII host, a port, a path of characters neither step changes, no %-escapes,
# no query, fragment or credentials. Dot segments (which parse_url collapses) are refused below.
_PLAIN_URL = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
    r"(?::([1-9][0-9]{0,4}))?(/[A-Za-z0-9._~!$&'()*+,;=:@/-]*)?"
)
# A query requote_uri leaves as it is: its safe characters, and %-escapes of anything but the
# unreserved characters (those it would unescape).
_PLAIN_QUERY = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


class UnsafeSegmentError(ValueError):
    """A value that cannot be one path segment (empty, `.` or `..`)."""


def segment(value: object) -> str:
    """`value` as one percent-encoded path segment."""
    text = str(value)
    if text in ("", ".", ".."):
        raise UnsafeSegmentError(f"{text!r} cannot be a URL path segment")
    return quote(text, safe="")


def developer_tools(base: str, developer_reference: str, *segments: object) -> str:
    """`{base}/developer-tools/{developerRef}/{segments...}`."""
    tail = "/".join(segment(s) for s in segments)
    return f"{base}/developer-tools/{segment(developer_reference)}/{tail}"


def account_api(base: str, account_code: str, path: str) -> str:
    """`{base}/public-api/{accountCode}/{path}`; `path` is the tap's own (e.g. order-service/order/1-3)."""
    return f"{base}/public-api/{segment(account_code)}/{path}"


def is_safe_code(value: object) -> bool:
    """Whether an account code from an answer can be used in a URL at all."""
    return isinstance(value, str) and value not in ("", ".", "..")


def without_query(url: str) -> str:
    """A URL's path for messages: no scheme, host or query (they may name internal hosts)."""
    rest = url.split("://", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path.split("?", 1)[0]


def plain_url(url: str, query: str) -> str | None:
    """`url` with `query` as requests' `PreparedRequest.prepare_url` writes it, or None if unsure.

    For the URLs this tap builds that is concatenation; parsing and requoting them again was
    ~7% of a small request's CPU. Anything out of the ordinary returns None, for requests to do.
    """
    found = _PLAIN_URL.fullmatch(url)
    if found is None or "/." in url or (found.group(1) and int(found.group(1)) > 65535):
        return None
    if query and (
        _PLAIN_QUERY.fullmatch(query) is None or any(chr(int(h, 16)) in _UNRESERVED for h in _ESCAPE.findall(query))
    ):
        return None
    base = url if found.group(2) else url + "/"
    return f"{base}?{query}" if query else base
