"""Every setting in one place: its schema, its default, and the checks JSON Schema cannot make.

`DEFAULTS` is the only source of a default: the schema `--about` prints is built from it,
and `Settings` (what the rest of the tap reads) falls back to it when a setting is absent,
so a plain CLI run and a Meltano run behave alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

from singer_sdk import typing as th

SECRET_SETTINGS = (
    "developer_token",
    "developer_secret",
    "account_token",
    "staff_token",
    "client_secret",
    "refresh_token",
    "token_encryption_key",
)
REFERENCE_SETTINGS = ("developer_reference", "app_reference", "account_code", "client_id")
MAX_CONCURRENCY = 128  # threads and connections: far above what any throttle pool admits
EARLIEST_START = dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc)

DEFAULTS: dict[str, t.Any] = {
    "data_center": "euw1",
    "max_concurrency": 16,  # from bench/b1_timezones.py: see bench/RESULTS.md
    "request_timeout": 60,
    "max_retries": 5,
    "retry_backoff_seconds": 1.0,
    "max_throttle_wait_seconds": 900,
    "throttle_reserve": 0.2,  # from issue 21: room in every pool for the app's own live traffic
    "max_response_mb": 256,
    "lookback_minutes": 60,
    "shard_count": 1,
    "shard_index": 0,
    "progress_interval_seconds": 10,
    "log_metrics": False,
    "deletes_every_days": 7,
    "deletes_now": False,
    "deletes_max_share": 0.1,
}


def _prop(name: str, kind: th.JSONTypeHelper, description: str, **kwargs: t.Any) -> th.Property:
    if name in DEFAULTS:
        kwargs["default"] = DEFAULTS[name]
    return th.Property(name, kind, description=description, **kwargs)


def _secret(name: str, description: str) -> th.Property:
    # No pattern, enum or length rule: the SDK's validator would echo a failing value.
    return th.Property(name, th.StringType, secret=True, description=description)


def config_schema() -> dict[str, t.Any]:
    """The settings schema `--about` shows and the SDK validates."""
    return th.PropertiesList(
        _prop(
            "developer_reference",
            th.StringType,
            "Your developer reference (developerRef in developer-tools URLs, header brightpearl-dev-ref). "
            "Required for a public app and for OAuth.",
        ),
        _secret("developer_token", "Public app: the unsigned developer token; signed at request time, never logged."),
        _secret("developer_secret", "Public app: signs the developer token and each installed account's token."),
        _prop(
            "app_reference",
            th.StringType,
            "The app whose installs are listed, sent as brightpearl-app-ref on account calls.",
            required=True,
        ),
        _prop(
            "data_center",
            th.StringType,
            "Master datacentre code (installed-accounts, account-location, the default OAuth token "
            "endpoint) and the fallback for accounts whose location is unknown. Built in: euw1, use1, usw1.",
        ),
        _prop(
            "datacenter_urls",
            th.ObjectType(additional_properties=th.StringType),
            "Datacentre code -> base URL, overriding or extending the built-in table (proxies, emulators). "
            "http:// is accepted only for loopback hosts.",
        ),
        _prop(
            "account_data_centers",
            th.ObjectType(additional_properties=th.StringType),
            "accountCode -> datacentre code. Pinned accounts skip account-location discovery.",
        ),
        _prop(
            "start_date",
            th.DateTimeType,
            "Lower bound on a first sync: of installedOn for installed_accounts, and of updatedOn "
            "(or createdOn) for each account's business data. On or after 1900-01-01.",
        ),
        _prop(
            "max_concurrency",
            th.IntegerType(minimum=1, maximum=MAX_CONCURRENCY),
            f"Requests in flight at once across the run (1 to {MAX_CONCURRENCY}); every request still "
            "waits for its own Brightpearl throttle pool.",
        ),
        _prop(
            "request_timeout",
            th.NumberType(exclusive_minimum=0, maximum=3600),
            "Seconds one request may take, from connecting to the last byte of the answer.",
        ),
        _prop(
            "max_retries",
            th.IntegerType(minimum=0, maximum=50),
            "Retries of a transient failure (outage 5xx, reset, timeout, cut body) before the request fails.",
        ),
        _prop(
            "retry_backoff_seconds",
            th.NumberType(minimum=0, maximum=60),
            "First retry wait in seconds; doubles each retry, capped at 60 s.",
        ),
        _prop(
            "max_throttle_wait_seconds",
            th.NumberType(minimum=0, maximum=86400),
            "Total seconds one request may spend waiting for Brightpearl's throttle before it fails.",
        ),
        _prop(
            "throttle_reserve",
            th.NumberType(minimum=0, maximum=0.9),
            "Share of each Brightpearl throttle pool (of its brightpearl-requests-remaining) the tap leaves "
            "unused, so the app's own calls on the same pool are not refused while the tap runs. 0 uses it all.",
        ),
        _prop(
            "max_response_mb",
            th.IntegerType(minimum=1, maximum=4096),
            "Largest answer, in megabytes after decompression, the tap reads; a larger one fails that request.",
        ),
        _prop(
            "https_proxy",
            th.StringType,
            "Proxy URL for every request (http://[user:password@]host:port; https is tunnelled with "
            "CONNECT). Wins over NO_PROXY. May hold a password: treated as a secret.",
            secret=True,
        ),
        _prop(
            "ca_bundle",
            th.StringType,
            "PEM file of certificate authorities to trust instead of the built-in ones (a TLS-inspecting "
            "proxy). Without it, REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE is used when set.",
        ),
        _prop(
            "account_codes",
            th.ArrayType(th.StringType),
            "Public app: read business data only from these installed accounts (default: every enabled one).",
        ),
        _prop(
            "account_code",
            th.StringType,
            "Private app or OAuth: the one account to read (Fivetran calls it the organization name).",
        ),
        _secret("account_token", "Private app: a system app's account token (sent as issued)."),
        _secret("staff_token", "Private app: a staff app's token (sent as issued)."),
        _prop("client_id", th.StringType, "OAuth: the app's client id."),
        _secret("client_secret", "OAuth: the client secret of a confidential client (optional)."),
        _secret(
            "refresh_token",
            "OAuth: a refresh token for account_code; setting it chooses OAuth mode. "
            "Get one with `tap-brightpearl-oauth`.",
        ),
        _prop(
            "oauth_token_url",
            th.StringType,
            "OAuth: the full URL of the token endpoint, overriding the one data_center implies "
            "(http:// only for loopback hosts).",
        ),
        _secret(
            "token_encryption_key",
            "OAuth: the key that encrypts the kept tokens (token store and state); when set it is the key, "
            "whatever client_secret says. Required for a public client (no client_secret); without it the key "
            "is derived from client_secret.",
        ),
        _prop(
            "oauth_token_store",
            th.StringType,
            "OAuth: where the token chain is kept between runs, outside STATE: an SQLite file path, or a "
            "SQLAlchemy URL such as postgresql+psycopg://user@host/db for runs on several workers (needs "
            "tap-brightpearl[postgres]). Default: an SQLite file in $XDG_STATE_HOME (or ~/.local/state)"
            "/tap-brightpearl/. May hold a password: treated as a secret.",
            secret=True,
        ),
        _prop(
            "lookback_minutes",
            th.IntegerType(minimum=0, maximum=5256000),  # ten years
            "Re-read this many minutes before each account's bookmark: Brightpearl does not always "
            "bump updatedOn in step with a change.",
        ),
        _prop(
            "shard_count",
            th.IntegerType(minimum=1, maximum=10000),
            "Split the accounts into this many shards (by a stable hash of accountCode) ...",
        ),
        _prop(
            "shard_index",
            th.IntegerType(minimum=0),
            "... and read only this shard (0-based, below shard_count), e.g. one Airflow task per shard.",
        ),
        _prop(
            "deletes_every_days",
            th.NumberType(minimum=0),
            "Days between deletes passes: each deletable stream (orders, products, contacts, goods_out_notes) "
            "lists every account's live ids and marks the ones Brightpearl no longer has with _sdc_deleted_at. "
            "0: never (except with deletes_now).",
        ),
        _prop(
            "deletes_now",
            th.BooleanType,
            "Run the deletes pass on this run, whatever deletes_every_days says.",
        ),
        _prop(
            "deletes_max_share",
            th.NumberType(minimum=0, maximum=1),
            "Largest share of an account's known ids one deletes pass may mark deleted (one id is always "
            "allowed); a pass that would mark more, or whose listing came back empty, marks nothing, with a "
            "WARNING.",
        ),
        _prop(
            "custom_streams",
            th.ArrayType(
                th.ObjectType(
                    th.Property("name", th.StringType, required=True),
                    th.Property("search", th.StringType),
                    th.Property("get", th.StringType),
                    th.Property("params", th.ObjectType(additional_properties=th.StringType)),
                    th.Property("id_column", th.StringType),
                    th.Property("key", th.ArrayType(th.StringType)),
                    th.Property("detail", th.StringType),
                    th.Property("detail_cap", th.IntegerType(minimum=1, maximum=500)),
                    th.Property("detail_id_field", th.StringType),
                    th.Property("detail_answer", th.StringType),
                    th.Property("include_optional", th.StringType),
                    th.Property("answer", th.StringType),
                    th.Property("dates", th.ArrayType(th.StringType)),
                    th.Property("replication_column", th.StringType),
                    additional_properties=False,
                )
            ),
            "Streams for any Brightpearl resource, without code, declared like the built-in ones (the same "
            "field names): a name, a search path (its rows are the records, or with detail: the ids' "
            "details, detail_cap per GET) or a get path (a list), query params (not pageSize, firstResult, "
            "sort or columns: the tap pages), id_column, key, and dates (replication_column: one date "
            "column; none: a snapshot). See README.",
        ),
        _prop(
            "progress_interval_seconds",
            th.NumberType(minimum=1),
            "Seconds between progress lines (accounts done, records, rate) during long streams.",
        ),
        _prop(
            "log_metrics",
            th.BooleanType,
            "Log the SDK's METRIC lines at INFO (otherwise they appear only at DEBUG).",
        ),
    ).to_dict()


@dataclasses.dataclass(frozen=True)
class Settings:
    """The settings of one run, defaults applied: what every part of the tap reads."""

    app_reference: str = ""
    developer_reference: str | None = None
    developer_token: str | None = None
    developer_secret: str | None = None
    data_center: str = DEFAULTS["data_center"]
    datacenter_urls: dict[str, str] = dataclasses.field(default_factory=dict)
    account_data_centers: dict[str, str] = dataclasses.field(default_factory=dict)
    start_date: dt.datetime | None = None
    max_concurrency: int = DEFAULTS["max_concurrency"]
    request_timeout: float = DEFAULTS["request_timeout"]
    max_retries: int = DEFAULTS["max_retries"]
    retry_backoff_seconds: float = DEFAULTS["retry_backoff_seconds"]
    max_throttle_wait_seconds: float = DEFAULTS["max_throttle_wait_seconds"]
    throttle_reserve: float = DEFAULTS["throttle_reserve"]
    max_response_mb: int = DEFAULTS["max_response_mb"]
    https_proxy: str | None = None
    ca_bundle: str | None = None
    account_codes: tuple[str, ...] = ()
    account_code: str | None = None
    account_token: str | None = None
    staff_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    oauth_token_url: str | None = None
    token_encryption_key: str | None = None
    oauth_token_store: str | None = None
    lookback_minutes: int = DEFAULTS["lookback_minutes"]
    shard_count: int = DEFAULTS["shard_count"]
    shard_index: int = DEFAULTS["shard_index"]
    progress_interval_seconds: float = DEFAULTS["progress_interval_seconds"]
    log_metrics: bool = DEFAULTS["log_metrics"]
    deletes_every_days: float = DEFAULTS["deletes_every_days"]
    deletes_now: bool = DEFAULTS["deletes_now"]
    deletes_max_share: float = DEFAULTS["deletes_max_share"]
    custom_streams: tuple[dict[str, t.Any], ...] = ()

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> Settings:
        """Build from a validated config; absent (or null) settings take their default."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in config.items() if k in names and v is not None}
        if "start_date" in values:
            values["start_date"] = parse_start(values["start_date"])
        for name in ("datacenter_urls", "account_data_centers"):
            values[name] = dict(values.get(name) or {})
        values["account_codes"] = tuple(values.get("account_codes") or ())
        values["custom_streams"] = tuple(dict(s) for s in values.get("custom_streams") or () if isinstance(s, dict))
        for name in (
            "request_timeout",
            "retry_backoff_seconds",
            "max_throttle_wait_seconds",
            "deletes_every_days",
            "throttle_reserve",
        ):
            if name in values:
                values[name] = float(values[name])
        return cls(**values)

    @property
    def max_response_bytes(self) -> int:
        """`max_response_mb` in bytes."""
        return self.max_response_mb * 1024 * 1024

    @property
    def lookback(self) -> dt.timedelta:
        """`lookback_minutes` as a duration."""
        return dt.timedelta(minutes=self.lookback_minutes)


def parse_start(value: object) -> dt.datetime | None:
    """start_date as an aware datetime (a missing offset means UTC); None if it is not a date-time."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.timezone.utc) if parsed.tzinfo is None else parsed
