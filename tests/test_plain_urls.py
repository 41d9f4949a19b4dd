"""`urls.plain_url` writes a GET's URL exactly as requests' `Request(...).prepare()` would, or declines.

The tap skips requests' URL parsing and requoting for plain URLs (issue 22, B10); a wrong
shortcut would send another URL than before, so every answer it gives is checked against
requests itself, on the URLs the tap builds and on generated ones full of awkward characters.
"""

from __future__ import annotations

import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from tap_brightpearl import urls
from tap_brightpearl.transport import prepared_get

TAP_URLS = [
    ("https://ws-eu1.brightpearl.com/developer-tools/dev1/account-timezone/acme", None),
    (
        "http://127.0.0.1:45123/public-api/acme/order-service/order-search",
        "updatedOn=2026-01-01T00:00:00Z/&pageSize=500",
    ),
    ("http://127.0.0.1:8080/public-api/a%20b/product-service/product/1-200", None),
    ("https://example.com", "a=%2F&b=%41"),
    ("https://Example.com/x", None),
    ("https://example.com/a/../b", None),
    ("https://example.com:99999/a", None),
    ("https://user:pw@example.com/a", None),
    ("https://example.com/a?b=1", "c=2"),
    ("https://example.com/a/é", None),
    ("https://example.com/a", "q=é&r=~"),
]

ALPHABET = "aZ09-._~!$&'()*+,;=:@/?#[]% %é\t" + "%2F%41%7e%zz"


def _requests_url(url: str, query: str | None) -> str | None:
    try:
        return requests.Request("GET", url, params=query).prepare().url
    except (requests.RequestException, ValueError):
        return None


def _check(url: str, query: str | None) -> None:
    plain = urls.plain_url(url, query or "")
    if plain is not None:
        assert plain == _requests_url(url, query), (url, query)
    reference = requests.Request("GET", url, params=query).prepare() if _requests_url(url, query) else None
    if reference is not None:
        ours = prepared_get(url, query, {})
        assert (ours.method, ours.url, ours.body) == (reference.method, reference.url, reference.body)


def test_the_tap_s_urls_are_written_as_requests_writes_them() -> None:
    for url, query in TAP_URLS:
        _check(url, query)
    # The shortcut is taken for the tap's ordinary URLs (else it saves nothing).
    assert urls.plain_url(TAP_URLS[0][0], "") == TAP_URLS[0][0]
    assert urls.plain_url(TAP_URLS[1][0], TAP_URLS[1][1] or "") is not None


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTP", "ftp"]),
    host=st.sampled_from(["example.com", "127.0.0.1", "a-b.c", "-a.b", "EXAMPLE.com", "x..y", "é.com", "a"]),
    port=st.sampled_from(["", ":80", ":443", ":0", ":080", ":65535", ":65536", ":1x"]),
    path=st.text(alphabet=ALPHABET, max_size=20),
    query=st.none() | st.text(alphabet=ALPHABET, max_size=20),
)
def test_any_url_is_written_as_requests_writes_it_or_left_to_requests(
    scheme: str, host: str, port: str, path: str, query: str | None
) -> None:
    _check(f"{scheme}://{host}{port}{'/' + path if path else ''}", query)
