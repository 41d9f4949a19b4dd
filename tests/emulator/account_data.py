"""Deterministic business data for one emulated account: orders, products, contacts, warehouses.

Built lazily from (emulator seed, accountCode) so tests and benchmarks see identical data run
after run. Shapes follow real recorded Brightpearl bodies (account_records.py); timestamps carry
the account's local offset. A share of records (``never_updated_fraction``) was never updated:
their detail body has no ``updatedOn`` member and their search row shows null, as recorded.

``AccountData.configuration`` is the INNER settings object (every value a string); the endpoint
serves it nested, as ``{"response": {"configuration": <that object>}}``.

The other resources (goods notes, movements, stock, journals, payments, order notes, reference
data, currencies, contact groups, companies) come in groups built on first use, each from its
own RNG and from the records as first generated (``initial``): a group's data does not depend
on when it is first asked for, and an account that is only ever asked for orders never pays
for them.
"""

from __future__ import annotations

import gc
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .account_records import RecordFactory
from .account_tables import Record, Table, contact_table, order_table, product_table
from .account_templates import custom_fields, postal_addresses
from .clock import format_local, offset_minutes, parse_instant
from .data import Account, parse_ms
from .resources_catalog import CATALOG_RESOURCES, Catalog
from .resources_directory import DIRECTORY_RESOURCES, Directory
from .resources_finance import FINANCE_RESOURCES, Finance
from .resources_inventory import INVENTORY_RESOURCES, Inventory

__all__ = ["RESOURCES", "AccountData", "Table", "format_local", "no_gc", "offset_minutes", "parse_instant"]

RESOURCES = ("order", "product", "contact")
GROUPS: dict[str, Callable[[AccountData, random.Random], Any]] = {
    "inventory": Inventory,
    "finance": Finance,
    "catalog": Catalog,
    "directory": Directory,
}
GROUP_OF = (
    dict.fromkeys(INVENTORY_RESOURCES, "inventory")
    | dict.fromkeys(FINANCE_RESOURCES, "finance")
    | dict.fromkeys(CATALOG_RESOURCES, "catalog")
    | dict.fromkeys(DIRECTORY_RESOURCES, "directory")
)
SEARCH_BREAKS = ("empty",)
_CREATED_FROM = parse_ms("2024-01-01T00:00:00.000Z")
_CREATED_TO = parse_ms("2025-01-01T00:00:00.000Z")
_UPDATED_FROM = _CREATED_TO  # every updatedOn is after every createdOn
_UPDATED_TO = parse_ms("2026-10-31T00:00:00.000Z")
UPDATED_TIE_PROBABILITY = 0.05  # a few equal updatedOn values: bookmarks must cope with ties
# Where includeOptional=customFields puts the member (recorded: after warehouseId in orders,
# after composition in products). # guess: at the end of a contact.
_CUSTOM_FIELDS_AFTER = {"order": "warehouseId", "product": "composition", "contact": None}
OPTIONALS = {
    "order": frozenset({"customFields"}),
    "product": frozenset({"customFields"}),
    "contact": frozenset({"customFields", "postalAddresses"}),  # guess: not recorded for contacts
}


class AccountData:
    """One account's records; a lock guards reads against touch()/add_records()."""

    def __init__(
        self,
        account: Account,
        seed: int,
        *,
        orders: int,
        products: int,
        contacts: int,
        warehouses: int,
        never_updated_fraction: float = 0.2,
        contact_search_hides_updated: bool = False,
        goods_out_notes: int = 8,
        goods_movements: int = 20,
        goods_in_notes: int = 4,
        journals: int = 6,
        payments: int = 5,
        order_notes: int = 6,
    ) -> None:
        """Generate orders, products and contacts now; the other groups on first use."""
        if not 0.0 <= never_updated_fraction <= 1.0:
            raise ValueError(f"never_updated_fraction must be within [0, 1], not {never_updated_fraction}")
        self.account_code = account.accountCode
        self.seed = seed
        self.offset = account.currentUtcOffset
        self.sizes = {
            "goods_out_notes": goods_out_notes,
            "goods_movements": goods_movements,
            "goods_in_notes": goods_in_notes,
            "journals": journals,
            "payments": payments,
            "order_notes": order_notes,
        }
        self.broken: dict[str, str] = {}  # resource -> how its search is broken (break_search)
        self.bad_product_ids: set[int] = set()  # listed by product-search, refused by stock and prices
        self.groups: dict[str, Any] = {}
        self.never_updated_fraction = never_updated_fraction
        self.lock = threading.RLock()
        self._rng = random.Random(f"{seed}/account-data/{account.accountCode}")
        warehouse_ids = list(range(2, 2 + warehouses))  # recorded ids start at 2
        self.factory = RecordFactory(account, self._rng, warehouse_ids)
        self.tables: dict[str, Table] = {
            "order": order_table(),
            "product": product_table(),
            "contact": contact_table(hide_updated=contact_search_hides_updated),
        }
        self._builders: dict[str, Callable[[int, int, int | None], tuple[Record, Record]]] = {
            "order": self.factory.order,
            "product": self.factory.product,
            "contact": self.factory.contact,
        }
        self.warehouses: list[Record] = [self.factory.warehouse(w, warehouse_ids) for w in warehouse_ids]
        self.configuration: Record = self.factory.configuration()
        # Products and contacts first: orders point at them.
        self._generate("product", 1001, products)
        self._generate("contact", 201, contacts)
        self._generate("order", 100001, orders)
        # What the lazy groups are built from: the records as first generated (see initial()).
        self._initial = {name: tuple(t.records) for name, t in self.tables.items()}

    # -- public views ------------------------------------------------------------------------
    @property
    def orders(self) -> list[Record]:
        """Order detail bodies as served (without optional members), id order."""
        return self.tables["order"].records

    @property
    def products(self) -> list[Record]:
        """Product detail bodies as served (without optional members), id order."""
        return self.tables["product"].records

    @property
    def contacts(self) -> list[Record]:
        """Contact detail bodies as served (without optional members), id order."""
        return self.tables["contact"].records

    def table(self, resource: str) -> Table:
        """Look a resource up (building its group on first use), failing loudly on typos."""
        if resource not in self.tables:
            if resource not in GROUP_OF:
                known = [*RESOURCES, *GROUP_OF]
                raise ValueError(f"unknown resource {resource!r}; expected one of {known}")
            self.group(GROUP_OF[resource])
        return self.tables[resource]

    def initial(self, resource: str) -> list[tuple[Record, int]]:
        """(record, createdOn millis) of the records first generated, deleted ones included."""
        created = self.tables[resource].created_ms
        field = self.tables[resource].id_field
        return [(r, created[r[field]]) for r in self._initial[resource]]

    def group(self, name: str) -> Any:
        """The Inventory, Finance, Catalog or Directory of this account, built once from its own RNG."""
        with self.lock:
            built = self.groups.get(name)
            if built is None:
                rng = random.Random(f"{self.seed}/{name}/{self.account_code}")
                with no_gc():
                    built = self.groups[name] = GROUPS[name](self, rng)
                self.tables.update(built.tables)
            return built

    def never_updated(self, resource: str) -> list[int]:
        """Ids of records that were never updated (no updatedOn member), id order."""
        table = self.table(resource)
        return [r[table.id_field] for r in table.records if table.updated_ms[r[table.id_field]] is None]

    def detail_json(self, resource: str, record: Record, optional: frozenset[str]) -> bytes:
        """The record as served for an includeOptional set (encoded once per set until it changes)."""
        table = self.tables[resource]
        wanted = optional & OPTIONALS[resource]
        if not wanted:
            return table.record_json(record)
        return table.optional_json(record, wanted, lambda r: self._with_optional(resource, r, wanted))

    def _with_optional(self, resource: str, record: Record, wanted: frozenset[str]) -> Record:
        table = self.tables[resource]
        rid = record[table.id_field]
        added: Record = {}
        if "customFields" in wanted:
            added["customFields"] = custom_fields(resource, rid)
        if "postalAddresses" in wanted:
            added["postalAddresses"] = postal_addresses(record, table.extras[rid])
        after = _CUSTOM_FIELDS_AFTER[resource]
        if after is None or after not in record:
            return {**record, **added}
        out: Record = {}
        for name, value in record.items():
            out[name] = value
            if name == after:
                out.update(added)
        return out

    # -- mutation ----------------------------------------------------------------------------
    def now_after(self, table: Table) -> int:
        """'Now', but strictly after every existing createdOn/updatedOn (generated data runs to 2026)."""
        return max(int(time.time() * 1000), table.latest_ms() + 1000)

    def existing(self, resource: str, ids: list[int]) -> Table:
        """The resource's table, after checking every id is in it (KeyError naming the missing ones)."""
        table = self.table(resource)
        missing = [i for i in ids if i not in table.by_id]
        if missing:
            raise KeyError(f"no {resource} with ids {missing}")
        return table

    def touch(self, resource: str, ids: list[int]) -> None:
        """Mark records as just updated: updatedOn appears (or moves) and the version goes up.

        Any resource whose search has an updatedOn column (orders, products, contacts, goods
        movements, reference searches).
        """
        with self.lock:
            table = self.existing(resource, ids)
            if table.column_index("updatedOn") is None:
                raise ValueError(f"{resource} has no updatedOn: it changes in other ways")
            now = self.now_after(table)
            stamp = format_local(now, self.offset)
            for rid in ids:
                record = table.by_id[rid]
                table.updated_ms[rid] = now
                _set_updated_on(record, stamp)
                if resource == "order":
                    record["version"] += 1
                elif resource == "product":
                    record["version"] = now  # recorded: a product's version is its updatedOn in millis
                table.changed(rid)

    def add_records(self, resource: str, k: int) -> list[int]:
        """Create ``k`` records created now and never updated (no updatedOn yet); return their ids.

        That is what a fresh Brightpearl order looks like (recorded: a new order has no updatedOn).
        """
        if resource == "goods-movement":
            return self.group("inventory").add_movements(k)
        if resource not in self._builders:
            raise ValueError(f"add_records knows order, product, contact and goods-movement, not {resource!r}")
        with self.lock:
            table = self.table(resource)
            now = self.now_after(table)
            build = self._builders[resource]
            new: list[int] = []
            for _ in range(k):
                rid = table.next_id()
                record, extras = build(rid, now, None)
                table.add(record, now, None, extras)
                new.append(rid)
            return new

    def delete(self, resource: str, ids: list[int]) -> None:
        """Delete records: gone from searches and detail GETs; their ids are never reused."""
        with self.lock:
            self.existing(resource, ids).remove(list(ids))

    def break_search(self, resource: str, kind: str | None) -> None:
        """Make a resource's search misbehave ("empty": 200, no rows, resultsAvailable 0); None mends it."""
        if kind is not None and kind not in SEARCH_BREAKS:
            raise ValueError(f"kind must be one of {SEARCH_BREAKS} or None, not {kind!r}")
        with self.lock:
            self.table(resource)  # fail loudly on typos
            if kind is None:
                self.broken.pop(resource, None)
            else:
                self.broken[resource] = kind

    def add_bad_product_ids(self, ids: list[int]) -> None:
        """Ids product-search lists but product-availability and product-price refuse (400).

        An id that is not a product yet becomes one (created now, never updated), so it shows up
        in searches like any other product.
        """
        with self.lock:
            table = self.tables["product"]
            now = self.now_after(table)
            for rid in ids:
                if rid not in table.by_id:
                    record, extras = self.factory.product(rid, now, None)
                    table.add(record, now, None, extras)
            self.bad_product_ids.update(ids)

    # -- generation --------------------------------------------------------------------------
    def _generate(self, resource: str, first_id: int, n: int) -> None:
        rng = self._rng
        ids: list[int] = []
        rid = first_id
        for _ in range(n):
            ids.append(rid)
            rid += 1 if rng.random() < 0.9 else rng.randint(2, 5)  # gaps: deleted records
        span = _CREATED_TO - _CREATED_FROM
        created = sorted(_CREATED_FROM + rng.randrange(span) for _ in range(n))
        # Random gaps (zero for a tie), scaled so the values spread over the whole range.
        gaps = [0 if i and rng.random() < UPDATED_TIE_PROBABILITY else rng.randint(1, 1000) for i in range(n)]
        total, scale, acc = sum(gaps) or 1, _UPDATED_TO - _UPDATED_FROM, 0
        updated: list[int | None] = []
        for gap in gaps:
            acc += gap
            updated.append(_UPDATED_FROM + acc * scale // total)
        rng.shuffle(updated)  # updatedOn order differs from id order, so sort=updatedOn matters
        # Recorded: never-updated orders and products (no updatedOn member, null search cell).
        # guess: contacts too; the 2025 contact search only showed contacts with updatedOn set
        # (equal to createdOn), so a never-updated contact may in fact carry updatedOn = createdOn.
        fraction = self.never_updated_fraction
        if fraction:
            updated = [None if rng.random() < fraction else u for u in updated]
        table, build = self.tables[resource], self._builders[resource]
        for rid, c, u in zip(ids, created, updated, strict=True):
            record, extras = build(rid, c, u)
            table.add(record, c, u, extras)


def _set_updated_on(record: Record, stamp: str) -> None:
    """Set updatedOn in place; a never-updated record gets it right after createdOn, as recorded."""
    if "updatedOn" in record:
        record["updatedOn"] = stamp
        return
    items = list(record.items())
    record.clear()
    for name, value in items:
        record[name] = value
        if name == "createdOn":
            record["updatedOn"] = stamp


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic GC while generating: its full passes over a growing heap would double the
    time for 50,000 orders, and nothing generated is a cycle."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
