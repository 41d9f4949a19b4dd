"""The one place that decides what a Brightpearl response means.

Every response, from any stream or worker thread, passes through `read_envelope`:
it returns the unwrapped `response` value or raises one of the errors below, whose
type says whether a retry can help and whose message names Brightpearl's code and
message, the HTTP status, the path (never the host or query) and the `Ruid` header.
"""

from __future__ import annotations

import functools
import math
import re
import typing as t
from urllib.parse import urlsplit

import msgspec
import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_brightpearl.redact import redact

THROTTLE_WORDS = "too many requests"
_MAX_BODY_IN_MESSAGE = 200


def throttle_wait_seconds(response: requests.Response, default: float = 1.0) -> float:
    """Read `brightpearl-next-throttle-period` (milliseconds) as seconds."""
    raw = response.headers.get("brightpearl-next-throttle-period")
    try:
        seconds = float(raw) / 1000.0 if raw is not None else default
    except ValueError:
        return default
    return max(0.0, seconds) if math.isfinite(seconds) else default  # "inf"/"nan" parse as floats


def is_throttle(response: requests.Response) -> bool:
    """A 503 that says "too many requests" is the throttle; any other 503 is an outage.

    A 429 is a throttle too, so the pool waits for it instead of retrying at once.
    """
    if response.status_code == requests.codes.too_many_requests:
        return True
    if response.status_code != requests.codes.service_unavailable:
        return False
    try:
        return THROTTLE_WORDS in response.text.lower()
    except (requests.RequestException, UnicodeDecodeError):
        return False


# What to do when developer-tools does not know the developer or the app (its paths name both).
APP_NOT_FOUND_HINT = (
    "Check developer_reference and app_reference (they name your developer account and app in Brightpearl), "
    "and data_center (the datacentre your app is registered in)"
)


# Brightpearl's words for an ID-set GET that found no records (recorded: "No Product Prices Found").
NONE_FOUND = re.compile(r"no [\w -]+ found", re.IGNORECASE)


class BrightpearlError(Exception):
    """Something Brightpearl answered that is not data; carries what a person needs to act."""

    def __init__(self, message: str, response: requests.Response | None = None) -> None:
        """Keep the response for callers that need its status; mask secrets in the text."""
        super().__init__(redact(message))
        self.response = response
        self.status = response.status_code if response is not None else None


class RetriableBrightpearlError(BrightpearlError, RetriableAPIError):
    """A failure that can succeed on retry: an outage, a cut or unreadable body."""


class ThrottledError(RetriableBrightpearlError):
    """Brightpearl's throttle refused the request; retry after the window frees up."""

    def __init__(self, message: str, response: requests.Response, wait: float) -> None:
        """Remember how long Brightpearl asked us to wait."""
        super().__init__(message, response)
        self.wait = wait


class FatalBrightpearlError(BrightpearlError, FatalAPIError):
    """A failure no retry can fix (a client bug, a refused request)."""


class NotFoundError(FatalBrightpearlError):
    """404 or 403: the resource or account is not there for us (uninstalled, closed, elsewhere, forbidden)."""


class NothingFoundError(NotFoundError):
    """404 alone: nothing by that path or those ids.

    An ID-set GET answering it may simply have no records, but only when the body is Brightpearl's
    own "nothing found" answer (`none_found`: recorded as CMNC-404 "No Product Prices Found",
    "No Contact Found"); any other 404 (a path Brightpearl does not serve, a proxy's page) is a
    failure. A 403 is never read as "nothing there" (access refused).
    """

    def __init__(self, message: str, response: requests.Response | None = None, *, none_found: bool = False) -> None:
        """`none_found`: the body said, in Brightpearl's words, that no such records exist."""
        super().__init__(message, response)
        self.none_found = none_found


class AuthenticationError(FatalBrightpearlError):
    """401: the credentials were refused; the run must stop and say which settings to check."""


class RefreshTokenRefused(AuthenticationError):
    """The token endpoint answered invalid_grant: that refresh token is spent or revoked for good."""


def describe(response: requests.Response, detail: str) -> str:
    """Format `detail` with the method, path, status and Ruid of `response`."""
    method = response.request.method if response.request is not None else "GET"
    path = urlsplit(response.url or "").path or "?"
    ruid = response.headers.get("Ruid") or "none"
    return f"{detail} (HTTP {response.status_code} for {method} {path}, Ruid {ruid})"


def _brightpearl_errors(payload: object) -> list[dict[str, t.Any]]:
    """Brightpearl's `errors` member, whatever shape a proxy or a bug gives it."""
    found = payload.get("errors") if isinstance(payload, dict) else None
    if not found:
        return []
    items = found if isinstance(found, list) else [found]
    return [e if isinstance(e, dict) else {"code": "?", "message": str(e)[:_MAX_BODY_IN_MESSAGE]} for e in items]


def _error_text(errors: list[dict[str, t.Any]], payload: object, response: requests.Response) -> str:
    # Mask before cutting: a cut can split a secret so that the mask no longer finds it.
    if errors:
        text = "; ".join(f"{e.get('code', '?')}: {e.get('message', '')}".strip() for e in errors)
    elif isinstance(payload, dict) and isinstance(payload.get("response"), str):
        text = payload["response"]
    else:
        text = str(response.reason or "no error message")
    return redact(text)[:_MAX_BODY_IN_MESSAGE]


def _parse_json(response: requests.Response) -> tuple[bool, object]:
    # msgspec decodes the bytes directly: no second, decoded-text copy of a large body.
    try:
        return True, msgspec.json.decode(response.content)
    except (msgspec.DecodeError, ValueError, RecursionError):  # bad UTF-8 is a ValueError; [[[[... recursion
        return False, None


@functools.lru_cache(maxsize=8)
def _typed_decoder(payload_type: t.Any) -> msgspec.json.Decoder:
    # `errors` is decoded too: a 200 that carries both errors and a response is an error.
    envelope = msgspec.defstruct("Envelope", [("response", payload_type), ("errors", t.Any, None)])
    return msgspec.json.Decoder(envelope)


def _decode_typed(response: requests.Response, payload_type: t.Any) -> tuple[bool, t.Any]:
    """Decode a 2xx body straight into `payload_type` (compact objects instead of dicts).

    Only the well-formed case takes this path; any surprise (an errors envelope, a null, a
    field of the wrong type) falls back to the generic path, whose checks then apply.
    """
    if payload_type is None or not 200 <= response.status_code < 300:
        return False, None
    if b"\n" in response.content or b"\r" in response.content:
        # A pretty-printed answer: typed decoding may keep members as raw JSON, and raw JSON
        # that spans lines cannot go into a one-line Singer message. Decode it all instead.
        return False, None
    try:
        decoded = _typed_decoder(payload_type).decode(response.content)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError):
        return False, None
    if decoded.errors is not None:
        return False, None
    return True, decoded.response


def read_envelope(response: requests.Response, payload_type: t.Any = None) -> t.Any:
    """Return the `response` value of a Brightpearl reply, or raise the error it means.

    `payload_type` (optional) lets a well-formed 2xx body decode into typed objects.
    """
    status = response.status_code
    if is_throttle(response):
        wait = throttle_wait_seconds(response)
        raise ThrottledError(describe(response, "Brightpearl throttled the request"), response, wait)
    typed, value = _decode_typed(response, payload_type)
    if typed:
        return value

    parsed, payload = _parse_json(response)
    errors = _brightpearl_errors(payload)
    text = _error_text(errors, payload, response)

    if status == requests.codes.unauthorized:
        raise AuthenticationError(describe(response, f"Brightpearl refused the credentials: {text}"), response)
    if status >= requests.codes.internal_server_error:
        if any(str(e.get("code", "")).upper().startswith("CMNC") for e in errors):
            # Brightpearl answered with a coded error: the request itself is wrong.
            raise FatalBrightpearlError(describe(response, f"Brightpearl error {text}"), response)
        raise RetriableBrightpearlError(describe(response, f"Brightpearl server error: {text}"), response)
    if status == requests.codes.not_found:
        none_found = any(NONE_FOUND.fullmatch(str(e.get("message", "")).strip()) for e in errors)
        raise NothingFoundError(
            describe(response, f"Brightpearl says not found: {text}"), response, none_found=none_found
        )
    if status == requests.codes.forbidden:
        raise NotFoundError(describe(response, f"Brightpearl refused access: {text}"), response)
    if 300 <= status < 400:
        raise FatalBrightpearlError(
            describe(response, "Brightpearl redirected the request; check datacenter_urls"), response
        )
    if status == requests.codes.proxy_authentication_required:  # a proxy's answer, never Brightpearl's
        raise FatalBrightpearlError(
            describe(response, "the proxy asked for credentials (check the user and password in https_proxy)"),
            response,
        )
    if status >= requests.codes.bad_request:
        raise FatalBrightpearlError(describe(response, f"Brightpearl rejected the request: {text}"), response)

    if not parsed or not isinstance(payload, dict):
        kind = response.headers.get("Content-Type", "unknown content")
        raise RetriableBrightpearlError(
            describe(response, f"Brightpearl sent an unreadable body ({kind}, {len(response.content)} bytes)"),
            response,
        )
    if errors:
        raise FatalBrightpearlError(describe(response, f"Brightpearl error {text}"), response)
    if "response" not in payload:
        raise FatalBrightpearlError(describe(response, "Brightpearl reply has no 'response' member"), response)
    return payload["response"]


def read_oauth(response: requests.Response) -> t.Any:
    """Classify an OAuth token endpoint's answer (plain OAuth JSON, no Brightpearl envelope).

    A refused grant or client is fatal and says which setting to fix; throttles and outages
    are retried like any other request.
    """
    if is_throttle(response):
        raise ThrottledError(
            describe(response, "Brightpearl throttled the token request"), response, throttle_wait_seconds(response)
        )
    parsed, payload = _parse_json(response)
    error = payload.get("error") if isinstance(payload, dict) else None
    described = payload.get("error_description") if isinstance(payload, dict) else None
    detail = redact(f"{error}: {described}" if described else str(error or response.reason or "no message"))
    status = response.status_code
    if status >= requests.codes.internal_server_error:
        raise RetriableBrightpearlError(describe(response, f"the token endpoint failed: {detail}"), response)
    if error == "invalid_grant":
        raise RefreshTokenRefused(
            describe(response, f"Brightpearl refused refresh_token ({detail[:_MAX_BODY_IN_MESSAGE]})"), response
        )
    if error in ("invalid_client", "unauthorized_client") or status == requests.codes.unauthorized:
        raise AuthenticationError(
            describe(response, f"Brightpearl refused client_id or client_secret ({detail[:_MAX_BODY_IN_MESSAGE]})"),
            response,
        )
    if status >= requests.codes.bad_request or (300 <= status < 400):
        raise FatalBrightpearlError(describe(response, f"the token request was refused: {detail}"), response)
    if not parsed or not isinstance(payload, dict):
        raise RetriableBrightpearlError(describe(response, "the token endpoint sent an unreadable body"), response)
    return payload
