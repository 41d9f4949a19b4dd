"""Brightpearl's bulk-read machinery, written once: `*-search` paging and ID-set detail GETs.

A search answers positional rows plus `metaData.columns`; we zip them into dicts and
page with `firstResult`. Details come from GETs that take ID sets ("1-100,105") up to
each resource's cap. Timestamps carry the account's local offset; `to_utc` makes them
comparable (and bookmarkable) across accounts.
"""

from __future__ import annotations

import datetime as dt
import itertools
import typing as t
from dataclasses import dataclass

from tap_brightpearl.fanout import ordered_map
from tap_brightpearl.installs import format_utc, parse_utc

PAGE_SIZE = 500  # Brightpearl's maximum; larger values are silently clamped
PAGE_OVERLAP = 20  # re-read a few rows per page so a record that leaves an earlier page shifts nothing past us

Fetch = t.Callable[[str, dict[str, t.Any] | None], t.Any]


@dataclass(frozen=True)
class Resource:
    """One searchable Brightpearl resource and how to read its details."""

    search_path: str  # e.g. "order-service/order-search"
    id_column: str  # the search column holding the id, e.g. "orderId"
    detail_path: str  # e.g. "order-service/order"
    detail_cap: int  # ids per detail GET
    detail_id_field: str = "id"  # the id member of a detail body


def id_set(ids: t.Iterable[int]) -> str:
    """Write ids as Brightpearl's ID set: runs become ranges ("1-3,7,9-10")."""
    ordered = sorted(set(ids))
    parts: list[str] = []
    start = prev = None
    for value in ordered:
        if start is None:
            start = prev = value
        elif value == prev + 1:  # type: ignore[operator]
            prev = value
        else:
            parts.append(f"{start}-{prev}" if start != prev else str(start))
            start = prev = value
    if start is not None:
        parts.append(f"{start}-{prev}" if start != prev else str(start))
    return ",".join(parts)


def chunks(ids: t.Sequence[int], size: int) -> t.Iterator[list[int]]:
    """Split ids into groups of at most `size` (a resource's detail cap)."""
    for i in range(0, len(ids), size):
        yield list(ids[i : i + size])


def zip_rows(payload: object) -> tuple[list[dict[str, t.Any]], dict[str, t.Any]]:
    """Turn a search response into (rows as dicts, metaData)."""
    if not isinstance(payload, dict):
        raise ValueError(f"search answered {type(payload).__name__} instead of an object")
    meta = payload.get("metaData") or {}
    columns = [c.get("name") for c in meta.get("columns") or [] if isinstance(c, dict)]
    results = payload.get("results") or []
    if not isinstance(results, list):
        raise ValueError("search results are not a list")
    return [dict(zip(columns, row, strict=False)) for row in results if isinstance(row, list)], meta


def period(since: dt.datetime | None, until: dt.datetime | None) -> str | None:
    """A PERIOD filter value: "FROM/", "FROM/TO" or "/TO", in UTC."""
    if since is None and until is None:
        return None
    left = format_utc(since) if since else ""
    right = format_utc(until) if until else ""
    return f"{left}/{right}"


def search_ids(
    fetch: Fetch,
    resource: Resource,
    *,
    since: dt.datetime | None,
    until: dt.datetime | None,
    workers: int = 1,
) -> t.Iterator[list[int]]:
    """Yield pages of ids matching updatedOn in [since, until), in updatedOn order, each id once.

    The first page says how many results there are; the pages that count implies are then
    fetched `workers` at a time (in order), and paging goes on one by one while Brightpearl
    says more are available (records changed during the run land at the end).
    """
    seen: set[int] = set()
    base: dict[str, t.Any] = {"pageSize": PAGE_SIZE, "sort": "updatedOn.ASC"}
    window = period(since, until)
    if window:
        base["updatedOn"] = window
    step = PAGE_SIZE - PAGE_OVERLAP

    def page(first: int) -> tuple[list[dict[str, t.Any]], dict[str, t.Any]]:
        return zip_rows(fetch(resource.search_path, {**base, "firstResult": first}))

    def fresh(rows: list[dict[str, t.Any]]) -> list[int]:
        ids = []
        for row in rows:
            raw = row.get(resource.id_column)
            if isinstance(raw, int) and raw not in seen:
                seen.add(raw)
                ids.append(raw)
        return ids

    rows, meta = page(1)
    total = meta.get("resultsAvailable")
    more = meta.get("morePagesAvailable") and isinstance(total, int)
    planned = range(1 + step, total + 1, step) if more else range(0)
    results = itertools.chain([(rows, meta)], ordered_map(page, planned, workers=workers))
    first = 1
    for rows, meta in results:
        if ids := fresh(rows):
            yield ids
        first = meta.get("firstResult") if isinstance(meta.get("firstResult"), int) else first
    while meta.get("morePagesAvailable") and rows and isinstance(meta.get("lastResult"), int):
        first = max(first + 1, meta["lastResult"] + 1 - PAGE_OVERLAP)
        rows, meta = page(first)
        if ids := fresh(rows):
            yield ids


def to_utc(record: dict[str, t.Any], fields: t.Iterable[str]) -> dict[str, t.Any]:
    """Rewrite local-offset timestamps in `fields` as UTC (unparseable values left as they are)."""
    for name in fields:
        parsed = parse_utc(record.get(name))
        if parsed is not None:
            record[name] = format_utc(parsed)
    return record
