"""The *-search endpoints: filters by column type, sorting, paging, metaData and reference.

Recorded: positional rows, the column lists and their metadata, ``metaData.sorting``, the
``reference`` maps, and the CMNC-018 500 for a filter that does not parse ("The filter
orderStatusId=BAD PARAM cannot be parsed as: INTEGER"). Everything else is marked "guess".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .clock import parse_instant
from .hostile_pagers import PLAIN, dated, order_matches
from .reply import Reply, dumps, errors

if TYPE_CHECKING:
    from .account_data import AccountData
    from .account_tables import Table
    from .hostile_pagers import HostilePagers

MAX_PAGE_SIZE = 500  # larger requests are clamped silently, like Brightpearl
DEFAULT_PAGE_SIZE = 200
SUPPLIER_PAYMENT_CLAIM = 500  # quirk reported by a third party: supplier-payment-search's resultsAvailable
Key = list[Any]
Filter = Callable[[Key], bool]


class BadRequest(ValueError):
    """A malformed parameter; carries the reply the real service would give."""

    def __init__(self, status: int, code: str, message: str) -> None:
        """Remember the status and error envelope."""
        super().__init__(message)
        self.reply = Reply(status, errors(code, message))


def malformed(message: str) -> BadRequest:
    """Brightpearl answers malformed search parameters with a 500 CMNC-018 (a client bug)."""
    return BadRequest(500, "CMNC-018", message)


def unparsable(name: str, value: str, data_type: str) -> BadRequest:
    """The recorded wording for a filter value that does not parse as its column's type."""
    return malformed(f"The filter {name}={value} cannot be parsed as: {data_type}")


def parse_id_set(text: str, cap: int | None, name: str = "id") -> list[int]:
    """Expand "1-100,105" into sorted unique ids; over ``cap`` ids is a 400."""
    # guess: a 400 CMNC-400 (and its wording) for a bad or too large ID set in a detail GET path.
    ranges: list[tuple[int, int]] = []
    try:
        for item in text.split(","):
            low, dash, high = item.strip().partition("-")
            start = int(low)
            end = int(high) if dash else start
            if start < 1 or end < start:
                raise ValueError(item)
            ranges.append((start, end))
    except ValueError:
        raise BadRequest(400, "CMNC-400", f"Invalid id set {text!r}") from None
    if cap is not None and sum(end - start + 1 for start, end in ranges) > cap:
        raise BadRequest(400, "CMNC-400", f"Too many ids requested (max {cap})")
    return sorted({i for start, end in ranges for i in range(start, end + 1)})


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    try:
        value = int(query.get(name, default))
    except ValueError:
        raise unparsable(name, query[name], "INTEGER") from None
    if value < 1:
        raise malformed(f"{name} must be at least 1")  # guess: wording
    return value


def _period_filter(name: str, index: int, value: str, offset: str, as_millis: bool) -> Filter:
    """``from/``, ``from/to`` or ``/to``: inclusive from, exclusive to, compared as instants."""
    # guess: a null cell (a never-updated record's updatedOn) never matches a range; inclusive
    # from and exclusive to are a third-party claim.
    low_text, slash, high_text = value.partition("/")
    try:
        low = parse_instant(low_text, offset) if low_text else None
        high = parse_instant(high_text, offset) if high_text else None
    except ValueError:
        raise unparsable(name, value, "PERIOD") from None
    if not slash and low is not None:
        high = low + 1  # a bare instant: that exact millisecond
    if as_millis:  # createdOn/updatedOn keys already hold epoch millis

        def matches(key: Key) -> bool:
            cell = key[index]
            return cell is not None and (low is None or cell >= low) and (high is None or cell < high)

        return matches

    def matches_text(key: Key) -> bool:
        cell = key[index]
        if cell is None:
            return False
        at = parse_instant(cell, offset)
        return (low is None or at >= low) and (high is None or at < high)

    return matches_text


def _value_filter(name: str, index: int, data_type: str, value: str) -> Filter:
    if data_type == "IDSET":
        try:
            wanted_ids = set(parse_id_set(value, None))
        except BadRequest:
            raise unparsable(name, value, "IDSET") from None
        return lambda key: key[index] in wanted_ids
    if data_type == "INTEGER":
        try:
            wanted = int(value)
        except ValueError:
            raise unparsable(name, value, "INTEGER") from None
        return lambda key: key[index] == wanted
    if data_type == "BOOLEAN":  # guess: true/false, any case
        if value.lower() not in ("true", "false"):
            raise unparsable(name, value, "BOOLEAN")
        flag = value.lower() == "true"
        return lambda key: key[index] is flag
    if data_type == "SEARCH_STRING":  # guess: case-insensitive "contains"
        needle = value.lower()
        return lambda key: key[index] is not None and needle in key[index].lower()
    return lambda key: key[index] == value  # STRING: exact


def _sort_key(index: int) -> Callable[[tuple[Key, Any]], tuple[Any, ...]]:
    # guess: nulls sort below every value (first on ASC, last on DESC); ties fall back to the
    # id column, so paging is stable.
    def key(kr: tuple[Key, Any]) -> tuple[Any, ...]:
        cell = kr[0][index]
        return (cell is not None, cell if cell is not None else 0, kr[0][0])

    return key


def _filters(data: AccountData, table: Table, query: dict[str, str]) -> list[Filter]:
    """One filter per query parameter naming a column (paging and unknown parameters skipped)."""
    filters: list[Filter] = []
    for param, value in query.items():
        index = table.column_index(param)
        if index is None:
            continue
        col = table.columns[index]  # guess: filterable=false columns are filtered anyway
        is_range = col.data_type == "PERIOD" or (col.data_type == "IDSET" and "-" in value)
        if is_range and "ignore_ranges" in table.quirks:
            continue  # quirk reported by a third party: supplier-payment-search ignores range filters
        if col.data_type == "IDSET" and "-" in value and "no_id_ranges" in table.quirks:
            # Reported by a third party (journal-search); guess: the wording of the usual 500.
            raise unparsable(param, value, "IDSET")
        if col.data_type == "PERIOD":
            filters.append(_period_filter(param, index, value, data.offset, index in table.millis_at))
        else:
            filters.append(_value_filter(param, index, col.data_type, value))
    return filters


def search(data: AccountData, table: Table, query: dict[str, str], pagers: HostilePagers | None = None) -> Reply:
    """Answer one search request (misbehaving as the account's hostile pager knobs say, if any)."""
    knobs = PLAIN if pagers is None else pagers.knobs(data.account_code)
    page_size = knobs.page_size(min(_int_param(query, "pageSize", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE))
    first = _int_param(query, "firstResult", 1)
    sort = query.get("sort") or f"{table.sort or table.columns[0].name}.ASC"
    name, _, direction = sort.rpartition(".")
    sort_index = table.column_index(name)
    direction = direction.upper()
    if sort_index is None or direction not in ("ASC", "DESC"):
        raise malformed(f"Invalid sort {sort!r}")  # guess: wording
    filters = _filters(data, table, query)
    with data.lock:
        # A search broken on purpose (Emulator.break_search) answers 200 with nothing in it.
        keyed = [] if data.broken.get(table.resource) == "empty" else table.keyed()
        matches = [kr for kr in keyed if all(f(kr[0]) for f in filters)] if filters else list(keyed)
        if sort_index != 0 or direction != "ASC" or not table.presorted or knobs.shuffle_ties:
            # usually kept in id order already
            code = data.account_code
            ties = None if pagers is None else functools.partial(pagers.tie_rng, code, table.resource, query)
            order_matches(knobs, ties, matches, sort_index, direction == "DESC", _sort_key(sort_index))
        total = len(matches)
        matches = knobs.delivered(matches, dated=dated(table, query))  # resultsAvailable still says total
        start = first - 1
        if "ignore_ranges" in table.quirks and start >= total and total:
            # quirk reported by a third party: paging past the end answers the last page again.
            start = (total - 1) // page_size * page_size
        page = [r for _, r in matches[start : start + page_size]]
        results = [table.row(r) for r in page]
        reference = table.reference(results, page)
        if pagers is not None:
            pagers.listed(data, table.resource, [r[table.id_field] for r in page])
    more = first - 1 + len(results) < total
    if "ignore_ranges" in table.quirks:
        # quirk reported by a third party: resultsAvailable is always 500, whatever the real
        # count, and morePagesAvailable only looks at that 500, so a naive pager never stops
        # early and re-reads the last page (or stops at 500 rows when there are more).
        total = SUPPLIER_PAYMENT_CLAIM
        more = first - 1 + len(results) < total
    meta = {
        "morePagesAvailable": more,
        "resultsAvailable": total,
        "resultsReturned": len(results),
        "firstResult": first,
        "lastResult": first - 1 + len(results),
        "columns": [c.meta() for c in table.columns],
        "sorting": [{"filterable": table.columns[sort_index].meta(), "direction": direction}],
    }
    body = dumps({"response": {"results": results, "metaData": meta}, "reference": reference})
    return Reply(200, body, headers={"Message-Type": "bulk-data-search"})
