"""Brightpearl's bulk-read machinery, written once: `*-search` paging and ID-set detail GETs.

A search answers positional rows plus `metaData.columns`; we zip them into dicts and
page with `firstResult`. Details come from GETs that take ID sets ("1-100,105") up to
each resource's cap.

Paging is bounded by what the answers themselves say: it stops when a page brings no id
not seen before, or when more pages were asked than `resultsAvailable` allows (with a
WARNING), so a search that claims a billion results, or always the same 500, cannot loop.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import typing as t
from dataclasses import dataclass

from tap_brightpearl.fanout import ordered_map
from tap_brightpearl.installs import format_utc

LOGGER = logging.getLogger("tap_brightpearl.search")
PAGE_SIZE = 500  # Brightpearl's maximum; larger values are silently clamped
PAGE_OVERLAP = 20  # re-read a few rows per page so a record that leaves an earlier page shifts nothing past us
EXTRA_PAGES = 3  # pages beyond what resultsAvailable implies (records added during the read)
# A page that claims more pages must be at least this full. Brightpearl pages hold 200 rows by
# default and 500 at most (guess: no recording shows a long paged search); a short page that
# still claims more is a server not paging as documented, and following it could never end.
MIN_FULL_PAGE = 100
MAX_BLIND_PAGES = 2000  # 1,000,000 rows: the end of paging a search whose totals cannot be trusted

SINCE = "{since}"  # in Resource.also: the range "from the bookmark on"

Fetch = t.Callable[[str, dict[str, t.Any] | None], t.Any]


@dataclass(frozen=True)
class Resource:
    """One searchable Brightpearl resource and how to read it."""

    search_path: str  # e.g. "order-service/order-search"
    id_column: str  # the search column holding the id, e.g. "orderId"
    detail_path: str | None = None  # e.g. "order-service/order"; None: the search rows are the records
    detail_cap: int = 200  # ids per detail GET
    detail_id_field: str = "id"  # the id member of a detail body
    include_optional: str | None = None  # e.g. "customFields" where the GET offers it
    # Date columns searched from the bookmark on; the first is the sort of a full read. A record's
    # bookmark value is the first of them it has (updatedOn is null for a record never updated).
    changed: tuple[str, ...] = ("updatedOn", "createdOn")
    # Filters searched on every incremental run besides (e.g. goods-out notes not shipped yet: they
    # still change but have no updatedOn). SINCE in a value stands for "from the bookmark on".
    also: tuple[tuple[tuple[str, str], ...], ...] = ()
    # The search ignores range filters and misreports its totals (supplier payments, reported by a
    # third party): page until a page brings nothing new, and filter by date on our side.
    filters_ignored: bool = False
    key_columns: tuple[str, ...] = ()  # rows resources: the columns that identify a row (default id_column)
    params: tuple[tuple[str, str], ...] = ()  # filters every search of this resource carries

    @property
    def row_key(self) -> tuple[str, ...]:
        """The columns that identify a row."""
        return self.key_columns or (self.id_column,)


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
    if not isinstance(meta, dict):
        raise ValueError("search metaData is not an object")
    columns = [c.get("name") for c in meta.get("columns") or [] if isinstance(c, dict)]
    results = payload.get("results") or []
    if not isinstance(results, list):
        raise ValueError("search results are not a list")
    return [dict(zip(columns, row, strict=False)) for row in results if isinstance(row, list)], meta


def column_of(payload: object, column: str) -> tuple[list[t.Any], dict[str, t.Any]]:
    """One column of a search response (every row's value, None where a row lacks it), and metaData.

    The pager needs only the id column; building a dict per row cost more than the rest of paging.
    """
    if not isinstance(payload, dict):
        raise ValueError(f"search answered {type(payload).__name__} instead of an object")
    meta = payload.get("metaData") or {}
    if not isinstance(meta, dict):
        raise ValueError("search metaData is not an object")
    names = [c.get("name") if isinstance(c, dict) else None for c in meta.get("columns") or []]
    results = payload.get("results") or []
    if not isinstance(results, list):
        raise ValueError("search results are not a list")
    if column not in names:
        return [None for _ in results], meta
    index = names.index(column)
    return [row[index] if isinstance(row, list) and len(row) > index else None for row in results], meta


def _int(meta: dict[str, t.Any], key: str) -> int | None:
    value = meta.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class SearchPager:
    """Pages of fresh items from one or more searches of one resource (each item once).

    Items are ids when the resource has detail GETs, else the search rows themselves.
    """

    def __init__(self, fetch: Fetch, resource: Resource, *, workers: int, where: str, ids_only: bool = False) -> None:
        """`where` names the account and stream in warnings; `ids_only` pages ids even of a rows resource."""
        self.fetch, self.resource, self.workers, self.where = fetch, resource, workers, where
        self.rows = resource.detail_path is None and not ids_only
        self.seen: set[t.Any] = set()
        self.truncated: str | None = None  # why a search stopped before its announced end

    def changed_since(self, since: dt.datetime | None) -> t.Iterator[list[t.Any]]:
        """Items of records changed at or after `since` (all records when None).

        Records never updated carry a null updatedOn, which a range filter never matches
        (as far as known), so with a lower bound each date column is searched in turn.
        """
        changed = self.resource.changed
        if since is None or self.resource.filters_ignored:
            yield from self.pages(None, changed[0] if changed else self.resource.id_column)
        else:
            for column in changed:
                yield from self.pages({column: f"{format_utc(since)}/"}, column)

    def also(self, since: dt.datetime | None) -> t.Iterator[list[t.Any]]:
        """The searches an incremental run makes besides (a full read, since None, has read everything)."""
        if since is None:
            return
        for filters in self.resource.also:
            wanted = {name: value.replace(SINCE, f"{format_utc(since)}/") for name, value in filters}
            yield from self.pages(wanted, self.resource.id_column)

    def _page(self, base: dict[str, t.Any], first: int) -> tuple[list[t.Any], dict[str, t.Any]]:
        payload = self.fetch(self.resource.search_path, {**base, "firstResult": first})
        if self.rows:
            return zip_rows(payload)
        return column_of(payload, self.resource.id_column)

    def pages(self, filters: dict[str, str] | None, sort: str) -> t.Iterator[list[t.Any]]:
        """Fresh items page by page, for one search sorted by `sort` ascending."""
        base: dict[str, t.Any] = {
            "pageSize": PAGE_SIZE,
            "sort": f"{sort}.ASC",
            **dict(self.resource.params),
            **(filters or {}),
        }
        if self.resource.filters_ignored:
            yield from self._until_nothing_new(base)
            return
        step = PAGE_SIZE - PAGE_OVERLAP
        page = functools.partial(self._page, base)
        rows, meta = page(1)
        total = _int(meta, "resultsAvailable")
        allowed = (math.ceil(total / step) if total else 1) + EXTRA_PAGES
        fresh = self._fresh(rows)
        if fresh:
            yield fresh
        if meta.get("morePagesAvailable") and len(rows) < MIN_FULL_PAGE:
            self._warn_stop(1, total, f"a page of {len(rows)} rows claimed more pages")
            return
        planned: t.Sequence[int] = ()
        if meta.get("morePagesAvailable") and total is not None and fresh:
            planned = range(1 + step, total + 1, step)
        asked, first = 1, _int(meta, "firstResult") or 1
        # Pages the first answer announced, a few at a time; stop at the first that brings
        # nothing new (the rest are cancelled), which is what a lying total looks like.
        for rows, meta in ordered_map(page, planned, workers=self.workers):
            asked += 1
            fresh = self._fresh(rows)
            if not fresh:
                self._warn_stop(asked, total, "a page brought no record not seen before")
                return
            yield fresh
            if meta.get("morePagesAvailable") and len(rows) < MIN_FULL_PAGE:
                self._warn_stop(asked, total, f"a page of {len(rows)} rows claimed more pages")
                return
            first = _int(meta, "firstResult") or first
        while meta.get("morePagesAvailable") and rows and _int(meta, "lastResult") is not None:
            if asked >= allowed:
                self._warn_stop(asked, total, f"more pages were announced than {total} results allow")
                return
            first = max(first + 1, t.cast("int", _int(meta, "lastResult")) + 1 - PAGE_OVERLAP)
            rows, meta = page(first)
            asked += 1
            fresh = self._fresh(rows)
            if not fresh:
                return  # nothing new: the search has nothing more for us
            yield fresh
            if meta.get("morePagesAvailable") and len(rows) < MIN_FULL_PAGE:
                self._warn_stop(asked, total, f"a page of {len(rows)} rows claimed more pages")
                return

    def _until_nothing_new(self, base: dict[str, t.Any]) -> t.Iterator[list[t.Any]]:
        """For a search whose totals cannot be trusted: page on while pages bring new rows."""
        first = 1
        for _ in range(MAX_BLIND_PAGES):
            rows, _meta = self._page(base, first)
            fresh = self._fresh(rows)
            if not fresh:
                return
            yield fresh
            if len(rows) < MIN_FULL_PAGE:
                return
            first += max(1, len(rows) - PAGE_OVERLAP)
        self._warn_stop(MAX_BLIND_PAGES, None, "it never stopped bringing new rows")

    def _warn_stop(self, asked: int, total: int | None, why: str) -> None:
        self.truncated = f"stopped the search after {asked} pages ({total} results announced): {why}"
        LOGGER.warning("%s: %s", self.where, self.truncated)

    def _fresh(self, items: list[t.Any]) -> list[t.Any]:
        fresh = []
        if self.rows:
            key_columns = self.resource.row_key
            for row in items:
                key = tuple(row.get(c) for c in key_columns)
                if all(k is not None for k in key) and key not in self.seen:
                    self.seen.add(key)
                    fresh.append(row)
            return fresh
        for raw in items:
            if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 and raw not in self.seen:
                self.seen.add(raw)
                fresh.append(raw)
        return fresh
