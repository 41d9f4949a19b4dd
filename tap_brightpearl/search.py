"""Brightpearl's `*-search` paging, written once, and the proof that a search was read whole.

A search answers positional rows plus `metaData` (columns, resultsAvailable, firstResult,
lastResult). The tap sorts every search by its id column, so rows come in id order however
many share a date (OFFSET paging over a non-unique sort loses rows) and every id is new exactly
when it is larger than the last one seen: no set of seen ids, however large the account.

Paging follows what each answer says, never the page size the tap asked for: the first page's
real size plans the later pages (fetched a few at a time), each page must overlap the one before
(its first id at or below the last id read, which a deletion between two requests would break),
and a gap is filled page by page from the last answer's own `lastResult`. At the end the ids read
are counted against the first page's `resultsAvailable`; a shortfall is re-checked once against
a fresh total (records deleted during the read explain it) and otherwise fails the read.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import typing as t

from tap_brightpearl.errors import BrightpearlError
from tap_brightpearl.fanout import ordered_map

PAGE_SIZE = 500  # Brightpearl's maximum (3rd); a server may answer fewer rows per page
OVERLAP = 5  # rows each page re-reads of the one before: proof that nothing shifted in between
EXTRA_PAGES = 10  # pages beyond what resultsAvailable implies (records added during the read)
MAX_BLIND_PAGES = 2000  # searches whose totals cannot be trusted: at most this many pages
STEP_BACKS = 3  # times a page is asked again from further back before the read gives up
# Brightpearl's pages hold 200 rows by default and 500 at most (3rd); a page of fewer rows that still
# announces more is a server not paging as documented, and following it could take for ever.
MIN_FULL_PAGE = 100

Fetch = t.Callable[[str, dict[str, t.Any] | None], t.Any]
Fresh = list[tuple[int, "dict[str, t.Any] | None"]]  # (id, row or None when only ids were wanted), new rows only


class SearchShapeError(BrightpearlError):
    """A search answer without what the tap must read (columns, the id, the date filtered on)."""


class IncompleteReadError(BrightpearlError):
    """A read delivered fewer records than Brightpearl announced; the account's bookmark stays."""

    def __init__(self, message: str, *, expected: int, read: int) -> None:
        """Keep both numbers for the run summary."""
        super().__init__(message)
        self.expected, self.read = expected, read


@dataclasses.dataclass
class Count:
    """What one search (or all of a read's searches) announced and delivered."""

    expected: int = 0
    read: int = 0
    vanished: int = 0  # listed, then gone when asked for twice (deleted during the read)

    def add(self, other: Count) -> None:
        """Sum another search's figures into these."""
        self.expected += other.expected
        self.read += other.read
        self.vanished += other.vanished


@dataclasses.dataclass
class Page:
    """One answer: its rows (dicts), the id of each, and what metaData said."""

    rows: list[dict[str, t.Any]]  # empty when only the ids were wanted
    ids: list[int]
    first: int
    last: int
    available: int | None
    more: bool


def _int(meta: t.Mapping[str, t.Any], key: str) -> int | None:
    value = meta.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_page(
    payload: object, *, id_column: str, needed: t.Iterable[str], where: str, asked: int, zipped: bool = True
) -> Page:
    """Check one search answer and zip its rows with the column names (`zipped`); loud when a shape is wrong."""
    if not isinstance(payload, dict):
        raise SearchShapeError(f"{where}: the search answered {type(payload).__name__}, not an object")
    meta, results = payload.get("metaData"), payload.get("results")
    if not isinstance(meta, dict) or not isinstance(results, list):
        raise SearchShapeError(f"{where}: the search answer has no metaData object or results list")
    names = [c.get("name") if isinstance(c, dict) else None for c in meta.get("columns") or []]
    lacking = [c for c in (id_column, *needed) if c not in names]
    if lacking:
        shown = ", ".join(str(n) for n in names[:30]) or "none"
        raise SearchShapeError(f"{where}: the search has no column {' or '.join(lacking)} (its columns: {shown})")
    index = names.index(id_column)
    rows, ids = [], []
    for position, row in enumerate(results):
        if not isinstance(row, list) or len(row) != len(names):
            raise SearchShapeError(f"{where}: result {asked + position} is not a row of {len(names)} columns")
        value = row[index]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise SearchShapeError(f"{where}: result {asked + position} has {id_column} {str(value)[:40]!r}, not an id")
        if ids and value < ids[-1]:
            raise SearchShapeError(f"{where}: the search did not sort by {id_column} (result {asked + position})")
        if zipped:
            rows.append(dict(zip(names, row, strict=True)))
        ids.append(value)
    first = _int(meta, "firstResult")
    last = _int(meta, "lastResult")
    if results and first is not None and first != asked:
        raise SearchShapeError(f"{where}: asked for results from {asked}, Brightpearl answered from {first}")
    first, sent = asked, len(results)
    last = last if last is not None and sent else first + sent - 1
    if sent and last != first + sent - 1:
        raise SearchShapeError(f"{where}: results {first}-{last} announced, {sent} rows sent")
    more = meta.get("morePagesAvailable") is True
    return Page(rows, ids, first, last, _int(meta, "resultsAvailable"), more)


class SearchPager:
    """Every row (or id) of one search with fixed filters, each once, in id order."""

    def __init__(
        self,
        fetch: Fetch,
        path: str,
        id_column: str,
        *,
        filters: t.Mapping[str, str] | None = None,
        needed: t.Iterable[str] = (),
        workers: int = 1,
        where: str,
        totals_untrusted: bool = False,
        ids_repeat: bool = False,
        zipped: bool = True,
    ) -> None:
        """`needed`: columns the answer must have besides the id (the dates filtered on).

        `ids_repeat`: several rows share an id (a journal's lines): completeness counts rows, not ids.
        """
        self.fetch, self.path, self.id_column, self.where = fetch, path, id_column, where
        self.base = {"pageSize": PAGE_SIZE, "sort": f"{id_column}.ASC", **(filters or {})}
        self.needed = tuple(needed)
        self.workers = workers
        self.totals_untrusted = totals_untrusted
        self.ids_repeat = ids_repeat
        self.zipped = zipped
        self.count = Count()
        self._last_id = 0
        self._rows = 0  # the last result position read (rows, for searches whose ids repeat)
        self._asked = 0
        self._limit = MAX_BLIND_PAGES

    def _get(self, first: int, *, sane: bool = True) -> Page:
        if self._asked >= self._limit:
            raise IncompleteReadError(
                f"{self.where}: stopped after {self._asked} pages, more than {self.count.expected} results "
                f"allow; {self.count.read} read",
                expected=self.count.expected,
                read=self.count.read,
            )
        self._asked += 1
        payload = self.fetch(self.path, {**self.base, "firstResult": first})
        page = read_page(
            payload, id_column=self.id_column, needed=self.needed, where=self.where, asked=first, zipped=self.zipped
        )
        return self._sane(page) if sane else page

    def _sane(self, page: Page) -> Page:
        """A page that announces more rows than it could hold in MIN_FULL_PAGE-row pages is refused, loudly."""
        if page.more and 0 < len(page.ids) < MIN_FULL_PAGE:
            raise IncompleteReadError(
                f"{self.where}: a page of {len(page.ids)} rows announced more ({page.available} results, "
                f"{self.count.read} read); Brightpearl pages hold at least {MIN_FULL_PAGE}, so the search was "
                "not followed",
                expected=page.available or 0,
                read=self.count.read,
            )
        return page

    def _fresh(self, page: Page) -> Fresh:
        """The page's rows after the last id read (a search whose ids repeat: every row of a new id)."""
        out: Fresh = []
        rows: t.Iterable[dict[str, t.Any] | None] = page.rows if self.zipped else itertools.repeat(None)
        for value, row in zip(page.ids, rows, strict=False):
            if value < self._last_id or (value == self._last_id and not self.ids_repeat):
                continue
            if value > self._last_id:
                self.count.read += 1
                self._last_id = value
            out.append((value, row))
        self._rows = max(self._rows, page.last)
        return out

    def rows(self) -> t.Iterator[Fresh]:
        """Pages of (id, row), each row once; raises IncompleteReadError when the search fell short."""
        page = self._get(1, sane=not self.totals_untrusted)
        yield self._fresh(page)
        if self.totals_untrusted:
            yield from self._until_short(page)
            self.count.expected = self.count.read
            return
        total = page.available or 0
        self.count.expected = total
        step = max(1, len(page.ids) - OVERLAP)
        self._limit = 2 * (math.ceil(max(total, 1) / step) + EXTRA_PAGES)
        planned = range(1 + step, total + 1, step) if page.ids and total > len(page.ids) else range(0)
        previous = page
        for planned_page in ordered_map(self._get, planned, workers=self.workers):
            if planned_page.ids and planned_page.ids[0] > self._last_id:
                # Nothing of this page was read before it: rows may have shifted (a deletion between two
                # requests) or a page was short. Read on from the last answer's own lastResult.
                previous = yield from self._fill(previous, planned_page.ids[0])
            yield self._fresh(planned_page)
            if planned_page.ids and planned_page.last > previous.last:
                previous = planned_page
        while previous.more and previous.ids:  # records added during the read, or short pages at the end
            page = self._step(previous)
            if not page.ids or page.ids[-1] <= self._last_id:
                break
            yield self._fresh(page)
            previous = page
        self._check(total)
        if self.ids_repeat:
            self.count.read = max(self.count.read, self._rows)  # rows, as resultsAvailable counts them

    def _step(self, previous: Page) -> Page:
        """The page after `previous`, asked from its own lastResult, overlapping what was read."""
        first = max(previous.first + 1, previous.last + 1 - OVERLAP)
        for back in range(STEP_BACKS + 1):
            # a short page here is the end of what the server delivers: the count decides what it means
            page = self._get(max(1, first - back * OVERLAP * 4), sane=False)
            if not page.ids or page.ids[0] <= self._last_id:
                return page
        raise IncompleteReadError(
            f"{self.where}: results shifted between pages: a page from result {first} no longer overlapped "
            f"the one before, {STEP_BACKS} times",
            expected=self.count.expected,
            read=self.count.read,
        )

    def _fill(self, previous: Page, until_id: int) -> t.Generator[Fresh, None, Page]:
        """Pages after `previous` until the ids read reach `until_id` (where a planned page starts)."""
        while self._last_id < until_id:
            page = self._step(previous)
            yield self._fresh(page)
            if not page.ids or page.last <= previous.last:
                break
            previous = page
        return previous

    def _until_short(self, page: Page) -> t.Iterator[Fresh]:
        """A search whose totals lie: page on while pages are full and bring new ids."""
        size = max(1, len(page.ids))
        previous = page
        while previous.ids and len(previous.ids) >= size:
            page = self._step(previous)
            if not page.ids or page.ids[-1] <= self._last_id:
                return
            yield self._fresh(page)
            previous = page

    def _check(self, announced: int) -> None:
        """Fewer than announced: ask the total again (records deleted during the read explain a shortfall)."""
        got = self._rows if self.ids_repeat else self.count.read
        if got >= announced:
            return
        self._limit += 1
        now = self._get(1).available or 0
        if got >= now:
            self.count.expected = now
            return
        raise IncompleteReadError(
            f"{self.where}: Brightpearl announced {announced} results ({now} when asked again) and {got} were read",
            expected=announced,
            read=got,
        )
