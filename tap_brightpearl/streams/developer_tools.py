"""Developer-tools streams: who installed the app, and each account's display timezone."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.schema.source import StreamSchema
from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE
from typing_extensions import override

from tap_brightpearl.client import BrightpearlStream
from tap_brightpearl.errors import APP_NOT_FOUND_HINT, AuthenticationError, NotFoundError
from tap_brightpearl.fanout import ordered_map
from tap_brightpearl.installs import sortable_utc
from tap_brightpearl.schema_files import SCHEMAS
from tap_brightpearl.urls import UnsafeSegmentError, is_safe_code

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

AUTH_HINT = (
    "Brightpearl refused the developer token. Check the developer_reference, developer_token "
    "and developer_secret settings (the token is signed with the secret)"
)


class DeveloperToolsStream(BrightpearlStream):
    """A developer-tools endpoint: signed developer token, answers in one response."""

    # Records are built field by field with exactly the schema's types (str, bool, None),
    # so the SDK's per-value conformance pass would only cost time (see bench/b3_records.py).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    @override
    def hint_for(self, exc: BaseException) -> str:
        """A refused developer token names the settings to check."""
        if isinstance(exc, AuthenticationError):
            return "Check developer_reference, developer_token and developer_secret."
        if isinstance(exc, NotFoundError):  # the developer-tools paths are built from the two references
            return f"{APP_NOT_FOUND_HINT}."
        return super().hint_for(exc)


class InstalledAccountsStream(DeveloperToolsStream):
    """Every account that installed the app, incremental on installedOn."""

    name = "installed_accounts"
    primary_keys = ("accountCode",)
    replication_key = "installedOn"
    is_sorted = True
    # A killed run resumes from its last STATE: every 1,000 records (SDK default 10,000) bounds what
    # is re-sent and lets a run killed early still make progress (tests/test_kill_resume.py).
    STATE_MSG_FREQUENCY = 1000
    schema = StreamSchema(SCHEMAS)

    @override
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Emit installs in (installedOn, accountCode) order from the bookmark or start_date on."""
        installs = self.runtime.installs()
        full = self.replication_method == REPLICATION_FULL_TABLE
        start = None if full else self.get_starting_timestamp(context)
        since = sortable_utc(start) if start is not None else ""
        report = self.runtime.report.get(self.name)
        report.expected = report.read = len(installs)  # the whole list comes in one answer
        for install in installs:
            if install.installed < since:
                continue
            report.records += 1
            yield install.record()
        self.logger.info(
            "installed_accounts: %d of %d accounts are new (%s)",
            report.records,
            len(installs),
            "full table" if start is None else f"installedOn at or after {start.isoformat()}",
        )


@dataclass(frozen=True, slots=True)
class Skipped:
    """An account the API refused after correct routing; reported, not fatal."""

    accountCode: str
    reason: str


class AccountTimezonesStream(DeveloperToolsStream):
    """Every installed account's display timezone, read from the account's own datacentre."""

    name = "account_timezones"
    primary_keys = ("accountCode",)
    replication_key = None
    schema = StreamSchema(SCHEMAS)
    per_account = True

    @override
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Read every installed account's timezone, concurrently, emitting in accountCode order."""
        accounts = sorted(i.accountCode for i in self.runtime.installs())
        report = self.runtime.report.get(self.name)
        report.accounts_total = len(accounts)
        skipped: list[Skipped] = []
        results = ordered_map(self._read_account, accounts, workers=self.runtime.settings.max_concurrency)
        for done, result in enumerate(results, start=1):
            if isinstance(result, Skipped):
                skipped.append(result)
                report.accounts_skipped += 1
                self.logger.warning("account_timezones: skipping account %r: %s", result.accountCode, result.reason)
            else:
                report.accounts_read += 1
                report.records += 1
                yield result
            self.runtime.report.progress(self.name, accounts_done=done)
        report.expected, report.read = len(accounts) - len(skipped), report.accounts_read
        router = self.runtime.router
        self.logger.info(
            "account_timezones: %d accounts read, %d skipped, %d datacentres discovered",
            len(accounts) - len(skipped),
            len(skipped),
            router.discovered,
        )

    def _read_account(self, account: str) -> dict[str, t.Any] | Skipped:
        if not is_safe_code(account):
            return Skipped(account, "this account code cannot be used in a URL")
        router = self.runtime.router
        try:
            return next(iter(router.read(account, lambda datacentre: [self._read_timezone(account, datacentre)])))
        except NotFoundError as exc:
            hint = " (pinned in account_data_centers)" if account in router.pins else ""
            return Skipped(account, f"{exc}{hint}")
        except UnsafeSegmentError as exc:
            return Skipped(account, str(exc))
        except AuthenticationError as exc:
            raise AuthenticationError(f"{AUTH_HINT}: {exc}", exc.response) from None

    def _read_timezone(self, account: str, datacentre: str) -> dict[str, t.Any]:
        url = self.runtime.developer_url(datacentre, "account-timezone", account)
        payload = self.runtime.get(url, auth=self.runtime.mode.developer_auth)
        if not isinstance(payload, dict):
            raise NotFoundError(f"account-timezone answered {type(payload).__name__} instead of an object")
        canonical, offset = payload.get("canonicalId"), payload.get("currentUtcOffset")
        fields = (("canonicalId", canonical), ("currentUtcOffset", offset))
        lacking = [name for name, value in fields if not isinstance(value, str) or not value]
        if lacking:  # never a record of nulls that looks like data
            raise NotFoundError(f"account-timezone answered without {' or '.join(lacking)} as text")
        return {"accountCode": account, "canonicalId": canonical, "currentUtcOffset": offset, "dataCenter": datacentre}
