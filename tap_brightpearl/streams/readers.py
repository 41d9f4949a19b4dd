"""The two ways an account resource is read: a snapshot GET, or a search plus ID-set GETs."""

from __future__ import annotations

import functools
import threading
import typing as t

import msgspec

from tap_brightpearl.errors import BrightpearlError, FatalBrightpearlError, NotFoundError
from tap_brightpearl.fanout import ordered_map
from tap_brightpearl.records import kind_of
from tap_brightpearl.search import Resource, SearchPager, chunks, id_set
from tap_brightpearl.streams.account_data import AccountStream, Batch, IncrementalAccountStream

if t.TYPE_CHECKING:
    from tap_brightpearl.modes import Account

# Detail bodies decode into their top-level members only; nested values stay raw JSON.
RAW_BODIES = list[dict[str, msgspec.Raw]]
EMPTY_SETS_BEFORE_STOP = 3  # ID sets in a row that found nothing: the search lists ids that do not exist


class SearchTruncatedError(BrightpearlError):
    """A search stopped before its announced end; the account's bookmark must stay."""


class SnapshotStream(AccountStream):
    """A small resource read whole every run (no replication key)."""

    resource_path: str = ""

    def read(self, account: Account, datacentre: str) -> t.Iterator[Batch]:
        """One GET; a list becomes one record per item."""
        payload = self.account_get(account, datacentre, self.resource_path)
        items = payload if isinstance(payload, list) else [payload]
        yield self.keyed_records(items, account.accountCode)

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


class SearchStream(IncrementalAccountStream):
    """Search for records changed since the account's bookmark, then read them in capped ID sets."""

    resource: Resource

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Start out asking for optional members (custom fields) where the resource offers them."""
        super().__init__(*args, **kwargs)
        self._optional_ok = self.resource.include_optional is not None
        self._optional_lock = threading.Lock()

    @property
    def requests_per_account(self) -> int:
        """Search pages and detail GETs in flight per account: a quarter of max_concurrency, 1 to 4.

        Accounts are read max_concurrency at a time; a few requests per account shorten the
        chain of round trips without crowding any one account's throttle pool.
        """
        return max(1, min(4, self.runtime.settings.max_concurrency // 4))

    def read(self, account: Account, datacentre: str) -> t.Iterator[Batch]:
        """Search from (bookmark - lookback) on, and read the details in capped ID sets.

        No upper bound: a record changed during the run moves to the end of the search and
        is read there (again), and a clock behind Brightpearl's cannot hide fresh changes.
        """
        code = account.accountCode
        where = f"{self.name}: account {code!r}"

        def fetch(path: str, params: dict[str, t.Any] | None) -> t.Any:
            return self.account_get(account, datacentre, path, params)

        workers = self.requests_per_account
        pager = SearchPager(fetch, self.resource, workers=workers, where=where)
        pages = pager.changed_since(self._starts.get(code))
        sets = (chunk for page in pages for chunk in chunks(page, self.resource.detail_cap))
        empty_in_a_row = 0
        for batch in ordered_map(functools.partial(self._details, account, datacentre), sets, workers=workers):
            empty_in_a_row = 0 if batch else empty_in_a_row + 1
            if empty_in_a_row >= EMPTY_SETS_BEFORE_STOP:
                raise SearchTruncatedError(
                    f"{where}: the search listed {EMPTY_SETS_BEFORE_STOP} ID sets in a row "
                    "that Brightpearl then did not have; stopped reading this account"
                )
            yield batch
        if pager.truncated:
            raise SearchTruncatedError(f"{where}: {pager.truncated}")

    def _details(self, account: Account, datacentre: str, ids: list[int]) -> Batch:
        """One ID-set GET, in the search's order; "nothing found" (404, or 200 []) is no records."""
        path = f"{self.resource.detail_path}/{id_set(ids)}"
        params = {"includeOptional": self.resource.include_optional} if self._optional_ok else None
        try:
            payload = self.account_get(account, datacentre, path, params, payload_type=RAW_BODIES)
        except NotFoundError:
            return []
        except FatalBrightpearlError as exc:
            if params is None or exc.status not in (400, 500):
                raise
            self._without_optional(account.accountCode, exc)
            try:
                payload = self.account_get(account, datacentre, path, None, payload_type=RAW_BODIES)
            except NotFoundError:
                return []
        items = self._items(payload, account.accountCode)
        order = {record_id: i for i, record_id in enumerate(ids)}
        batch = [self.shape(item, account.accountCode) for item in items]
        batch.sort(key=lambda r: order.get(r.get(self.resource.detail_id_field), len(order)))
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

    def _items(self, payload: object, code: str) -> list[dict[str, t.Any]]:
        """Detail bodies from a GET answer: a list, a map keyed by id, or one body."""
        id_field = self.resource.detail_id_field
        if isinstance(payload, dict):
            payload = [payload] if id_field in payload else list(payload.values())
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

    def shape(self, item: dict[str, t.Any], account: str) -> dict[str, t.Any]:
        """The Singer record for one detail body."""
        return self.shaper.shape(item, account)
