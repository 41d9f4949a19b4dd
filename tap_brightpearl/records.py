"""Turn a Brightpearl body into a Singer record without losing a member.

The transformations are few and documented: the account code is added, top-level
date-time members (as the schema marks them) are written in UTC, and a member the schema
does not declare, or whose value has another JSON type than declared (or is a string that is
not a date-time where the schema declares one), is kept inside `otherMembers` (a JSON object
column) with one WARNING per stream and member, so a member Brightpearl adds later still
reaches the warehouse. Brightpearl leaves null members out of
bodies; a missing member is simply absent from the record (null in the warehouse).
"""

from __future__ import annotations

import logging
import threading
import typing as t

import msgspec

from tap_brightpearl.datetimes import NotDateTime
from tap_brightpearl.datetimes import timestamp as _timestamp
from tap_brightpearl.shape_plan import PLANS_KEPT, Plan

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


_DOT, _LOWER_E, _UPPER_E = b".eE"


def kind_of(value: object) -> str:
    """The JSON type of a value, decoded or still raw JSON (msgspec.Raw)."""
    if isinstance(value, Raw):
        view = memoryview(value)
        kind = _KIND_OF_BYTE.get(view[0]) if len(view) else "null"
        if kind is not None:
            return kind
        text = bytes(view)  # byte values, not one-byte needles: `in` is then a memchr
        return "number" if _DOT in text or _LOWER_E in text or _UPPER_E in text else "integer"
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


_NUMBER_START = frozenset(b"-0123456789")


def _is_whole(number: bytes) -> bool:
    """Whether a JSON number is written as a whole number (no fraction, no exponent)."""
    return number.lstrip(b"-").isdigit()


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


class Shaper:
    """Shapes one stream's records; safe to use from several worker threads.

    Members may arrive still as raw JSON (msgspec.Raw): only the members the tap must read
    (keys, date-times) are decoded, the rest are written out byte for byte, which keeps a
    large order cheap and Brightpearl's own spelling of every value.
    """

    def __init__(
        self,
        stream: str,
        schema: t.Mapping[str, t.Any],
        logger: logging.Logger,
        keys: t.Iterable[str] = (),
        converters: t.Mapping[str, t.Callable[[t.Any], t.Any]] | None = None,
        *,
        warn_undeclared: bool = True,
    ) -> None:
        """Learn the declared members, their types, which are date-times, and which are keys."""
        properties: dict[str, t.Any] = dict(schema.get("properties") or {})
        self.stream = stream
        self.logger = logger
        self.warn_undeclared = warn_undeclared  # False for permissive schemas: otherMembers is expected
        self.timestamps = frozenset(k for k, v in properties.items() if v.get("format") == "date-time")
        self.decode_always = self.timestamps | frozenset(keys)
        self.types = {k: _accepts(v) for k, v in properties.items() if k != OTHER}
        # Per declared member: the first bytes of raw JSON it accepts outright (None: anything),
        # and whether the member must be decoded (keys, date-times).
        self.converters = dict(converters or {})  # member -> documented transformation (e.g. orderRows)
        for name in self.timestamps:
            self.converters.setdefault(name, _timestamp)
        for name in keys:
            self.converters.setdefault(name, decoded)
        # Per declared member: the first bytes of raw JSON it accepts outright (None: anything),
        # what to do with it (None: keep the raw JSON), and whether it must be a whole number.
        self._rules: dict[str, tuple[frozenset[int] | None, t.Callable[[t.Any], t.Any] | None, bool]] = {
            name: (
                _first_bytes(accepted),
                self.converters.get(name),
                accepted is not None and "integer" in accepted and "number" not in accepted,
            )
            for name, accepted in self.types.items()
        }
        self._warned: set[str] = set()
        self._lock = threading.Lock()
        self._plans: dict[tuple[str, ...], Plan | t.Literal[False]] = {}

    def shape(self, item: t.Mapping[str, t.Any], account: str) -> dict[str, t.Any]:
        """The record for `item` read from `account`."""
        names = tuple(item)
        plan = self._plans.get(names)
        if plan is None:
            plan = self._plan(names)
        if plan and plan.fits(item):
            record = {"accountCode": account, **item}
            try:
                for name, convert, firsts, accepted in plan.converts:
                    value = record[name]
                    if firsts is None or (type(value) is Raw and memoryview(value)[0] in firsts):
                        record[name] = convert(value)
                        continue
                    value = convert(value)  # e.g. orderRows: a map that becomes a list
                    if accepted is not None and kind_of(value) not in accepted:
                        return self._shape_each(item, account)
                    record[name] = value
            except NotDateTime:
                return self._shape_each(item, account)
            return record
        return self._shape_each(item, account)

    def _plan(self, names: tuple[str, ...]) -> Plan | t.Literal[False]:
        """How items with exactly these members are checked at once; False: member by member."""
        plan: Plan | t.Literal[False] = Plan.of(names, self._rules, self.types)
        with self._lock:
            if len(self._plans) >= PLANS_KEPT:
                self._plans.clear()
            self._plans[names] = plan
        return plan

    def _shape_each(self, item: t.Mapping[str, t.Any], account: str) -> dict[str, t.Any]:
        """The record for `item`, member by member (any member decoded, undeclared, or of a surprising type)."""
        record: dict[str, t.Any] = {"accountCode": account}
        others: dict[str, t.Any] | None = None
        types, rules = self.types, self._rules
        for name, value in item.items():
            rule = rules.get(name)
            if rule is not None and type(value) is Raw:
                # The common case: raw JSON whose first byte shows a type the schema allows.
                firsts, convert, whole = rule
                first = memoryview(value)[0]
                if firsts is None or first in firsts or (whole and first in _NUMBER_START and _is_whole(bytes(value))):
                    try:
                        record[name] = value if convert is None else convert(value)
                        continue
                    except NotDateTime:
                        pass  # kept as sent, below
            accepted = types.get(name, False)
            kind = None
            if name in self.converters and accepted is not False:
                try:
                    value = self.converters[name](value)
                except NotDateTime:
                    kind = "a string that is not a date-time"
            kind = kind or kind_of(value)
            if name == "accountCode" or accepted is False or (accepted is not None and kind not in accepted):
                if name == "accountCode" and decoded(value) == account:
                    continue
                if others is None:
                    others = {}
                others[name] = value
                self._note(name, declared=accepted is not False, kind=kind)
                continue
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
        elif self.warn_undeclared:
            self.logger.warning(
                "%s: Brightpearl sent member %r, which this tap's schema does not declare yet; kept in %s",
                self.stream,
                name,
                OTHER,
            )


_OPEN_BRACE = ord("{")


def _row_order(item: tuple[str, object]) -> tuple[int, str]:
    return len(item[0]), item[0]


def flatten_map(rows: object, id_name: str) -> object:
    """Brightpearl's `{"rowId": {...}}` maps as a list with the id inside, in numeric id order.

    Rows still in raw JSON stay raw: the id is spliced in front of the row's own members, and
    a map whose rows are all raw objects becomes one raw JSON array (the same bytes a list of
    them encodes to, without a list to build and walk). Answers with raw members are compact:
    a pretty-printed one is decoded whole.
    """
    if type(rows) is Raw:
        if not len(rows) or memoryview(rows)[0] != _OPEN_BRACE:
            return rows
        rows = _ROWS.decode(rows)
        raw = _raw_rows(t.cast("dict[str, Raw]", rows), id_name)
        if raw is not None:
            return raw
    if not isinstance(rows, dict):
        return rows
    out: list[t.Any] = []
    head = b'{"' + id_name.encode() + b'":'
    pairs = [(str(k), v) for k, v in rows.items()]
    if len(pairs) > 1:
        pairs.sort(key=_row_order)
    for key, row in pairs:
        numeric = key.isascii() and key.isdigit()  # "²" is a digit to isdigit, not to int
        row_id: int | str = int(key) if numeric else key
        if type(row) is Raw:
            body = bytes(row)
            if body[:1] == b"{":
                ident = str(row_id).encode() if numeric else msgspec.json.encode(key)  # "07" is written 7
                out.append(Raw(head + ident + (b"}" if body == b"{}" else b"," + body[1:])))
                continue
            row = _DECODE.decode(body)
        if isinstance(row, dict):
            out.append({**row, id_name: row_id})
        else:
            out.append({id_name: row_id, "value": row})
    return out


def _raw_rows(rows: dict[str, Raw], id_name: str) -> Raw | None:
    """Rows keyed by whole-number ids (as written by `str(int)`), each a raw object, as one raw array.

    None when any key or row is of another kind: the general path then handles them.
    """
    try:
        ids = sorted(map(int, rows))
    except ValueError:
        return None
    if not ids or ids[0] < 0:
        return None
    head = _HEADS.get(id_name)
    if head is None:
        head = _HEADS.setdefault(id_name, b'{"' + id_name.encode() + b'":')
    pieces: list[t.Any] = [b"["]
    lead, previous = head, -1
    for row_id in ids:
        key = str(row_id)
        row = rows.get(key)
        if row is None or row_id == previous:  # "07" or "+7": not the canonical spelling
            return None
        view = memoryview(row)
        if len(view) < 3 or view[0] != _OPEN_BRACE:  # {} and non-objects: the general path
            return None
        pieces += (lead, key.encode(), b",", view[1:])
        lead, previous = b"," + head, row_id
    pieces.append(b"]")
    return Raw(b"".join(pieces))


_HEADS: dict[str, bytes] = {}
