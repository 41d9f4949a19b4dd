"""Account data: what every account stream shares.

Every account is one state partition (`accountCode`), so each keeps its own bookmark.
Accounts are read concurrently by a `Prefetcher` (each inside its own throttle pool);
the SDK writes them one partition at a time. An account that fails (revoked token,
closed, moved away for good) is reported and skipped: whatever it emitted stays emitted,
its bookmark stays where it was so the next run reads it again, and the others go on.
Only when every account fails does the stream fail.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import typing as t

from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.schema.source import StreamSchema
from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE
from typing_extensions import override

from tap_brightpearl import deletes, sdk_private
from tap_brightpearl.client import BrightpearlStream, describe_failure
from tap_brightpearl.errors import AuthenticationError, BrightpearlError, NotFoundError
from tap_brightpearl.installs import parse_utc
from tap_brightpearl.prefetch import Failed, Prefetcher
from tap_brightpearl.records import Shaper, materialize
from tap_brightpearl.schema_files import SCHEMAS

if t.TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_brightpearl.modes import Account
    from tap_brightpearl.runtime import Runtime

Batch = list[dict[str, t.Any]]
NAMED_FAILURES = 3  # failed accounts logged one by one per stream; the rest are counted at the end
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc)


def access_hint(plugin: str) -> str:
    """What to do about refused account data (`plugin`: the Meltano extractor the README names)."""
    return (
        "Check that the app may read these accounts' data in Brightpearl, or stop selecting the stream "
        f"(Meltano: `meltano select {plugin} --rm <stream> '*'`; plain CLI: set selected false for it "
        "in the catalog)."
    )


ACCESS_HINT = access_hint("tap-brightpearl")


class _PerAccountBookmarks(logging.Filter):
    """Drop the SDK's "progress is not resumable" warning, which misleads here.

    Each account's bookmark is promoted when that account completes, so an interrupted
    run resumes account by account.
    """

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Stream is assumed to be unsorted")


logging.getLogger("singer_sdk").addFilter(_PerAccountBookmarks())


class AllAccountsFailed(BrightpearlError):
    """Every account of an account stream failed: the stream fails."""

    def __init__(self, message: str, *, reason: str, credentials: bool = False) -> None:
        """`reason` is the few words the run's last line shows; `credentials`: every account said 401."""
        super().__init__(message)
        self.reason = reason
        self.credentials = credentials


class AccountStream(BrightpearlStream):
    """A stream read from every selected account, one state partition per account."""

    per_account = True
    failure_hint = ACCESS_HINT
    schema = StreamSchema(SCHEMAS)  # schemas/<stream name>.json
    #: False for a permissive schema (members land in otherMembers without a WARNING each)
    typed: t.ClassVar[bool] = True
    #: member -> the documented transformation its value goes through (e.g. orders' orderRows)
    converters: t.ClassVar[dict[str, t.Callable[[t.Any], t.Any]]] = {}
    # Shaper already gives every member its declared JSON type (or keeps it in otherMembers).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: Tap, runtime: Runtime) -> None:
        """Partition state by account; opt-in where the app also has developer-tools streams."""
        super().__init__(tap, runtime)
        self.state_partitioning_keys = ["accountCode"]
        self.selected_by_default = not runtime.mode.developer_tools
        keys = [k for k in self.primary_keys or () if k != "accountCode"]
        self.shaper = Shaper(
            self.name, self.schema, self.logger, keys=keys, converters=self.converters, warn_undeclared=self.typed
        )
        self._prefetcher: Prefetcher | None = None
        self._starts: dict[str, dt.datetime | None] = {}
        self._pending: set[str] = set()
        self._refused: set[str] = set()
        self._unauthorised: set[str] = set()
        self._finished = False

    @override
    def hint_for(self, exc: BaseException) -> str:
        """Refused account data: the app's access, or deselect the stream.

        A private or OAuth app whose own credential is refused (401) is told which settings hold it.
        """
        mode = self.runtime.mode
        if not mode.developer_tools and (
            isinstance(exc, AuthenticationError) or (isinstance(exc, AllAccountsFailed) and exc.credentials)
        ):
            return f"{mode.credential_hint}."
        return access_hint("tap-brightpearl" if mode.developer_tools else "tap-brightpearl-account")

    @property
    @override
    def partitions(self) -> list[dict[str, t.Any]]:
        """One partition per account this run reads."""
        return [{"accountCode": a.accountCode} for a in self.runtime.accounts()]

    @override
    def describe_record(self, record: t.Mapping[str, t.Any]) -> str:
        """Account and key of a record."""
        keys = [k for k in self.primary_keys or () if k != "accountCode"]
        return f"account {record.get('accountCode')!r} " + ", ".join(f"{k} {record.get(k)!r}" for k in keys)

    @override
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Hand over the account's prefetched records; report and skip a failing account."""
        if not context or "accountCode" not in context:
            return
        code = str(context["accountCode"])
        prefetcher = self._start()
        report = self.runtime.report.get(self.name)
        failed: BaseException | None = None
        try:
            for item in prefetcher.take(code):
                if isinstance(item, Failed):
                    failed = item.error
                    break
                if isinstance(item, deletes.PartitionNote):
                    deletes.apply(self.get_context_state(context), item)
                    continue
                report.records += len(item)
                yield from item if self.raw_ok else map(materialize, item)
                self.runtime.report.progress(self.name, accounts_done=report.accounts_read)
        except BaseException:
            self._finish()
            raise
        if failed is not None:
            # Whatever this account emitted stays emitted; its bookmark must not move over the rest.
            sdk_private.drop_progress_markers(self.get_context_state(context))
            reason = describe_failure(failed)
            report.failed_accounts[code] = reason
            if isinstance(failed, (AuthenticationError, NotFoundError)):
                self._refused.add(code)
            if isinstance(failed, AuthenticationError):
                self._unauthorised.add(code)
            if len(report.failed_accounts) <= NAMED_FAILURES:
                self.logger.warning("%s: skipping account %r: %s", self.name, code, reason)
        else:
            report.accounts_read += 1
        self._pending.discard(code)
        if not self._pending:
            self._finish()

    def _start(self) -> Prefetcher:
        if self._prefetcher is None:
            accounts = {a.accountCode: a for a in self.runtime.accounts()}
            for code in accounts:  # state is read here, on the writer thread, never by a worker
                self._starts[code] = self.starting_point({"accountCode": code})
                self.prepare_account(code, self.get_context_state({"accountCode": code}))
            self._pending = set(accounts)
            self.runtime.report.get(self.name).accounts_total = len(accounts)
            read = functools.partial(self._read_account, accounts)
            self._prefetcher = Prefetcher(list(accounts), read, workers=self.accounts_at_once)
        return self._prefetcher

    def starting_point(self, context: Context) -> dt.datetime | None:
        """Where this account's read begins (snapshot streams: nowhere in particular)."""
        return None

    def prepare_account(self, code: str, partition: t.Mapping[str, t.Any]) -> None:
        """On the writer thread, before any worker starts: what a reader needs from the account's state."""

    @property
    def accounts_at_once(self) -> int:
        """Accounts read at the same time: twice max_concurrency.

        Requests on the wire never exceed max_concurrency (the transport's slots); reading more
        accounts than that keeps every slot busy while some accounts wait for their next page,
        instead of leaving the last accounts to run on their own at the end.
        """
        return 2 * self.runtime.settings.max_concurrency

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        if self._prefetcher is not None:
            self._prefetcher.close()
        report = self.runtime.report.get(self.name)
        failed = report.failed_accounts
        if failed and len(failed) == report.accounts_total:
            first_code, first_reason = next(iter(failed.items()))
            what = "Brightpearl refused every account" if self._refused >= set(failed) else "every account failed"
            raise AllAccountsFailed(
                f"{what} ({len(failed)}); the first, {first_code!r}, said: {first_reason}",
                reason=f"{what} ({len(failed)})",
                credentials=self._unauthorised >= set(failed),
            )
        if failed:
            self.logger.warning(
                "%s: %d of %d accounts failed and were skipped: %s",
                self.name,
                len(failed),
                report.accounts_total,
                self.runtime.report.name_accounts(failed),
            )

    def _read_account(self, accounts: dict[str, Account], code: str) -> t.Iterator[Batch]:
        """Runs on a worker thread: every request for one account, in its own throttle pool."""
        account = accounts[code]
        return self.runtime.router.read(code, functools.partial(self.read, account))

    def read(self, account: Account, datacentre: str) -> t.Iterator[Batch]:
        """Yield the account's records in batches."""
        raise NotImplementedError

    def account_get(
        self, account: Account, datacentre: str, path: str, params: dict | None = None, payload_type: t.Any = None
    ) -> t.Any:
        """GET `{datacentre}/public-api/{account}/{path}` with the account's own credentials."""
        url = self.runtime.account_url(datacentre, account.accountCode, path)
        return self.runtime.get(url, auth=account.auth, params=params, payload_type=payload_type)


class IncrementalAccountStream(AccountStream):
    """An account stream with a date bookmark per account.

    `changed` lists the date members that say when a record last changed, newest first:
    a record's bookmark value is the first it has (updatedOn is null for a record never
    updated, so createdOn stands in). A stream without a replication key is a snapshot.
    """

    replication_key = "updatedOn"
    is_sorted = False  # details arrive per page; the bookmark is promoted when an account completes
    changed: t.ClassVar[tuple[str, ...]] = ("updatedOn", "createdOn")

    @override
    def starting_point(self, context: Context) -> dt.datetime | None:
        """The account's bookmark, else start_date, minus the look-back; nothing for FULL_TABLE.

        Read straight from the partition's state: the SDK only fills its "starting value"
        when it reaches that partition, and every account starts reading before then.
        """
        if not self.replication_key or self.replication_method == REPLICATION_FULL_TABLE:
            return None
        value = self.get_context_state(context).get("replication_key_value")
        start = parse_utc(value) if value else self.runtime.settings.start_date
        if start is None:
            return None
        return max(start - self.runtime.settings.lookback, EARLIEST)

    @override
    def bookmark_value(self, record: t.Mapping[str, t.Any]) -> str | None:
        """The first of `changed` the record has (updatedOn, else createdOn)."""
        for name in self.changed:
            value = record.get(name)
            if isinstance(value, str):
                return value
        return None
