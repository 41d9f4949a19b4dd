"""Product reference data: brand, category, season, collection, product-type, option and
option-value searches, price lists and product prices.

Reported by third parties: each of those searches has updatedOn; price lists are read at
product-service/price-list. Documented: product-price/{productIds}/price-list/{priceListIds}, 200
products a call. Recorded: an unknown product answers 404 CMNC-404 "No Product Prices Found".
Every id here matches what generated products carry (brandId 70-84, categories 296/299/302,
productTypeId 1, contacts' priceListId 2, account-configuration's defaultCostPriceListId 1);
names, dates and bodies are guesses.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from .account_tables import Record, Table
from .account_templates import money
from .clock import DAY_MS
from .data import parse_ms
from .resource_tables import REFERENCE_SPECS, add_row, row_table

if TYPE_CHECKING:
    from .account_data import AccountData

CATALOG_RESOURCES = tuple(REFERENCE_SPECS)
# guess: every name, date and description below; the ids are the ones products carry.
BRANDS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka")
BRANDS += ("Tyrell", "Soylent", "Cyberdyne", "Aperture", "Vandelay", "Oscorp", "Monarch")
BRAND_FIRST = 70  # products: brandId = 70 + id % 15
CATEGORIES = ((296, "Tools", 0, True), (299, "Garden", 0, True), (302, "Hoses", 299, True), (305, "Archive", 0, False))
SEASONS = ("Spring", "Summer", "Autumn", "Winter")
COLLECTIONS = ("Essentials", "Professional", "Clearance")
PRODUCT_TYPES = ("Standard", "Bundle", "Service")  # products: productTypeId 1
OPTIONS = (("Colour", ("Red", "Green", "Blue")), ("Size", ("Small", "Medium", "Large")))
# id, name, code, type, gross. # guess: 1 is the cost list (account-configuration defaultCostPriceListId
# "1") and 2 the retail list (contacts' priceListId 2); some accounts have a trade list too.
PRICE_LISTS = ((1, "Cost", "COST", "BUY", False), (2, "Retail", "RETAIL", "SELL", True))
TRADE_LIST = (3, "Trade", "TRADE", "SELL", False)
_FROM = parse_ms("2023-01-01T00:00:00.000Z")  # guess: set up before the first product (2024)


class Catalog:
    """One account's product reference data (searches) and price lists."""

    def __init__(self, data: AccountData, rng: random.Random) -> None:
        """Fill the seven reference searches; choose 2 or 3 price lists."""
        self.data, self.rng, self.clock = data, rng, data.factory.clock
        self.tables: dict[str, Table] = {
            name: row_table(name, id_field, spec) for name, (id_field, spec) in REFERENCE_SPECS.items()
        }
        self._fill("brand", [{"brandId": BRAND_FIRST + i, "name": n, "description": ""} for i, n in enumerate(BRANDS)])
        self._fill("category", [{"id": i, "name": n, "parentId": p, "active": a} for i, n, p, a in CATEGORIES])
        self._fill("season", [{"id": i, "name": n, "description": f"{n} range"} for i, n in enumerate(SEASONS, 1)])
        collections = [{"id": i, "name": n, "description": ""} for i, n in enumerate(COLLECTIONS, 1)]
        self._fill("collection", collections)
        self._fill("product-type", [{"id": i, "name": n} for i, n in enumerate(PRODUCT_TYPES, 1)])
        self._fill("option", [{"optionId": i, "optionName": n} for i, (n, _) in enumerate(OPTIONS, 1)])
        values, vid = [], 1
        for oid, (_, names) in enumerate(OPTIONS, 1):
            for order, name in enumerate(names, 1):
                values.append({"optionValueId": vid, "optionId": oid, "optionValueName": name, "sortOrder": order})
                vid += 1
        self._fill("option-value", values)
        lists = PRICE_LISTS + ((TRADE_LIST,) if rng.random() < 0.5 else ())
        currency = data.factory.currency
        self.price_lists: list[Record] = [
            {
                "id": i,
                "name": {"languageCode": "EN", "text": name},
                "code": code,
                "currencyCode": currency,
                "currencyId": 1,
                "priceListTypeCode": kind,
                "gross": gross,
            }
            for i, name, code, kind, gross in lists
        ]

    def _fill(self, resource: str, items: list[dict[str, Any]]) -> None:
        """Add the items with createdOn during 2023 and, for half of them, a later updatedOn."""
        rng, stamp, table = self.rng, self.clock.stamp, self.tables[resource]
        for item in items:
            created = _FROM + rng.randrange(365 * DAY_MS)
            updated = created + (rng.randrange(700 * DAY_MS) if rng.random() < 0.5 else 0)
            add_row(table, {**item, "createdOn": stamp(created), "updatedOn": stamp(updated)}, created, updated)

    def prices(self, product_ids: list[int], list_ids: set[int] | None) -> list[Record]:
        """product-price bodies for existing products, on the asked price lists (None: all)."""
        # guess: cost = half the retail price, trade = 80%; money with 2 decimals
        known = {p[0]: (p[2], p[3]) for p in self.data.factory.products}
        lists = [p for p in self.price_lists if list_ids is None or p["id"] in list_ids]
        out = []
        for pid in product_ids:
            sku, pence = known[pid]
            entries = []
            for plist in lists:
                if plist["code"] == "COST":
                    breaks = {"1": money(pence // 2)}
                elif plist["code"] == "TRADE":
                    breaks = {"1": money(pence * 8 // 10)}
                else:  # guess: every other product has a price break at 10
                    breaks = {"1": money(pence), "10": money(pence * 9 // 10)} if pid % 2 == 0 else {"1": money(pence)}
                entries.append(
                    {
                        "priceListId": plist["id"],
                        "currencyCode": plist["currencyCode"],
                        "currencyId": plist["currencyId"],
                        "sku": sku,
                        "quantityPrice": breaks,
                    }
                )
            out.append({"productId": pid, "priceLists": entries})
        return out
