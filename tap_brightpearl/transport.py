"""Every HTTP request of a run goes through `Transport.request`: one set of rules.

- the throttle (via the session's adapter), with a total wait budget per request
  (`max_throttle_wait_seconds`);
- retries with bounded exponential backoff for what can succeed on retry, and only that;
- `request_timeout` bounds the whole exchange: the body is read in pieces against a
  deadline, so a server that drips one byte a second cannot hold a worker;
- `max_response_mb` bounds the decompressed size of one answer (gzip bombs, endless
  chunked bodies);
- redirects are never followed (they would carry a signed header elsewhere);
- the answer is classified once, by `errors.read_envelope`.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
import typing as t
from urllib.parse import urlsplit

import backoff
import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.utils import resolve_proxies, select_proxy
from typing_extensions import override

from tap_brightpearl import throttle as throttling
from tap_brightpearl.direct import DirectPools
from tap_brightpearl.errors import (
    BrightpearlError,
    FatalBrightpearlError,
    RetriableBrightpearlError,
    ThrottledError,
    describe,
    read_envelope,
)
from tap_brightpearl.urls import plain_url, without_query

if t.TYPE_CHECKING:
    from backoff._typing import Details

    from tap_brightpearl.settings import Settings

LOGGER = logging.getLogger("tap_brightpearl.transport")
MAX_BACKOFF_SECONDS = 60.0
CONNECT_TIMEOUT_CAP = 30.0
# The most one socket read may return. The body still to come (Content-Length) sizes each read below
# that: 256 KiB reads of B9's 470 KB bodies cost twice the CPU of reads sized to the body (bench/RESULTS.md).
_CHUNK = 4 * 1024 * 1024

TRANSIENT: tuple[type[Exception], ...] = (
    ConnectionResetError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)

_RETRIED_AFTER_A_WAIT = (RetriableBrightpearlError, *TRANSIENT)  # the inner backoff layer (Transport._decorate)
_RETRIED = (*_RETRIED_AFTER_A_WAIT, ThrottledError)  # what either layer retries

SOCKS_NEEDS = (
    "a SOCKS proxy needs the PySocks package, which is not installed (pip install 'requests[socks]'); "
    "or use an http:// proxy"
)


class ThrottleBudgetError(BrightpearlError):
    """Brightpearl kept throttling one request for longer than max_throttle_wait_seconds."""


def _proportional_jitter(value: float) -> float:
    """Spread retries by up to a quarter of the wait (backoff's default adds a whole second)."""
    return value * (1.0 + random.random() / 4)  # noqa: S311 - spreading retries, not cryptography


def _gives_up(exc: Exception) -> bool:
    """TLS failures do not heal on retry, nor does a stopping run."""
    return isinstance(exc, (requests.exceptions.SSLError, throttling.Stopped))


def read_body(response: requests.Response, *, deadline: float, limit: int) -> bytes:
    """Read the whole (decoded) body by pieces, within `deadline` and `limit` bytes.

    Each piece is one socket read (`read1`), so the deadline is checked at least once per
    `request_timeout` however slowly the server sends; urllib3 caps each decompressed piece
    (at what is left of the body, at most `_CHUNK`), so a gzip bomb never inflates past one
    piece before the limit is checked.
    """
    raw = response.raw
    pieces: list[bytes] = []
    size = 0
    whole_when_counted = "content-encoding" not in response.headers  # nothing left in a decoder once the bytes are in
    while True:
        try:
            piece = raw.read1(min(raw.length_remaining or _CHUNK, _CHUNK), decode_content=True)
        except urllib3.exceptions.ReadTimeoutError:
            raise RetriableBrightpearlError(
                describe(response, "no answer within request_timeout: the body stalled"), response
            ) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise RetriableBrightpearlError(
                describe(response, f"Brightpearl's answer was cut short ({type(exc).__name__})"), response
            ) from None
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
        if size > limit:
            raise FatalBrightpearlError(
                describe(
                    response,
                    f"Brightpearl's answer is larger than max_response_mb ({limit // (1024 * 1024)} MB); "
                    "nothing of it was used",
                ),
                response,
            )
        if time.monotonic() > deadline:
            raise RetriableBrightpearlError(
                describe(response, "no answer within request_timeout: the body took longer"), response
            )
        if whole_when_counted and raw.length_remaining == 0:
            break  # the whole Content-Length is in (urllib3 has handed the connection back): no read to learn it
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)  # one copy, however many pieces


class _Session(requests.Session):
    """A session that works out each host's proxies once per run.

    `Session.send` would otherwise scan the whole environment (HTTPS_PROXY, NO_PROXY, ...)
    three times per request: a third of the client's CPU for 2,000 small calls.
    """

    def __init__(self) -> None:
        super().__init__()
        self._proxies_by_host: dict[tuple[str, str], dict[str, str]] = {}

    def proxies_for(self, request: requests.PreparedRequest) -> dict[str, str]:
        """The proxies `Session.send` would use for `request`'s host (environment and setting)."""
        parts = urlsplit(request.url or "")
        key = (parts.scheme, parts.netloc)
        if key not in self._proxies_by_host:
            self._proxies_by_host[key] = resolve_proxies(request, self.proxies, self.trust_env)
        return self._proxies_by_host[key]

    @override
    def send(self, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:
        if "proxies" not in kwargs:
            kwargs["proxies"] = self.proxies_for(request)
        return super().send(request, **kwargs)


class _NoCookies(requests.cookies.RequestsCookieJar):
    """A session jar that keeps nothing, since the tap prepares its requests itself.

    A cookie a server set would never be sent back anyway, and parsing each answer's headers
    for one costs CPU.
    """

    @override
    def extract_cookies(self, response: t.Any, request: t.Any) -> None:
        return None


def prepared_get(url: str, query: str | None, headers: t.Mapping[str, str]) -> requests.PreparedRequest:
    """A GET as `requests.Request("GET", url, params=query).prepare()` makes it, with `headers`.

    Less two steps that cannot change it: the Cookie header of a new, empty jar, and credentials
    in the URL (a URL with an @ goes the whole way). Together they were ~4% of a request's CPU.
    A plain URL (`urls.plain_url`) is not parsed and requoted either: ~7% more.
    """
    if "@" in url:
        prepared = requests.Request("GET", url, params=query).prepare()
    else:
        prepared = requests.PreparedRequest()
        prepared.prepare_method("GET")
        plain = plain_url(url, query or "")
        if plain is not None:
            prepared.url = plain
        else:
            prepared.prepare_url(url, query or "")  # a str skips requests' slow Protocol isinstance checks
        prepared.prepare_headers({})
        prepared.prepare_body([], [], None)
    prepared.headers.update(headers)
    return prepared


def make_session(settings: Settings, *, user_agent: str, ca_bundle: str | None) -> requests.Session:
    """One pooled session for the run: as many connections per host as requests may be in flight."""
    session = _Session()
    session.cookies = _NoCookies()
    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=settings.max_concurrency, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = user_agent
    if settings.https_proxy:  # Session.send uses these whatever NO_PROXY says
        session.proxies = {"https": settings.https_proxy, "http": settings.https_proxy}
    if ca_bundle:  # Session.send does not read REQUESTS_CA_BUNDLE itself
        session.verify = ca_bundle
    return session


class Transport:
    """Sends requests with the run's rules; one per run, shared by every thread.

    `max_concurrency` is the one concurrency budget: at most that many requests are on the
    wire at once (a slot is taken only after the throttle pool admitted the request, so a
    worker waiting for its window never blocks another account), and the connection pool
    holds exactly that many connections per host.
    """

    def __init__(self, session: requests.Session, throttle: throttling.Throttle, settings: Settings) -> None:
        """Keep the session, the throttle and the limits that apply to every request."""
        self.session = session
        self.throttle = throttle
        self._slots = threading.BoundedSemaphore(settings.max_concurrency)
        self.timeout = settings.request_timeout
        self.max_tries = settings.max_retries + 1
        self.backoff_factor = settings.retry_backoff_seconds
        self.throttle_budget = settings.max_throttle_wait_seconds
        self.limit = settings.max_response_bytes
        proxies_for = self._proxies_for = getattr(session, "proxies_for", None)
        self.direct = (
            DirectPools(session, maxsize=settings.max_concurrency, proxies_for=proxies_for) if proxies_for else None
        )
        # Proxies that failed a request through all its retries: every later request through one fails at
        # once (a dead https_proxy used to cost every stream its own minute of retries, ~20 min for 38 streams).
        self._unusable_proxies: set[str] = set()

    def _send(
        self,
        prepared: requests.PreparedRequest,
        auth: requests.auth.AuthBase | None,
        read: t.Callable[[requests.Response], t.Any],
    ) -> t.Any:
        """The first attempt as it is; from its failure on, backoff's rules, that failure counted as their first try.

        Most requests succeed at once, and the two backoff layers cost ~30 us per request on the way
        (B10: a twentieth of the tap's CPU per timezone request): they are built only for a retry.
        """
        try:
            return self._send_once(prepared, auth, read)
        except _RETRIED as exc:
            failed = [exc]

        def again(*args: t.Any) -> t.Any:
            if failed:
                raise failed.pop()  # backoff's first try: the failure above, logged and waited for as one
            return self._send_once(*args)

        return self._decorate(again)(prepared, auth, read)

    def _decorate(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        transient = backoff.on_exception(
            backoff.expo,
            _RETRIED_AFTER_A_WAIT,
            max_tries=self.max_tries,
            max_value=MAX_BACKOFF_SECONDS,
            factor=self.backoff_factor,
            jitter=_proportional_jitter,
            giveup=lambda e: isinstance(e, ThrottledError) or _gives_up(e),
            on_backoff=self._log_retry,
            logger=None,
        )(func)
        # A throttled request is retried as soon as its pool lets it through: the pool itself
        # holds every worker until the window frees up, within the request's throttle budget.
        return backoff.on_exception(backoff.constant, ThrottledError, interval=0, jitter=None, logger=None)(transient)

    @staticmethod
    def _log_retry(details: Details) -> None:
        exc = details.get("exception")
        reason = str(exc) if isinstance(exc, BrightpearlError) else describe_cause(exc)
        request = details["args"][0] if details.get("args") else None
        path = without_query(getattr(request, "url", "") or "")
        LOGGER.warning(
            "Retrying %s in %.1f s (try %d failed): %s", path, details.get("wait") or 0.0, details["tries"], reason
        )

    def request(
        self,
        prepared: requests.PreparedRequest,
        *,
        auth: requests.auth.AuthBase | None = None,
        payload_type: t.Any = None,
        reader: t.Callable[[requests.Response], t.Any] | None = None,
    ) -> t.Any:
        """Send `prepared` (authenticated per attempt) and return what the answer means.

        `reader` classifies the answer: Brightpearl's envelope by default (`payload_type` lets
        a well-formed answer decode straight into typed objects), or another (OAuth tokens).
        """
        deadline = time.monotonic() + self.throttle_budget
        read = reader or functools.partial(read_envelope, payload_type=payload_type)
        if self._unusable_proxies and self._proxy_of(prepared) in self._unusable_proxies:
            raise requests.exceptions.ProxyError(
                "this proxy already failed a request through all its retries in this run", request=prepared
            )
        try:
            with throttling.throttle_deadline(deadline):
                return self._send(prepared, auth, read)
        except requests.exceptions.ProxyError:
            proxy = self._proxy_of(prepared)
            if proxy is not None:
                self._unusable_proxies.add(proxy)
            raise
        except (ThrottledError, throttling.ThrottleBudgetExceeded) as exc:
            response = getattr(exc, "response", None)
            detail = (
                f"Brightpearl kept throttling the request for more than max_throttle_wait_seconds "
                f"({self.throttle_budget:g} s); other apps may share this throttle pool"
            )
            if response is not None:
                raise ThrottleBudgetError(describe(response, detail), response) from None
            raise ThrottleBudgetError(f"{detail} (GET {without_query(prepared.url or '')})") from None

    def _proxy_of(self, prepared: requests.PreparedRequest) -> str | None:
        """The proxy `prepared` goes through (the setting or the environment), None when it goes direct."""
        if self._proxies_for is None:
            return None
        return select_proxy(prepared.url or "", self._proxies_for(prepared)) or None

    def _send_once(
        self,
        prepared: requests.PreparedRequest,
        auth: requests.auth.AuthBase | None,
        read: t.Callable[[requests.Response], t.Any],
    ) -> t.Any:
        if throttling.STOP.is_set():
            raise throttling.Stopped("the run is stopping")
        attempt = auth(prepared.copy()) if auth is not None else prepared
        timeout = (min(self.timeout, CONNECT_TIMEOUT_CAP), self.timeout)
        grant = self.throttle.acquire(attempt.url or "")
        response: requests.Response | None = None
        try:
            with self._slots:
                self.throttle.sent(grant)
                deadline = time.monotonic() + self.timeout
                pool = self.direct.pool_for(attempt) if self.direct is not None else None
                if pool is not None:  # no proxy for this host: straight on urllib3 (same rules)
                    response = self.direct.send(pool, attempt, timeout)
                else:
                    try:
                        response = self.session.send(attempt, timeout=timeout, allow_redirects=False, stream=True)
                    except requests.exceptions.InvalidSchema as exc:  # raised before requests knew the request
                        exc.request = exc.request or attempt
                        raise
                try:
                    body = read_body(response, deadline=deadline, limit=self.limit)
                except BaseException:
                    response.close()  # drop a half-read connection; never hand it back to the pool
                    raise
                # What Response.content would hold had requests read the body itself.
                response._content, response._content_consumed = body, True
        finally:
            self.throttle.release(grant, response if response is not None and response._content_consumed else None)
        return read(response)


def describe_cause(exc: BaseException | None) -> str:
    """What went wrong before a readable answer arrived, in words that name the setting to check."""
    if isinstance(exc, requests.exceptions.SSLError):
        return "its TLS certificate is not trusted (see the ca_bundle setting)"
    if isinstance(exc, requests.exceptions.ProxyError):
        return "the proxy (https_proxy, or HTTPS_PROXY / HTTP_PROXY / ALL_PROXY) could not be used"
    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer within request_timeout"
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return "the answer was cut short"
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc).lower()
        if "read timed out" in text or "timed out" in text:
            return "no answer within request_timeout"
        if "name or service" in text or "resolve" in text or "nodename" in text:
            return "host name not found"
        return "connection refused" if "refused" in text else "the connection was refused or reset"
    if isinstance(exc, throttling.Stopped):
        return "the run was stopped"
    if isinstance(exc, requests.exceptions.InvalidSchema) and "socks" in str(exc).lower():
        # ALL_PROXY=socks5://... in the environment (the https_proxy setting is checked at start-up)
        return "the proxy the environment names (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY) is a SOCKS proxy: " + SOCKS_NEEDS
    return "the request failed"


def describe_transport_failure(exc: BaseException, *, where: str | None = None) -> str:
    """One line for a request that never got a readable answer.

    A run names the method and path, never the host, port or library text; the setup check
    passes `where` (which datacentre, at which URL) because there the host is what to fix.
    """
    cause = f"{describe_cause(exc)} ({type(exc).__name__})"
    if where is not None:
        return (
            f"could not reach {where}: {cause}. Check the data_center and datacenter_urls settings "
            "(and https_proxy if you need a proxy)"
        )
    request = getattr(exc, "request", None)
    method = getattr(request, "method", None) or "GET"
    path = without_query(str(getattr(request, "url", None) or "")) if request is not None else "?"
    return (
        f"No usable answer from Brightpearl for {method} {path}: {cause}. "
        "Check the network and the https_proxy, ca_bundle and request_timeout settings; "
        "transient failures were retried max_retries times"
    )
