"""Account data: each installed account's orders, products, contacts, warehouses and configuration.

Every account is one state partition (`accountCode`), so each keeps its own bookmark.
Accounts are read concurrently by a `Prefetcher` (each inside its own throttle pool,
since pools are per account); the SDK writes them one partition at a time. An account
that fails (revoked token, closed, moved away for good) is reported and skipped; the
others go on, and its bookmark stays where it was so the next run tries again.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import typing as t

from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.schema.source import StreamSchema
from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE

from tap_brightpearl import fastpath
from tap_brightpearl.client import BrightpearlStream
from tap_brightpearl.errors import BrightpearlError, NotFoundError
from tap_brightpearl.fanout import ordered_map
from tap_brightpearl.installs import parse_utc
from tap_brightpearl.prefetch import Failed, Prefetcher
from tap_brightpearl.search import Resource, chunks, id_set, search_ids, to_utc
from tap_brightpearl.streams.developer_tools import SCHEMAS

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_brightpearl.accounts import AccountAccess

Batch = list[dict[str, t.Any]]
TIMESTAMPS = ("createdOn", "updatedOn")


class _PerAccountBookmarks(logging.Filter):
    """Drop the SDK's "progress is not resumable" warning, which misleads here.

    Each account's bookmark is promoted when that account completes, so an interrupted
    run resumes account by account.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Stream is assumed to be unsorted")


logging.getLogger("singer_sdk").addFilter(_PerAccountBookmarks())


class AccountStream(BrightpearlStream):
    """A stream read from every selected account, one state partition per account."""

    # Brightpearl's JSON types already match the schemas; checking the top level (and
    # dropping unknown members) is enough, and walking every nested order row costs
    # half the record path (bench/b5_accounts.py).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.ROOT_ONLY

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Partition state by account."""
        super().__init__(*args, **kwargs)
        self.state_partitioning_keys = ["accountCode"]
        self._prefetcher: Prefetcher | None = None
        self._starts: dict[str, dt.datetime | None] = {}
        self._pending: set[str] = set()
        self._failed: dict[str, str] = {}
        self._finished = False

    def _sync_records(
        self, context: Context | None = None, *, write_messages: bool = True
    ) -> t.Generator[dict, t.Any, t.Any]:
        """The SDK's record loop, or the fast path when nothing in it could change a record."""
        reasons = fastpath.blockers(self) if write_messages and context is None else ["a single partition"]
        if reasons:
            self.logger.debug("%s: SDK record path (%s)", self.name, ", ".join(reasons))
            yield from super()._sync_records(context, write_messages=write_messages)
            return
        yield from fastpath.emit(self, self.get_records)

    @functools.cached_property
    def _known_properties(self) -> frozenset[str]:
        return frozenset(self.schema.get("properties", {}))

    def keep_known(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """Drop top-level members the schema does not declare (what ROOT_ONLY conformance does)."""
        known = self._known_properties
        if known.issuperset(record):
            return record
        return {k: v for k, v in record.items() if k in known}

    @property
    def partitions(self) -> list[dict[str, t.Any]]:
        """One partition per account this run reads."""
        return [{"accountCode": a.accountCode} for a in self.bp_tap.account_access()]

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Hand over the account's prefetched records; report and skip a failing account."""
        if not context or "accountCode" not in context:
            self.logger.info("%s: no accounts to read", self.name)
            return
        code = str(context["accountCode"])
        prefetcher = self._start()
        try:
            for item in prefetcher.take(code):
                if isinstance(item, Failed):
                    self._failed[code] = str(item.error)
                    self.logger.warning("%s: skipping account %r: %s", self.name, code, item.error)
                    break
                yield from item
        except BaseException:
            self._finish()
            raise
        self._pending.discard(code)
        if not self._pending:
            self._finish()

    def _start(self) -> Prefetcher:
        if self._prefetcher is None:
            access = {a.accountCode: a for a in self.bp_tap.account_access()}
            lookback = dt.timedelta(minutes=float(self.config.get("lookback_minutes", 0) or 0))
            for code in access:  # state is read here, on the writer thread, never by a worker
                start = self.starting_point({"accountCode": code})
                self._starts[code] = start - lookback if start is not None else None
            self._pending = set(access)
            workers = self.bp_tap.max_concurrency
            self._prefetcher = Prefetcher(list(access), lambda c: self._read_account(access[c]), workers=workers)
        return self._prefetcher

    def starting_point(self, context: Context) -> dt.datetime | None:
        """Where this account's read begins (snapshot streams: nowhere in particular)."""
        return None

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        if self._prefetcher is not None:
            self._prefetcher.close()
        total = len(self._starts)
        self.logger.info("%s: %d of %d accounts read", self.name, total - len(self._failed), total)
        if self._failed:
            self.logger.warning(
                "%s: %d account(s) failed and were skipped: %s", self.name, len(self._failed), ", ".join(self._failed)
            )
            if len(self._failed) == total:
                first = next(iter(self._failed.values()))
                raise BrightpearlError(f"{self.name}: every account failed; the first said: {first}")

    def _read_account(self, access: AccountAccess) -> t.Iterator[Batch]:
        """Runs on a worker thread: every request for one account, in its own throttle pool."""
        return self.bp_tap.router.read(access.accountCode, functools.partial(self.read, access))

    def read(self, access: AccountAccess, datacentre: str) -> t.Iterator[Batch]:
        """Yield the account's records in batches."""
        raise NotImplementedError

    def account_get(self, access: AccountAccess, datacentre: str, path: str, params: dict | None = None) -> t.Any:
        """GET `{datacentre}/public-api/{account}/{path}` with the account's own credentials."""
        url = f"{self.bp_tap.datacentres.url(datacentre)}/public-api/{access.accountCode}/{path}"
        return self.fetch({"accountCode": access.accountCode}, url=url, params=params, auth=access.auth)


class SnapshotStream(AccountStream):
    """A small resource read whole every run (no replication key)."""

    resource_path: str = ""

    def read(self, access: AccountAccess, datacentre: str) -> t.Iterator[Batch]:
        """One GET; a list becomes one record per item."""
        payload = self.account_get(access, datacentre, self.resource_path)
        items = payload if isinstance(payload, list) else [payload]
        yield [self.keep_known({**item, "accountCode": access.accountCode}) for item in items if isinstance(item, dict)]


class SearchStream(AccountStream):
    """Incremental on updatedOn: search for changed ids, then read them in ID-set GETs."""

    replication_key = "updatedOn"
    is_sorted = False  # details arrive per page; the bookmark is promoted when an account completes
    resource: Resource

    def starting_point(self, context: Context) -> dt.datetime | None:
        """The account's bookmark, else start_date; nothing for a FULL_TABLE catalog.

        Read straight from the partition's state: the SDK only fills its "starting value"
        when it reaches that partition, and every account starts reading before then.
        """
        if self.replication_method == REPLICATION_FULL_TABLE:
            return None
        value = self.get_context_state(context).get("replication_key_value") or self.config.get("start_date")
        return parse_utc(value)

    def read(self, access: AccountAccess, datacentre: str) -> t.Iterator[Batch]:
        """Search updatedOn from (bookmark - lookback) on, and read the details in capped ID sets.

        No upper bound: a record changed during the run moves to the end of the search and
        is read there (again), and a clock behind Brightpearl's cannot hide fresh changes.
        """

        def search(path: str, params: dict[str, t.Any] | None) -> t.Any:
            return self.account_get(access, datacentre, path, params)

        since = self._starts.get(access.accountCode)
        workers = self.requests_per_account
        pages = search_ids(search, self.resource, since=since, until=None, workers=workers)
        sets = (chunk for page in pages for chunk in chunks(page, self.resource.detail_cap))
        read = functools.partial(self._details, access, datacentre)
        yield from ordered_map(read, sets, workers=workers)

    @property
    def requests_per_account(self) -> int:
        """Search pages and detail GETs in flight per account: a quarter of max_concurrency, 1 to 4.

        Accounts are already read max_concurrency at a time; a few requests per account
        shorten the chain of round trips without crowding any one account's throttle pool.
        """
        return max(1, min(4, self.bp_tap.max_concurrency // 4))

    def _details(self, access: AccountAccess, datacentre: str, ids: list[int]) -> Batch:
        """One ID-set GET, in the search's order; Brightpearl's 404 here means "none left"."""
        try:
            details = self.account_get(access, datacentre, f"{self.resource.detail_path}/{id_set(ids)}")
        except NotFoundError:
            return []
        order = {record_id: i for i, record_id in enumerate(ids)}
        items = list(details.values()) if isinstance(details, dict) else details or []
        batch = [self.shape(item, access.accountCode) for item in items if isinstance(item, dict)]
        batch.sort(key=lambda r: order.get(r.get(self.resource.detail_id_field), len(order)))
        return batch

    def shape(self, item: dict[str, t.Any], account: str) -> dict[str, t.Any]:
        """The Singer record: UTC timestamps, the account code, only the schema's members."""
        return self.keep_known(to_utc({**item, "accountCode": account}, TIMESTAMPS))


class OrdersStream(SearchStream):
    """Orders with their rows, flattened from Brightpearl's map keyed by row id."""

    name = "orders"
    primary_keys = ("accountCode", "id")
    schema = StreamSchema(SCHEMAS)
    path = "/public-api/{accountCode}/order-service/order-search"
    resource = Resource("order-service/order-search", "orderId", "order-service/order", 200, "id")

    def shape(self, item: dict[str, t.Any], account: str) -> dict[str, t.Any]:
        """Turn orderRows {"rowId": {...}} into a list with the id inside."""
        record = super().shape(item, account)
        rows = record.get("orderRows")
        if isinstance(rows, dict):
            record["orderRows"] = [
                {**row, "orderRowId": int(key) if str(key).isdigit() else key}
                for key, row in sorted(rows.items(), key=lambda kv: (len(str(kv[0])), str(kv[0])))
                if isinstance(row, dict)
            ]
        return record


class ProductsStream(SearchStream):
    """Products."""

    name = "products"
    primary_keys = ("accountCode", "id")
    schema = StreamSchema(SCHEMAS)
    path = "/public-api/{accountCode}/product-service/product-search"
    resource = Resource("product-service/product-search", "productId", "product-service/product", 200, "id")


class ContactsStream(SearchStream):
    """Contacts (search rows carry a null updatedOn; the detail's value is the bookmark)."""

    name = "contacts"
    primary_keys = ("accountCode", "contactId")
    schema = StreamSchema(SCHEMAS)
    path = "/public-api/{accountCode}/contact-service/contact-search"
    resource = Resource("contact-service/contact-search", "contactId", "contact-service/contact", 200, "contactId")


class WarehousesStream(SnapshotStream):
    """Warehouses, read whole every run."""

    name = "warehouses"
    primary_keys = ("accountCode", "id")
    schema = StreamSchema(SCHEMAS)
    path = "/public-api/{accountCode}/warehouse-service/warehouse"
    resource_path = "warehouse-service/warehouse"


class AccountConfigurationStream(SnapshotStream):
    """Account settings (timezone, base currency): also a cheap check that the account answers."""

    name = "account_configuration"
    primary_keys = ("accountCode",)
    schema = StreamSchema(SCHEMAS)
    path = "/public-api/{accountCode}/integration-service/account-configuration"
    resource_path = "integration-service/account-configuration"
