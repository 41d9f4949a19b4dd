"""Searches that page the way a hostile but plausible Brightpearl (or proxy) could.

`PagingBrightpearl` serves one account's orders through order-search and the order GET, with
knobs a real server might turn: a page-size cap below 500, ties in the sort column ordered anew on
every request (what OFFSET paging over a non-unique sort does), a listing that announces more than
its pages deliver, ids deleted between the search and the GET, rows deleted while the pages are
being read (so later pages shift), and a search that ignores the sort it was asked for.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from tests.hostile.servers import FakeBrightpearl, Seen, errors_answer, id_set, json_answer

COLUMNS = [
    {"name": "orderId", "reportDataType": "IDSET", "sortable": True},
    {"name": "createdOn", "reportDataType": "PERIOD", "sortable": True},
    {"name": "updatedOn", "reportDataType": "PERIOD", "sortable": True},
]


@dataclass
class Knobs:
    """How the search misbehaves (all off: it pages as documented)."""

    page_cap: int = 500  # rows per page at most, whatever pageSize asks
    shuffle_ties: bool = True  # ties in a non-unique sort column come in a new order on every request
    deliver_only: int | None = None  # the listing (no date filter) announces every row, delivers this many
    vanish: set[int] = field(default_factory=set)  # ids the search lists but the GET no longer has
    delete_after_first_page: set[int] = field(default_factory=set)  # deleted once page 1 has been served
    ignore_sort: bool = False  # always sorts by updatedOn, whatever it was asked


def order(order_id: int, updated: str, created: str = "2024-01-01T00:00:00.000Z") -> dict[str, Any]:
    """A small order body, as a detail GET answers it."""
    return {"id": order_id, "orderTypeCode": "SO", "createdOn": created, "updatedOn": updated, "orderRows": {}}


class PagingBrightpearl(FakeBrightpearl):
    """One account (`acme`) whose order-search pages as `knobs` say."""

    def __init__(self, orders: list[dict[str, Any]], knobs: Knobs | None = None) -> None:
        super().__init__()
        self.orders["acme"] = list(orders)
        self.knobs = knobs or Knobs()
        self.rng = random.Random(7)
        self.pages_served = 0
        self.search_log: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def answer(self, seen: Seen) -> Any:
        parts = seen.segments
        if parts[2:4] == ["order-service", "order-search"]:
            return self._search(dict(parse_qsl(seen.query)))
        if parts[2:4] == ["order-service", "order"] and len(parts) == 5:
            wanted = id_set(unquote(parts[4])) - self.knobs.vanish
            found = [o for o in self.orders["acme"] if o["id"] in wanted]
            if not found:
                return errors_answer("CMNC-404", "No Orders Found", 404)
            return json_answer({"response": found})
        return super().answer(seen)

    def _search(self, query: dict[str, str]) -> Any:
        knobs = self.knobs
        with self._lock:
            self.search_log.append(query)
            rows = list(self.orders["acme"])
            filtered = False
            for column in ("updatedOn", "createdOn"):
                if column in query:
                    filtered = True
                    start = query[column].split("/")[0].replace("Z", "")
                    rows = [o for o in rows if o.get(column) and o[column].replace("Z", "") >= start]
            sort = query.get("sort", "orderId.ASC").split(".")[0]
            if knobs.ignore_sort:
                sort = "updatedOn"
            key = "id" if sort == "orderId" else sort
            if knobs.shuffle_ties:
                self.rng.shuffle(rows)  # ties keep this new order: Python's sort is stable
            rows.sort(key=lambda o: o.get(key) or "")
            announced = len(rows)
            if not filtered and knobs.deliver_only is not None:
                rows = rows[: knobs.deliver_only]
            size = min(int(query.get("pageSize", 200)), knobs.page_cap)
            first = int(query.get("firstResult", 1))
            page = rows[first - 1 : first - 1 + size]
            self.pages_served += 1
            if self.pages_served == 1 and knobs.delete_after_first_page:
                self.orders["acme"] = [o for o in self.orders["acme"] if o["id"] not in knobs.delete_after_first_page]
        meta = {
            "resultsAvailable": announced,
            "resultsReturned": len(page),
            "morePagesAvailable": first - 1 + len(page) < announced,
            "firstResult": first,
            "lastResult": first + len(page) - 1,
            "columns": COLUMNS,
        }
        results = [[o["id"], o.get("createdOn"), o.get("updatedOn")] for o in page]
        return json_answer({"response": {"results": results, "metaData": meta}, "reference": {}})
