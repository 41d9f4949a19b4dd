"""The account's warehouse side: locations, goods-out notes, goods movements, stock (goods-in notes
are in resources_goods_in.py).

Goods-out notes follow the recorded body (vcr/goods_out_note/get/*.json) member for member: a
shipped note has every flag true, ``*On`` and ``*ById`` for each step and events PLA, SHW, PRI,
PIC, PAC. Notes belong to the account's sales orders and list those orders' rows. Locations are
shaped as docs/warehouse_locations.get.body.json (id and groupings, no name), the movement search
has its documented columns, product-availability its documented map; the values are guesses,
consistent enough to join on (ids exist), not an accounting of stock.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from .account_tables import Record, Table
from .account_templates import money4
from .clock import DAY_MS
from .data import parse_ms
from .documented import SHAPES
from .resource_tables import GOODS_MOVEMENT_SPEC, add_row, goods_out_table, row_table
from .resources_goods_in import GoodsIn, Move
from .resources_reference import SHIPPING_METHOD_IDS

if TYPE_CHECKING:
    from .account_data import AccountData

INVENTORY_RESOURCES = ("goods-out-note", "goods-in-note", "goods-movement")
MINUTE, HOUR = 60_000, 3_600_000
SHIPPED_FRACTION = 0.7  # the brief: about 30% of notes are not shipped yet
PICKER = 4  # recorded: pickedById/packedById/shippedById/printedById 4
FLAGS = ("shipped", "packed", "picked", "printed")  # recorded order of the status flags
STAMPED = ("picked", "packed", "shipped", "printed")  # recorded order of the *On and *ById members
STEPS = (("printed", "PRI"), ("picked", "PIC"), ("packed", "PAC"), ("shipped", "SHW"))  # guess: the order of work
AT_ONCE_EVENTS = ("SHW", "PRI", "PIC", "PAC")  # recorded: a note shipped in one go lists its events so
# guess: three locations per warehouse (groupingA-D, barcode); the last is a quarantine shelf
LOCATION_GROUPS = (("0", "0", "0", "0"), ("A", "01", "1", "0"), ("QUARANTINE",))
_CORRECTIONS_FROM = parse_ms("2024-01-01T00:00:00.000Z")


def status_body(times: dict[str, int], stamp: Callable[[int], str], by: int = PICKER) -> Record:
    """The recorded status object: flags, then ``*On`` and ``*ById`` of the steps done (null ones left out)."""
    status: Record = {flag: flag in times for flag in FLAGS}
    for step in STAMPED:
        if step in times:
            status[f"{step}On"] = stamp(times[step])
    for step in STAMPED:
        if step in times:
            status[f"{step}ById"] = by
    return status


class Inventory:
    """One account's warehouse resources, generated from the orders and products as first made."""

    def __init__(self, data: AccountData, rng: random.Random) -> None:
        """Generate locations, goods-out notes, goods-in notes and movements, in that order."""
        self.data = data
        self.rng = rng
        self.clock = data.factory.clock
        self.warehouse_ids = data.factory.warehouse_ids
        self.tables: dict[str, Table] = {
            "goods-out-note": goods_out_table(),
            "goods-movement": row_table("goods-movement", "goodsMovementId", GOODS_MOVEMENT_SPEC),
        }
        self.locations: dict[int, list[int]] = {}  # warehouse id -> its stock location ids, default first
        self.location_bodies: dict[int, list[Record]] = {}  # warehouse id -> its location GET items
        self.groupings: dict[int, tuple[str, ...]] = {}  # location id -> groupingA-D ("" unset)
        self.locations_of: dict[int, int] = {}  # location id -> its warehouse id
        self.unit_value = {p[0]: p[3] // 2 for p in data.factory.products}  # guess: stock valued at cost
        # guess: one account-wide event counter (recorded lastEventVersion 3131069)
        self.event_version = 3_000_000 + rng.randrange(100_000)
        self.next_correction_note = 900_001  # guess: goods-note ids of stock corrections and transfers
        self._stock: dict[int, tuple[Record, Record]] = {}
        self._build_locations()
        moves = self._build_goods_out(data.sizes["goods_out_notes"])
        self.goods_in = GoodsIn(self)
        self.tables["goods-in-note"] = self.goods_in.table
        moves += self.goods_in.build(data.sizes["goods_in_notes"])
        self._build_movements(data.sizes["goods_movements"], moves)

    # -- locations ---------------------------------------------------------------------------
    def _build_locations(self) -> None:
        """warehouse/{id}/location: id, groupings, a barcode on shelves (doc); no name, no warehouseId."""
        lid = 2  # recorded: warehouse 2 ships from location 2
        for wid in self.warehouse_ids:
            self.locations[wid], self.location_bodies[wid] = [], []
            for groups in LOCATION_GROUPS:
                body = {"id": lid, **{f"grouping{g}": v for g, v in zip("ABCD", groups, strict=False)}}
                if len(groups) == 4:
                    body["barcode"] = f"90{wid:03d}{lid:05d}"
                    self.locations[wid].append(lid)
                self.location_bodies[wid].append(SHAPES["warehouse_locations"].item(body))
                self.groupings[lid] = (*groups, "", "", "")[:4]
                self.locations_of[lid] = wid
                lid += 1

    def _location(self, wid: int) -> int:
        locations = self.locations[wid]
        return locations[0] if self.rng.random() < 0.8 else locations[int(self.rng.random() * len(locations))]

    # -- goods-out notes ---------------------------------------------------------------------
    def _build_goods_out(self, n: int) -> list[Move]:
        """Notes for random sales orders, ids in creation order."""
        # guess: an order picked twice gets a second note (sequence 2) listing its rows again
        rng, table = self.rng, self.tables["goods-out-note"]
        sales = [(o, c) for o, c in self.data.initial("order") if o["orderTypeCode"] == "SO" and o["orderRows"]]
        plans = []
        for _ in range(n if sales else 0):
            order, created = sales[int(rng.random() * len(sales))]
            plans.append((created + rng.randint(10 * MINUTE, 3 * DAY_MS), order["id"], order))
        plans.sort(key=lambda p: (p[0], p[1]))
        sequence: dict[int, int] = {}
        nid = 12_000 + rng.randrange(1000)  # guess: where note ids start
        moves = []
        for made, oid, order in plans:
            sequence[oid] = sequence.get(oid, 0) + 1
            note, times = self._goods_out_note(order, made, sequence[oid])
            shipped = times.get("shipped")
            add_row(table, {"goodsOutNoteId": nid, "note": note}, made, None, releaseDate=made, shippedOn=shipped)
            if shipped is not None:
                moves += self._outgoing(shipped, nid, note)
            nid += 1 if rng.random() < 0.9 else rng.randint(2, 4)
        return moves

    def _goods_out_note(self, order: Record, made: int, sequence: int) -> tuple[Record, dict[str, int]]:
        rng, stamp = self.rng, self.clock.stamp
        wid = order["warehouseId"]
        rows = {}
        for row_id, row in order["orderRows"].items():
            quantity = int(row["quantity"]["magnitude"].partition(".")[0])
            rows[row_id] = [{"productId": row["productId"], "quantity": quantity, "locationId": self._location(wid)}]
        by = order["createdById"]  # guess: whoever created the order released the note (recorded 203)
        events = [{"occured": stamp(made), "eventOwnerId": by, "eventCode": "PLA"}]  # sic: recorded "occured"
        times: dict[str, int] = {}
        shipped = rng.random() < SHIPPED_FRACTION
        if shipped and rng.random() < 0.6:  # recorded: everything done at one instant
            at = made + rng.randint(10 * MINUTE, 3 * DAY_MS)
            times = {step: at for step, _ in STEPS}
            events += [{"occured": stamp(at), "eventOwnerId": PICKER, "eventCode": code} for code in AT_ONCE_EVENTS]
        else:  # guess: step by step, in the order of work; unshipped notes stop part-way
            at = made
            for step, code in STEPS[: 4 if shipped else int(rng.random() * 4)]:
                at += rng.randint(5 * MINUTE, DAY_MS)
                times[step] = at
                events.append({"occured": stamp(at), "eventOwnerId": PICKER, "eventCode": code})
        self.event_version += len(events)
        note = {
            "orderId": order["id"],
            "warehouseId": wid,
            "transfer": False,
            "priority": rng.random() < 0.1,  # guess: a few priority notes
            "status": status_body(times, stamp),
            "shipping": {"reference": "", "shippingMethodId": rng.choice(SHIPPING_METHOD_IDS)},
            "releaseDate": stamp(made),  # recorded: equal to createdOn
            "createdOn": stamp(made),
            "createdBy": by,
            "orderRows": rows,
            "sequence": sequence,
            "events": events,
            "lastEventVersion": self.event_version,
        }
        return note, times

    @staticmethod
    def _outgoing(at: int, nid: int, note: Record) -> list[Move]:
        """The movements of the stock a shipped note takes out (quantities negative)."""
        wid, oid = note["warehouseId"], note["orderId"]
        return [
            Move(at, nid, part["productId"], wid, part["locationId"], "GO", -part["quantity"], oid, int(row_id))
            for row_id, parts in note["orderRows"].items()
            for part in parts
        ]

    def note_bodies(self, order_ids: set[int] | None, note_ids: set[int] | None) -> list[tuple[int, Record]]:
        """(note id, body) of the current notes matching both sets (None: any), id order."""
        return [
            (r["goodsOutNoteId"], r["note"])
            for r in self.tables["goods-out-note"].records
            if (note_ids is None or r["goodsOutNoteId"] in note_ids)
            and (order_ids is None or r["note"]["orderId"] in order_ids)
        ]

    def ship(self, ids: list[int]) -> None:
        """Ship notes now (see Emulator.ship_goods_out_notes); already shipped ones stay as they are."""
        data = self.data
        with data.lock:
            table = data.existing("goods-out-note", ids)
            latest = max((x.get("shippedOn") or 0 for x in table.extras.values()), default=0)
            now = max(data.now_after(table), latest + 1000)
            stamp = self.clock.stamp(now)
            moves = []
            for nid in dict.fromkeys(ids):
                note = table.by_id[nid]["note"]
                old = note["status"]
                if old["shipped"]:
                    continue
                status: Record = dict.fromkeys(FLAGS, True)
                status.update({f"{s}On": old.get(f"{s}On", stamp) for s in STAMPED})
                status.update({f"{s}ById": old.get(f"{s}ById", PICKER) for s in STAMPED})
                codes = ["SHW"] + [code for step, code in STEPS[:3] if not old[step]]  # recorded order: SHW first
                note["status"] = status
                note["events"] = note["events"] + [
                    {"occured": stamp, "eventOwnerId": PICKER, "eventCode": c} for c in codes
                ]
                self.event_version += len(codes)
                note["lastEventVersion"] = self.event_version
                table.extras[nid]["shippedOn"] = now
                table.changed(nid)
                moves += self._outgoing(now, nid, note)
            self._add_movements(moves)

    # -- goods movements ---------------------------------------------------------------------
    def _build_movements(self, n: int, from_notes: list[Move]) -> None:
        """Most movements come from the goods notes above, the rest are corrections and transfers."""
        # guess: the mix, GO quantities negative, corrections during 2024
        rng = self.rng
        rng.shuffle(from_notes)
        moves = from_notes[: int(n * 0.7)]  # guess: the share of note movements
        products = [r["id"] for r, _ in self.data.initial("product")]
        while products and len(moves) < n:
            at = _CORRECTIONS_FROM + rng.randrange(365 * DAY_MS)
            if len(self.warehouse_ids) > 1 and n - len(moves) >= 2 and rng.random() < 0.3:
                moves += self._transfer(at, rng.choice(products))
            else:
                moves.append(self._correction(at, rng.choice(products)))
        moves.sort()
        self.next_movement = 1 + rng.randrange(100)
        self._add_movements(moves, vary_updates=True)

    def _correction(self, at: int, pid: int) -> Move:
        rng = self.rng
        wid = rng.choice(self.warehouse_ids)
        quantity = rng.choice((-1, 1)) * rng.randint(1, 10)
        self.next_correction_note += 1
        return Move(at, self.next_correction_note - 1, pid, wid, self._location(wid), "SC", quantity)

    def _transfer(self, at: int, pid: int) -> list[Move]:
        """A transfer: one TR note taking stock out of one warehouse and into another."""
        # guess: the whole shape of a transfer
        source, target = self.rng.sample(self.warehouse_ids, 2)
        quantity = self.rng.randint(1, 20)
        note = self.next_correction_note
        self.next_correction_note += 1
        return [
            Move(at, note, pid, source, self.locations[source][0], "TR", -quantity),
            Move(at, note, pid, target, self.locations[target][0], "TR", quantity),
        ]

    def _add_movements(self, moves: list[Move], vary_updates: bool = False) -> list[int]:
        """The goods-movement-search rows; # guess: every value (cleared once shipped or received,
        never in quarantine, valued at cost per unit, batch = the goods-in note for GI)."""
        table, stamp, ids = self.tables["goods-movement"], self.clock.stamp, []
        currency = self.data.factory.currency
        for move in moves:
            at = move.at
            # guess: most movements never change (updatedOn = createdOn); a few are edited later.
            updated = at + self.rng.randint(HOUR, 30 * DAY_MS) if vary_updates and self.rng.random() < 0.1 else at
            mid = self.next_movement
            self.next_movement += 1
            record = {
                "goodsMovementId": mid,
                "productId": move.product,
                "salesOrderRowId": move.sales_row,
                "purchaseOrderRowId": move.purchase_row,
                "quantity": move.quantity,
                "destinationLocationId": move.location,
                "warehouseId": move.warehouse,
                "goodsNoteId": move.note,
                "productValue": money4(self.unit_value.get(move.product, 0)),
                "currencyCode": currency,
                "orderId": move.order,
                "isCleared": move.kind in ("GO", "GI"),
                "isQuarantine": False,
                "batchId": move.batch,
                "goodsNoteTypeCode": move.kind,
                "updatedOn": stamp(updated),
            }
            add_row(table, record, at, updated)
            ids.append(mid)
        return ids

    def add_movements(self, k: int) -> list[int]:
        """``k`` stock corrections made now (see Emulator.add_goods_movements)."""
        data = self.data
        with data.lock:
            products = [r["id"] for r in data.tables["product"].records]
            if k and not products:
                raise ValueError("the account has no products to correct stock of")
            now = data.now_after(self.tables["goods-movement"])
            return self._add_movements([self._correction(now, self.rng.choice(products)) for _ in range(k)])

    # -- stock -------------------------------------------------------------------------------
    def availability(self, product: Record, by_location: bool) -> Record:
        """product-availability for one (stock-tracked) product; deterministic per (seed, account, id)."""
        # guess: levels are not the sum of the goods movements; inStock = onHand - allocated; the
        # breakDownByLocation members (byLocation per warehouse) are not shown by the page.
        pid = product["id"]
        cached = self._stock.get(pid)
        if cached is None:
            cached = self._stock[pid] = self._levels(pid, product["stock"]["stockTracked"])
        return cached[by_location]

    def _levels(self, pid: int, tracked: bool) -> tuple[Record, Record]:
        rng = random.Random(f"{self.data.seed}/stock/{self.data.account_code}/{pid}")
        total = dict.fromkeys(("inStock", "onHand", "allocated", "inTransit"), 0)
        plain: Record = {}
        detailed: Record = {}
        for wid in self.warehouse_ids:
            per_location = {}
            for n, location in enumerate(self.locations[wid]):
                on_hand = rng.randint(0, 60 if n == 0 else 15) if tracked and (n == 0 or rng.random() < 0.3) else 0
                allocated = rng.randint(0, on_hand // 2) if on_hand else 0
                per_location[str(location)] = {
                    "inStock": on_hand - allocated,
                    "onHand": on_hand,
                    "allocated": allocated,
                }
            on_hand = sum(v["onHand"] for v in per_location.values())
            allocated = sum(v["allocated"] for v in per_location.values())
            in_transit = rng.randint(1, 10) if tracked and rng.random() < 0.2 else 0
            levels = {
                "inStock": on_hand - allocated,
                "onHand": on_hand,
                "allocated": allocated,
                "inTransit": in_transit,
            }
            for name, value in levels.items():
                total[name] += value
            plain[str(wid)] = levels
            detailed[str(wid)] = {**levels, "byLocation": per_location}
        return {"total": total, "warehouses": plain}, {"total": total, "warehouses": detailed}
