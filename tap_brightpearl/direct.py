"""GETs sent straight on urllib3 connection pools, as `HTTPAdapter.send` would send them.

requests' `Session.send` and `HTTPAdapter.send` cost about a third of a small request's CPU
(pool lookup by a re-parsed URL, proxy selection, a cookie jar per answer, hooks). For a host
no proxy applies to, `DirectPools` does what they do and nothing more: the same pool settings
(TLS verification against the same CA bundle, `max_concurrency` connections per host), the
same `urlopen` call (no redirects followed, no urllib3 retries), the same exceptions (urllib3's
errors become the requests errors the retry rules and messages know), and a `requests.Response`
built as `build_response` builds one, for the one error classifier. A host a proxy applies to
(https_proxy, or HTTPS_PROXY/HTTP_PROXY not exempted by NO_PROXY) goes through the session.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import threading
import typing as t
from urllib.parse import urlsplit

import requests
from requests.cookies import RequestsCookieJar, cookiejar_from_dict
from requests.utils import DEFAULT_CA_BUNDLE_PATH, get_encoding_from_headers, select_proxy
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, Timeout
from urllib3 import exceptions as u3
from urllib3.util.retry import Retry

Pool = HTTPConnectionPool  # HTTPSConnectionPool is one too
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NO_TIME = dt.timedelta(0)


class DirectPools:
    """One urllib3 pool per host for the run's unproxied GETs; hosts behind a proxy get None."""

    def __init__(self, session: requests.Session, *, maxsize: int, proxies_for: t.Callable[..., t.Any]) -> None:
        """`proxies_for(request)`: the proxies the session would use for that request's host."""
        self._verify = session.verify
        self._cert = session.cert
        self._maxsize = maxsize
        self._proxies_for = proxies_for
        self._retries = Retry(0, read=False)  # HTTPAdapter(max_retries=0): urllib3 never retries
        self._pools: dict[tuple[str, str], Pool | None] = {}
        self._lock = threading.Lock()

    def pool_for(self, request: requests.PreparedRequest) -> Pool | None:
        """The pool to send `request` on, or None when the session must send it (a proxy, a hook)."""
        if request.method != "GET" or request.hooks.get("response"):
            return None
        url = request.url or ""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        try:
            return self._pools[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self._pools:
                self._pools[key] = self._new_pool(request, parts.scheme.lower(), parts.hostname, parts.port)
            return self._pools[key]

    def _new_pool(
        self, request: requests.PreparedRequest, scheme: str, host: str | None, port: int | None
    ) -> Pool | None:
        url = request.url or ""
        if self._cert is not None or "@" in urlsplit(url).netloc or scheme not in _DEFAULT_PORTS or not host:
            return None  # client certificates, credentials in the URL, odd URLs: the whole requests way
        if select_proxy(url, self._proxies_for(request)):
            return None
        port = port or _DEFAULT_PORTS[scheme]
        if scheme == "http":
            return HTTPConnectionPool(host, port, maxsize=self._maxsize, block=False)
        return HTTPSConnectionPool(host, port, maxsize=self._maxsize, block=False, **self._tls())

    def _tls(self) -> dict[str, t.Any]:
        """What `HTTPAdapter.cert_verify` sets on an https pool."""
        if not self._verify:
            return {"cert_reqs": "CERT_NONE", "ca_certs": None, "ca_cert_dir": None}
        where = self._verify if isinstance(self._verify, str) else DEFAULT_CA_BUNDLE_PATH
        if not where or not os.path.exists(where):
            raise OSError(f"Could not find a suitable TLS CA certificate bundle, invalid path: {where}")
        if os.path.isdir(where):
            return {"cert_reqs": "CERT_REQUIRED", "ca_cert_dir": where}
        return {"cert_reqs": "CERT_REQUIRED", "ca_certs": where}

    def send(self, pool: Pool, request: requests.PreparedRequest, timeout: tuple[float, float]) -> requests.Response:
        """`HTTPAdapter.send(request, stream=True, timeout=timeout)` on `pool`, without the Session around it."""
        try:
            raw = pool.urlopen(
                method="GET",
                url=request.path_url,
                body=None,
                headers=request.headers,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=self._retries,
                timeout=Timeout(connect=timeout[0], read=timeout[1]),
                chunked=False,
            )
        except (u3.ProtocolError, OSError) as err:
            raise requests.exceptions.ConnectionError(err, request=request) from err
        except u3.MaxRetryError as err:
            raise _from_max_retries(err, request) from err
        except u3.ClosedPoolError as err:
            raise requests.exceptions.ConnectionError(err, request=request) from err
        except u3.ProxyError as err:
            raise requests.exceptions.ProxyError(err) from err
        except u3.SSLError as err:
            raise requests.exceptions.SSLError(err, request=request) from err
        except u3.ReadTimeoutError as err:
            raise requests.exceptions.ReadTimeout(err, request=request) from err
        except u3.InvalidHeader as err:
            raise requests.exceptions.InvalidHeader(err, request=request) from err
        return build_response(request, raw)


def _from_max_retries(err: u3.MaxRetryError, request: requests.PreparedRequest) -> requests.RequestException:
    """The requests error `HTTPAdapter.send` raises for urllib3's MaxRetryError."""
    reason = err.reason
    if isinstance(reason, u3.ConnectTimeoutError) and not isinstance(reason, u3.NewConnectionError):
        return requests.exceptions.ConnectTimeout(err, request=request)
    if isinstance(reason, u3.ResponseError):
        return requests.exceptions.RetryError(err, request=request)
    if isinstance(reason, u3.ProxyError):
        return requests.exceptions.ProxyError(err, request=request)
    if isinstance(reason, u3.SSLError):
        return requests.exceptions.SSLError(err, request=request)
    return requests.exceptions.ConnectionError(err, request=request)


class _Response(requests.Response):
    """A `requests.Response` whose (never read) cookie jar is made only if asked for."""

    def __init__(self) -> None:  # what Response.__init__ sets, less the cookie jar
        self._content: bytes | t.Literal[False] | None = False
        self._content_consumed = False
        self._next = None
        self.status_code = None  # type: ignore[assignment]
        self.raw = None
        self.url = None  # type: ignore[assignment]
        self.encoding = None
        self.history = []
        self.reason = None  # type: ignore[assignment]
        self.elapsed = _NO_TIME
        self.request = None  # type: ignore[assignment]

    @functools.cached_property
    def cookies(self) -> RequestsCookieJar:  # type: ignore[override]
        """An empty jar, as `build_response` would leave it with the tap's answers."""
        return cookiejar_from_dict({})


def build_response(request: requests.PreparedRequest, raw: t.Any) -> requests.Response:
    """A `requests.Response` as `HTTPAdapter.build_response` makes it.

    Less two copies nothing reads: the headers stay urllib3's case-insensitive `HTTPHeaderDict`
    (the same `.get`, repeated headers joined the same way), and the cookie jar stays empty.
    """
    response = _Response()
    response.status_code = raw.status
    response.headers = raw.headers
    response.encoding = get_encoding_from_headers(response.headers)
    response.raw = raw
    response.reason = raw.reason
    response.url = request.url or ""
    response.request = request
    return response
