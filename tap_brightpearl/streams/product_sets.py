"""Snapshots read per set of products: stock levels and product prices.

Every product id of the account comes from product-search (the id column only); the ids are
read in ID sets up to the resource's cap. A third party reports that one id Brightpearl does
not accept fails its whole set with a 400: the set is then split in halves until the bad id
is alone, and only that id is skipped, with a WARNING naming it.
"""

from __future__ import annotations

import typing as t

from typing_extensions import override

from tap_brightpearl.errors import FatalBrightpearlError, NothingFoundError
from tap_brightpearl.fanout import ordered_map
from tap_brightpearl.records import decoded
from tap_brightpearl.search import Resource, SearchPager, chunks, id_set
from tap_brightpearl.streams.account_data import AccountStream, Batch

if t.TYPE_CHECKING:
    from tap_brightpearl.modes import Account

PRODUCTS = Resource("product-service/product-search", "productId", "ids")
Item = dict[str, t.Any]


class ProductSetStream(AccountStream):
    """A snapshot read by ID sets of every product of the account."""

    cap = 200
    params: t.ClassVar[dict[str, str] | None] = None

    def path_for(self, ids: str, context: dict[str, t.Any]) -> str:
        """The GET path for one ID set of products."""
        raise NotImplementedError

    def context_for(self, account: Account, datacentre: str) -> dict[str, t.Any]:
        """What every set of this account needs besides the product ids (e.g. its price lists)."""
        return {}

    def records_of(self, payload: object, context: dict[str, t.Any]) -> list[Item]:
        """The records one answer holds."""
        raise NotImplementedError

    @override
    def read(self, account: Account, datacentre: str) -> t.Iterator[Batch]:
        """Every product id, then its sets, a few at a time; a bad id costs only itself."""
        code = account.accountCode

        def fetch(path: str, params: dict[str, t.Any] | None) -> t.Any:
            return self.account_get(account, datacentre, path, params)

        workers = max(1, min(4, self.runtime.settings.max_concurrency // 4))
        lister = SearchPager(fetch, PRODUCTS, workers=workers, where=f"{self.name}: account {code!r}")
        ids = sorted(i for page in lister.pages(None, "productId") for i in page)
        context = self.context_for(account, datacentre)
        if context.get("skip"):
            return

        def one_set(chunk: list[int]) -> Batch:
            items = self._read_set(account, datacentre, chunk, context)
            return [self.shaper.shape(item, code) for item in items]

        yield from ordered_map(one_set, chunks(ids, self.cap), workers=workers)

    def _read_set(self, account: Account, datacentre: str, ids: list[int], context: dict[str, t.Any]) -> list[Item]:
        try:
            payload = self.account_get(account, datacentre, self.path_for(id_set(ids), context), self.params)
        except NothingFoundError:
            return []  # none of these ids has anything to show (e.g. "No Product Prices Found")
        except FatalBrightpearlError as exc:
            if exc.status != 400:
                raise
            if len(ids) == 1:
                self.logger.warning(
                    "%s: account %r: Brightpearl refused product %d (%s); skipped it",
                    self.name,
                    account.accountCode,
                    ids[0],
                    exc,
                )
                return []
            middle = len(ids) // 2
            return [
                *self._read_set(account, datacentre, ids[:middle], context),
                *self._read_set(account, datacentre, ids[middle:], context),
            ]
        return self.records_of(payload, context)


class StockLevelsStream(ProductSetStream):
    """Each product's availability per warehouse, with the breakdown by location: a snapshot."""

    name = "stock_levels"
    primary_keys = ("accountCode", "productId", "warehouseId")
    params: t.ClassVar[dict[str, str] | None] = {"includeOptional": "breakDownByLocation"}

    @override
    def path_for(self, ids: str, context: dict[str, t.Any]) -> str:
        """product-availability for the set, broken down by location."""
        return f"warehouse-service/product-availability/{ids}"

    @override
    def records_of(self, payload: object, context: dict[str, t.Any]) -> list[Item]:
        """One record per product and warehouse, each also carrying the product's totals (`productTotal`)."""
        records: list[Item] = []
        for product, availability in payload.items() if isinstance(payload, dict) else ():
            if not isinstance(availability, dict):
                continue
            warehouses = decoded(availability.get("warehouses"))
            product_members = {k: v for k, v in availability.items() if k not in ("warehouses", "total")}
            total = {"productTotal": availability["total"]} if "total" in availability else {}
            for warehouse, levels in warehouses.items() if isinstance(warehouses, dict) else ():
                if isinstance(levels, dict) and str(product).isdigit() and str(warehouse).isdigit():
                    records.append(
                        {"productId": int(product), "warehouseId": int(warehouse), **product_members, **total, **levels}
                    )
        return records


class ProductPricesStream(ProductSetStream):
    """Each product's prices in each price list: a snapshot."""

    name = "product_prices"
    primary_keys = ("accountCode", "productId", "priceListId")

    @override
    def context_for(self, account: Account, datacentre: str) -> dict[str, t.Any]:
        """The account's price lists."""
        lists = self.account_get(account, datacentre, "product-service/price-list")
        ids = [p.get("id") for p in lists or [] if isinstance(p, dict) and isinstance(p.get("id"), int)]
        return {"price_lists": id_set(ids), "skip": not ids}

    @override
    def path_for(self, ids: str, context: dict[str, t.Any]) -> str:
        """product-price for the set, in every price list."""
        return f"product-service/product-price/{ids}/price-list/{context['price_lists']}"

    @override
    def records_of(self, payload: object, context: dict[str, t.Any]) -> list[Item]:
        """One record per product and price list."""
        records: list[Item] = []
        for product in payload if isinstance(payload, list) else ():
            if not isinstance(product, dict):
                continue
            for price in decoded(product.get("priceLists")) or []:
                if isinstance(price, dict):
                    records.append({"productId": product.get("productId"), **price})
        return records
