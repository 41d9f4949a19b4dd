"""How an account resource is read: snapshot GETs, or a search (its rows, or ID-set GETs of its ids)."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import threading
import typing as t

import msgspec
from typing_extensions import override

from tap_brightpearl import deletes
from tap_brightpearl.errors import (
    AuthenticationError,
    BrightpearlError,
    FatalBrightpearlError,
    NotFoundError,
    NothingFoundError,
)
from tap_brightpearl.fanout import ordered_map
from tap_brightpearl.installs import format_utc, parse_utc
from tap_brightpearl.records import kind_of
from tap_brightpearl.search import Resource, SearchPager, id_set
from tap_brightpearl.streams.account_data import AccountStream, Batch, IncrementalAccountStream

if t.TYPE_CHECKING:
    from tap_brightpearl.modes import Account

# Detail bodies decode into their top-level members only; nested values stay raw JSON.
RAW_BODIES = list[dict[str, msgspec.Raw]]
EMPTY_SETS_BEFORE_STOP = 3  # ID sets in a row that found nothing: the search lists ids that do not exist
Item = dict[str, t.Any]


def full_sets(pages: t.Iterable[list[int]], cap: int) -> t.Iterator[list[int]]:
    """Ids from pages regrouped into sets of exactly `cap` (the last one shorter): the fewest GETs."""
    pending: list[int] = []
    for page in pages:
        pending.extend(page)
        while len(pending) >= cap:
            yield pending[:cap]
            del pending[:cap]
    if pending:
        yield pending


class SearchTruncatedError(BrightpearlError):
    """A search stopped before its announced end; the account's bookmark must stay."""


class Exploding:
    """Streams whose one Brightpearl body holds several records (journal lines, stock per warehouse)."""

    def explode(self, item: Item) -> list[Item]:
        """The records one body holds (by default: the body itself)."""
        return [item]


class SnapshotStream(Exploding, AccountStream):
    """A small resource read whole every run, from one or more GET paths (no replication key)."""

    resource_path: str = ""

    def paths(self) -> list[str]:
        """The GET paths read for each account."""
        return [self.resource_path]

    @override
    def read(self, account: Account, datacentre: str) -> t.Iterator[Batch]:
        """One GET per path; a list (or a map keyed by id) becomes one record per item."""
        for path in self.paths():
            payload = self.account_get(account, datacentre, path)
            items = list(payload.values()) if isinstance(payload, dict) and self.map_answer else payload
            items = items if isinstance(items, list) else [items]
            exploded = [part for item in items if isinstance(item, dict) for part in self.explode(item)]
            yield self.keyed_records(exploded, account.accountCode)

    map_answer = False  # True: the answer is a map keyed by id (the key is inside each value too)

    def keyed_records(self, items: t.Iterable[object], code: str) -> Batch:
        """Shape each item; one without its key is skipped with a WARNING naming the account."""
        keys = [k for k in self.primary_keys or () if k != "accountCode"]
        batch = []
        for item in items:
            if not isinstance(item, dict) or any(item.get(k) is None for k in keys):
                self.logger.warning(
                    "%s: account %r sent an entry without %s; skipped it", self.name, code, " or ".join(keys) or "data"
                )
                continue
            batch.append(self.shaper.shape(item, code))
        return batch


class SearchStream(Exploding, IncrementalAccountStream):
    """Search for records changed since the account's bookmark.

    The search rows are the records, or their ids are read in capped ID-set GETs. Deletable
    streams also find the records Brightpearl deleted (deletes.py).
    """

    resource: Resource
    deletable: t.ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        """The resource's date columns say when a record changed; the first is the replication key."""
        super().__init_subclass__(**kwargs)
        resource = cls.__dict__.get("resource")
        if resource is not None and "changed" not in cls.__dict__:
            cls.changed = resource.changed
            if "replication_key" not in cls.__dict__ and resource.changed:
                cls.replication_key = resource.changed[0]

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Start out asking for optional members (custom fields) where the resource offers them."""
        super().__init__(*args, **kwargs)
        self._optional_ok = self.resource.include_optional is not None
        self._optional_lock = threading.Lock()
        self._deletes: dict[str, tuple[bool, frozenset[int]]] = {}

    @property
    def requests_per_account(self) -> int:
        """Search pages and detail GETs in flight per account: a quarter of max_concurrency, 1 to 4."""
        return max(1, min(4, self.runtime.settings.max_concurrency // 4))

    @override
    def prepare_account(self, code: str, partition: t.Mapping[str, t.Any]) -> None:
        """On the writer thread: whether a deletes pass is due for this account, and the ids it knows."""
        if not self.deletable:
            return
        settings = self.runtime.settings
        due = deletes.due(
            partition, now=self.runtime.started, every_days=settings.deletes_every_days, on_demand=settings.deletes_now
        )
        known = (
            frozenset(deletes.parse_ids(partition[deletes.IDS_KEY])) if deletes.IDS_KEY in partition else frozenset()
        )
        self._deletes[code] = (due, known)

    @override
    def read(self, account: Account, datacentre: str) -> t.Iterator[t.Any]:
        """Search from (bookmark - lookback) on.

        No upper bound: a record changed during the run moves to the end of the search and is
        read there (again).
        """
        code = account.accountCode
        where = f"{self.name}: account {code!r}"

        def fetch(path: str, params: dict[str, t.Any] | None) -> t.Any:
            return self.account_get(account, datacentre, path, params)

        workers = self.requests_per_account
        pager = SearchPager(fetch, self.resource, workers=workers, where=where)
        since = self._starts.get(code)
        pages = itertools.chain(pager.changed_since(since), self._also(pager, since, where))
        if pager.rows:
            for rows in pages:
                yield [
                    self.shaper.shape(part, code) for row in rows if self.keep(row, since) for part in self.explode(row)
                ]
        else:
            yield from self._read_details(account, datacentre, pages, where)
        if pager.truncated:
            raise SearchTruncatedError(f"{where}: {pager.truncated}")
        if self.deletable:
            full_read = since is None  # a read without a lower bound lists every live id already
            yield from self._deletes_pass(fetch, account, set(pager.seen), where, full_read=full_read)

    def _also(self, pager: SearchPager, since: dt.datetime | None, where: str) -> t.Iterator[list[t.Any]]:
        """The resource's extra searches; one Brightpearl refuses (a guessed filter) is skipped once, loudly."""
        try:
            yield from pager.also(since)
        except FatalBrightpearlError as exc:
            if isinstance(exc, (NotFoundError, AuthenticationError)):  # the account, not the filter
                raise
            self.logger.warning(
                "%s: Brightpearl refused the extra search %s (%s); records that change after creation are "
                "read again only within lookback_minutes",
                where,
                self.resource.also,
                exc,
            )

    def keep(self, row: Item, since: dt.datetime | None) -> bool:
        """A row the search returned although it is older than asked (filters_ignored): dropped here."""
        if since is None or not self.resource.filters_ignored:
            return True
        for column in self.changed:
            moment = parse_utc(row.get(column))
            if moment is not None:
                return moment >= since
        return True

    def _read_details(
        self, account: Account, datacentre: str, pages: t.Iterable[list[int]], where: str
    ) -> t.Iterator[Batch]:
        sets = full_sets(pages, self.resource.detail_cap)
        empty_in_a_row = 0
        read = functools.partial(self._details, account, datacentre)
        for batch in ordered_map(read, sets, workers=self.requests_per_account):
            empty_in_a_row = 0 if batch else empty_in_a_row + 1
            if empty_in_a_row >= EMPTY_SETS_BEFORE_STOP:
                raise SearchTruncatedError(
                    f"{where}: the search listed {EMPTY_SETS_BEFORE_STOP} ID sets in a row "
                    "that Brightpearl then did not have; stopped reading this account"
                )
            yield batch

    def _deletes_pass(
        self, fetch: t.Callable[..., t.Any], account: Account, read_ids: set[int], where: str, *, full_read: bool
    ) -> t.Iterator[t.Any]:
        """Compare every live id with the ids read before; emit the missing ones as deleted.

        A full read (no bookmark yet) has just listed every live id, so it needs no listing of its own.
        """
        code = account.accountCode
        due, known = self._deletes.get(code, (False, frozenset()))
        if not (due or (full_read and known)):
            yield deletes.PartitionNote(read_ids=frozenset(read_ids))
            return
        if full_read:
            live = set(read_ids)
        else:
            lister = SearchPager(fetch, self.resource, workers=self.requests_per_account, where=where, ids_only=True)
            try:
                live = {i for page in lister.pages(None, self.resource.id_column) for i in page}
            except BrightpearlError as exc:
                lister.truncated = str(exc)
            if lister.truncated:
                self.logger.warning(
                    "%s: listing the live ids failed (%s); no deletes pass this run, records read are kept",
                    where,
                    lister.truncated,
                )
                yield deletes.PartitionNote(read_ids=frozenset(read_ids))
                return
        checked = format_utc(self.runtime.started)
        missing = sorted(known - live - read_ids)
        share = self.runtime.settings.deletes_max_share
        if missing and not deletes.believable(len(missing), len(known), len(live), share):
            self.logger.warning(
                "%s: Brightpearl no longer lists %d of %d known ids; that is more than deletes_max_share (%g), "
                "so nothing was marked deleted. If they really are gone, run once with a higher deletes_max_share",
                where,
                len(missing),
                len(known),
                share,
            )
            yield deletes.PartitionNote(read_ids=frozenset(read_ids))
            return
        if missing:
            self.logger.info("%s: %d record(s) deleted in Brightpearl since the last pass", where, len(missing))
            key = self.resource.detail_id_field
            yield [{"accountCode": code, key: i, "_sdc_deleted_at": checked} for i in missing]
        yield deletes.PartitionNote(read_ids=frozenset(read_ids), live_ids=frozenset(live), checked_at=checked)

    def _details(self, account: Account, datacentre: str, ids: list[int]) -> Batch:
        """One ID-set GET, in the search's order; "nothing found" (404, or 200 []) is no records."""
        path = f"{self.resource.detail_path}/{id_set(ids)}"
        params = {"includeOptional": self.resource.include_optional} if self._optional_ok else None
        try:
            payload = self.account_get(account, datacentre, path, params, payload_type=RAW_BODIES)
        except NothingFoundError:
            return []
        except FatalBrightpearlError as exc:
            if params is None or exc.status not in (400, 500):
                raise
            self._without_optional(account.accountCode, exc)
            try:
                payload = self.account_get(account, datacentre, path, None, payload_type=RAW_BODIES)
            except NothingFoundError:
                return []
        items = self._items(payload, account.accountCode)
        order = {record_id: i for i, record_id in enumerate(ids)}
        batch = [self.shaper.shape(part, account.accountCode) for item in items for part in self.explode(item)]
        key = self.resource.detail_id_field
        batch.sort(key=lambda r: order.get(r.get(key), len(order)))
        return batch

    def _without_optional(self, code: str, exc: BaseException) -> None:
        """The resource refused includeOptional (a guess that it offers it was wrong): read without."""
        with self._optional_lock:
            if not self._optional_ok:
                return
            self._optional_ok = False
        self.logger.warning(
            "%s: account %r refused includeOptional=%s (%s); reading without it, so custom fields are not read",
            self.name,
            code,
            self.resource.include_optional,
            exc,
        )

    def _items(self, payload: object, code: str) -> list[Item]:
        """Detail bodies from a GET answer: a list, a map keyed by id (the key put inside), or one body."""
        id_field = self.resource.detail_id_field
        if isinstance(payload, dict):
            if id_field in payload:
                payload = [payload]
            else:  # a map keyed by id: the id goes into the body under id_field
                payload = [
                    {id_field: int(key) if str(key).isdigit() else key, **value}
                    for key, value in payload.items()
                    if isinstance(value, dict)
                ]
        if not isinstance(payload, list):
            self.logger.warning(
                "%s: account %r answered %s for an ID set; nothing read from it",
                self.name,
                code,
                type(payload).__name__,
            )
            return []
        items = []
        for item in payload:
            if isinstance(item, dict) and kind_of(item.get(id_field)) not in ("null", "object", "array"):
                items.append(item)
            else:
                self.logger.warning("%s: account %r sent an entry without %s; skipped it", self.name, code, id_field)
        return items
