"""Searches that page the way a hostile but plausible Brightpearl (or a proxy in front of it) could.

Off by default: the emulator pages as Brightpearl documents. Turned on per account (or for every
account) with Emulator.hostile_pages / vanish_after_search, or from the CLI (--page-cap,
--shuffle-ties, --short-by, --short-listing-only), so any test or demo can meet them:

- ``page_cap``: at most N rows per page whatever pageSize asks; metaData (resultsReturned,
  lastResult, morePagesAvailable) tells what was really sent, as Brightpearl's does.
- ``shuffle_ties``: rows sharing the sort value come in a new order on every request (what OFFSET
  paging over a non-unique sort does). Seeded by the emulator's seed, the query and how often it
  was asked, so a test sees the same orders on every run however its requests interleave.
- ``short_by``: the last N rows a search announces in resultsAvailable are never delivered (their
  pages are missing); ``short_where="listing"`` only for searches without a date filter, the
  listing a deletes pass makes.
- vanishing ids: an id a search answer lists is deleted right after that answer, so the ID-set
  GET that follows no longer has it (and later searches no longer list it).

tests/hostile/pagers.py is the same idea in a server this project did not write; keep both.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .account_data import AccountData
    from .account_tables import Table

SHORT_WHERE = ("every", "listing")
Keyed = list[tuple[list[Any], Any]]


@dataclass(frozen=True)
class PagerKnobs:
    """How one account's searches misbehave (the defaults: not at all)."""

    page_cap: int | None = None
    shuffle_ties: bool = False
    short_by: int = 0
    short_where: str = "every"

    def __post_init__(self) -> None:
        """Typos and impossible values fail loudly, in the test that set them."""
        if self.page_cap is not None and self.page_cap < 1:
            raise ValueError(f"page_cap must be at least 1, not {self.page_cap}")
        if self.short_by < 0:
            raise ValueError(f"short_by must be 0 or more, not {self.short_by}")
        if self.short_where not in SHORT_WHERE:
            raise ValueError(f"short_where must be one of {SHORT_WHERE}, not {self.short_where!r}")

    def page_size(self, asked: int) -> int:
        """The rows a page really holds: what was asked (already clamped to 500), capped."""
        return asked if self.page_cap is None else min(asked, self.page_cap)

    def delivered(self, matches: Keyed, *, dated: bool) -> Keyed:
        """The rows pages can deliver: short of what resultsAvailable announces by ``short_by``."""
        if not self.short_by or (self.short_where == "listing" and dated):
            return matches
        return matches[: max(0, len(matches) - self.short_by)]


PLAIN = PagerKnobs()


@dataclass
class HostilePagers:
    """The emulator's pager knobs: per account, a default for every account, and the vanishing ids."""

    seed: int
    _knobs: dict[str | None, PagerKnobs] = field(default_factory=dict)
    _vanish: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    _asked: dict[tuple[str, str, str], int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, account_code: str | None, knobs: PagerKnobs) -> None:
        """Knobs for one account (None: every account without its own)."""
        with self._lock:
            self._knobs[account_code] = knobs

    def knobs(self, account_code: str) -> PagerKnobs:
        """The account's own knobs, else the ones for every account, else plain paging."""
        with self._lock:
            return self._knobs.get(account_code) or self._knobs.get(None) or PLAIN

    def vanish(self, account_code: str, resource: str, ids: list[int]) -> None:
        """Delete those ids right after a search answer first lists them."""
        with self._lock:
            self._vanish.setdefault((account_code, resource), set()).update(ids)

    def listed(self, data: AccountData, resource: str, ids: list[int]) -> None:
        """A search answer listed ``ids``: the vanishing ones among them are deleted now (data.lock held)."""
        with self._lock:
            pending = self._vanish.get((data.account_code, resource))
            gone = sorted(pending.intersection(ids)) if pending else []
            if pending is not None:
                pending.difference_update(gone)
        if gone:
            data.delete(resource, gone)

    def tie_rng(self, account_code: str, resource: str, query: dict[str, str]) -> random.Random:
        """A new random order for each asking of the same query (reproducible whatever the interleaving)."""
        shown = "&".join(f"{k}={v}" for k, v in sorted(query.items()))
        with self._lock:
            key = (account_code, resource, shown)
            self._asked[key] = times = self._asked.get(key, 0) + 1
        return random.Random(f"{self.seed}/ties/{account_code}/{resource}/{shown}/{times}")


def order_matches(
    knobs: PagerKnobs,
    rng: Callable[[], random.Random] | None,
    matches: Keyed,
    sort_index: int,
    descending: bool,
    stable_key: Callable[[tuple[list[Any], Any]], tuple[Any, ...]],
) -> None:
    """Sort a search's matches in place: ties by id (stable), or, with ``shuffle_ties``, anew each time."""
    if not knobs.shuffle_ties or rng is None:
        matches.sort(key=stable_key, reverse=descending)
        return
    rng().shuffle(matches)

    def value_only(kr: tuple[list[Any], Any]) -> tuple[Any, ...]:
        cell = kr[0][sort_index]
        return (cell is not None, cell if cell is not None else 0)

    matches.sort(key=value_only, reverse=descending)  # stable: ties keep the shuffled order


def dated(table: Table, query: dict[str, str]) -> bool:
    """Whether the search filters on a date column (an incremental read, not a listing of every id)."""
    for name in query:
        index = table.column_index(name)
        if index is not None and table.columns[index].data_type == "PERIOD":
            return True
    return False
