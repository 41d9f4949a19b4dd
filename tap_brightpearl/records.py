"""Turn a Brightpearl body into a Singer record without losing a member.

The transformations are few and documented: the account code is added, top-level
date-time members (as the schema marks them) are written in UTC, and a member the schema
does not declare, or whose value has another JSON type than declared, is kept inside
`otherMembers` (a JSON object column) with one WARNING per stream and member, so a member
Brightpearl adds later still reaches the warehouse. Brightpearl leaves null members out of
bodies; a missing member is simply absent from the record (null in the warehouse).
"""

from __future__ import annotations

import functools
import logging
import threading
import typing as t

import msgspec

from tap_brightpearl.installs import format_utc, parse_utc

OTHER = "otherMembers"
Raw = msgspec.Raw
_DECODE = msgspec.json.Decoder()
_ROWS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_KIND_OF_BYTE = {
    ord("{"): "object",
    ord("["): "array",
    ord('"'): "string",
    ord("t"): "boolean",
    ord("f"): "boolean",
    ord("n"): "null",
}


def kind_of(value: object) -> str:
    """The JSON type of a value, decoded or still raw JSON (msgspec.Raw)."""
    if isinstance(value, Raw):
        view = memoryview(value)
        kind = _KIND_OF_BYTE.get(view[0]) if len(view) else "null"
        if kind is not None:
            return kind
        text = bytes(view)
        return "number" if b"." in text or b"e" in text or b"E" in text else "integer"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", dict: "object", list: "array"}.get(type(value), "unknown")


def decoded(value: object) -> t.Any:
    """A raw JSON value as Python objects (anything else as it is)."""
    return _DECODE.decode(value) if isinstance(value, Raw) else value


def materialize(record: dict[str, t.Any]) -> dict[str, t.Any]:
    """The record with every raw member decoded (for the SDK's record path, which needs objects)."""
    out = {k: decoded(v) for k, v in record.items()}
    if isinstance(out.get(OTHER), dict):
        out[OTHER] = {k: decoded(v) for k, v in out[OTHER].items()}
    return out


def _accepts(declared: t.Mapping[str, t.Any]) -> frozenset[str] | None:
    """The JSON types a declared member may hold (None: anything)."""
    kinds = declared.get("type")
    if kinds is None:
        return None
    names = {kinds} if isinstance(kinds, str) else set(kinds)
    if "number" in names:
        names.add("integer")
    return frozenset(names)


_BYTES_OF_KIND = {
    "object": b"{",
    "array": b"[",
    "string": b'"',
    "boolean": b"tf",
    "null": b"n",
}


def _first_bytes(accepted: frozenset[str] | None) -> frozenset[int] | None:
    """The first bytes of raw JSON whose type `accepted` surely allows (numbers: only when any number is).

    An integer-only member still goes through `kind_of`, which tells 1 from 1.5.
    """
    if accepted is None:
        return None
    firsts = {b for kind in accepted for b in _BYTES_OF_KIND.get(kind, b"")}
    if "number" in accepted:
        firsts |= set(b"-0123456789")
    return frozenset(firsts)


@functools.lru_cache(maxsize=8192)
def utc_text(value: str) -> str | None:
    """A Brightpearl date-time (any offset, or Z) as UTC with milliseconds and a Z; None if it is not one."""
    parsed = parse_utc(value)
    return format_utc(parsed) if parsed is not None else None


class Shaper:
    """Shapes one stream's records; safe to use from several worker threads.

    Members may arrive still as raw JSON (msgspec.Raw): only the members the tap must read
    (keys, date-times) are decoded, the rest are written out byte for byte, which keeps a
    large order cheap and Brightpearl's own spelling of every value.
    """

    def __init__(
        self, stream: str, schema: t.Mapping[str, t.Any], logger: logging.Logger, keys: t.Iterable[str] = ()
    ) -> None:
        """Learn the declared members, their types, which are date-times, and which are keys."""
        properties: dict[str, t.Any] = dict(schema.get("properties") or {})
        self.stream = stream
        self.logger = logger
        self.timestamps = frozenset(k for k, v in properties.items() if v.get("format") == "date-time")
        self.decode_always = self.timestamps | frozenset(keys)
        self.types = {k: _accepts(v) for k, v in properties.items() if k != OTHER}
        # Per declared member: the first bytes of raw JSON it accepts outright (None: anything),
        # and whether the member must be decoded (keys, date-times).
        self._rules: dict[str, tuple[frozenset[int] | None, bool]] = {
            name: (_first_bytes(accepted), name in self.decode_always) for name, accepted in self.types.items()
        }
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def shape(self, item: t.Mapping[str, t.Any], account: str) -> dict[str, t.Any]:
        """The record for `item` read from `account`."""
        record: dict[str, t.Any] = {"accountCode": account}
        others: dict[str, t.Any] | None = None
        types, decode_always, timestamps, rules = self.types, self.decode_always, self.timestamps, self._rules
        for name, value in item.items():
            rule = rules.get(name)
            if rule is not None and type(value) is Raw and not rule[1]:
                firsts = rule[0]  # the common case: a raw member kept as it is, checked by its first byte
                if firsts is None or memoryview(value)[0] in firsts:
                    record[name] = value
                    continue
            accepted = types.get(name, False)
            kind = kind_of(value)
            if name == "accountCode" or accepted is False or (accepted is not None and kind not in accepted):
                if name == "accountCode" and decoded(value) == account:
                    continue
                if others is None:
                    others = {}
                others[name] = value
                self._note(name, declared=accepted is not False, kind=kind)
                continue
            if name in decode_always and isinstance(value, Raw):
                value = _DECODE.decode(value)
            if name in timestamps and isinstance(value, str):
                value = utc_text(value) or value
            record[name] = value
        if others:
            record[OTHER] = others
        return record

    def _note(self, name: str, *, declared: bool, kind: str) -> None:
        with self._lock:
            if name in self._warned:
                return
            self._warned.add(name)
        if declared:
            self.logger.warning(
                "%s: Brightpearl sent member %r as %s, not the type the schema declares; kept in %s",
                self.stream,
                name,
                kind,
                OTHER,
            )
        else:
            self.logger.warning(
                "%s: Brightpearl sent member %r, which this tap's schema does not declare yet; kept in %s",
                self.stream,
                name,
                OTHER,
            )


def flatten_map(rows: object, id_name: str) -> object:
    """Brightpearl's `{"rowId": {...}}` maps as a list with the id inside, in numeric id order.

    Rows still in raw JSON stay raw: the id is spliced in front of the row's own members.
    """
    if isinstance(rows, Raw):
        if kind_of(rows) != "object":
            return rows
        rows = _ROWS.decode(rows)
    if not isinstance(rows, dict):
        return rows
    out: list[t.Any] = []
    for key, row in sorted(rows.items(), key=lambda kv: (len(str(kv[0])), str(kv[0]))):
        row_id = int(key) if str(key).isdigit() else key
        if isinstance(row, Raw) and kind_of(row) == "object":
            body = bytes(row)
            head = b'{"' + id_name.encode() + b'":' + msgspec.json.encode(row_id)
            out.append(Raw(head + (b"," + body[1:] if body[1:].strip() != b"}" else b"}")))
        elif isinstance(row, dict):
            out.append({**row, id_name: row_id})
        else:
            out.append({id_name: row_id, "value": decoded(row)})
    return out
