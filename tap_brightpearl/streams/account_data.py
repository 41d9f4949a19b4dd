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
from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE
from typing_extensions import override

from tap_brightpearl import deletes, sdk_private
from tap_brightpearl.client import BrightpearlStream, describe_failure
from tap_brightpearl.errors import AuthenticationError, BrightpearlError, NotFoundError, NothingFoundError
from tap_brightpearl.installs import parse_utc
from tap_brightpearl.prefetch import Failed, Prefetcher
from tap_brightpearl.reading import converters
from tap_brightpearl.records import Shaper, materialize
from tap_brightpearl.search import Count, IncompleteReadError

if t.TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_brightpearl.modes import Account
    from tap_brightpearl.rows import Row
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


class AccountsFailedError(AllAccountsFailed):
    """Some accounts could not be read whole: the stream fails (their bookmarks stay), the others are kept."""


class AccountStream(BrightpearlStream):
    """A stream read from every selected account, one state partition per account, built whole from a row."""

    per_account = True
    failure_hint = ACCESS_HINT
    # Shaper already gives every member its declared JSON type (or keeps it in otherMembers).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: Tap, runtime: Runtime, row: Row, schema: dict[str, t.Any]) -> None:
        """The row says what the stream is; state is partitioned by account; opt-in beside developer tools."""
        super().__init__(tap, runtime, name=row.name, schema=schema)
        self.row = row
        self.primary_keys = ["accountCode", *(k for k in row.key if k != "accountCode")]
        self.replication_key = row.replication  # type: ignore[assignment]
        self.state_partitioning_keys = ["accountCode"]
        self.selected_by_default = not runtime.mode.developer_tools
        self.shaper = self.make_shaper(schema)
        self._prefetcher: Prefetcher | None = None
        self._starts: dict[str, dt.datetime | None] = {}
        self._refused: set[str] = set()
        self._held: set[str] = set()  # accounts whose read failed: their bookmarks stay
        self._unauthorised: set[str] = set()
        self._finished = False

    def make_shaper(self, schema: t.Mapping[str, t.Any]) -> Shaper:
        """The shaper of this stream's records under `schema`."""
        keys = [k for k in self.row.key if k != "accountCode"]
        return Shaper(
            self.name, schema, self.logger, keys=keys, converters=converters(self.row), warn_undeclared=self.row.typed
        )

    @override
    def hint_for(self, exc: BaseException) -> str:
        """Refused account data: the app's access, or deselect the stream.

        A private or OAuth app whose own credential is refused (401) is told which settings hold it.
        """
        if isinstance(exc, AccountsFailedError):  # read short or broken, not refused: access is not the issue
            return (
                "Run again: those accounts' bookmarks stayed, so the next run reads them again; if the same "
                "accounts fail again, see the README's Troubleshooting and report the message."
            )
        mode = self.runtime.mode
        if not mode.developer_tools and (
            isinstance(exc, AuthenticationError) or (isinstance(exc, AllAccountsFailed) and exc.credentials)
        ):
            return f"{mode.credential_hint}."
        return access_hint("tap-brightpearl" if mode.developer_tools else "tap-brightpearl-account")

    @override
    def bookmark_held(self, context: Context) -> bool:
        """True for an account whose read failed this run."""
        return str(context.get("accountCode")) in self._held

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
            every = min(1.0, self.runtime.report.progress_every)
            for item in prefetcher.take(code, waiting=self._progress, every=every):
                if isinstance(item, Failed):
                    failed = item.error
                    break
                if isinstance(item, deletes.PartitionNote):
                    deletes.apply(self.get_context_state(context), item)
                    continue
                if isinstance(item, Count):
                    report.expected += item.expected
                    report.read += item.read
                    report.vanished += item.vanished
                    continue
                report.records += len(item)
                yield from item if self.raw_ok else map(materialize, item)
                self._progress()
        except BaseException:
            self._finish()
            raise
        if failed is not None:
            # Whatever this account emitted stays emitted; its bookmark must not move over the rest
            # (dropped here for the SDK's loop, and by the fast path after its last hand-over: bookmark_held).
            self._held.add(code)
            sdk_private.drop_progress_markers(self.get_context_state(context))
            reason = describe_failure(failed).removeprefix(f"{self.name}: account {code!r}: ")
            if isinstance(failed, IncompleteReadError):
                report.expected += failed.expected
                report.read += failed.read
            if isinstance(failed, AuthenticationError) or (
                isinstance(failed, NotFoundError) and not isinstance(failed, NothingFoundError)
            ):
                # 401/403: the account refused the app (revoked, closed, no access): skipped, as design.md says.
                # A 404 on a path the tap built is not "nothing there": it fails the stream for the account.
                self._refused.add(code)
                report.skipped_accounts[code] = reason
                if isinstance(failed, AuthenticationError):
                    self._unauthorised.add(code)
                if len(report.skipped_accounts) <= NAMED_FAILURES:
                    self.logger.warning("%s: skipping account %r: %s", self.name, code, reason)
            else:  # something Brightpearl has that this run could not read: the stream fails for the account
                report.failed_accounts[code] = reason
                if len(report.failed_accounts) <= NAMED_FAILURES:
                    self.logger.error("%s: account %r not read: %s", self.name, code, reason)
        else:
            report.accounts_read += 1

    @override
    def _sync_records(
        self, context: Context | None = None, *, write_messages: bool = True
    ) -> t.Generator[dict, t.Any, t.Any]:
        """Every account's records; then the stream fails if some account was not read whole.

        Raised once every partition is done, not at the end of the last account's records: raised there,
        it cut that account off before its last records were written and its bookmark promoted.
        """
        yield from super()._sync_records(context, write_messages=write_messages)
        self._finish()

    def _progress(self) -> None:
        """A progress line when one is due: accounts whose read has ended, records, rate, time left."""
        done = self._prefetcher.finished if self._prefetcher is not None else 0
        self.runtime.report.progress(self.name, accounts_done=done)

    def _start(self) -> Prefetcher:
        if self._prefetcher is None:
            accounts = {a.accountCode: a for a in self.runtime.accounts()}
            for code in accounts:  # state is read here, on the writer thread, never by a worker
                self._starts[code] = self.starting_point({"accountCode": code})
                self.prepare_account(code, self.get_context_state({"accountCode": code}))
            self.runtime.report.get(self.name).accounts_total = len(accounts)
            read = functools.partial(self._read_account, accounts)
            self._prefetcher = Prefetcher(list(accounts), read, workers=self.accounts_at_once)
        return self._prefetcher

    is_sorted = False  # details arrive per page; the bookmark is promoted when an account completes

    def starting_point(self, context: Context) -> dt.datetime | None:
        """The account's bookmark, else start_date, minus the look-back; nothing for snapshots and FULL_TABLE.

        Read straight from the partition's state: the SDK only fills its "starting value"
        when it reaches that partition, and every account starts reading before then.
        """
        if not self.row.incremental or self.replication_method == REPLICATION_FULL_TABLE:
            return None
        value = self.get_context_state(context).get("replication_key_value")
        start = parse_utc(value) if value else self.runtime.settings.start_date
        if start is None:
            return None
        return max(start - self.runtime.settings.lookback, EARLIEST)

    @override
    def bookmark_value(self, record: t.Mapping[str, t.Any]) -> str | None:
        """The first date the record has of its replication key and the row's dates (updatedOn, else createdOn)."""
        for name in (self.replication_key, *self.row.dates):
            value = record.get(name) if name else None
            if isinstance(value, str):
                return value
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
        failed, skipped = report.failed_accounts, report.skipped_accounts
        every = {**skipped, **failed}
        if every and len(every) == report.accounts_total:
            first_code, first_reason = next(iter(every.items()))
            what = "Brightpearl refused every account" if not failed else "every account failed"
            # None refused, every one read short or broken: the hint is to run again, not about access.
            kind = AccountsFailedError if failed and not skipped else AllAccountsFailed
            raise kind(
                f"{what} ({len(every)}); the first, {first_code!r}, said: {first_reason}",
                reason=f"{what} ({len(every)})",
                credentials=self._unauthorised >= set(every),
            )
        if skipped:
            self.logger.warning(
                "%s: %d of %d accounts refused the app and were skipped: %s",
                self.name,
                len(skipped),
                report.accounts_total,
                self.runtime.report.name_accounts(skipped),
            )
        if failed:
            first_code, first_reason = next(iter(failed.items()))
            raise AccountsFailedError(
                f"{len(failed)} of {report.accounts_total} accounts could not be read completely "
                f"({self.runtime.report.name_accounts(failed)}); the first, {first_code!r}: {first_reason}",
                reason=f"{len(failed)} account(s) not read completely",
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
