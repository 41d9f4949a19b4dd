"""tap-brightpearl: settings, start-up checks and the stream list."""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
import typing as t

import jsonschema
import requests
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from tap_brightpearl.accounts import AccountAccess, is_private_app, mode_errors, private_access, public_access
from tap_brightpearl.auth import DeveloperTokenAuthenticator
from tap_brightpearl.datacenters import DEFAULT_DATACENTRE, AccountRouter, DatacentreConfigError, DatacentreTable
from tap_brightpearl.errors import AuthenticationError, BrightpearlError, describe_transport_failure
from tap_brightpearl.redact import register_secrets
from tap_brightpearl.streams import ACCOUNT_STREAMS, AccountTimezonesStream, InstalledAccountsStream
from tap_brightpearl.throttle import Throttle, make_session
from tap_brightpearl.writer import ChunkedMsgSpecWriter

if t.TYPE_CHECKING:
    import click

    from tap_brightpearl.client import BrightpearlStream
    from tap_brightpearl.installs import Install

SECRET_SETTINGS = ("developer_token", "developer_secret", "account_token", "staff_token")
DEFAULT_MAX_CONCURRENCY = 16  # from bench/b1_timezones.py: see bench/RESULTS.md


def _secret(name: str, description: str) -> th.Property:
    # No pattern, enum or length rule: the SDK's validator would echo a failing value.
    return th.Property(name, th.StringType, secret=True, description=description)


class TapBrightpearl(Tap):
    """Brightpearl developer-tools (and later account) data as Singer streams."""

    name = "tap-brightpearl"
    message_writer_class = ChunkedMsgSpecWriter  # msgspec lines, RECORDs flushed in chunks

    config_jsonschema = th.PropertiesList(
        th.Property(
            "developer_reference",
            th.StringType,
            description="Your Brightpearl developer reference (the developerRef in developer-tools URLs). "
            "Required, except for a private app (account_code).",
        ),
        _secret(
            "developer_token",
            "The unsigned developer token; signed at request time, never logged. "
            "Required, except for a private app (account_code).",
        ),
        _secret(
            "developer_secret",
            "Signs the developer token and each installed account's token. "
            "Required, except for a private app (account_code).",
        ),
        th.Property(
            "app_reference",
            th.StringType,
            required=True,
            description="The app whose installed accounts are listed (and whose app reference account calls carry).",
        ),
        th.Property(
            "data_center",
            th.StringType,
            default=DEFAULT_DATACENTRE,
            description="Master datacentre code (installed-accounts, account-location) and the fallback "
            "datacentre for accounts whose location is unknown. Built in: euw1, use1, usw1.",
        ),
        th.Property(
            "datacenter_urls",
            th.ObjectType(additional_properties=th.StringType),
            description="Datacentre code -> base URL, overriding or extending the built-in table "
            "(proxies, emulators). http:// is accepted only for loopback hosts.",
        ),
        th.Property(
            "account_data_centers",
            th.ObjectType(additional_properties=th.StringType),
            description="accountCode -> datacentre code. Pinned accounts skip account-location discovery.",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            description="Lower bound of installedOn on a first sync (no state yet).",
        ),
        th.Property(
            "max_concurrency",
            th.IntegerType(minimum=1),
            default=DEFAULT_MAX_CONCURRENCY,
            description="Requests in flight at once (account timezones and discovery), and accounts read at "
            "once (account data), always inside each Brightpearl throttle pool.",
        ),
        th.Property(
            "request_timeout",
            th.NumberType(exclusive_minimum=0),
            default=60,
            description="Seconds to wait for one response before retrying it.",
        ),
        th.Property(
            "https_proxy",
            th.StringType,
            description="Proxy URL for every request (http://host:port; https:// URLs are tunnelled "
            "with CONNECT). Used for every datacentre, whatever NO_PROXY says.",
        ),
        th.Property(
            "ca_bundle",
            th.StringType,
            description="Path to a PEM file of certificate authorities to trust instead of the "
            "built-in ones (a company TLS-inspecting proxy, a private endpoint). Without it, "
            "REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE is used when set.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType(minimum=0),
            default=5,
            description="Retries of a transient failure (outage 5xx, reset, timeout, unreadable body) "
            "before the run fails. Throttle waits do not count.",
        ),
        th.Property(
            "retry_backoff_seconds",
            th.NumberType(minimum=0),
            default=1.0,
            description="First retry wait in seconds; doubles each retry, capped at 60 s.",
        ),
        # --- account data (business data of each installed account) ---------------------------
        th.Property(
            "account_codes",
            th.ArrayType(th.StringType),
            description="Read business data only from these installed accounts (default: every enabled one).",
        ),
        th.Property(
            "account_code",
            th.StringType,
            description="Private-app mode: the one account to read. Needs app_reference and account_token or "
            "staff_token; the developer settings are then not needed.",
        ),
        th.Property(
            "account_token",
            th.StringType,
            secret=True,
            description="Private-app mode: the account token of a system private app (sent as issued).",
        ),
        th.Property(
            "staff_token",
            th.StringType,
            secret=True,
            description="Private-app mode: a staff token of a staff private app (sent as issued).",
        ),
        th.Property(
            "lookback_minutes",
            th.IntegerType(minimum=0),
            default=60,
            description="Re-read this many minutes before each account's updatedOn bookmark, because "
            "Brightpearl's updatedOn is not always bumped in step with the change.",
        ),
        th.Property(
            "shard_count",
            th.IntegerType(minimum=1),
            default=1,
            description="Split the accounts into this many shards (by a stable hash of accountCode) ...",
        ),
        th.Property(
            "shard_index",
            th.IntegerType(minimum=0),
            default=0,
            description="... and read only this shard (0-based), e.g. one Airflow task per shard.",
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Validate datacentre settings at start-up, before any request is made."""
        config = kwargs.get("config")
        if isinstance(config, dict):
            register_secrets(*(config.get(k) for k in SECRET_SETTINGS))
        self._installs: list[Install] | None = None
        self._access: list[AccountAccess] | None = None
        super().__init__(*args, **kwargs)
        register_secrets(*(self.config.get(k) for k in SECRET_SETTINGS))
        try:
            table = DatacentreTable(self.config.get("datacenter_urls"))
            table.require("data_center", self.config.get("data_center", DEFAULT_DATACENTRE))
            for account, code in (self.config.get("account_data_centers") or {}).items():
                table.require(f"account_data_centers[{account!r}]", code)
        except DatacentreConfigError as exc:
            raise ConfigValidationError(str(exc), errors=[str(exc)]) from None
        self.datacentres = table

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Validate settings; a message about a secret names the setting, never its value."""
        schema = self.config_jsonschema
        self.append_builtin_config(schema)
        validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
        errors: list[str] = []
        for error in validator.iter_errors(dict(self._config)):
            setting = str(error.path[0]) if error.path else ""
            if setting in SECRET_SETTINGS:
                errors.append(f"{setting}: invalid value ({error.validator} check failed; value not shown)")
            else:
                errors.append(f"{setting or 'config'}: {error.message}")
        for setting in SECRET_SETTINGS:
            value = self._config.get(setting)
            if isinstance(value, str) and len(value.strip()) < 4:
                errors.append(f"{setting}: too short to be a Brightpearl credential (value not shown)")
        start_date = self._config.get("start_date")
        if isinstance(start_date, str):  # "format" is not checked without rfc3339-validator installed
            try:
                dt.datetime.fromisoformat(start_date)
            except ValueError:
                errors.append(
                    "start_date: not a date-time; use RFC 3339 such as 2024-01-31T00:00:00Z (value not shown)"
                )
        errors += mode_errors(self._config)
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors, schema=schema)
        return errors

    @property
    def master(self) -> str:
        """The master datacentre code (`data_center`)."""
        return str(self.config.get("data_center", DEFAULT_DATACENTRE))

    @property
    def pins(self) -> dict[str, str]:
        """`account_data_centers`: accounts whose datacentre the user fixed."""
        return dict(self.config.get("account_data_centers") or {})

    @property
    def max_concurrency(self) -> int:
        """Requests in flight at once, for every stream that reads many accounts."""
        return int(self.config.get("max_concurrency") or DEFAULT_MAX_CONCURRENCY)

    @functools.cached_property
    def throttle(self) -> Throttle:
        """The one throttle of the run, shared by every stream and worker."""
        return Throttle()

    @functools.cached_property
    def session(self) -> requests.Session:
        """One pooled, throttled HTTP session, sized for `max_concurrency` workers."""
        workers = self.max_concurrency
        agent = f"{self.name}/{self.plugin_version}"
        session = make_session(self.throttle, pool_maxsize=max(10, workers), user_agent=agent)
        # Networking settings. Session.send() uses session.proxies whatever NO_PROXY says, and
        # session.verify as given (REQUESTS_CA_BUNDLE is read only by Session.request()).
        proxy = self.config.get("https_proxy")
        if proxy:
            session.proxies = {"https": proxy, "http": proxy}
        # The CA bundle: the setting, else REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE as requests itself
        # would read them (Session.send alone does not), else the built-in roots.
        ca_bundle = (
            self.config.get("ca_bundle") or os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        )
        if ca_bundle:
            session.verify = str(ca_bundle)
        return session

    @functools.cached_property
    def authenticator(self) -> DeveloperTokenAuthenticator:
        """Signs the developer token once for the run."""
        return DeveloperTokenAuthenticator(
            developer_reference=self.config["developer_reference"],
            developer_token=self.config["developer_token"],
            developer_secret=self.config["developer_secret"],
        )

    def installs(self) -> list[Install]:
        """The installed-accounts list, fetched once per run and shared by every stream."""
        if self._installs is None:
            stream = t.cast("InstalledAccountsStream", self.streams["installed_accounts"])
            self._installs = stream.read_installs()
        return self._installs

    def discover_streams(self) -> list[BrightpearlStream]:
        """Developer-tools streams (public apps) and account data streams."""
        account_streams = [cls(self) for cls in ACCOUNT_STREAMS]
        if is_private_app(self.config):
            return account_streams
        return [InstalledAccountsStream(self), AccountTimezonesStream(self), *account_streams]

    @functools.cached_property
    def router(self) -> AccountRouter:
        """Datacentre of each account: pins, then state from earlier runs, then discovery, then data_center.

        A private app has no developer-tools access, so nothing to remember or discover.
        """
        if is_private_app(self.config):
            return AccountRouter(default=self.master, pins=self.pins, remembered={}, discover=None)
        timezones = t.cast("AccountTimezonesStream", self.streams["account_timezones"])
        remembered = timezones.stream_state.get(timezones.STATE_KEY) or {}
        return AccountRouter(
            default=self.master,
            pins=self.pins,
            remembered={k: v for k, v in remembered.items() if v in self.datacentres.codes},
            discover=timezones.discover,
        )

    def account_access(self) -> list[AccountAccess]:
        """The accounts whose business data this run reads, with their credentials (cached)."""
        if self._access is None:
            if is_private_app(self.config):
                self._access = private_access(self.config)
            else:
                self._access = public_access(self.installs(), self.config)
            self.logger.info("Account data: %d account(s) selected", len(self._access))
        return self._access

    @classmethod
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:  # type: ignore[override]
        """Run the tap; a Brightpearl failure ends with one clear line and exit status 1."""
        try:
            super().invoke(*args, **kwargs)
        except BrightpearlError as exc:
            cls.logger.error("%s", exc)
            sys.exit(1)
        except OSError as exc:  # requests' transport errors, after every retry: one line, not a traceback
            if not isinstance(exc, requests.exceptions.RequestException):
                raise
            cls.logger.debug("Transport failure", exc_info=True)
            cls.logger.error("%s", describe_transport_failure(exc))
            sys.exit(1)

    # --- setup check: `tap-brightpearl --test` (issue 3) ---------------------------------------
    TEST_MAX_RETRIES = 1
    TEST_BACKOFF_SECONDS = 0.5
    TEST_TIMEOUT_SECONDS = 15.0

    @classmethod
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """`--test`: the SDK's one-record dry run, but it fails in seconds and names the setting.

        Retries and timeouts are capped so a wrong URL does not sit through the whole retry
        schedule, and a failure ends with one ERROR line (no traceback, no secret) and status 1.
        """
        from singer_sdk.tap_base import CliTestOptionValue

        if value != CliTestOptionValue.All.value:
            super().cb_test(ctx, param, value)
            return
        given = ctx.params["config"]
        config = dict(cls(config=given.config, parse_env_config=given.parse_env, validate_config=True).config)
        caps = {
            "max_retries": cls.TEST_MAX_RETRIES,
            "retry_backoff_seconds": cls.TEST_BACKOFF_SECONDS,
            "request_timeout": cls.TEST_TIMEOUT_SECONDS,
        }
        for key, cap in caps.items():
            config[key] = min(config.get(key, cap), cap)
        tap = cls(config=config, parse_env_config=False, validate_config=True)
        try:
            tap._probe_datacentres()
            tap.run_connection_test()
        except BrightpearlError as exc:
            cls.logger.error("Setup check failed: %s", exc)
            ctx.exit(1)
        except requests.exceptions.RequestException as exc:
            where = tap.datacentres.locate(str(getattr(exc.request, "url", "") or ""))
            cls.logger.error("Setup check failed: %s", describe_transport_failure(exc, where=where))
            ctx.exit(1)
        cls.logger.info("Setup check passed: credentials accepted and every datacentre used answered")
        ctx.exit(0)

    def _probe_datacentres(self) -> None:
        """One signed installed-accounts call to every datacentre the settings name.

        The dry run stops at the first record of each stream, so an unreachable account
        datacentre could hide behind a healthy one; this call cannot.
        """
        if "installed_accounts" not in self.streams:
            return  # private-app mode: no developer credentials to probe with
        stream = t.cast("InstalledAccountsStream", self.streams["installed_accounts"])
        codes = {self.master, *(self.config.get("datacenter_urls") or {}), *self.pins.values()}
        for code in sorted(codes):
            url = stream.developer_tools_url(code, "installed-accounts", self.config["app_reference"])
            try:
                stream.fetch(None, url=url)
            except AuthenticationError:
                raise
            except BrightpearlError as exc:
                raise BrightpearlError(
                    f"datacentre {code} at {self.datacentres.url(code)} did not answer like Brightpearl: "
                    f"{exc}. Check datacenter_urls"
                ) from None


if __name__ == "__main__":
    TapBrightpearl.cli()
