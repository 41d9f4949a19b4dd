"""One run's shared parts, built once by the tap and handed to every stream.

Streams get what they need from here (the transport, the datacentres, the account list,
the router, the report) instead of reaching into the tap, and the access mode decides
everything that differs between public apps, private apps and OAuth.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import os
import threading
import time
import typing as t
from urllib.parse import unquote, urlencode, urlsplit

import requests

from tap_brightpearl import urls
from tap_brightpearl.datacenters import MASTER, AccountRouter, DatacentreTable, is_datacentre_code
from tap_brightpearl.errors import AuthenticationError, BrightpearlError, read_oauth
from tap_brightpearl.installs import Install, parse_installs
from tap_brightpearl.modes import AccessMode, Account, PrivateApp, PublicApp
from tap_brightpearl.oauth import OAuthApp
from tap_brightpearl.redact import register_secrets
from tap_brightpearl.report import RunReport
from tap_brightpearl.throttle import Throttle
from tap_brightpearl.transport import Transport, make_session, prepared_get

if t.TYPE_CHECKING:
    from tap_brightpearl.settings import Settings

LOGGER = logging.getLogger("tap_brightpearl.runtime")
CLOCK_SKEW = dt.timedelta(minutes=5)  # how far Brightpearl's clock may run ahead of ours
DATACENTRES_KEY = ("account_timezones", "dataCenters")  # where state remembers each account's datacentre


def mode_class(config: t.Mapping[str, t.Any]) -> type[AccessMode]:
    """OAuth when a refresh token is set, a private app when an account code is, else a public app."""
    if config.get("refresh_token"):
        return OAuthApp
    if config.get("account_code"):
        return PrivateApp
    return PublicApp


class Runtime:
    """Session, throttle, datacentres, access mode, accounts and report of one run."""

    def __init__(self, settings: Settings, *, user_agent: str) -> None:
        """Build what needs no request; everything that asks Brightpearl is lazy."""
        self.settings = settings
        self.user_agent = user_agent
        self.started = dt.datetime.now(dt.timezone.utc)
        self.datacentres = DatacentreTable(settings.datacenter_urls)
        self.throttle = Throttle(reserve=settings.throttle_reserve)
        self.report = RunReport(progress_every=settings.progress_interval_seconds)
        self.mode: AccessMode = mode_class(dataclasses.asdict(settings))(settings)
        self._remembered: dict[str, str] = {}
        self._installs: list[Install] | None = None
        self._installs_error: BrightpearlError | requests.RequestException | None = None
        self._accounts: list[Account] | None = None
        self._lock = threading.Lock()
        self.writer: object = None  # the tap's Singer message writer (the fast record path writes to it)
        self.mode.bind(post=self.post_token, datacentres=self.datacentres)
        if settings.https_proxy:
            register_secrets(*_proxy_secrets(settings.https_proxy))
        if settings.oauth_token_store and "://" in settings.oauth_token_store:
            register_secrets(*_proxy_secrets(settings.oauth_token_store)[1:])  # its password, never the URL

    # --- requests -----------------------------------------------------------------------
    @functools.cached_property
    def session(self) -> requests.Session:
        """One pooled session for every request of the run."""
        bundle = self.settings.ca_bundle or os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        return make_session(self.settings, user_agent=self.user_agent, ca_bundle=bundle)

    @functools.cached_property
    def transport(self) -> Transport:
        """Retries, throttle, deadlines and the error classifier, for every request."""
        return Transport(self.session, self.throttle, self.settings)

    def get(
        self,
        url: str,
        *,
        auth: requests.auth.AuthBase | None,
        params: t.Mapping[str, t.Any] | None = None,
        payload_type: t.Any = None,
    ) -> t.Any:
        """GET `url` with `auth` (None: no credentials at all) and return the unwrapped payload.

        A request refused for its credentials is sent once more when the access mode says a
        retry can help (OAuth: the access token expired and was refreshed).
        """
        prepared = prepared_get(url, _query(params), self.session.headers)
        started = time.monotonic()
        try:
            return self.transport.request(prepared, auth=auth, payload_type=payload_type)
        except AuthenticationError as exc:
            if auth is None or not self.mode.retry_after_refusal(exc, started):
                raise
        return self.transport.request(prepared, auth=auth, payload_type=payload_type)

    def post_token(self, url: str, form: dict[str, str]) -> t.Any:
        """A form-encoded POST to an OAuth token endpoint, with every rule any request has."""
        prepared = requests.Request("POST", url, data=form).prepare()
        prepared.headers.update(self.session.headers)
        return self.transport.request(prepared, reader=read_oauth)

    def developer_url(self, datacentre: str, *segments: object) -> str:
        """A developer-tools URL on `datacentre`."""
        return urls.developer_tools(self.datacentres.url(datacentre), str(self.settings.developer_reference), *segments)

    def account_url(self, datacentre: str, account_code: str, path: str) -> str:
        """An account API URL on `datacentre`."""
        return urls.account_api(self.datacentres.url(datacentre), account_code, path)

    # --- accounts -----------------------------------------------------------------------
    def installs(self) -> list[Install]:
        """The installed-accounts list, read once per run (a failure is remembered, not retried)."""
        with self._lock:
            if self._installs is None and self._installs_error is None:
                try:
                    self._installs = self._read_installs()
                except (BrightpearlError, requests.RequestException) as exc:
                    self._installs_error = exc
            if self._installs_error is not None:
                raise self._installs_error
            return t.cast("list[Install]", self._installs)

    def _read_installs(self) -> list[Install]:
        # euw1 only, whatever data_center says (Brightpearl's reference page: "not available in other datacentres")
        url = self.developer_url(MASTER, "installed-accounts", self.settings.app_reference)
        payload = self.get(url, auth=self.mode.developer_auth, payload_type=list[Install])
        installs = parse_installs(payload, where=f"app {self.settings.app_reference}")
        LOGGER.info("installed-accounts lists %d accounts", len(installs))
        return installs

    def accounts(self) -> list[Account]:
        """The accounts whose business data this run reads, with their credentials (cached)."""
        with self._lock:
            cached = self._accounts
        if cached is None:
            cached = self.mode.accounts(self.installs)
            with self._lock:
                self._accounts = cached
        return cached

    # --- datacentres --------------------------------------------------------------------
    @functools.cached_property
    def router(self) -> AccountRouter:
        """Datacentre of each account: pins, then state from earlier runs, then discovery, then data_center."""
        known = {k: v for k, v in self._remembered.items() if v in self.datacentres.codes}
        return AccountRouter(
            default=self.settings.data_center,
            pins=self.mode.pinned(),
            remembered=known,
            discover=self._discover if self.mode.developer_tools else None,
        )

    def _discover(self, account: str) -> str | None:
        """Ask account-location on the master datacentre (it needs no credentials, and gets none)."""
        try:
            url = self.developer_url(MASTER, "account-location", account)  # served from euw1 (doc)
            payload = self.get(url, auth=None)
        except (BrightpearlError, requests.RequestException, ValueError) as exc:
            LOGGER.debug("account-location failed for %r: %s", account, exc)
            return None
        if not isinstance(payload, dict):
            return None
        code = payload.get("datacentreCode")
        if self.datacentres.learn(code, payload.get("apiDomain")):
            return t.cast("str", code)
        return None

    def remember_from(self, state: t.Mapping[str, t.Any]) -> None:
        """Take the datacentres an earlier run learned (state was checked by the tap's state rules)."""
        stream, key = DATACENTRES_KEY
        found = (state.get("bookmarks") or {}).get(stream, {}).get(key) or {}
        self._remembered = {k: v for k, v in found.items() if is_datacentre_code(v)}
        self.mode.restore(state)

    def remember_into(self, state: dict[str, t.Any]) -> None:
        """Write the datacentres known now (and the mode's tokens) into state, whatever streams ran."""
        self.mode.keep_in(state)
        if "router" not in self.__dict__:
            return  # nothing was routed: what state holds is still right
        stream, key = DATACENTRES_KEY
        remembered = dict(sorted(self.router.remembered.items()))
        if self._installs is not None:  # forget accounts that are no longer installed
            current = {i.accountCode for i in self._installs}
            remembered = {k: v for k, v in remembered.items() if k in current}
        state.setdefault("bookmarks", {}).setdefault(stream, {})[key] = remembered

    # --- time ---------------------------------------------------------------------------
    @property
    def ceiling(self) -> dt.datetime:
        """No bookmark may pass this: the run's start plus a little clock skew."""
        return self.started + CLOCK_SKEW


def _query(params: t.Mapping[str, t.Any] | None) -> str | None:
    """Brightpearl's PERIOD filters read as written (updatedOn=2026-01-01T00:00:00Z/): keep '/' and ':'."""
    if not params:
        return None
    return urlencode(params, safe="/:")


def _proxy_secrets(proxy: str) -> list[str]:
    """The whole URL, then its password, of a proxy (or token store) setting, for masking."""
    parts = urlsplit(proxy)
    found = [proxy]
    if parts.password:
        found += [parts.password, unquote(parts.password)]
    return found
