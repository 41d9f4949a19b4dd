"""The one builder: every account stream is a `RowStream` made from its row (catalog.py or custom_streams).

The row says what to ask and what the answer holds; reading.py reads one account by it; this
class adds what needs the stream's state: where each account's read starts, the deletes pass of
deletable rows (deletes.py), and, for custom search streams, a schema learned from the search's
own columns before the SCHEMA message goes out.
"""

from __future__ import annotations

import typing as t

from typing_extensions import override

from tap_brightpearl import deletes
from tap_brightpearl.errors import BrightpearlError, NotFoundError, NothingFoundError
from tap_brightpearl.idsets import Ranges
from tap_brightpearl.installs import format_utc
from tap_brightpearl.reading import AccountRead, Optional
from tap_brightpearl.records import decoded
from tap_brightpearl.schema_files import SCHEMAS
from tap_brightpearl.search import IncompleteReadError, read_page
from tap_brightpearl.streams.account_data import AccountStream

if t.TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_brightpearl.modes import Account
    from tap_brightpearl.rows import Row
    from tap_brightpearl.runtime import Runtime

COLUMN_TYPES = {  # a search column's reportDataType -> its JSON schema
    "INTEGER": {"type": ["integer", "null"]},
    "IDSET": {"type": ["integer", "null"]},
    "PERIOD": {"type": ["string", "null"], "format": "date-time"},
    "BOOLEAN": {"type": ["boolean", "null"]},
    "STRING": {"type": ["string", "null"]},
    "SEARCH_STRING": {"type": ["string", "null"]},
}
OTHER = {"type": ["object", "null"], "description": "Every member this stream's schema does not declare."}
SETTINGS_PATH = "integration-service/account-configuration"  # every live account has it
# Listed records gone when asked for (twice) are deletions during the read; past both figures that is
# unusual enough to say in a WARNING (Brightpearl's search and its GET may disagree).
VANISHED_AT_MOST, VANISHED_SHARE = 5, 0.5


class AccountGoneError(NotFoundError):
    """The account answers 404 even for its settings: closed or uninstalled, so skipped like a refusal."""


def schema_for(row: Row) -> dict[str, t.Any]:
    """The row's schema file, or for a custom stream the base a search's columns extend."""
    if row.typed:
        return SCHEMAS.get_schema(row.name)
    properties: dict[str, t.Any] = {"accountCode": {"type": "string"}}
    for member in row.key:
        properties[member] = {}
    if row.replication:
        properties[row.replication] = COLUMN_TYPES["PERIOD"]
    properties["otherMembers"] = OTHER
    return {"type": "object", "properties": properties, "required": ["accountCode", *row.key]}


class RowStream(AccountStream):
    """An account stream read as its row says."""

    def __init__(self, tap: Tap, runtime: Runtime, row: Row) -> None:
        """Built whole from the row; custom search streams learn their columns at sync start."""
        super().__init__(tap, runtime, row, schema_for(row))
        self.host = tap
        self.optional = Optional(row.include_optional, self.logger, row.name)
        self._deletes: dict[str, tuple[bool, Ranges]] = {}
        self._learned: dict[str, t.Any] | None = None
        self._tried_learning = False

    @property
    def requests_per_account(self) -> int:
        """Search pages and detail GETs in flight per account: a quarter of max_concurrency, 1 to 4."""
        return max(1, min(4, self.runtime.settings.max_concurrency // 4))

    # --- state, on the writer thread -----------------------------------------------------------
    @override
    def prepare_account(self, code: str, partition: t.Mapping[str, t.Any]) -> None:
        """Whether a deletes pass is due for this account, and the ids it knows."""
        if not self.row.deletable:
            return
        settings = self.runtime.settings
        due = deletes.due(
            partition, now=self.runtime.started, every_days=settings.deletes_every_days, on_demand=settings.deletes_now
        )
        self._deletes[code] = (due, deletes.known_ids(partition))

    # --- one account, on a worker thread ---------------------------------------------------------
    @override
    def read(self, account: Account, datacentre: str) -> t.Iterator[t.Any]:
        """The account's records, its counts, then (deletable rows) what the deletes pass found."""

        def get(path: str, params: dict[str, t.Any] | None, payload_type: t.Any) -> t.Any:
            return self.account_get(account, datacentre, path, params, payload_type)

        try:
            yield from self._read(account, datacentre, get)
        except NothingFoundError as exc:
            if self._gone(account, datacentre):
                raise AccountGoneError(
                    f"the account answers 404 on {datacentre} even for its settings (closed, uninstalled, or in "
                    f"another datacentre: see account_data_centers): {exc}"
                ) from exc
            raise

    def _gone(self, account: Account, datacentre: str) -> bool:
        """Whether the account itself is gone (closed, uninstalled): even its settings answer 404."""
        try:
            self.account_get(account, datacentre, SETTINGS_PATH)
        except NothingFoundError:
            return True
        except BrightpearlError:
            return False
        return False

    def _read(self, account: Account, datacentre: str, get: t.Callable[..., t.Any]) -> t.Iterator[t.Any]:
        code = account.accountCode
        since = self._starts.get(code)
        reading = AccountRead(
            self.row,
            code,
            get,
            lambda item: self.shaper.shape(item, code),
            since,
            self.requests_per_account,
            self.optional,
        )
        yield from reading.records()
        if reading.vanished:
            self._say_vanished(reading)
        reading.count.vanished = reading.vanished
        yield reading.count
        if self.row.deletable:
            yield from self._deletes_pass(reading, full_read=since is None)

    def _say_vanished(self, reading: AccountRead) -> None:
        """Listed records gone when asked for twice: deletions during the read, in a WARNING when so many.

        The run summary carries the count (`vanished`), so an orchestrator can alert on it.
        """
        listed, gone = reading.count.read, reading.vanished
        said = (
            f"{reading.where}: {gone} of {listed} listed record(s) were gone when asked for, twice "
            "(deleted during the read)"
        )
        if gone > VANISHED_AT_MOST and gone > listed * VANISHED_SHARE:
            self.logger.warning(
                "%s; so many is unusual: if they still exist in Brightpearl, its search and its GET disagree "
                "(report it)",
                said,
            )
        else:
            self.logger.info("%s", said)

    def _deletes_pass(self, reading: AccountRead, *, full_read: bool) -> t.Iterator[t.Any]:
        """Ids read before that Brightpearl no longer lists, each confirmed gone, emitted as deleted.

        A full read (no bookmark yet) has just listed every live id, so it needs no listing of its own.
        """
        code, where = reading.code, reading.where
        due, known = self._deletes.get(code, (False, Ranges()))
        if not (due or (full_read and known)):
            yield deletes.PartitionNote(read_ids=reading.read_ids)
            return
        if full_read:
            live = reading.read_ids
        else:
            try:
                live = Ranges.of(
                    i for page in reading.listing(reading.searches(since=None, ids_only=True)) for i, _ in page
                )
            except (IncompleteReadError, BrightpearlError) as exc:
                self.logger.warning(
                    "%s: listing the live ids did not deliver every id (%s); no deletes pass this run, "
                    "records read are kept",
                    where,
                    exc,
                )
                yield deletes.PartitionNote(read_ids=reading.read_ids)
                return
        candidates = known.minus(live).minus(reading.read_ids)
        alive = self._still_there(reading, candidates)
        if alive:
            self.logger.warning(
                "%s: %d id(s) the listing left out are still there when asked for; they are not deleted",
                where,
                len(alive),
            )
            live = live.union(alive)
        missing = candidates.minus(alive)
        share = self.runtime.settings.deletes_max_share
        if missing and not deletes.believable(len(missing), len(known), len(live), share):
            self.logger.warning(
                "%s: Brightpearl no longer has %d of %d known ids; that is more than deletes_max_share (%g), "
                "so nothing was marked deleted. If they really are gone, run once with a higher deletes_max_share",
                where,
                len(missing),
                len(known),
                share,
            )
            yield deletes.PartitionNote(read_ids=reading.read_ids)
            return
        checked = format_utc(self.runtime.started)
        if missing:
            self.logger.info("%s: %d record(s) deleted in Brightpearl since the last pass", where, len(missing))
            field = self.row.id_field
            for piece in missing.chunks(1000):
                yield [{"accountCode": code, field: i, "_sdc_deleted_at": checked} for i in piece.ids()]
        yield deletes.PartitionNote(read_ids=reading.read_ids, live_ids=live, checked_at=checked)

    def _still_there(self, reading: AccountRead, candidates: Ranges) -> Ranges:
        """Which candidates an ID-set GET still returns."""
        found = Ranges()
        for piece in candidates.chunks(self.row.detail_cap):
            for item in reading.detail_items(list(piece.ids())):
                value = decoded(item.get(self.row.id_field))
                if isinstance(value, int) and value in piece:
                    found.add(value)
        return found

    # --- custom search streams: a schema from the search's own columns ------------------------------
    @override
    def sync(self, context: Context | None = None) -> None:
        """Learn the search's columns (one small search of the first account) before the SCHEMA goes out."""
        if not self.row.typed and self.row.lists_rows and self.selected and not self._tried_learning:
            self._tried_learning = True
            try:
                self._learn_columns()
            except BrightpearlError as exc:
                self.logger.warning(
                    "%s: could not learn the search's columns (%s); members go to otherMembers", self.name, exc
                )
        super().sync(context)

    def _learn_columns(self) -> None:
        accounts = self.runtime.accounts()
        if not accounts:
            return
        account = accounts[0]
        datacentre, _ = self.runtime.router.route(account.accountCode)
        row = self.row
        params = {"pageSize": 1, **dict(row.params)}
        payload = self.account_get(account, datacentre, t.cast("str", row.search), params)
        read_page(payload, id_column=t.cast("str", row.id_column), needed=row.dates, where=self.name, asked=1)
        schema = schema_for(row)
        properties = schema["properties"]
        other = properties.pop("otherMembers")
        for column in payload["metaData"].get("columns") or []:
            if isinstance(column, dict) and isinstance(column.get("name"), str):
                properties[column["name"]] = dict(COLUMN_TYPES.get(str(column.get("reportDataType")), {}))
        properties["otherMembers"] = other
        self._learned = schema
        # The SCHEMA message comes from the tap's stream maps: register the learned schema there.
        self.host.mapper.register_raw_stream_schema(self.name, self.effective_schema, self.primary_keys)
        self.shaper = self.make_shaper(self.effective_schema)

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
