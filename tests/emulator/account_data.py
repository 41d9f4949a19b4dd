"""Deterministic business data for one emulated account: orders, products, contacts, warehouses.

Built lazily from (emulator seed, accountCode) so tests and benchmarks see identical data run
after run. Timestamps carry the account's local offset, as Brightpearl's do.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .data import Account, parse_ms

Record = dict[str, Any]
RESOURCES = ("order", "product", "contact")
_CREATED_FROM = parse_ms("2024-01-01T00:00:00.000Z")
_CREATED_TO = parse_ms("2025-01-01T00:00:00.000Z")
_UPDATED_FROM = _CREATED_TO  # every updatedOn is after every createdOn
_UPDATED_TO = parse_ms("2026-10-31T00:00:00.000Z")
UPDATED_TIE_PROBABILITY = 0.05  # a few equal updatedOn values: bookmarks must cope with ties
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

ORDER_STATUSES: tuple[tuple[int, str], ...] = (
    (1, "Draft / Quote"),
    (2, "New web order"),
    (4, "Invoiced"),
    (5, "Cancelled"),
    (6, "Dispatched"),
)
FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Linus", "Radia", "Tim")
LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Perlman")
PRODUCT_WORDS = ("Widget", "Gadget", "Sprocket", "Gizmo", "Doohickey", "Flange", "Bracket", "Valve")
PRODUCT_ADJECTIVES = ("Blue", "Large", "Deluxe", "Mini", "Steel", "Organic", "Classic", "Turbo")
COUNTRIES = ("GBR", "USA", "DEU", "IND", "AUS", "NPL")


def offset_minutes(offset: str) -> int:
    """Turn "+05:45" / "-03:30" into signed minutes."""
    sign = -1 if offset.startswith("-") else 1
    hours, _, minutes = offset.lstrip("+-").partition(":")
    return sign * (int(hours) * 60 + int(minutes or 0))


def format_local(epoch_ms: int, offset: str) -> str:
    """Format an instant as Brightpearl does for accounts: local wall time, millis, offset."""
    local = _EPOCH + timedelta(milliseconds=epoch_ms + offset_minutes(offset) * 60_000)
    return f"{local:%Y-%m-%dT%H:%M:%S}.{epoch_ms % 1000:03d}{offset}"


def parse_instant(text: str, default_offset: str) -> int:
    """Parse an ISO date-time (offset, Z, or none = account local time) to epoch millis."""
    text = text.strip().replace(" ", "+")  # an unencoded "+" arrives as a space
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone(timedelta(minutes=offset_minutes(default_offset))))
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


@dataclass(frozen=True)
class Column:
    """One search column: its name, Brightpearl data type and how to read it from a record."""

    name: str
    data_type: str  # INTEGER | STRING | PERIOD
    read: Callable[[Record], Any]

    def meta(self) -> dict[str, Any]:
        """Describe the column as metaData.columns does."""
        return {"name": self.name, "sortable": True, "filterable": True, "reportDataType": self.data_type}


@dataclass
class Table:
    """One resource: detail records (as served) plus the true instants search sorts on."""

    resource: str
    id_field: str
    columns: tuple[Column, ...]
    hide_updated: bool = False  # contact-search quirk: updatedOn cell is always null
    records: list[Record] = field(default_factory=list)
    by_id: dict[int, Record] = field(default_factory=dict)
    created_ms: dict[int, int] = field(default_factory=dict)
    updated_ms: dict[int, int] = field(default_factory=dict)

    version: int = 0
    _keyed: tuple[int, list[tuple[list[Any], Record]]] | None = None
    _json: dict[int, bytes] = field(default_factory=dict)

    def add(self, record: Record, created: int, updated: int) -> None:
        """Register a record built by the generator (ids ascending)."""
        rid = record[self.id_field]
        self.records.append(record)
        self.by_id[rid] = record
        self.created_ms[rid] = created
        self.updated_ms[rid] = updated
        self.changed(rid)

    def changed(self, rid: int) -> None:
        """Forget what was cached about a record (it was added or touched)."""
        self.version += 1
        self._json.pop(rid, None)

    def keyed(self) -> list[tuple[list[Any], Record]]:
        """(search key, record) for every record, cached until the table changes.

        The emulator must not be the bottleneck of a benchmark: a real Brightpearl is not
        one Python process, so the per-request work here is kept small.
        """
        if self._keyed is None or self._keyed[0] != self.version:
            self._keyed = (self.version, [(self.key(r), r) for r in self.records])
        return self._keyed[1]

    def record_json(self, record: Record) -> bytes:
        """The record as served, encoded once until it changes."""
        rid = record[self.id_field]
        cached = self._json.get(rid)
        if cached is None:
            cached = self._json[rid] = json.dumps(record, separators=(",", ":")).encode("utf-8")
        return cached

    def column_index(self, name: str) -> int | None:
        """Find a column by name (None when unknown)."""
        for i, col in enumerate(self.columns):
            if col.name == name:
                return i
        return None

    def key(self, record: Record) -> list[Any]:
        """Server-side cell values: PERIOD columns as true epoch millis (never hidden)."""
        rid = record[self.id_field]
        out: list[Any] = []
        for col in self.columns:
            if col.name == "createdOn":
                out.append(self.created_ms[rid])
            elif col.name == "updatedOn":
                out.append(self.updated_ms[rid])
            else:
                out.append(col.read(record))
        return out

    def row(self, record: Record) -> list[Any]:
        """The cells a search result row shows, in column order."""
        cells = [col.read(record) for col in self.columns]
        if self.hide_updated:
            cells[-1] = None
        return cells

    def max_updated(self) -> int:
        """Latest updatedOn instant (0 when empty)."""
        return max(self.updated_ms.values(), default=0)

    def next_id(self) -> int:
        """A fresh id after every existing one."""
        return max(self.by_id, default=0) + 1


def _order_table() -> Table:
    return Table(
        "order",
        "id",
        (
            Column("orderId", "INTEGER", lambda r: r["id"]),
            Column("orderTypeCode", "STRING", lambda r: r["orderTypeCode"]),
            Column("contactId", "INTEGER", lambda r: r["parties"]["customer"]["contactId"]),
            Column("orderStatusId", "INTEGER", lambda r: r["orderStatus"]["orderStatusId"]),
            Column("createdOn", "PERIOD", lambda r: r["createdOn"]),
            Column("updatedOn", "PERIOD", lambda r: r["updatedOn"]),
        ),
    )


def _product_table() -> Table:
    return Table(
        "product",
        "id",
        (
            Column("productId", "INTEGER", lambda r: r["id"]),
            Column("SKU", "STRING", lambda r: r["identity"]["sku"]),
            Column("productName", "STRING", lambda r: r["salesChannels"][0]["productName"]),
            Column("createdOn", "PERIOD", lambda r: r["createdOn"]),
            Column("updatedOn", "PERIOD", lambda r: r["updatedOn"]),
        ),
    )


def _contact_table() -> Table:
    return Table(
        "contact",
        "contactId",
        (
            Column("contactId", "INTEGER", lambda r: r["contactId"]),
            Column("firstName", "STRING", lambda r: r["firstName"]),
            Column("lastName", "STRING", lambda r: r["lastName"]),
            Column("createdOn", "PERIOD", lambda r: r["createdOn"]),
            Column("updatedOn", "PERIOD", lambda r: r["updatedOn"]),
        ),
        hide_updated=True,
    )


def _money(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


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
    ) -> None:
        """Generate everything now (the emulator calls this lazily, once per account)."""
        self.account_code = account.accountCode
        self.offset = account.currentUtcOffset
        self.lock = threading.RLock()
        self._rng = random.Random(f"{seed}/account-data/{account.accountCode}")
        self._next_row_id = 1
        self.tables: dict[str, Table] = {
            "order": _order_table(),
            "product": _product_table(),
            "contact": _contact_table(),
        }
        self.warehouses: list[Record] = [self._warehouse(i + 1) for i in range(warehouses)]
        self.configuration: Record = {
            "accountCode": account.accountCode,
            "accountName": f"{account.accountCode.rstrip('0123456789').title()} Ltd",
            "timeZone": account.canonicalId,
            "baseCurrencyCode": "GBP",
            "accountVersion": 2,
        }
        # Products and contacts first: orders point at them.
        self._generate("product", 1001, products, self._product)
        self._generate("contact", 201, contacts, self._contact)
        self._generate("order", 100001, orders, self._order)

    # -- public views ------------------------------------------------------------------------
    @property
    def orders(self) -> list[Record]:
        """Order detail bodies as served, id order."""
        return self.tables["order"].records

    @property
    def products(self) -> list[Record]:
        """Product detail bodies as served, id order."""
        return self.tables["product"].records

    @property
    def contacts(self) -> list[Record]:
        """Contact detail bodies as served, id order."""
        return self.tables["contact"].records

    def table(self, resource: str) -> Table:
        """Look a resource up, failing loudly on typos."""
        if resource not in self.tables:
            raise ValueError(f"unknown resource {resource!r}; expected one of {list(RESOURCES)}")
        return self.tables[resource]

    # -- mutation ----------------------------------------------------------------------------
    def _now_after(self, table: Table) -> int:
        """'Now', but strictly after every existing updatedOn (generated data runs to 2026)."""
        return max(int(time.time() * 1000), table.max_updated() + 1000)

    def touch(self, resource: str, ids: list[int]) -> None:
        """Mark records as just updated (incremental-sync tests)."""
        with self.lock:
            table = self.table(resource)
            missing = [i for i in ids if i not in table.by_id]
            if missing:
                raise KeyError(f"no {resource} with ids {missing}")
            now = self._now_after(table)
            for rid in ids:
                table.updated_ms[rid] = now
                table.by_id[rid]["updatedOn"] = format_local(now, self.offset)
                table.changed(rid)

    def add_records(self, resource: str, k: int) -> list[int]:
        """Create ``k`` records created and updated now; return their ids."""
        with self.lock:
            table = self.table(resource)
            now = self._now_after(table)
            build = {"order": self._order, "product": self._product, "contact": self._contact}[resource]
            new: list[int] = []
            for _ in range(k):
                rid = table.next_id()
                table.add(build(rid, now, now), now, now)
                new.append(rid)
            return new

    # -- generation --------------------------------------------------------------------------
    def _generate(self, resource: str, first_id: int, n: int, build: Callable[[int, int, int], Record]) -> None:
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
        updated: list[int] = []
        for gap in gaps:
            acc += gap
            updated.append(_UPDATED_FROM + acc * scale // total)
        rng.shuffle(updated)  # updatedOn order differs from id order, so sort=updatedOn matters
        table = self.tables[resource]
        for rid, c, u in zip(ids, created, updated, strict=True):
            table.add(build(rid, c, u), c, u)

    def _stamp(self, ms: int) -> str:
        return format_local(ms, self.offset)

    def _product(self, rid: int, created: int, updated: int) -> Record:
        rng = self._rng
        name = f"{rng.choice(PRODUCT_ADJECTIVES)} {rng.choice(PRODUCT_WORDS)}"
        return {
            "id": rid,
            "brandId": rng.randint(1, 5),
            "identity": {"sku": f"SKU-{rid:06d}"},
            "salesChannels": [{"salesChannelName": "Brightpearl", "productName": name}],
            "createdOn": self._stamp(created),
            "updatedOn": self._stamp(updated),
            "status": "LIVE",
        }

    def _contact(self, rid: int, created: int, updated: int) -> Record:
        rng = self._rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        return {
            "contactId": rid,
            "firstName": first,
            "lastName": last,
            "createdOn": self._stamp(created),
            "updatedOn": self._stamp(updated),
            "communication": {"emails": {"PRI": {"email": f"{first}.{last}.{rid}@example.com".lower()}}},
        }

    def _order(self, rid: int, created: int, updated: int) -> Record:
        rng = self._rng
        products = self.tables["product"].records
        contacts = self.tables["contact"].records
        rows: dict[str, Record] = {}
        net = 0
        for _ in range(rng.randint(1, 3) if products else 0):
            product = rng.choice(products)
            qty = rng.randint(1, 5)
            row_net = qty * rng.randint(100, 5000)
            net += row_net
            rows[str(self._next_row_id)] = {
                "productId": product["id"],
                "productName": product["salesChannels"][0]["productName"],
                "quantity": {"magnitude": f"{qty}.0000"},
                "rowValue": {"rowNet": {"value": _money(row_net)}},
            }
            self._next_row_id += 1
        tax = net // 5
        status_id, status_name = rng.choice(ORDER_STATUSES)
        parent = rid - rng.randint(1, 3) if rid > 100003 and rng.random() < 0.05 else None
        return {
            "id": rid,
            "parentOrderId": parent,
            "orderTypeCode": "SO",
            "reference": f"#{rid}",
            "orderStatus": {"orderStatusId": status_id, "name": status_name},
            "createdOn": self._stamp(created),
            "updatedOn": self._stamp(updated),
            "currency": {"orderCurrencyCode": "GBP"},
            "totalValue": {"net": _money(net), "taxAmount": _money(tax), "total": _money(net + tax)},
            "parties": {"customer": {"contactId": rng.choice(contacts)["contactId"] if contacts else None}},
            "orderRows": rows,
        }

    def _warehouse(self, wid: int) -> Record:
        rng = self._rng
        return {
            "id": wid,
            "name": f"Warehouse {wid}",
            "address": {
                "addressLine1": f"{rng.randint(1, 200)} {rng.choice(LAST_NAMES)} Street",
                "postalCode": f"{rng.choice('ABCDEFGHKLMN')}{rng.randint(1, 99)} {rng.randint(1, 9)}XY",
                "countryIsoCode": rng.choice(COUNTRIES),
            },
        }
