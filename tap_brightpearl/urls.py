"""The one place that builds Brightpearl URLs.

Every value that comes from a setting or an answer (developer and app references, account
codes, ids) becomes exactly one percent-encoded path segment, so no answer can turn a URL
into another path, query or host. `.` and `..` are refused outright: HTTP libraries
collapse them, which would move a signed header onto another path.
"""

from __future__ import annotations

from urllib.parse import quote


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
