"""Turn a Brightpearl body into a Singer record without losing a member.

The transformations are few and documented: the account code is added, top-level
date-time members (as the schema marks them) are written in UTC, and a member the schema
does not declare, or whose value has another JSON type than declared, is kept inside
`otherMembers` (a JSON object column) with one WARNING per stream and member, so a member
Brightpearl adds later still reaches the warehouse. Brightpearl leaves null members out of
bodies; a missing member is simply absent from the record (null in the warehouse).
"""

from __future__ import annotations

import logging
import threading
import typing as t

from tap_brightpearl.installs import format_utc, parse_utc

OTHER = "otherMembers"
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def _accepts(declared: t.Mapping[str, t.Any]) -> tuple[tuple[type, ...], bool] | None:
    """The Python types a declared member may hold (None: anything), and whether bool counts."""
    kinds = declared.get("type")
    if kinds is None:
        return None
    names = [kinds] if isinstance(kinds, str) else list(kinds)
    types: tuple[type, ...] = ()
    for name in names:
        types += _JSON_TYPES.get(name, (object,))
    return types, "boolean" in names


class Shaper:
    """Shapes one stream's records; safe to use from several worker threads."""

    def __init__(self, stream: str, schema: t.Mapping[str, t.Any], logger: logging.Logger) -> None:
        """Learn the declared members, their types and which are date-times."""
        properties: dict[str, t.Any] = dict(schema.get("properties") or {})
        self.stream = stream
        self.logger = logger
        self.keeps_others = OTHER in properties
        self.timestamps = tuple(k for k, v in properties.items() if v.get("format") == "date-time")
        self.types = {k: _accepts(v) for k, v in properties.items() if k != OTHER}
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def shape(self, item: t.Mapping[str, t.Any], account: str) -> dict[str, t.Any]:
        """The record for `item` read from `account`."""
        record: dict[str, t.Any] = {"accountCode": account}
        others: dict[str, t.Any] | None = None
        types = self.types
        for name, value in item.items():
            if name == "accountCode":
                continue
            accepted = types.get(name, False)
            if accepted is False or (accepted is not None and not _fits(value, accepted)):
                if others is None:
                    others = {}
                others[name] = value
                self._note(name, declared=accepted is not False, value=value)
            else:
                record[name] = value
        for name in self.timestamps:
            parsed = parse_utc(record.get(name))
            if parsed is not None:
                record[name] = format_utc(parsed)
        if others:
            record[OTHER] = others
        return record

    def _note(self, name: str, *, declared: bool, value: object) -> None:
        with self._lock:
            if name in self._warned:
                return
            self._warned.add(name)
        if declared:
            self.logger.warning(
                "%s: Brightpearl sent member %r as %s, not the type the schema declares; kept in %s",
                self.stream,
                name,
                type(value).__name__,
                OTHER,
            )
        else:
            self.logger.warning(
                "%s: Brightpearl sent member %r, which this tap's schema does not declare yet; kept in %s",
                self.stream,
                name,
                OTHER,
            )


def _fits(value: object, accepted: tuple[tuple[type, ...], bool]) -> bool:
    types, bool_ok = accepted
    if isinstance(value, bool):
        return bool_ok
    return isinstance(value, types)


def flatten_map(rows: object, id_name: str) -> object:
    """Brightpearl's `{"rowId": {...}}` maps as a list with the id inside, in numeric id order."""
    if not isinstance(rows, dict):
        return rows
    out = []
    for key, row in sorted(rows.items(), key=lambda kv: (len(str(kv[0])), str(kv[0]))):
        row_id = int(key) if str(key).isdigit() else key
        out.append({**row, id_name: row_id} if isinstance(row, dict) else {id_name: row_id, "value": row})
    return out
