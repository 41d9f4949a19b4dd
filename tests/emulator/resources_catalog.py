"""Product reference data: brands, categories, seasons, collections, product types, options and
their values, price lists and product prices.

Documented: the brand, option, product-type, option-value, brightpearl-category, season,
price-list and product-price GETs and the category and season searches (member names and types
through their Shapes); product-price's 200 products a call. Recorded: an unknown product answers
404 CMNC-404 "No Product Prices Found". Third party only: collection-search, keyed collectionId.
Every id here matches what generated products carry (brandId 70-84, categories 296/299/302,
productTypeId 1, orders' and contacts' priceListId 1 and 2, account-configuration's
defaultCostPriceListId 1); names, dates and flags are guesses.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from .account_tables import Record, Table
from .account_templates import money
from .clock import DAY_MS, parse_instant
from .data import parse_ms
from .documented import SHAPES
from .documented_pages import CATEGORIES, OPTION_VALUES, PRODUCT_TYPES, SEASONS
from .resource_tables import (
    CATEGORY_READ,
    CATEGORY_SPEC,
    COLLECTION_SPEC,
    GET_ONLY_SPEC,
    SEASON_READ,
    SEASON_SPEC,
    add_row,
    columns,
    row_table,
)
from .resources_directory import CURRENCY_NAMES
from .resources_reference import STAFF_IDS

if TYPE_CHECKING:
    from .account_data import AccountData

CATALOG_RESOURCES = ("brand", "category", "season", "collection", "option")
# guess: every name, date and description below; the ids are the ones products carry.
BRANDS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka")
BRANDS += ("Tyrell", "Soylent", "Cyberdyne", "Aperture", "Vandelay", "Oscorp", "Monarch")
BRAND_FIRST = 70  # products: brandId = 70 + id % 15
CATEGORIES_ROWS = (
    (296, "Tools", 0, True),
    (299, "Garden", 0, True),
    (302, "Hoses", 299, True),
    (305, "Archive", 0, False),
)
SEASONS_ROWS = (
    ("Spring", "03-01", "05-31"),
    ("Summer", "06-01", "08-31"),
    ("Autumn", None, None),
    ("Winter", "12-01", None),
)
COLLECTIONS = ("Essentials", "Professional", "Clearance")
PRODUCT_TYPE_NAMES = ("Standard", "Bundle", "Service")  # products: productTypeId 1, which has the options
OPTIONS = (("Colour", ("Red", "Green", "Blue")), ("Size", ("Small", "Medium", "Large")))
# id, name, code, type, gross. # guess: 1 is the cost list (account-configuration defaultCostPriceListId
# "1") and 2 the retail list (contacts' priceListId 2); some accounts have a trade list too.
PRICE_LISTS = ((1, "Cost", "COST", "BUY", False), (2, "Retail", "RETAIL", "SELL", True))
TRADE_LIST = (3, "Trade", "TRADE", "SELL", False)
PRICE_CAP = 200  # doc
OPTION_VALUE_CAP = 200  # doc: the product ID set of product/{ids}/option-value
_FROM = parse_ms("2023-01-01T00:00:00.000Z")  # guess: set up before the first product (2024)


class Catalog:
    """One account's product reference data and price lists."""

    def __init__(self, data: AccountData, rng: random.Random) -> None:
        """Fill brands, categories, seasons, collections and options; choose 2 or 3 price lists."""
        self.data, self.rng, self.clock = data, rng, data.factory.clock
        self.tables: dict[str, Table] = {
            "brand": Table("brand", "id", columns(GET_ONLY_SPEC)),
            "category": Table("category", "id", columns(CATEGORY_SPEC, CATEGORY_READ)),
            "season": Table("season", "id", columns(SEASON_SPEC, SEASON_READ)),
            "collection": row_table("collection", "collectionId", COLLECTION_SPEC),
            "option": Table("option", "id", columns(GET_ONLY_SPEC)),
        }
        self._fill("brand", [{"id": BRAND_FIRST + i, "name": n, "description": ""} for i, n in enumerate(BRANDS)])
        self._fill("category", [self._category(*row) for row in CATEGORIES_ROWS])
        self._seasons()
        collections = [
            {"collectionId": i, "name": n, "description": "", "brandId": BRAND_FIRST + i}
            for i, n in enumerate(COLLECTIONS, 1)
        ]
        self._fill("collection", collections)
        self._fill("option", [{"id": i, "name": n, "sortOrder": 10 * i} for i, (n, _) in enumerate(OPTIONS, 1)])
        self.option_values: list[Record] = []
        for oid, (_, names) in enumerate(OPTIONS, 1):
            for order, name in enumerate(names, 1):
                vid = len(self.option_values) + 1
                value = {"optionValueId": vid, "optionValueName": name, "optionId": oid, "sortOrder": order}
                self.option_values.append(OPTION_VALUES.item(value, guessed=("sortOrder",)))
        options = [{"id": i, "name": n} for i, (n, _) in enumerate(OPTIONS, 1)]
        self.product_types: list[Record] = [
            PRODUCT_TYPES.item({"id": i, "name": n, **({"associations": {"options": options}} if i == 1 else {})})
            for i, n in enumerate(PRODUCT_TYPE_NAMES, 1)
        ]
        lists = PRICE_LISTS + ((TRADE_LIST,) if rng.random() < 0.5 else ())
        currency = data.factory.currency
        self.price_lists: list[Record] = [
            SHAPES["price_lists"].item(
                {
                    "id": i,
                    "name": {"languageCode": "en", "text": name, "format": "PLAINTEXT"},
                    "code": code,
                    "currencyCode": currency,
                    "currencySymbol": CURRENCY_NAMES.get(currency, (currency, currency))[1],
                    "currencyId": 1,
                    "priceListTypeCode": kind,
                    "gross": gross,
                }
            )
            for i, name, code, kind, gross in lists
        ]

    def _category(self, cid: int, name: str, parent: int, active: bool) -> Record:
        return {
            "id": cid,
            "name": name,
            "parentId": parent,
            "active": active,
            "createdById": STAFF_IDS[cid % 2],
            "updatedById": STAFF_IDS[(cid + 1) % 2],
            "description": {"languageCode": "en", "text": f"{name} and accessories", "format": "HTML_FRAGMENT"},
        }

    def _fill(self, resource: str, items: list[dict[str, Any]], **instants: Any) -> None:
        """Add the items with createdOn during 2023 and, for half of them, a later updatedOn."""
        rng, stamp, table = self.rng, self.clock.stamp, self.tables[resource]
        for item in items:
            created = _FROM + rng.randrange(365 * DAY_MS)
            updated = created + (rng.randrange(700 * DAY_MS) if rng.random() < 0.5 else 0)
            record = {**item, "createdOn": stamp(created), "updatedOn": stamp(updated)}
            if resource == "category":  # documented member order: createdById after createdOn
                order = ("id", "name", "parentId", "active", "createdOn", "createdById", "updatedOn", "updatedById")
                record = {k: record[k] for k in (*order, "description")}
            add_row(table, record, created, updated)

    def _seasons(self) -> None:
        """Seasons of 2025; dateFrom/dateTo (yyyy-mm-dd) left out when unset, as documented."""
        rng, clock, table = self.rng, self.clock, self.tables["season"]
        for sid, (name, start, end) in enumerate(SEASONS_ROWS, 1):
            created = _FROM + rng.randrange(365 * DAY_MS)
            updated = created + rng.randrange(300 * DAY_MS)
            record: Record = {"id": sid, "name": name, "description": f"{name} range"}
            extras: Record = {}
            for member, day in (("dateFrom", start), ("dateTo", end)):
                if day is not None:
                    record[member] = f"2025-{day}"
                    at = parse_instant(f"2025-{day}", clock.offset)
                    extras[member], extras[f"{member}Text"] = at, clock.stamp(at)
            record.update(createdOn=clock.stamp(created), updatedOn=clock.stamp(updated))
            table.add(record, created, updated, extras)

    def get(self, resource: str, ids: set[int] | None) -> list[Record]:
        """The brand, brightpearl-category, season or option GET: current records as documented."""
        shape = {
            "brand": SHAPES["brands"],
            "category": CATEGORIES,
            "season": SEASONS,
            "option": SHAPES["product_options"],
        }
        table = self.tables[resource]
        return [shape[resource].project(r) for r in table.records if ids is None or r["id"] in ids]

    def product_option_values(self, product_ids: list[int], value_ids: set[int] | None) -> list[Record]:
        """product/{ids}/option-value[/{valueIds}]: one item per option a product has (type 1 products)."""
        # guess: which products have options (two in three) and which value of each option
        products = self.data.tables["product"].by_id
        values = {(v["optionId"], i): v for v in self.option_values for i in [v["sortOrder"] - 1]}
        out = []
        for pid in product_ids:
            if pid not in products or pid % 3 == 0:
                continue
            for oid, (option, names) in enumerate(OPTIONS, 1):
                value = values[oid, (pid + oid) % len(names)]
                if value_ids is None or value["optionValueId"] in value_ids:
                    out.append(
                        SHAPES["product_option_values"].item(
                            {
                                "productId": pid,
                                "optionId": oid,
                                "optionName": option,
                                "optionValueId": value["optionValueId"],
                                "optionValue": value["optionValueName"],
                            }
                        )
                    )
        return out

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
                entry = {"priceListId": plist["id"], "currencyCode": plist["currencyCode"]}
                entry.update(currencyId=plist["currencyId"], sku=sku, quantityPrice=breaks)
                if plist["code"] == "TRADE":  # doc: sku is left out on some lists
                    del entry["sku"]
                entries.append(entry)
            out.append(SHAPES["product_prices"].item({"productId": pid, "priceLists": entries}))
        return out
