"""One account's read of one row: the listing, the details, the hooks, and the counts that prove it whole.

Runs on a worker thread, one account at a time (streams/row_stream.py starts it). Every answer is
checked against the shape the row expects: a list item without the row's key, a search without
the id or date column, a 404 on a path the tap built, are failures of this account's stream,
named, never "nothing found". Brightpearl documents 404 as nothing found only for ID-set GETs of
ids a search listed; those ids are asked once more, and an id still missing was deleted between
the search and the GET.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import threading
import typing as t

import msgspec

from tap_brightpearl.errors import BrightpearlError, FatalBrightpearlError, NothingFoundError
from tap_brightpearl.fanout import ordered_map
from tap_brightpearl.hooks import CONVERTERS, HOOKS, ShapeError
from tap_brightpearl.idsets import Ranges
from tap_brightpearl.installs import format_utc, parse_utc
from tap_brightpearl.records import decoded, kind_of
from tap_brightpearl.search import Count, SearchPager

if t.TYPE_CHECKING:
    from tap_brightpearl.rows import Row

Item = dict[str, t.Any]
Batch = list[dict[str, t.Any]]
Get = t.Callable[[str, "dict[str, t.Any] | None", t.Any], t.Any]  # (path, params, payload_type) -> payload
# Detail bodies decode into their top-level members only; nested values stay raw JSON.
RAW_LIST = list[dict[str, msgspec.Raw]]
RAW_MAP = dict[str, dict[str, msgspec.Raw]]
SINCE = "{since}"


class UnexpectedAnswerError(BrightpearlError):
    """An answer whose shape the row does not expect; the message names the stream, path and what was sent."""


class Optional:
    """Whether a row's includeOptional is still asked for (off, once, for the whole stream, when refused)."""

    def __init__(self, value: str | None, logger: logging.Logger, stream: str) -> None:
        """On when the row offers optional members."""
        self.value, self.logger, self.stream = value, logger, stream
        self._lock = threading.Lock()

    def refused(self, code: str, exc: BaseException) -> None:
        """The resource refused includeOptional: read without it from now on, saying so once."""
        with self._lock:
            if self.value is None:
                return
            value, self.value = self.value, None
        self.logger.warning(
            "%s: account %r refused includeOptional=%s (%s); reading without it, so those members are not read",
            self.stream,
            code,
            value,
            exc,
        )


@dataclasses.dataclass
class AccountRead:
    """What one account's read of `row` needs, and what it found."""

    row: Row
    code: str
    get: Get
    shape: t.Callable[[Item], dict[str, t.Any]]
    since: dt.datetime | None
    workers: int
    optional: Optional
    count: Count = dataclasses.field(default_factory=Count)
    read_ids: Ranges = dataclasses.field(default_factory=Ranges)  # ids of records read (deletable rows)
    vanished: int = 0  # listed ids Brightpearl no longer had when asked twice

    @property
    def where(self) -> str:
        """`orders: account 'x'` for messages."""
        return f"{self.row.name}: account {self.code!r}"

    # --- listing -------------------------------------------------------------------------------
    def searches(self, *, since: dt.datetime | None, ids_only: bool = False) -> list[SearchPager]:
        """One pager per search this read makes: each date column from `since` on (all when None), and `also`."""
        row = self.row
        base = dict(row.params)
        make = functools.partial(
            SearchPager,
            self._fetch,
            t.cast("str", row.search),
            t.cast("str", row.id_column),
            workers=self.workers,
            where=self.where,
            totals_untrusted=row.totals_untrusted,
            ids_repeat=row.ids_repeat,
            zipped=not ids_only and row.lists_rows,
        )
        if since is None or row.totals_untrusted or not row.dates:
            return [make(filters=base)]
        start = f"{format_utc(since)}/"
        pagers = [make(filters={**base, column: start}, needed=(column,)) for column in row.dates]
        for filters in row.also:
            wanted = {name: value.replace(SINCE, start) for name, value in filters}
            pagers.append(make(filters={**base, **wanted}, needed=tuple(wanted)))
        return pagers

    def listing(self, pagers: list[SearchPager]) -> t.Iterator[list[tuple[int, Item | None]]]:
        """Every search's pages, each id once across them all (ranges: memory per run of ids, not per id)."""
        seen = Ranges() if len(pagers) > 1 else None
        for pager in pagers:
            for page in pager.rows():
                if seen is None:
                    yield page
                    continue
                fresh = [(i, r) for i, r in page if i not in seen]
                for i, _ in fresh:
                    seen.add(i)
                yield fresh
            self.count.add(pager.count)

    def _fetch(self, path: str, params: dict[str, t.Any] | None) -> t.Any:
        return self.get(path, params, None)

    # --- records ---------------------------------------------------------------------------------
    def records(self) -> t.Iterator[Batch]:
        """The account's records, in batches; the ids read and the vanished are counted here, on one thread.

        ID-set GETs run on several workers at once (`ordered_map`), and `Ranges` is not safe to
        grow from two threads: each batch's ids are added as it is handed on, never by a worker.
        """
        for batch, vanished in self._batches():
            self.vanished += vanished
            if self.row.deletable:
                self._note_read(batch)
            yield batch

    def _batches(self) -> t.Iterator[tuple[Batch, int]]:
        row = self.row
        if row.search is None and row.detail is None:
            yield from ((batch, 0) for batch in self._snapshot())
            return
        pages = self.listing(self.searches(since=self.since)) if row.search is not None else self._listed_by_get()
        if row.detail is None:
            for page in pages:
                yield [self._record(r) for _, r in page if r is not None and self._keep(r) for r in self._hooked(r)], 0
            return
        sets = _id_sets(pages, row.detail_cap)
        yield from ordered_map(self._detail_set, sets, workers=self.workers)

    def _note_read(self, batch: Batch) -> None:
        """Remember the ids of a batch's records (a key member: the shaper decoded it; no converter makes an int)."""
        field = self.row.id_field
        values = [record.get(field) for record in batch]
        if not all(type(v) is int for v in values):  # the common case in one pass: all decoded ints
            values = [decoded(v) for v in values]
        self.read_ids.add_sorted(sorted(v for v in values if isinstance(v, int) and not isinstance(v, bool) and v > 0))

    def _record(self, item: Item) -> dict[str, t.Any]:
        if not all(map(_scalar, map(item.get, self._key_members))):  # the common case in one pass
            missing = [k for k in self._key_members if kind_of(item.get(k)) in ("null", "object", "array")]
            if missing:
                members = ", ".join(sorted(item)[:20]) or "none"
                raise UnexpectedAnswerError(f"{self.where}: an item without {', '.join(missing)} (members: {members})")
        return self.shape(item)

    @functools.cached_property
    def _key_members(self) -> tuple[str, ...]:
        return tuple(k for k in self.row.key if k != "accountCode")

    def _hooked(self, item: Item, asked: int | None = None) -> list[Item]:
        hook = HOOKS.get(self.row.hook or "")
        if hook is None:
            return [item]
        try:
            return hook(item, asked)
        except ShapeError as exc:
            raise UnexpectedAnswerError(f"{self.where}: {exc}") from None

    def _keep(self, row: Item) -> bool:
        """A row older than asked, from a search that ignores its filters (totals_untrusted): dropped here."""
        if self.since is None or not self.row.totals_untrusted:
            return True
        for column in self.row.dates:
            moment = parse_utc(row.get(column))
            if moment is not None:
                return moment >= self.since
        return True

    def _snapshot(self) -> t.Iterator[Batch]:
        row = self.row
        for index, path in enumerate(row.get):
            items = self._items(self.get(path, dict(row.params) or None, None), row.answer, path)
            if row.tag_member:
                items = [{row.tag_member: row.tags[index], **item} for item in items]
            batch = [self._record(part) for item in items for part in self._hooked(item)]
            self.count.expected += len(batch)
            self.count.read += len(batch)
            yield batch

    def _listed_by_get(self) -> t.Iterator[list[tuple[int, Item | None]]]:
        """Ids from a plain GET (a warehouse's id, to read its locations)."""
        row = self.row
        member = t.cast("str", row.id_column)
        items = self._items(self.get(row.get[0], dict(row.params) or None, None), row.answer, row.get[0])
        ids = []
        for item in items:
            value = item.get(member)
            if not isinstance(value, int) or isinstance(value, bool):
                raise UnexpectedAnswerError(f"{self.where}: {row.get[0]} sent an item without {member}")
            ids.append(value)
        self.count.expected += len(ids)
        self.count.read += len(ids)
        yield [(i, None) for i in sorted(set(ids))]

    def _items(self, payload: object, answer: str, path: str) -> list[Item]:
        """The items of an answer, as the row says they sit in it."""
        if answer.startswith("list in "):
            member = answer[len("list in ") :]
            if not isinstance(payload, dict) or member not in payload:
                raise UnexpectedAnswerError(f"{self.where}: {path} answered without {member!r} ({_kind(payload)})")
            payload, answer = payload[member], "list"
        if answer == "object":
            payload = [payload]
        elif answer == "map":
            if not isinstance(payload, dict):
                raise UnexpectedAnswerError(f"{self.where}: {path} answered {_kind(payload)}, not a map keyed by id")
            field = self.row.id_field
            payload = [
                {field: int(key) if str(key).isdigit() else key, **value} if isinstance(value, dict) else value
                for key, value in payload.items()
            ]
        if not isinstance(payload, list):
            raise UnexpectedAnswerError(f"{self.where}: {path} answered {_kind(payload)}, not a list")
        for item in payload:
            if not isinstance(item, dict):
                raise UnexpectedAnswerError(f"{self.where}: {path} answered a list with {_kind(item)} in it")
        return t.cast("list[Item]", payload)

    # --- details ---------------------------------------------------------------------------------
    def _detail_set(self, ids: list[int]) -> tuple[Batch, int]:
        """One ID-set GET, on a worker: its batch, and how many listed ids vanished (asked once more, still gone)."""
        row = self.row
        vanished = 0
        items = self.detail_items(ids)
        if row.details_are_listed:
            field = row.id_field
            returned = {v if type(v) is not msgspec.Raw else decoded(v) for v in [item.get(field) for item in items]}
            missing = [i for i in ids if i not in returned]
            if missing:  # asked once more: an id still missing was deleted between the search and the GET
                wanted = set(missing)
                again = [item for item in self.detail_items(missing) if decoded(item.get(row.id_field)) in wanted]
                items += again
                vanished = len(wanted) - len({decoded(item.get(row.id_field)) for item in again})
        parent = row.parent_member
        batch = []
        for item in items:
            if parent and parent not in item:
                item = {**item, parent: ids[0]}
            batch += [self._record(part) for part in self._hooked(item, ids[0] if parent else None)]
        return batch, vanished

    def detail_items(self, ids: list[int]) -> list[Item]:
        """The detail bodies of `ids` (one GET, or halves of it when one id is refused)."""
        row = self.row
        path = row.detail_path(Ranges.of(sorted(ids)).text())
        kind = RAW_MAP if row.detail_answer == "map" else RAW_LIST if row.detail_answer == "list" else None
        optional = self.optional.value
        params = {**dict(row.params), **({"includeOptional": optional} if optional else {})} or None
        try:
            payload = self.get(path, params, kind)
        except NothingFoundError as exc:
            if exc.none_found and (row.details_are_listed or row.missing_ok):
                return []  # documented: a multi-resource GET that found nothing is a 404 saying so
            raise
        except FatalBrightpearlError as exc:
            if optional and exc.status in (400, 500) and not row.split_refused:
                self.optional.refused(self.code, exc)
                return self.detail_items(ids)
            if row.split_refused and exc.status == 400:
                return self._split(ids, exc)
            raise
        return self._items(payload, row.detail_answer, path)

    def _split(self, ids: list[int], exc: BaseException) -> list[Item]:
        """One id Brightpearl refuses fails its whole set (3rd): halve until it is alone, skip it loudly."""
        if len(ids) == 1:
            logging.getLogger(f"tap_brightpearl.{self.row.name}").warning(
                "%s: Brightpearl refused %s %d (%s); skipped it", self.where, self.row.id_field, ids[0], exc
            )
            return []
        middle = len(ids) // 2
        return [*self.detail_items(ids[:middle]), *self.detail_items(ids[middle:])]


def _id_sets(pages: t.Iterable[list[tuple[int, Item | None]]], cap: int) -> t.Iterator[list[int]]:
    """The pages' ids, each once, regrouped into sets of exactly `cap` (the last one shorter): the fewest GETs.

    A journal's lines share its id, next to each other: only the first of such a run is kept.
    """
    pending: list[int] = []
    last: int | None = None
    for page in pages:
        ids = [i for i, _ in page]
        if not ids:
            continue
        pending += [value for value, before in zip(ids, [last, *ids[:-1]], strict=True) if value != before]
        last = ids[-1]
        while len(pending) >= cap:
            yield pending[:cap]
            del pending[:cap]
    if pending:
        yield pending


_NOT_SCALAR_START = frozenset(b"n{[")


def _scalar(value: object) -> bool:
    """Surely not null, an object or an array: raw JSON starting otherwise (anything else: False, to check)."""
    if type(value) is not msgspec.Raw:
        return False
    text = bytes(value)
    return bool(text) and text[0] not in _NOT_SCALAR_START


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "text", type(None): "null"}.get(type(value), type(value).__name__)


def converters(row: Row) -> dict[str, t.Callable[[t.Any], t.Any]]:
    """The row's member converters, by name."""
    return {member: CONVERTERS[name] for member, name in row.converters}
