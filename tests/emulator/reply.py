"""The response value handlers return; the HTTP layer turns it into bytes on the wire."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

JSON_TYPE = "application/json;charset=UTF-8"


@dataclass
class Reply:
    """An HTTP answer, plus how to (mis)deliver it: normally, reset, or truncated."""

    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    mode: str = "normal"  # "normal" | "reset" | "truncated"


def dumps(obj: object) -> bytes:
    """Encode compactly, like the real API."""
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def errors(code: str, message: str) -> bytes:
    """Build Brightpearl's error envelope."""
    return dumps({"errors": [{"code": code, "message": message}]})


def not_found(message: str = "Resource not found") -> Reply:
    """Return the CMNC-404 answer used for unknown paths, accounts and developers."""
    return Reply(404, errors("CMNC-404", message))
