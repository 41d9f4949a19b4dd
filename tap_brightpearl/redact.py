"""Keep secrets out of every log line, whichever library writes it.

Each secret the tap learns (developer token and secret, signed tokens, account tokens)
is registered here; a log-record factory replaces any of them with `***` before a
handler sees the record, including the text of an attached traceback.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
import typing as t

MASK = "***"
_MIN_SECRET_LENGTH = 4  # shorter strings would mask ordinary words; reject them at config time

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()
_tokens: set[str] = set()
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9+/=_\-]{16,}")
_installed = False


def register_secrets(*values: object) -> None:
    """Remember values that must never appear in a log line."""
    global _secrets
    new = {str(v) for v in values if v is not None and len(str(v)) >= _MIN_SECRET_LENGTH}
    if not new <= _secrets:
        with _lock:
            _secrets = _secrets | new
    _install()


def register_tokens(*values: object) -> None:
    """Remember token-shaped secrets (account tokens and their signatures), however many.

    Thousands of accounts would make a substring scan per secret too slow, so these are
    found by shape (16+ token characters) and a set lookup: one pass per log line.
    """
    new = {str(v) for v in values if v is not None and len(str(v)) >= _MIN_SECRET_LENGTH}
    with _lock:
        _tokens.update(new)
    _install()


def redact(text: str) -> str:
    """Replace every registered secret in `text` with the mask, longest first."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    if _tokens:
        text = _TOKEN_SHAPE.sub(lambda m: MASK if m.group(0) in _tokens else m.group(0), text)
    return text


def _install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: t.Any, **kwargs: t.Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if not _secrets and not _tokens:
                return record
            message = record.getMessage()
            record.msg, record.args = redact(message), None
            if record.exc_info and record.exc_info[0] is not None:
                record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)))
                record.exc_text = record.exc_text.rstrip("\n")
                record.exc_info = None
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
