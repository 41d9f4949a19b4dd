"""The Emulator's per-account data knobs: lazily built data, sizes, and ways to change it.

Kept apart from emulator.py (servers, accounts, throttle, faults) so both stay short; Emulator
inherits these methods. Every knob fails loudly on an unknown account, resource or id.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from .account_data import AccountData, no_gc
from .hostile_pagers import HostilePagers, PagerKnobs

if TYPE_CHECKING:
    from .data import Account


class AccountKnobs:
    """Mixed into Emulator: it sets the attributes declared here in its __init__."""

    seed: int
    data_sizes: dict[str, int]
    data_options: dict[str, Any]
    _account_data: dict[str, AccountData]
    _account_sizes: dict[str, dict[str, int]]
    _data_lock: threading.Lock
    pagers: HostilePagers

    def find_account(self, code: str) -> Account | None:  # provided by Emulator
        raise NotImplementedError

    def account_data(self, accountCode: str) -> AccountData:
        """Return the account's business data, generated on first use (so big fleets start fast)."""
        with self._data_lock:
            data = self._account_data.get(accountCode)
            if data is None:
                account = self.find_account(accountCode)
                if account is None:
                    raise KeyError(accountCode)
                sizes = {**self.data_sizes, **self._account_sizes.get(accountCode, {})}
                with no_gc():
                    data = AccountData(account, self.seed, **sizes, **self.data_options)
                self._account_data[accountCode] = data
            return data

    def set_account_sizes(self, accountCode: str, **sizes: int) -> None:
        """Give one account other sizes than the Emulator's defaults (a big account for benchmarks).

        Names as in ``data_sizes``: orders, products, contacts, warehouses, goods_out_notes,
        goods_movements, goods_in_notes, journals, payments, order_notes. Only before the
        account's data is first generated: sizes shape generation, they do not resize data.
        """
        unknown = sorted(set(sizes) - set(self.data_sizes))
        if unknown:
            raise ValueError(f"unknown sizes {unknown}; expected some of {sorted(self.data_sizes)}")
        if self.find_account(accountCode) is None:
            raise KeyError(accountCode)
        with self._data_lock:
            if accountCode in self._account_data:
                raise RuntimeError(f"{accountCode}'s data is already generated")
            self._account_sizes.setdefault(accountCode, {}).update(sizes)

    def touch(self, accountCode: str, resource: str, ids: list[int]) -> None:
        """Set those records' updatedOn to now, after every existing value.

        "order", "product", "contact", and any other resource with an updatedOn ("goods-movement",
        "category", "season", "collection", "company", and the brand and option GETs: "brand",
        "option"). A never-updated record gains its updatedOn member here.
        """
        self.account_data(accountCode).touch(resource, list(ids))

    def add_records(self, accountCode: str, resource: str, k: int) -> list[int]:
        """Create ``k`` new records created now and never updated (no updatedOn, like a fresh order).

        "order", "product", "contact", or "goods-movement" (same as add_goods_movements).
        """
        return self.account_data(accountCode).add_records(resource, k)

    def ship_goods_out_notes(self, accountCode: str, ids: list[int]) -> None:
        """Ship those goods-out notes now: status flags and *On/*ById set, shippedOn in the search,
        SHW (plus any missing PRI/PIC/PAC) events, lastEventVersion bumped, and one GO goods
        movement per note row. Notes already shipped are left as they are.

        This is how a goods-out note changes: it has no updatedOn anywhere.
        """
        self.account_data(accountCode).group("inventory").ship(list(ids))

    def add_goods_movements(self, accountCode: str, k: int) -> list[int]:
        """Record ``k`` stock corrections (SC) now: new goods movements, createdOn = updatedOn = now."""
        return self.account_data(accountCode).group("inventory").add_movements(k)

    def add_bad_product_ids(self, accountCode: str, ids: list[int]) -> None:
        """Make those ids appear in product-search but fail product-availability and product-price
        (400 CMNC-400 for the whole id set), so the tap must isolate them. New ids become products."""
        self.account_data(accountCode).add_bad_product_ids(list(ids))

    def delete_records(self, accountCode: str, resource: str, ids: list[int]) -> None:
        """Delete records ("order", "product", "contact", "goods-out-note", or any other searched
        resource, or "brand" / "option"): they vanish from searches and GETs, and their ids are
        never reused. (Journal-search rows and goods-in rows are keyed by a hidden row number.)"""
        self.account_data(accountCode).delete(resource, list(ids))

    def break_search(self, accountCode: str, resource: str, kind: str | None = "empty") -> None:
        """Break one resource's search: "empty" answers 200 with no rows and resultsAvailable 0
        (a broken answer must delete nothing in the tap). ``kind=None`` mends it."""
        self.account_data(accountCode).break_search(resource, kind)

    def hostile_pages(
        self,
        accountCode: str | None = None,
        *,
        page_cap: int | None = None,
        shuffle_ties: bool = False,
        short_by: int = 0,
        short_where: str = "every",
    ) -> None:
        """Make one account's searches (``accountCode=None``: every account's) page like a hostile server.

        ``page_cap``: at most that many rows a page, whatever pageSize asks (metaData tells the truth).
        ``shuffle_ties``: rows sharing the sort value in a new (seeded) order on every request.
        ``short_by``: the last N rows resultsAvailable announces are never delivered; with
        ``short_where="listing"`` only in searches without a date filter (a deletes pass's listing).
        Called with no knob set, it mends the account. See hostile_pagers.py.
        """
        if accountCode is not None and self.find_account(accountCode) is None:
            raise KeyError(accountCode)
        self.pagers.set(accountCode, PagerKnobs(page_cap, shuffle_ties, short_by, short_where))

    def vanish_after_search(self, accountCode: str, resource: str, ids: list[int]) -> None:
        """Delete those records right after a search answer first lists them: the ID-set GET that
        follows (and every later search) no longer has them, as when someone deletes mid-read."""
        self.account_data(accountCode).existing(resource, list(ids))  # fail loudly on typos
        self.pagers.vanish(accountCode, resource, list(ids))
