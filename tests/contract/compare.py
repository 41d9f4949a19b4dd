"""How an emitted record is compared with the Brightpearl object it came from.

The rule: every top-level member Brightpearl sent arrives with an equal value, with only
the documented transformations (date-time members in UTC `Z`; `orderRows` as a list).
Problems are collected, not raised one by one, so a failure lists every lost member.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any


def same(a: Any, b: Any) -> bool:
    """Deep equality of parsed JSON: numbers by value (0.00 == 0.0), but a bool is never a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def parse_instant(value: str) -> dt.datetime:
    """An RFC 3339 / ISO 8601 timestamp with an offset or `Z`, as an aware datetime."""
    parsed = dt.datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return parsed


def _is_date_time(schema: dict[str, Any]) -> bool:
    if schema.get("format") == "date-time":
        return True
    return any(_is_date_time(s) for key in ("anyOf", "oneOf") for s in schema.get(key) or [])


def date_time_members(schema: dict[str, Any]) -> set[str]:
    """Top-level properties the stream's schema marks `"format": "date-time"`."""
    return {name for name, prop in schema.get("properties", {}).items() if _is_date_time(prop)}


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "..."


def _check_instant(name: str, got: Any, want: str) -> list[str]:
    if not isinstance(got, str) or not got.endswith("Z"):
        return [f"{name}: expected UTC RFC 3339 ending in Z for {want!r}, got {_short(got)}"]
    try:
        if parse_instant(got) != parse_instant(want):
            return [f"{name}: {got!r} is not the recorded instant {want!r}"]
    except ValueError as exc:
        return [f"{name}: {got!r} is not RFC 3339 ({exc})"]
    return []


def _check_order_rows(got: Any, want: dict[str, Any]) -> list[str]:
    if not isinstance(got, list):
        return [f"orderRows: expected a list of rows, got {_short(got)}"]
    keys = sorted(want, key=int)
    if [r.get("orderRowId") if isinstance(r, dict) else r for r in got] != [int(k) for k in keys]:
        ids = [r.get("orderRowId") if isinstance(r, dict) else r for r in got]
        return [f"orderRows: expected rows with orderRowId {[int(k) for k in keys]} in this order, got {ids}"]
    problems = []
    for key, row in zip(keys, got, strict=True):
        if type(row["orderRowId"]) is not int:
            problems.append(f"orderRows[{key}].orderRowId: expected the integer {key}, got {row['orderRowId']!r}")
        rest = {k: v for k, v in row.items() if k != "orderRowId"}
        if not same(rest, want[key]):
            lost = sorted(set(want[key]) - set(rest))
            problems.append(f"orderRows[{key}]: differs from the recorded row (missing members: {lost})")
    return problems


def record_problems(stream: str, record: dict[str, Any], recorded: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Every way `record` fails to carry `recorded` (empty when it carries it all)."""
    problems = []
    if record.get("accountCode") != "barulu":
        problems.append(f"accountCode: expected 'barulu', got {_short(record.get('accountCode'))}")
    instants = date_time_members(schema)
    for name, want in recorded.items():
        if name not in record:
            problems.append(f"{name}: missing from the record (recorded {_short(want)})")
        elif name in instants and isinstance(want, str):
            problems += _check_instant(name, record[name], want)
        elif stream == "orders" and name == "orderRows" and isinstance(want, dict):
            problems += _check_order_rows(record[name], want)
        elif not same(record[name], want):
            problems.append(f"{name}: emitted {_short(record[name])}, recorded {_short(want)}")
    return problems
