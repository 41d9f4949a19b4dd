"""Brightpearl date-times written in UTC: the conversion every record's date-time members go through.

Brightpearl writes "2020-03-31T15:02:44.000-06:00" (any offset). A record has several, and converting
them through `datetime` was a fifth of a large order's cost, so the common shape is converted by
arithmetic on its minute of the day: the date, the hour and minute, the offset and the seconds are
each looked up among the values known valid (dates remembered as they come, the rest built once),
and only a date that is not yet known, or off the calendar, goes through `datetime`. A member still
raw (JSON bytes) is matched against that shape in one regex call and looked up by its bytes, with
no text decoded. Whatever a fast path does not recognise takes the general one, so every path gives
the same text for every input (tests/test_fuzz_parsing.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import re

import msgspec

from tap_brightpearl.installs import format_utc, parse_utc

Raw = msgspec.Raw
_DECODE = msgspec.json.Decoder()
_QUOTE, _BACKSLASH = ord('"'), ord("\\")  # ints: `in` on one byte value is a memchr, a bytes needle is not
_DIGITS = "0123456789"
_UTC_MINUTES: dict[str, str] = {}  # "2020-03-31T15:02-06:00" -> "2020-03-31T21:02"
_UTC_MINUTES_KEPT = 65536
_DAY = 24 * 60
_MINUTE_OF_DAY = {f"{h:02d}:{m:02d}": h * 60 + m for h in range(24) for m in range(60)}  # "15:02" -> 902
_CLOCK = list(_MINUTE_OF_DAY)  # minute of the day -> "HH:MM"
_OFFSET_MINUTES = {f"{s}{k[:2]}:{k[3:]}": (-v if s == "-" else v) for k, v in _MINUTE_OF_DAY.items() for s in "+-"}
_SECONDS = frozenset(f":{s:02d}" for s in range(60))  # ":44" of ":44.000"
_MILLIS = frozenset(f"{m:03d}" for m in range(1000))
_DATES: dict[str, tuple[str | None, str, str | None] | None] = {}  # "2020-03-31" -> (day before, it, day after)
_DATES_KEPT = 65536
# The same shape still as raw JSON bytes, and the tables keyed by its bytes (a date not valid: None).
_RAW_SHAPE = re.compile(
    rb'"([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}:[0-9]{2})(:[0-5][0-9]\.[0-9]{3})([+-][0-9]{2}:[0-9]{2})"'
)
_RAW_MINUTE_OF_DAY = {k.encode(): v for k, v in _MINUTE_OF_DAY.items()}
_RAW_OFFSETS = {k.encode(): v for k, v in _OFFSET_MINUTES.items()}
_RAW_DATES: dict[bytes, tuple[str | None, str, str | None] | None] = {}


class NotDateTime(ValueError):
    """A string in a date-time member that is not one (`text`: the string as it came)."""

    def __init__(self, text: str) -> None:
        """Keep the string."""
        super().__init__(text)
        self.text = text


@functools.lru_cache(maxsize=256)
def _offset(text: str) -> dt.timedelta:
    """An offset such as -06:00 as a signed duration (ValueError if it is not one).

    ASCII digits only, as `fromisoformat` reads them: `int()` and `isdigit()` also take other scripts' digits ("٣").
    """
    if not _is_digits(text[1:3] + text[4:6]):
        raise ValueError(text)
    hours, minutes = int(text[1:3]), int(text[4:6])
    if minutes >= 60 or hours >= 24:
        raise ValueError(text)
    delta = dt.timedelta(hours=hours, minutes=minutes)
    return -delta if text[0] == "-" else delta


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _days(text: str) -> tuple[str | None, str, str | None] | None:
    """A "YYYY-MM-DD" date with the days either side (None off the calendar); None if it is not one."""
    days: tuple[str | None, str, str | None] | None = None
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and _is_digits(text[:4] + text[5:7] + text[8:]):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            pass
        else:
            days = (_shifted(day, -1), day.isoformat(), _shifted(day, 1))
    if len(_DATES) >= _DATES_KEPT:
        _DATES.clear()
    _DATES[text] = days
    return days


def _shifted(day: dt.date, by: int) -> str | None:
    try:
        return (day + dt.timedelta(days=by)).isoformat()
    except OverflowError:
        return None


def utc_text(value: str) -> str | None:
    """A Brightpearl date-time (any offset, or Z) as UTC with milliseconds and a Z; None if it is not one."""
    if len(value) == 29 and value[10] == "T" and value[19] == "." and value[23] in "+-" and value[26] == ":":
        # Brightpearl's own shape, "2020-03-31T15:02:44.000-06:00": the common case, made cheap.
        # Offsets are whole minutes, so seconds and milliseconds are copied as they are and only
        # the minute is converted.
        if value[16:19] not in _SECONDS or value[20:23] not in _MILLIS:
            return None
        days = _DATES.get(value[:10]) or _days(value[:10])
        local, offset = _MINUTE_OF_DAY.get(value[11:16]), _OFFSET_MINUTES.get(value[23:])
        if days is not None and local is not None and offset is not None:
            shift, minute = divmod(local - offset, _DAY)
            day = days[shift + 1]
            if day is not None:
                return f"{day}T{_CLOCK[minute]}{value[16:23]}Z"
        minute = _utc_minute(value)  # anything else fromisoformat reads (or refuses) as it did
        return None if minute is None else f"{minute}{value[16:23]}Z"
    parsed = parse_utc(value)
    return format_utc(parsed) if parsed is not None else None


def _utc_minute(value: str) -> str | None:
    """The UTC "YYYY-MM-DDTHH:MM" of a value of Brightpearl's shape, through datetime (remembered)."""
    key = value[:16] + value[23:]
    minute = _UTC_MINUTES.get(key)
    if minute is None:
        try:
            minute = (dt.datetime.fromisoformat(value[:16]) - _offset(value[23:])).isoformat()[:16]
        except (ValueError, OverflowError):
            return None
        if len(_UTC_MINUTES) >= _UTC_MINUTES_KEPT:
            _UTC_MINUTES.clear()
        _UTC_MINUTES[key] = minute
    return minute


def timestamp(value: object) -> object:
    """A date-time member (raw or decoded) in UTC; a value that is not a string as it came.

    A string that is not a date-time raises NotDateTime: the shaper keeps it, as sent, in
    otherMembers with a WARNING.
    """
    if type(value) is Raw:
        text = bytes(value)
        shape = _RAW_SHAPE.fullmatch(text)  # one C call checks every character of the common shape
        if shape is not None:
            date, clock, seconds, offset_text = shape.groups()
            days, local, offset = _RAW_DATES.get(date), _RAW_MINUTE_OF_DAY.get(clock), _RAW_OFFSETS.get(offset_text)
            if days is None:
                days = _days(date.decode())
                if len(_RAW_DATES) >= _DATES_KEPT:
                    _RAW_DATES.clear()
                _RAW_DATES[date] = days
            if days is not None and local is not None and offset is not None:
                shift, minute = divmod(local - offset, _DAY)
                day = days[shift + 1]
                if day is not None:
                    return f"{day}T{_CLOCK[minute]}{seconds.decode()}Z"
        if not text or text[0] != _QUOTE or _BACKSLASH in text:
            return timestamp(_DECODE.decode(text))
        value = text[1:-1].decode("utf-8", "replace")  # a plain JSON string: no escapes to undo
    if isinstance(value, str):
        text = utc_text(value)
        if text is None:
            raise NotDateTime(value)
        return text
    return value
