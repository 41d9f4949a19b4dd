"""Keep secrets out of every log line, whichever library writes it.

Each credential the tap learns (developer token and secret, signed tokens, account, staff,
OAuth and proxy credentials) is registered here together with the other forms a message
can show it in: the repr of bytes, backslash-escaped, JSON-escaped, URL-encoded. A
log-record factory masks every registered form wherever it occurs, whatever its length or
neighbours, before any handler sees the record, including an attached traceback.

Matching looks at each position of a message once per distinct secret length, with a set
lookup, so thousands of account tokens cost no more per line than a handful of secrets.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import traceback
import typing as t
from urllib.parse import quote, quote_plus

MASK = "***"
_MIN_LENGTH = 4  # shorter strings would mask ordinary words; settings reject them at start-up

_lock = threading.Lock()
_forms: set[str] = set()
_lengths: tuple[int, ...] = ()
_installed = False


def _variants(secret: str) -> set[str]:
    """The forms a message can show `secret` in."""
    forms = {
        secret,
        secret.encode("unicode_escape").decode("ascii"),
        json.dumps(secret)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        repr(secret.encode("utf-8", "backslashreplace"))[2:-1],
    }
    return {f for f in forms if len(f) >= _MIN_LENGTH}


def register_secrets(*values: object) -> None:
    """Remember values that must never appear in a log line (None and non-text are ignored)."""
    global _lengths
    new: set[str] = set()
    for value in values:
        if isinstance(value, str) and len(value) >= _MIN_LENGTH:
            new |= _variants(value)
    if not new <= _forms:
        with _lock:
            _forms.update(new)
            _lengths = tuple(sorted({len(f) for f in _forms}, reverse=True))
    _install()


def _hits(text: str) -> list[tuple[int, int]]:
    """Where registered forms occur in `text`: one set lookup per position and distinct length."""
    forms, size = _forms, len(text)
    hits: list[tuple[int, int]] = []
    for length in _lengths:
        if length > size:
            continue
        for start in range(size - length + 1):
            if text[start : start + length] in forms:
                hits.append((start, start + length))
    return hits


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    out: list[str] = []
    cursor = 0
    for start, end in sorted(spans):
        if end <= cursor:
            continue
        if start >= cursor:
            out += [text[cursor:start], MASK]
        cursor = max(cursor, end)
    out.append(text[cursor:])
    return "".join(out)


_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[nrt0\\'\"/])")
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", "'": "'", '"': '"', "/": "/"}


def _decode(text: str, pattern: re.Pattern[str], char: t.Callable[[str], str]) -> tuple[str, list[tuple[int, int]]]:
    """`text` with escapes decoded, and for each decoded character its span in `text`."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    cursor = 0
    for match in pattern.finditer(text):
        for i in range(cursor, match.start()):
            out.append(text[i])
            spans.append((i, i + 1))
        out.append(char(match.group(1)))
        spans.append(match.span())
        cursor = match.end()
    for i in range(cursor, len(text)):
        out.append(text[i])
        spans.append((i, i + 1))
    return "".join(out), spans


def _percent_char(code: str) -> str:
    return chr(int(code, 16))


def _escape_char(code: str) -> str:
    return chr(int(code[1:], 16)) if code[0] in "ux" else _SIMPLE[code]


def _mask_encoded(text: str) -> str:
    """Mask secrets spelled with percent-escapes or backslash-escapes, however mixed or partial."""
    decoded, spans = text, [(i, i + 1) for i in range(len(text))]
    found: list[tuple[int, int]] = []
    for pattern, char in ((_PERCENT, _percent_char), (_ESCAPE, _escape_char)):
        if not pattern.search(decoded):
            continue
        decoded, inner = _decode(decoded, pattern, char)
        spans = [(spans[a][0], spans[b - 1][1]) for a, b in inner]
        found += [(spans[a][0], spans[b - 1][1]) for a, b in _hits(decoded)]
    return _masked(text, found) if found else text


def redact(text: str) -> str:
    """Replace every registered secret (in any form a message can show it) in `text` with the mask."""
    if not _lengths or not text:
        return text
    hits = _hits(text)
    if hits:
        text = _masked(text, hits)
    if "%" in text or "\\" in text:
        text = _mask_encoded(text)
    return text


def _install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: t.Any, **kwargs: t.Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if not _lengths:
                return record
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                message = str(record.msg)
            record.msg, record.args = redact(message), None
            if record.exc_info and record.exc_info[0] is not None:
                text = "".join(traceback.format_exception(*record.exc_info))
                record.exc_text = redact(text).rstrip("\n")
                record.exc_info = None
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
