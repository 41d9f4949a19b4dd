"""Fuzz the response parsing: any answer gives valid data or one of the project's errors, never a secret.

`parse_installs` must return sorted, de-duplicated, valid installs (or raise FatalBrightpearlError for
a payload that is not a list); `read_envelope` must return the `response` value of a well-formed 2xx
envelope or raise a BrightpearlError. Responses are built in-process: this is parsing, not a request.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tap_brightpearl.errors import (
    AuthenticationError,
    BrightpearlError,
    FatalBrightpearlError,
    NotFoundError,
    RetriableBrightpearlError,
    ThrottledError,
    read_envelope,
)
from tap_brightpearl.installs import Install, parse_installs, parse_utc
from tap_brightpearl.redact import register_secrets
from tests.conftest import SECRETS

register_secrets(*SECRETS)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Filler that can never spell a 12-character piece of a secret, so any such piece came from one.
FILLER = st.text(alphabet=" .:<>{}[]\"'xyz!?\n", max_size=300)
WINDOW = 12


def secret_pieces() -> set[str]:
    return {s[i : i + WINDOW] for s in SECRETS for i in range(len(s) - WINDOW + 1)}


PIECES = secret_pieces()


def assert_no_secret(text: str) -> None:
    leaked = [p for p in PIECES if p in text]
    assert not leaked, f"part of a secret in a message: {text!r}"


def with_secrets(text_strategy=FILLER):
    """Text that may carry whole secrets at any position, so a cut at any length could split one."""
    return st.lists(st.one_of(text_strategy, st.sampled_from(SECRETS)), max_size=6).map("".join)


# --- parse_installs -------------------------------------------------------------------------------

OFFSETS = st.builds(
    dt.timezone,
    st.timedeltas(min_value=dt.timedelta(hours=-23, minutes=-59), max_value=dt.timedelta(hours=23, minutes=59)),
)
DATETIMES = st.datetimes(timezones=st.one_of(st.none(), OFFSETS))
BAD_DATES = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.sampled_from(
        [
            "",
            "yesterday",
            "2021-13-01T00:00:00Z",
            "2021-02-30T00:00:00Z",
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-05:00",
            "2021-01-01T25:00:00Z",
            "T",
            "Z",
        ]
    ),
)
CODES = st.one_of(st.sampled_from(["acme", "globex", "initech", "a/b", "ü", " spaced "]), st.text(max_size=8))
ANY_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)


@st.composite
def entries(draw):
    """One installed-accounts entry: mostly plausible, often subtly wrong."""
    entry: dict = {}
    if draw(st.integers(0, 9)):
        entry["accountCode"] = draw(st.one_of(CODES, ANY_JSON) if draw(st.integers(0, 5)) == 0 else CODES)
    when = draw(st.one_of(DATETIMES.map(lambda d: d.isoformat()), BAD_DATES, st.text(max_size=25)))
    if draw(st.integers(0, 9)):
        entry["installedOn"] = when
    if draw(st.integers(0, 9)):
        entry["unsignedAccountToken"] = draw(st.one_of(st.sampled_from(SECRETS), st.uuids().map(str), ANY_JSON))
    if draw(st.integers(0, 9)):
        entry["enabled"] = draw(st.one_of(st.booleans(), ANY_JSON))
    return draw(st.one_of(st.just(entry), st.just(entry), st.just(entry), ANY_JSON))


def _valid(entry: object) -> bool:
    """The oracle: what a keepable entry looks like, written independently of the parser."""
    if not isinstance(entry, dict):
        return False
    code, when = entry.get("accountCode"), entry.get("installedOn")
    token, enabled = entry.get("unsignedAccountToken"), entry.get("enabled")
    if not isinstance(code, str) or not code.strip() or not isinstance(when, str):
        return False
    try:
        parsed = dt.datetime.fromisoformat(when.strip())
        (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):
        return False
    return (token is None or isinstance(token, str)) and (enabled is None or isinstance(enabled, bool))


@FUZZ
@given(st.one_of(st.lists(entries(), max_size=25), ANY_JSON))
def test_parse_installs_gives_valid_sorted_unique_installs_or_a_fatal_error(payload):
    handler = _Capture()
    logger = logging.getLogger("tap_brightpearl.installs")
    logger.addHandler(handler)
    try:
        try:
            installs = parse_installs(payload, where="app fuzz")
        except FatalBrightpearlError as exc:
            assert not isinstance(payload, list)
            assert "instead of a list" in str(exc)
            assert_no_secret(str(exc))
            return
    finally:
        logger.removeHandler(handler)
    assert isinstance(payload, list)
    assert all(isinstance(i, Install) for i in installs)
    keys = [(i.installedOn, i.accountCode) for i in installs]
    assert keys == sorted(keys)
    codes = [i.accountCode for i in installs]
    assert len(codes) == len(set(codes))
    valid = [e for e in payload if _valid(e)]
    assert set(codes) == {e["accountCode"] for e in valid}
    for install in installs:
        record = install.record()
        assert record["installedOn"].endswith("Z") and parse_utc(record["installedOn"]) is not None
        newest = max(parse_utc(e["installedOn"]) for e in valid if e["accountCode"] == install.accountCode)
        assert install.installedOn == newest, "a duplicate keeps its newest installation"
        source = next(
            e for e in valid if e["accountCode"] == install.accountCode and parse_utc(e["installedOn"]) == newest
        )
        assert record["unsignedAccountToken"] == source.get("unsignedAccountToken")
        assert record["enabled"] == source.get("enabled")
        assert abs(parse_utc(record["installedOn"]) - install.installedOn) < dt.timedelta(milliseconds=1)
    for message in handler.messages:
        assert_no_secret(message)
        for entry in payload:
            token = entry.get("unsignedAccountToken") if isinstance(entry, dict) else None
            if isinstance(token, str) and len(token) >= 8:
                assert token not in message, "an account token in a log message"


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


# --- read_envelope --------------------------------------------------------------------------------

STATUSES = st.one_of(
    st.sampled_from([200, 200, 200, 201, 204, 301, 302, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504]),
    st.integers(100, 599),
)
ERROR_LISTS = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "code": st.one_of(st.sampled_from(["CMNC-018", "CMNC-404", "cmnc-1", "APP-1"]), ANY_JSON),
                "message": with_secrets(),
            }
        ),
        ANY_JSON,
    ),
    max_size=3,
)
ENVELOPES = st.one_of(
    st.fixed_dictionaries({"response": st.one_of(ANY_JSON, with_secrets())}),
    st.fixed_dictionaries({"errors": ERROR_LISTS}),
    st.fixed_dictionaries({"response": ANY_JSON, "errors": ERROR_LISTS}),
    st.just({"response": "You have sent too many requests. Please wait before sending another request"}),
    st.dictionaries(st.text(max_size=8), ANY_JSON, max_size=3),
    ANY_JSON,
)
BODIES = st.one_of(
    ENVELOPES.map(lambda v: json.dumps(v).encode()),
    ENVELOPES.map(lambda v: json.dumps(v).encode()).flatmap(
        lambda b: st.integers(0, max(0, len(b) - 1)).map(lambda n: b[:n])
    ),  # truncated JSON
    with_secrets().map(lambda s: f"<html><body>{s}</body></html>".encode()),
    st.binary(max_size=200),
    st.just(b"[" * 50_000),  # deep nesting: RecursionError inside the JSON parser
    st.just(b'{"response":"' + b"\xff\xfe" * 10 + b'"}'),
)
HEADER_VALUES = st.one_of(
    st.sampled_from(["100", "0", "-5", "inf", "nan", "1e308", "", "soon"]),
    st.text(alphabet="0123456789.-e", max_size=6),
)


@st.composite
def responses(draw):
    response = requests.Response()
    response.status_code = draw(STATUSES)
    response._content = draw(BODIES)
    response.headers["Content-Type"] = draw(
        st.sampled_from(
            ["application/json;charset=UTF-8", "text/html", "application/json; charset=nonsense", "text/plain"]
        )
    )
    if draw(st.booleans()):
        response.headers["Ruid"] = draw(st.sampled_from(["4f1c2e", "", "r" * 40]))
    if draw(st.booleans()):
        response.headers["brightpearl-next-throttle-period"] = draw(HEADER_VALUES)
    response.reason = draw(st.one_of(st.none(), with_secrets()))
    response.url = "https://ws-eu1.brightpearl.com/developer-tools/devref/installed-accounts/app?x=1"
    response.request = requests.Request("GET", response.url).prepare()
    return response


@FUZZ
@given(responses())
def test_read_envelope_returns_a_payload_or_raises_a_project_error(response):
    try:
        payload = read_envelope(response)
    except BrightpearlError as exc:
        message = str(exc)
        assert_no_secret(message)
        assert "ws-eu1.brightpearl.com" not in message and "x=1" not in message, "path only: no host, no query"
        assert "/developer-tools/devref/installed-accounts/app" in message
        assert f"HTTP {response.status_code}" in message
        assert len(message) < 1000
        if isinstance(exc, ThrottledError):
            assert 0 <= exc.wait < float("inf")
            assert response.status_code in (429, 503)
        if isinstance(exc, AuthenticationError):
            assert response.status_code == 401
        if isinstance(exc, NotFoundError):
            assert response.status_code in (403, 404)
        if response.status_code < 300 and not isinstance(exc, RetriableBrightpearlError):
            assert isinstance(exc, FatalBrightpearlError)
        return
    assert response.status_code < 300
    body = response.json()  # requests' own decoding (it falls back to a detected charset)
    assert isinstance(body, dict) and "response" in body
    assert not [e for e in body.get("errors") or [] if isinstance(e, dict)] or not isinstance(body["errors"], list)
    assert payload == body["response"]


@FUZZ
@given(
    st.datetimes(min_value=dt.datetime(1000, 1, 2), max_value=dt.datetime(9999, 12, 30)),
    st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
    st.integers(min_value=0, max_value=999),
)
def test_a_brightpearl_date_time_is_written_as_the_same_instant_in_utc(local, offset_minutes, millis):
    """Brightpearl's "2020-03-31T15:02:44.000-06:00" shape: the instant never changes, whatever the offset
    and whatever was converted before (the minute is remembered, the seconds are not)."""
    from tap_brightpearl.datetimes import utc_text

    local = local.replace(microsecond=millis * 1000)
    hours, minutes = divmod(abs(offset_minutes), 60)
    sign = "-" if offset_minutes < 0 else "+"
    text = f"{local.isoformat(timespec='milliseconds')}{sign}{hours:02d}:{minutes:02d}"
    instant = local.replace(tzinfo=dt.timezone(dt.timedelta(minutes=offset_minutes)))
    assert utc_text(text) == instant.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    bad_second = text[:17] + "61" + text[19:]  # a minute seen before does not vouch for its seconds
    assert utc_text(bad_second) is None


@FUZZ
@given(
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
    st.integers(min_value=0, max_value=999),
    st.integers(min_value=0, max_value=28),
    st.sampled_from(["", "9", "x", "٣", "\\", " "]),
)
def test_a_raw_date_time_converts_as_its_decoded_text_does(local, offset_minutes, millis, at, char):
    """A raw member (still JSON bytes) takes the byte-level fast path; the text must be what the decoded
    string gives, for valid values, values off the calendar (year 1, 9999) and values broken by one character."""
    import msgspec

    from tap_brightpearl.datetimes import NotDateTime, timestamp, utc_text

    def as_sent(value: object) -> object:  # timestamp, with a string that is not a date-time as it came
        try:
            return timestamp(value)
        except NotDateTime as err:
            return err.text

    hours, minutes = divmod(abs(offset_minutes), 60)
    sign = "-" if offset_minutes < 0 else "+"
    stamp = local.replace(microsecond=millis * 1000).isoformat(timespec="milliseconds")
    text = f"{stamp}{sign}{hours:02d}:{minutes:02d}"
    if char:
        text = text[:at] + char + text[at + 1 :]
    raw = msgspec.Raw(msgspec.json.encode(text))
    assert as_sent(raw) == (utc_text(text) or text)
