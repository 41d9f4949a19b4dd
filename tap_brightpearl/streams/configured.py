"""Streams for any Brightpearl resource, defined in the `custom_streams` setting, without code.

Each entry names a stream and how to read it, the way integration platforms let a user
subscribe to any entity: a search (its rows are the records, or with `detail` the ids'
details in ID sets of `detail_cap`) or a `get` path (a list, read whole), fixed query
`params`, the `id_column`, the `key`, and a `replication_column` (a date column of the
search; none: a snapshot). A search stream's schema comes from the search's own
`metaData.columns`, read at the start of the sync; any other member is kept in otherMembers.
Bad entries stop the run at start-up, naming the entry.
"""

from __future__ import annotations

import re
import typing as t

from typing_extensions import override

from tap_brightpearl.search import Resource, zip_rows
from tap_brightpearl.streams.readers import SearchStream, SnapshotStream

if t.TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
PATH = re.compile(r"[a-z][a-z0-9-]*(/[A-Za-z0-9*_.-]+)+")


def _is_plain_path(path: object) -> bool:
    """A relative API path of plain segments.

    No `.` or `..`: HTTP libraries collapse them, moving the account's credentials onto a path the
    entry does not name.
    """
    return isinstance(path, str) and bool(PATH.fullmatch(path)) and not {".", ".."} & set(path.split("/"))


COLUMN_TYPES = {  # a search column's reportDataType -> its JSON schema
    "INTEGER": {"type": ["integer", "null"]},
    "IDSET": {"type": ["integer", "null"]},
    "PERIOD": {"type": ["string", "null"], "format": "date-time"},
    "BOOLEAN": {"type": ["boolean", "null"]},
    "STRING": {"type": ["string", "null"]},
    "SEARCH_STRING": {"type": ["string", "null"]},
}
OTHER = {"type": ["object", "null"], "description": "Every member this stream's schema does not declare."}


def problems(entries: object, builtin: t.Collection[str]) -> list[str]:
    """Every bad entry, named; empty when the setting can be used."""
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
        if not isinstance(name, str) or not NAME.fullmatch(name):
            found.append(f"{where}: name must be lower-case letters, digits and _ (a table name)")
        elif name in builtin or name in names:
            found.append(f"{where}: a stream named {name!r} already exists")
        names.add(str(name))
        search, get = entry.get("search"), entry.get("get")
        if bool(search) == bool(get):
            found.append(f"{where}: give exactly one of search (a *-search path) or get (a list path)")
        for path in (search, get, entry.get("detail")):
            if path is not None and not _is_plain_path(path):
                found.append(f"{where}: {path!r} is not a path like warehouse-service/goods-movement-search")
        if (entry.get("detail") or entry.get("replication_column")) and not search:
            found.append(f"{where}: detail and replication_column need a search")
        if search and not entry.get("id_column"):
            found.append(f"{where}: id_column is needed with a search (the column holding each record's id)")
        if get and not (entry.get("key") or entry.get("id_column")):
            found.append(f"{where}: key (or id_column) is needed: the members that identify a record")
    return found


def _base_schema(key: t.Sequence[str], replication: str | None) -> dict[str, t.Any]:
    properties: dict[str, t.Any] = {"accountCode": {"type": "string"}}
    for member in key:
        properties[member] = {}
    if replication:
        properties[replication] = COLUMN_TYPES["PERIOD"]
    properties["otherMembers"] = OTHER
    return {"type": "object", "properties": properties, "required": ["accountCode", *key]}


class _ConfiguredSearch(SearchStream):
    """A search-backed stream from custom_streams."""

    typed = False
    _learned: dict[str, t.Any] | None = None

    def __init__(self, tap: Tap, *args: t.Any, **kwargs: t.Any) -> None:
        """Keep the tap: its mapper must hear of the columns learned at sync start."""
        super().__init__(tap, *args, **kwargs)
        self.host = tap

    @property
    @override
    def effective_schema(self) -> dict[str, t.Any]:
        """The catalog's schema with the columns learned at sync start added (where it says nothing more)."""
        given = super().effective_schema
        if self._learned is None:
            return given
        properties = dict(self._learned["properties"])
        properties.update({k: v for k, v in given.get("properties", {}).items() if v and k != "otherMembers"})
        return {**given, "properties": properties}

    @override
    def sync(self, context: Context | None = None) -> None:
        """Learn the search's columns (one small search of the first account) before the SCHEMA goes out."""
        if self.resource.detail_path is None and self.selected:
            self._learn_columns()
        super().sync(context)

    def _learn_columns(self) -> None:
        accounts = self.runtime.accounts()
        if not accounts:
            return
        account = accounts[0]
        datacentre, _ = self.runtime.router.route(account.accountCode)
        payload = self.account_get(
            account, datacentre, self.resource.search_path, {"pageSize": 1, **dict(self.resource.params)}
        )
        _, meta = zip_rows(payload)
        schema = _base_schema(self.primary_keys[1:], self.replication_key)
        properties = schema["properties"]
        other = properties.pop("otherMembers")
        for column in meta.get("columns") or []:
            if isinstance(column, dict) and isinstance(column.get("name"), str):
                properties[column["name"]] = dict(COLUMN_TYPES.get(str(column.get("reportDataType")), {}))
        properties["otherMembers"] = other
        self._learned = schema
        # The SCHEMA message comes from the tap's stream maps: register the learned schema there.
        self.host.mapper.register_raw_stream_schema(self.name, self.effective_schema, self.primary_keys)
        self.shaper = type(self.shaper)(
            self.name,
            self.effective_schema,
            self.logger,
            keys=self.primary_keys[1:],
            converters=self.converters,
            warn_undeclared=False,
        )


def configured_streams(entries: t.Iterable[t.Mapping[str, t.Any]]) -> list[type]:
    """One stream class per custom_streams entry (checked by `problems` first)."""
    classes: list[type] = []
    for entry in entries:
        name = str(entry["name"])
        replication = entry.get("replication_column")
        params = tuple(sorted((str(k), str(v)) for k, v in (entry.get("params") or {}).items()))
        if entry.get("search"):
            detail = entry.get("detail")
            id_field = entry.get("detail_id_field") or entry["id_column"]
            key = tuple(entry.get("key") or ((id_field,) if detail else (entry["id_column"],)))
            resource = Resource(
                entry["search"],
                entry["id_column"],
                detail,
                int(entry.get("detail_cap") or 200),
                id_field,
                changed=(replication,) if replication else (),
                key_columns=() if detail else key,
                params=params,
            )
            attributes = {"resource": resource, "replication_key": replication, "changed": resource.changed}
            classes.append(_make(name, _ConfiguredSearch, key, attributes, _base_schema(key, replication)))
        else:
            key = tuple(entry.get("key") or (entry["id_column"],))
            attributes = {"resource_path": entry["get"], "typed": False}
            classes.append(_make(name, SnapshotStream, key, attributes, _base_schema(key, None)))
    return classes


def _make(name: str, base: type, key: tuple[str, ...], attributes: dict[str, t.Any], schema: dict) -> type:
    return type(
        "".join(p.title() for p in name.split("_")) + "Stream",
        (base,),
        {
            "name": name,
            "primary_keys": ("accountCode", *key),
            "schema": schema,
            "__doc__": f"custom_streams: {name}",
            **attributes,
        },
    )
