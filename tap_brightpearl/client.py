"""The base stream every Brightpearl request goes through.

It keeps the SDK's request path (`get_http_request`, the authenticator, `_request`
with its metrics) and adds Brightpearl's rules: the envelope and error classification
from `errors`, the shared throttled session, and retries only for what can succeed.
"""

from __future__ import annotations

import functools
import random
import typing as t
from urllib.parse import urlencode, urlsplit

import backoff
import requests
from singer_sdk.streams.rest import PageContext, RESTStream

from tap_brightpearl.errors import (
    BrightpearlError,
    RetriableBrightpearlError,
    ThrottledError,
    describe,
    read_envelope,
)

if t.TYPE_CHECKING:
    from backoff._typing import Details
    from singer_sdk.helpers.types import Context

    from tap_brightpearl.tap import TapBrightpearl

MAX_THROTTLE_RETRIES = 50  # each waits for the window; bounded so a broken throttle cannot loop forever
MAX_BACKOFF_SECONDS = 60.0

TRANSIENT_TRANSPORT_ERRORS: tuple[type[Exception], ...] = (
    ConnectionResetError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def _proportional_jitter(value: float) -> float:
    """Spread retries by up to a quarter of the wait.

    backoff's default jitter adds up to a whole second, so retry_backoff_seconds would not govern the wait.
    """
    return value * (1.0 + random.random() / 4)  # noqa: S311 - spreading retries, not cryptography


def _gives_up(exc: Exception) -> bool:
    """TLS failures do not heal on retry: a wrong CA bundle must fail at once."""
    return isinstance(exc, requests.exceptions.SSLError)


class BrightpearlStream(RESTStream):
    """Base for developer-tools and account streams."""

    _payload_attr = "_brightpearl_payload"
    payload_type: t.Any = None  # a type a well-formed answer decodes into directly (see errors.read_envelope)

    @property
    def bp_tap(self) -> TapBrightpearl:
        """The tap, typed: it owns the session, throttle, datacentres and signer."""
        return t.cast("TapBrightpearl", self._tap)

    @property
    def url_base(self) -> str:
        """The master datacentre (`data_center`)."""
        return self.bp_tap.datacentres.url(self.bp_tap.master)

    @property
    def requests_session(self) -> requests.Session:
        """One throttled session for the whole run, shared by every stream and worker."""
        return self.bp_tap.session

    @property
    def timeout(self) -> float:  # type: ignore[override]
        """`request_timeout` seconds per request."""
        return float(self.config.get("request_timeout", 60))

    def get_new_paginator(self) -> None:
        """Developer-tools answers come in one response."""
        return

    def validate_response(self, response: requests.Response) -> None:
        """Classify the reply once and keep the unwrapped payload on it.

        Parsing here, inside the retried call, is what lets a truncated or HTML body
        be retried like any other transient failure.
        """
        setattr(response, self._payload_attr, read_envelope(response, self.payload_type))

    def request_decorator(self, func: t.Callable) -> t.Callable:
        """Retry throttles after the window, and transient failures with bounded backoff."""
        max_tries = int(self.config.get("max_retries", 5)) + 1
        transient = backoff.on_exception(
            backoff.expo,
            (RetriableBrightpearlError, *TRANSIENT_TRANSPORT_ERRORS),
            max_tries=max_tries,
            max_value=MAX_BACKOFF_SECONDS,
            factor=self.backoff_factor,
            jitter=_proportional_jitter,
            giveup=lambda e: isinstance(e, ThrottledError) or _gives_up(e),
            on_backoff=self.backoff_handler,
            logger=None,
        )(func)
        # The throttle pool already holds every worker until the window frees up,
        # so a throttled request is retried at once when the pool lets it through.
        return backoff.on_exception(
            backoff.constant,
            ThrottledError,
            interval=0,
            jitter=None,
            max_tries=MAX_THROTTLE_RETRIES,
            logger=None,
        )(transient)

    @property
    def backoff_factor(self) -> float:
        """Seconds of the first retry wait; doubles each time."""
        return float(self.config.get("retry_backoff_seconds", 1.0))

    def backoff_handler(self, details: Details) -> None:
        """Log each retry with the path and reason, never a header or token."""
        exc = details.get("exception")
        reason = str(exc) if isinstance(exc, BrightpearlError) else type(exc).__name__
        request = details["args"][0] if details.get("args") else None
        path = urlsplit(getattr(request, "url", "") or "").path or self.path
        self.logger.warning(
            "Retrying %s in %.1f s (try %d failed): %s",
            path,
            details.get("wait") or 0.0,
            details.get("tries", 0),
            reason,
        )

    def fetch(
        self,
        context: Context | None,
        *,
        url: str | None = None,
        params: dict[str, t.Any] | None = None,
        auth: requests.auth.AuthBase | t.Literal[False] | None = None,
    ) -> t.Any:
        """Make one request (retried as the rules say) and return the unwrapped payload.

        `auth` is the stream's authenticator by default, another one (an account's), or
        False for calls that need none (account-location).
        """
        http = self.get_http_request(page=PageContext(stream_context=context, next_page_token=None))
        query = http.encode_params() if params is None else urlencode(params, safe=self.safe_query_chars)
        # Prepared directly, not through Session.prepare_request: no cookies or session auth are
        # ever used here, and merging them cost a third of a millisecond per request.
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=http.method,
            url=url or http.url,
            params=query,
            headers={**self.requests_session.headers, **http.headers},
        )
        authenticator = self.authenticator if auth is None else auth
        response = self._retrying_send(prepared, context, authenticator or None)
        return getattr(response, self._payload_attr)

    safe_query_chars = "/:"  # Brightpearl's PERIOD filters read as written: updatedOn=2026-01-01T00:00:00Z/

    @functools.cached_property
    def _retrying_send(self) -> t.Callable[..., requests.Response]:
        """`_send_once` wrapped in the retry rules (built once per stream)."""
        return self.request_decorator(self._send_once)

    def _send_once(
        self, prepared: requests.PreparedRequest, context: Context | None, auth: requests.auth.AuthBase | None
    ) -> requests.Response:
        """One attempt. Redirects are not followed: they would carry a signed token elsewhere."""
        if auth is not None:
            prepared = auth(prepared.copy())
        response = self.requests_session.send(prepared, timeout=self.timeout, allow_redirects=False, stream=True)
        try:
            _ = response.content  # read here, so a cut body still has its status and Ruid for the message
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            raise RetriableBrightpearlError(
                describe(response, f"Brightpearl's answer was cut short ({type(exc).__name__})"), response
            ) from None
        self._write_request_duration_log(endpoint=self.path, response=response, context=context, extra_tags=None)
        self.validate_response(response)
        return response

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        """Records are produced by `get_records`; see the subclasses."""
        payload = getattr(response, self._payload_attr, None)
        if isinstance(payload, list):
            yield from payload
        elif isinstance(payload, dict):
            yield payload
