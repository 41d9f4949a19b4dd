"""How an account stream is declared: one typed row, read by one builder (streams/row_stream.py).

A row says what Brightpearl is asked and what its answer holds: a search (its rows are the
records, or it lists ids whose details come from ID-set GETs) or plain GETs (a list read
whole, or ids for details), the key, the date columns an incremental read filters on, and
the evidence for all of it. Built-in rows live in catalog.py; each `custom_streams` entry
becomes a row with the same field names (`Row.from_setting`, which also takes the names
older versions used).
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

EvidenceKind = t.Literal["recorded", "documented", "third-party", "guess", "configured"]
ANSWERS = ("list", "map", "object")  # or "list in <member>", e.g. "list in journals"
NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
PATH = re.compile(r"[a-z][a-z0-9-]*(/([A-Za-z0-9*_.-]+|\{ids\}))+")
MEMBER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
IDS = "{ids}"


@dataclasses.dataclass(frozen=True)
class Evidence:
    """Why the tap believes a row: a recording, a documented example or page, third-party code, or a guess."""

    kind: EvidenceKind
    source: str  # a file under ../shared/brightpearl-recordings/, a page URL, a repository path, or why guessed

    def __str__(self) -> str:
        """`documented: https://...`."""
        return f"{self.kind}: {self.source}"


@dataclasses.dataclass(frozen=True)
class Row:
    """One account stream."""

    name: str
    key: tuple[str, ...]  # the members that identify a record (accountCode is added)
    evidence: tuple[Evidence, ...]
    description: str = ""
    # --- how records (or their ids) are listed: a search ...
    search: str | None = None  # e.g. order-service/order-search
    id_column: str | None = None  # the search column (or, with get + detail, the GET member) holding each id
    dates: tuple[str, ...] = ()  # PERIOD columns searched from the bookmark on; none: every run reads all
    also: tuple[tuple[tuple[str, str], ...], ...] = ()  # extra searches of incremental runs ("{since}" = bookmark)
    params: tuple[tuple[str, str], ...] = ()  # filters every search (or GET) of this row carries
    totals_untrusted: bool = False  # the search ignores filters and misreports its totals (supplier payments)
    ids_repeat: bool = False  # several rows share an id (a journal's lines): completeness counts rows
    # ... or plain GETs, read whole
    get: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # with several GETs: each one's value of tag_member in its records
    tag_member: str | None = None
    answer: str = "list"  # where a GET's items are: list | map (keyed by id) | object | "list in <member>"
    # --- details: ID-set GETs of the listed ids
    detail: str | None = None  # path with {ids}, e.g. order-service/order/{ids}
    detail_cap: int = 200  # ids per detail GET (1: one GET per id)
    detail_id_field: str | None = None  # the id member of a detail body (default: the first key member)
    detail_answer: str = "list"
    include_optional: str | None = None  # includeOptional of each detail GET, where offered
    parent_member: str | None = None  # with detail_cap 1: records get the id asked for under this member
    split_refused: bool = False  # a 400 refusing a set is one bad id: halve the set until it is alone
    missing_ok: bool = False  # an id may have no details (not every product has prices): a 404 is "none"
    # --- records
    hook: str | None = None  # a named hook in hooks.py for what a row cannot say (journal lines, ...)
    converters: tuple[tuple[str, str], ...] = ()  # member -> a named converter in hooks.py
    replication_key: str | None = None  # the record member named as the replication key (default dates[0])
    deletable: bool = False  # deletes are found by comparing ids (deletes.py)
    typed: bool = True  # False: the schema is learned from the search's columns (custom streams)

    @property
    def id_field(self) -> str:
        """The id member of a detail body."""
        return self.detail_id_field or self.key[0]

    @property
    def incremental(self) -> bool:
        """Whether each account keeps a bookmark."""
        return bool(self.dates)

    @property
    def replication(self) -> str | None:
        """The replication key the catalog shows."""
        return (self.replication_key or self.dates[0]) if self.dates else None

    @property
    def lists_rows(self) -> bool:
        """The search's rows are the records (no detail GETs)."""
        return self.search is not None and self.detail is None

    @property
    def details_are_listed(self) -> bool:
        """The detail GETs return the listed records themselves (so every listed id must come back)."""
        return (
            self.detail is not None and self.detail.endswith(IDS) and not self.missing_ok and self.parent_member is None
        )

    def detail_path(self, ids: str) -> str:
        """The detail GET path for one ID set."""
        path = t.cast("str", self.detail)
        return path.replace(IDS, ids) if IDS in path else f"{path}/{ids}"

    def problems(self) -> list[str]:
        """What makes this row unusable, each as a phrase (empty: usable)."""
        found: list[str] = []
        if not NAME.fullmatch(self.name):
            found.append("name must be lower-case letters, digits and _ (a table name)")
        if not self.key or not all(MEMBER.fullmatch(k) for k in self.key):
            found.append("key must name the members that identify a record")
        if bool(self.search) == bool(self.get):
            found.append("give exactly one of search (a *-search path) or get (a list path)")
        for path in (self.search, *self.get, self.detail):
            if path is not None and not _is_plain_path(path):
                found.append(f"{path!r} is not a path like warehouse-service/goods-movement-search")
        if self.search and not self.id_column:
            found.append("id_column is needed with a search (the column holding each record's id)")
        if self.get and self.detail and not self.id_column:
            found.append("id_column is needed with get and detail (the member holding each id)")
        if self.dates and not self.search:
            found.append("dates (replication_column) need a search")
        if self.detail_cap < 1 or self.detail_cap > 500:
            found.append("detail_cap must be 1 to 500")
        if self.parent_member and self.detail_cap != 1:
            found.append("parent_member needs detail_cap 1")
        if self.tags and len(self.tags) != len(self.get):
            found.append("tags must name one value per get path")
        for answer in (self.answer, self.detail_answer):
            if answer not in ANSWERS and not re.fullmatch(r"list in [A-Za-z_][A-Za-z0-9_]*", answer):
                found.append(f"answer {answer!r} must be list, map, object or 'list in <member>'")
        return found

    @classmethod
    def from_setting(cls, entry: t.Mapping[str, t.Any]) -> Row:
        """A `custom_streams` entry (checked by `setting_problems` first) as a row."""
        search, get = entry.get("search"), entry.get("get")
        detail = entry.get("detail")
        id_column = entry.get("id_column")
        dates = tuple(entry.get("dates") or ((entry["replication_column"],) if entry.get("replication_column") else ()))
        id_field = entry.get("detail_id_field") or (id_column if detail else None)
        key = tuple(entry.get("key") or ((id_field,) if detail else (id_column,)))
        return cls(
            name=str(entry["name"]),
            key=tuple(str(k) for k in key if k),
            evidence=(Evidence("configured", f"custom_streams entry {entry['name']!r}"),),
            description=f"custom_streams: {entry['name']}",
            search=search,
            id_column=id_column,
            dates=dates,
            params=tuple(sorted((str(k), str(v)) for k, v in (entry.get("params") or {}).items())),
            get=(get,) if isinstance(get, str) else tuple(get or ()),
            answer=str(entry.get("answer") or "list"),
            detail=detail,
            detail_cap=int(entry.get("detail_cap") or 200),
            detail_id_field=id_field,
            detail_answer=str(entry.get("detail_answer") or "list"),
            include_optional=entry.get("include_optional"),
            typed=False,
        )


def _is_plain_path(path: object) -> bool:
    """A relative API path of plain segments.

    No `.` or `..`: HTTP libraries collapse them, moving the account's credentials onto a path the
    entry does not name.
    """
    return isinstance(path, str) and bool(PATH.fullmatch(path)) and not {".", ".."} & set(path.split("/"))


# Paging is the tap's own: a search's params may not set it (a page size of its own would break the
# count of what each page must bring).
PAGING_PARAMS = frozenset({"pageSize", "firstResult", "sort", "columns"})


def setting_problems(entries: object, builtin: t.Collection[str]) -> list[str]:
    """Every bad `custom_streams` entry, named; empty when the setting can be used."""
    if entries is None:
        return []
    found: list[str] = []
    names: set[str] = set()
    for index, entry in enumerate(entries if isinstance(entries, list) else [None]):
        where = f"custom_streams[{index}]"
        if not isinstance(entry, dict):
            found.append(f"{where}: must be an object")
            continue
        name = entry.get("name")
        where = f"custom_streams[{index}] ({name!r})"
        if isinstance(name, str) and (name in builtin or name in names):
            found.append(f"{where}: a stream named {name!r} already exists")
        names.add(str(name))
        paging = sorted(PAGING_PARAMS & set(entry.get("params") or {}))
        if paging:
            found.append(f"{where}: params may not set {', '.join(paging)} (the tap pages searches itself)")
        if not isinstance(name, str) or not (entry.get("search") or entry.get("get")):
            found += [f"{where}: {p}" for p in _shape_problems(entry)]
            continue
        try:
            row = Row.from_setting(entry)
        except (TypeError, ValueError) as exc:
            found.append(f"{where}: {exc}")
            continue
        found += [f"{where}: {p}" for p in row.problems()]
    return found


def _shape_problems(entry: t.Mapping[str, t.Any]) -> list[str]:
    found = []
    name = entry.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        found.append("name must be lower-case letters, digits and _ (a table name)")
    if not (entry.get("search") or entry.get("get")):
        found.append("give exactly one of search (a *-search path) or get (a list path)")
    return found
