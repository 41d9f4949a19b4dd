"""Developer-tools streams: who installed the app, and each account's display timezone."""

from __future__ import annotations

import functools
import typing as t
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import requests
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.schema.source import SchemaDirectory, StreamSchema
from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE

from tap_brightpearl import fastpath
from tap_brightpearl.client import BrightpearlStream
from tap_brightpearl.errors import AuthenticationError, BrightpearlError, NotFoundError
from tap_brightpearl.fanout import ordered_map
from tap_brightpearl.installs import Install, parse_installs, sortable_utc

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_brightpearl.datacenters import AccountRouter


def _schema_dir() -> Path:
    """schemas/ shipped inside the wheel, or the repo's top-level schemas/ in a source checkout."""
    packaged = resources.files("tap_brightpearl") / "schemas"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "schemas"


SCHEMAS = SchemaDirectory(_schema_dir())


def _segment(value: object) -> str:
    return quote(str(value), safe="")


class DeveloperToolsStream(BrightpearlStream):
    """A developer-tools endpoint: signed developer token, answers in one response."""

    # Records are built field by field with exactly the schema's types (str, bool, None),
    # so the SDK's per-value conformance pass would only cost time (see bench/b3_records.py).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    auth_hint = (
        "Brightpearl refused the developer token. Check the developer_reference, developer_token "
        "and developer_secret settings (the token is signed with the secret)"
    )

    @property
    def authenticator(self) -> requests.auth.AuthBase:
        """The tap's one developer-token authenticator."""
        return self.bp_tap.authenticator

    def developer_tools_url(self, datacentre: str, *segments: object) -> str:
        """`{base}/developer-tools/{developerRef}/...` with every segment escaped."""
        ref = _segment(self.config["developer_reference"])
        tail = "/".join(_segment(s) for s in segments)
        return f"{self.bp_tap.datacentres.url(datacentre)}/developer-tools/{ref}/{tail}"

    def fetch(self, context: Context | None, **kwargs: t.Any) -> t.Any:
        """Like the base, but a 401 says which settings to check."""
        try:
            return super().fetch(context, **kwargs)
        except AuthenticationError as exc:
            raise AuthenticationError(f"{self.auth_hint}: {exc}", exc.response) from None


class InstalledAccountsStream(DeveloperToolsStream):
    """Every account that installed the app, incremental on installedOn."""

    name = "installed_accounts"
    path = "/developer-tools/{developer_reference}/installed-accounts/{app_reference}"
    primary_keys = ("accountCode",)
    replication_key = "installedOn"
    is_sorted = True
    # A killed run resumes from its last STATE: every 1,000 records (SDK default 10,000) bounds what
    # is re-sent and lets a run killed early still make progress (tests/test_kill_resume.py).
    STATE_MSG_FREQUENCY = 1000
    schema = StreamSchema(SCHEMAS)
    payload_type = list[Install]  # 100,000 installs decode into compact structs, not dicts

    def get_url(self, context: Context | None) -> str:
        """installed-accounts on the master datacentre."""
        return self.developer_tools_url(self.bp_tap.master, "installed-accounts", self.config["app_reference"])

    def read_installs(self) -> list[Install]:
        """Fetch and validate the whole list (one response, no server-side filter)."""
        payload = self.fetch(None)
        installs = parse_installs(payload, where=f"app {self.config['app_reference']}")
        self.logger.info("installed-accounts lists %d accounts", len(installs))
        return installs

    def _sync_records(
        self, context: Context | None = None, *, write_messages: bool = True
    ) -> t.Generator[dict, t.Any, t.Any]:
        """The SDK's record loop, or the fast path when nothing in it could change a record."""
        reasons = fastpath.blockers(self) if write_messages and context is None else ["a partition"]
        if reasons:
            self.logger.debug("installed_accounts: SDK record path (%s)", ", ".join(reasons))
            yield from super()._sync_records(context, write_messages=write_messages)
            return
        yield from fastpath.emit(self, self.get_records)

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Emit installs in (installedOn, accountCode) order from the bookmark or start_date on."""
        installs = self.bp_tap.installs()
        full = self.replication_method == REPLICATION_FULL_TABLE
        start = None if full else self.get_starting_timestamp(context)
        since = sortable_utc(start) if start is not None else ""
        emitted = 0
        for install in installs:
            if install.installed < since:
                continue
            emitted += 1
            yield install.record()
        self.logger.info(
            "installed_accounts: emitted %d of %d accounts (%s)",
            emitted,
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
    path = "/developer-tools/{developer_reference}/account-timezone/{accountCode}"
    primary_keys = ("accountCode",)
    replication_key = None
    schema = StreamSchema(SCHEMAS)
    STATE_KEY = "dataCenters"

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Read every installed account's timezone, concurrently, emitting in accountCode order."""
        accounts = sorted(i.accountCode for i in self.bp_tap.installs())
        router = self.bp_tap.router
        workers = self.bp_tap.max_concurrency
        skipped: list[Skipped] = []
        every = max(100, len(accounts) // 10)
        read = functools.partial(self._read_account, router)
        for done, result in enumerate(ordered_map(read, accounts, workers=workers), start=1):
            if isinstance(result, Skipped):
                skipped.append(result)
                self.logger.warning("account_timezones: skipping account %r: %s", result.accountCode, result.reason)
            else:
                yield result
            if done % every == 0:
                self.logger.info("account_timezones: %d of %d accounts read", done, len(accounts))
        current = set(accounts)
        self.stream_state[self.STATE_KEY] = {k: v for k, v in sorted(router.remembered.items()) if k in current}
        self.logger.info(
            "account_timezones: %d accounts read, %d skipped, %d datacentres discovered",
            len(accounts) - len(skipped),
            len(skipped),
            router.discovered,
        )
        if skipped:
            self.logger.warning(
                "account_timezones: skipped %d account(s) the API refused: %s",
                len(skipped),
                ", ".join(s.accountCode for s in skipped[:20]) + (" ..." if len(skipped) > 20 else ""),
            )

    def _read_account(self, router: AccountRouter, account: str) -> dict[str, t.Any] | Skipped:
        try:
            return next(iter(router.read(account, lambda datacentre: [self._read_timezone(account, datacentre)])))
        except NotFoundError as exc:
            hint = " (pinned in account_data_centers)" if account in router.pins else ""
            return Skipped(account, f"{exc}{hint}")

    def _read_timezone(self, account: str, datacentre: str) -> dict[str, t.Any]:
        url = self.developer_tools_url(datacentre, "account-timezone", account)
        payload = self.fetch({"accountCode": account}, url=url)
        if not isinstance(payload, dict):
            raise NotFoundError(f"account-timezone answered {type(payload).__name__} instead of an object")
        canonical, offset = payload.get("canonicalId"), payload.get("currentUtcOffset")
        fields = (("canonicalId", canonical), ("currentUtcOffset", offset))
        lacking = [name for name, value in fields if not isinstance(value, str) or not value]
        if lacking:  # never a record of nulls that looks like data
            raise NotFoundError(f"account-timezone answered without {' or '.join(lacking)} as text")
        return {"accountCode": account, "canonicalId": canonical, "currentUtcOffset": offset, "dataCenter": datacentre}

    def discover(self, account: str) -> str | None:
        """Ask account-location on the master datacentre (no auth header needed)."""
        url = self.developer_tools_url(self.bp_tap.master, "account-location", account)
        try:
            payload = self.fetch({"accountCode": account}, url=url, auth=False)
        except (BrightpearlError, requests.RequestException) as exc:
            self.logger.debug("account-location failed for %r: %s", account, exc)
            return None
        if not isinstance(payload, dict):
            return None
        code, domain = payload.get("datacentreCode"), payload.get("apiDomain")
        if not isinstance(code, str) or not code:
            return None
        if self.bp_tap.datacentres.learn(code, domain if isinstance(domain, str) else ""):
            return code
        return None
