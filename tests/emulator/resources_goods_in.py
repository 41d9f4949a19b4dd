"""Goods-in notes: the goods-in-search rows and the goods-in note GET map.

Documented: the search's columns (one row per batch, location and price; purchaseOrderId, no
goods-note id; sorted by batchId), the GET paths ``order/{poIds}/goods-note/goods-in[/{noteIds}]``
and ``order/*/goods-note/goods-in/{noteIds}`` (never ``*`` without note ids; ID sets of at most
200), and the note map's members (documented_pages.GOODS_IN_NOTES). Reported by a third party:
a note's batchId, goodsNoteId and batchGoodsNoteId are one number. Every value is a guess.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from .account_tables import Record
from .account_templates import money4
from .clock import DAY_MS
from .documented_pages import GOODS_IN_MOVES, GOODS_IN_NOTES
from .resource_tables import GOODS_IN_SPEC, add_row, row_table
from .resources_reference import STAFF_IDS

if TYPE_CHECKING:
    from .resources_inventory import Inventory

HOUR = 3_600_000
GOODS_IN_CAP = 200  # doc: "any ID set supplied can have a maximum size of 200 IDs"


class Move(NamedTuple):
    """One goods movement: when, which goods note, what, where, how many, and what it belongs to."""

    at: int
    note: int
    product: int
    warehouse: int
    location: int
    kind: str  # goodsNoteTypeCode: GO, GI, SC, TR
    quantity: int  # negative when stock leaves
    order: int = 0
    sales_row: int = 0
    purchase_row: int = 0
    batch: int = 0


class GoodsIn:
    """One account's goods-in notes: search rows (per batch and location) and note bodies."""

    def __init__(self, inventory: Inventory) -> None:
        """An empty table; build() fills it."""
        self.inventory = inventory
        # _row: a hidden id (a note has several rows); rows are kept in receipt order, not batch order
        self.table = row_table("goods-in-note", "_row", GOODS_IN_SPEC, sort="batchId", presorted=False)
        self.notes: dict[int, Record] = {}  # goods-in note id -> GET body

    def build(self, n: int) -> list[Move]:
        """Notes for random purchase orders, received 1-20 days after the order; their movements."""
        # guess: every note received in full; a PO row sometimes split over two locations
        inv = self.inventory
        rng, stamp = inv.rng, inv.clock.stamp
        purchases = [(o, c) for o, c in inv.data.initial("order") if o["orderTypeCode"] == "PO" and o["orderRows"]]
        plans = []
        for _ in range(n if purchases else 0):
            order, created = purchases[int(rng.random() * len(purchases))]
            plans.append((created + rng.randint(DAY_MS, 20 * DAY_MS), order["id"], order))
        plans.sort(key=lambda p: (p[0], p[1]))
        nid, moves = 40_000 + rng.randrange(1000), []
        currency = inv.data.factory.currency
        for created, oid, order in plans:
            received = created + rng.randrange(2 * HOUR)  # guess: booked in as it arrives
            wid = order["warehouseId"]
            locations = inv.locations[wid]
            reference = f"GRN-{nid}" if rng.random() < 0.5 else None
            moved: list[Record] = []
            batch_rows: dict[tuple[int, int, str], int] = {}
            for row_id, po_row in order["orderRows"].items():
                pid = po_row["productId"]
                quantity = int(po_row["quantity"]["magnitude"].partition(".")[0])
                parts = [(locations[0], quantity)]
                if quantity > 1 and len(locations) > 1 and rng.random() < 0.3:  # one batch over two locations
                    k = 1 + int(rng.random() * (quantity - 1))
                    parts = [(locations[0], quantity - k), (locations[1], k)]
                value = money4(inv.unit_value.get(pid, 0))
                for location, q in parts:
                    moved.append(self._moved(pid, int(row_id), q, wid, location, nid, currency, value))
                    key = (pid, location, value)  # doc: one search row per batch, location and price
                    batch_rows[key] = batch_rows.get(key, 0) + q
                    moves.append(Move(received, nid, pid, wid, location, "GI", q, oid, 0, int(row_id), nid))
            for (pid, location, value), q in batch_rows.items():
                self._row(oid, nid, reference, (pid, location, q), value, (created, received))
            body: Record = {"goodsNoteId": nid, "orderId": oid, "transfer": False}
            body["goodsNoteStatus"] = "CLOSED" if rng.random() < 0.8 else "OPEN"
            if reference is not None:
                body["userBatchReference"] = reference
            body.update(receivedOn=stamp(received), createdBy=rng.choice(STAFF_IDS), goodsMoved=moved)
            self.notes[nid] = GOODS_IN_NOTES.item(body)
            nid += 1 if rng.random() < 0.9 else rng.randint(2, 4)
        return moves

    @staticmethod
    def _moved(pid: int, row: int, q: int, wid: int, location: int, nid: int, currency: str, value: str) -> Record:
        return GOODS_IN_MOVES.item(
            {
                "productId": pid,
                "purchaseOrderRowId": row,
                "quantity": q,
                "warehouseId": wid,
                "destinationLocationId": location,
                "goodsNoteId": nid,
                "batchGoodsNoteId": nid,
                "productValue": {"currency": currency, "value": value},
                "cleared": True,
            }
        )

    def _row(
        self, oid: int, nid: int, ref: str | None, part: tuple[int, int, int], value: str, at: tuple[int, int]
    ) -> None:
        """One search row: (product, location, quantity) of a note received at (created, received)."""
        inv = self.inventory
        pid, location, q = part
        created, received = at
        record = {
            "_row": len(self.table.records) + 1,
            "purchaseOrderId": oid,
            "batchId": nid,
            "userBatchRef": ref or "",
            "productId": pid,
            "locationId": location,
            **{f"grouping{g}": v for g, v in zip("ABCD", inv.groupings[location], strict=True)},
            "price": value,
            "landedCosts": "0.0000",
            "currCode": inv.data.factory.currency,
            "receivedQuantity": q,
            "onHand": q,  # guess: nothing sold from the batch yet
            "createdDate": inv.clock.stamp(created),
            "receivedDate": inv.clock.stamp(received),
            "warehouseId": inv.locations_of[location],
        }
        add_row(self.table, record, created, None, createdDate=created, receivedDate=received)

    def note_map(self, order_ids: set[int] | None, note_ids: set[int] | None) -> dict[str, Record]:
        """The notes of those purchase orders (None: any) with those ids (None: all), in id order."""
        return {
            str(nid): note
            for nid, note in self.notes.items()
            if (order_ids is None or note["orderId"] in order_ids) and (note_ids is None or nid in note_ids)
        }
