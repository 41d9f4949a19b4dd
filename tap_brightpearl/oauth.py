"""OAuth apps: a bearer token from a refresh token, and a token chain that is never lost.

Brightpearl answers a refresh with a new refresh token and may retire the old one, and
neither singer-sdk nor Meltano can write a config back. So the chain (oauth_chain.py) lives
in the token store (token_store.py: SQLite by default, PostgreSQL for many workers) and in
STATE (`bookmarks.oauth`), sealed, and the newest copy wins. A refresh locks the store's row,
re-reads it (another run may have refreshed a moment ago: then its chain is used, and no token
is spent twice), sends the refresh token, and commits the answer to the store before the new
access token is used; a STATE follows before any further record. SIGTERM during a refresh
waits for the answer (stopping.py). A refresh token Brightpearl refused is never sent again,
and STATE drops it. The access token is reused across runs until shortly before it expires;
one run refreshes at most once unless Brightpearl answers "Authorization token expired".
"""

from __future__ import annotations

import logging
import math
import threading
import time
import typing as t

from typing_extensions import override

from tap_brightpearl import stopping
from tap_brightpearl.auth import HeaderAuthenticator
from tap_brightpearl.datacenters import DatacentreTable, brightpearl_host, check_base_url
from tap_brightpearl.errors import AuthenticationError, BrightpearlError, RefreshTokenRefused
from tap_brightpearl.modes import AccessMode, Account
from tap_brightpearl.oauth_chain import Entry, Found, Keys, Start, Tokens, choose, entry_from_state, state_value
from tap_brightpearl.redact import register_secrets
from tap_brightpearl.token_store import Held, TokenStore

if t.TYPE_CHECKING:
    import requests

    from tap_brightpearl.installs import Install
    from tap_brightpearl.settings import Settings

LOGGER = logging.getLogger("tap_brightpearl.oauth")
STATE_KEY = "oauth"  # state["bookmarks"]["oauth"] = {"sealed": "...", "generation": N, "origins": [...]}
MIN_MARGIN_SECONDS = 300.0
LIFETIME_FLOOR_SECONDS = 300.0  # an expires_in below this (1e-6, 0) is read as this
LIFETIME_CEILING_SECONDS = 90 * 86400.0
DEFAULT_LIFETIME_SECONDS = 3600.0  # an answer without a usable expires_in
MAX_REFRESHES_PER_RUN = 30  # "Authorization token expired" right after every refresh: stop, do not spin the chain
HOW_TO_RENEW = (
    "Get a new refresh token with `tap-brightpearl-oauth --config config.json` and set refresh_token "
    "(a new one in the config wins over the chain kept in the token store and in state)"
)


class OAuthGrantError(BrightpearlError):
    """The token endpoint answered something the run cannot use: the run cannot go on."""


def token_url(settings: Settings) -> str:
    """`oauth_token_url`, else the token endpoint of `data_center` (its datacenter_urls override if any)."""
    if settings.oauth_token_url:
        return check_base_url("oauth_token_url", "url", settings.oauth_token_url)
    base = settings.datacenter_urls.get(settings.data_center)
    if base:
        return f"{check_base_url('datacenter_urls', settings.data_center, base)}/oauth/token"
    return f"https://{settings.data_center}.brightpearlconnect.com/oauth/token"


class BearerAuthenticator(HeaderAuthenticator):
    """Authorization: Bearer with the mode's current access token, plus the reference headers."""

    def __init__(self, mode: OAuthApp) -> None:
        """The token is read at request time, so a refresh reaches every worker at once."""
        super().__init__()
        self._mode = mode
        self.auth_headers = {
            "brightpearl-dev-ref": str(mode.settings.developer_reference),
            "brightpearl-app-ref": mode.settings.app_reference,
        }

    @override
    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add the headers and the current bearer token."""
        super().authenticate_request(request)
        request.headers["Authorization"] = f"Bearer {self._mode.access_token()}"
        return request

    def __repr__(self) -> str:
        """Never show a token."""
        return "BearerAuthenticator()"


class OAuthApp(AccessMode):
    """One account through OAuth 2: refresh token -> access token -> bearer calls at api_domain."""

    name = "OAuth app"
    credential_hint = f"Check client_id, client_secret and refresh_token. {HOW_TO_RENEW}"

    @classmethod
    @override
    def problems(cls, config: t.Mapping[str, t.Any]) -> list[str]:
        """OAuth needs the client, the account and where to send its references."""
        found = [
            f"{name}: required for OAuth (refresh_token is set)"
            for name in ("client_id", "account_code", "developer_reference", "app_reference")
            if not config.get(name)
        ]
        if not config.get("client_secret") and not config.get("token_encryption_key"):
            found.append("token_encryption_key: required for OAuth without client_secret (it encrypts the kept tokens)")
        return found

    def __init__(self, settings: Settings) -> None:
        """Nothing is read or requested until `prepare` (discovery and --about never refresh)."""
        super().__init__(settings)
        self._keys = Keys(settings)
        self._config_refresh = str(settings.refresh_token)
        self._config_mark = self._keys.mark(self._config_refresh)
        self._store = TokenStore(
            settings.oauth_token_store,
            client_id=str(settings.client_id),
            account_code=str(settings.account_code),
            lock_wait=(settings.max_retries + 1) * (2 * settings.request_timeout + 60.0) + 30.0,
        )
        self._in_state: Entry | None = None
        self._loaded = False
        self._link: tuple[Tokens, Entry] | None = None  # the chain's newest link, and as sealed (set at once)
        self._start: Start | None = None  # no link yet: the chain begins from the config's refresh_token
        self._refused: str | None = None  # Brightpearl refused the refresh token: nothing more is sent
        self._drop_from_state = False
        self._broken: BrightpearlError | None = None
        self._refreshes = 0
        self._proactive_spent = False  # one refresh per run before Brightpearl refuses an access token
        self._refreshed_at = 0.0  # time.monotonic() of the last refresh (or adoption of another run's)
        self._lock = threading.Lock()
        self._post: t.Callable[[str, dict[str, str]], t.Any] | None = None
        self._datacentres: DatacentreTable | None = None

    @override
    def bind(self, *, post: t.Callable[[str, dict[str, str]], t.Any], datacentres: DatacentreTable) -> None:
        """The runtime's way to send a token request, and its datacentre table."""
        self._post, self._datacentres = post, datacentres

    # --- state --------------------------------------------------------------------------
    @override
    def restore(self, state: t.Mapping[str, t.Any]) -> None:
        """Keep the chain an earlier run put in state; the store is read only when a sync begins."""
        bookmarks = state.get("bookmarks") or {}
        if STATE_KEY not in bookmarks:
            return
        self._in_state = entry_from_state(bookmarks[STATE_KEY])
        if self._in_state is None:
            LOGGER.warning("state: bookmarks.%s is not a token chain this tap wrote; ignored", STATE_KEY)

    @override
    def keep_in(self, state: dict[str, t.Any]) -> None:
        """The newest link into state, sealed; a refused chain out of it (main thread, or under the writer's lock)."""
        link = self._link
        if self._drop_from_state:
            bookmarks = state.get("bookmarks")
            if isinstance(bookmarks, dict):
                bookmarks.pop(STATE_KEY, None)
        elif link is not None:
            state.setdefault("bookmarks", {})[STATE_KEY] = state_value(link[1])

    # --- tokens -------------------------------------------------------------------------
    @override
    def prepare(self) -> None:
        """Make sure a valid access token is at hand: the newest chain, refreshed only when about to expire."""
        with self._lock:
            self._check_usable()
            if not self._loaded:
                self._load()
            link = self._link
            if link is None or (not self._proactive_spent and self._expiring(link[0])):
                self._proactive_spent = True
                self._refresh_locked(refused_access=None)

    def access_token(self) -> str:
        """The current access token (refreshed first if it is about to expire)."""
        self.prepare()
        return t.cast("tuple[Tokens, Entry]", self._link)[0].access_token

    @override
    def retry_after_refusal(self, exc: AuthenticationError, started: float) -> bool:
        """On a 401 "Authorization token expired", refresh (once for all workers) and let the caller retry."""
        if "expired" not in str(exc).lower():
            return False
        with self._lock:
            self._check_usable()
            if self._refreshed_at < started:  # nobody refreshed since this request was sent
                link = self._link
                self._refresh_locked(refused_access=link[0].access_token if link else None)
        return True

    def _check_usable(self) -> None:
        if self._broken is not None:
            raise self._broken
        if self._refused is not None:
            raise RefreshTokenRefused(self._refused)

    @staticmethod
    def _expiring(tokens: Tokens) -> bool:
        margin = min(max(MIN_MARGIN_SECONDS, tokens.lifetime / 10), tokens.lifetime / 2)
        return time.time() + margin >= tokens.expires_at

    def _load(self) -> None:
        """Choose between the store's copy, the state's copy and the config's refresh token."""
        found = []
        stored = self._store.read()
        if stored is not None:
            found.append(Found(self._store.where, stored, self._keys.open(stored, self._config_refresh)))
        if self._in_state is not None:
            opened = self._keys.open(self._in_state, self._config_refresh)
            found.append(Found(f"state (bookmarks.{STATE_KEY})", self._in_state, opened))
        for copy in found:
            if copy.tokens is not None:
                register_secrets(copy.tokens.access_token, copy.tokens.refresh_token)
        choice = choose(found, self._config_mark)
        if isinstance(choice, Start) and found:
            LOGGER.info("OAuth: refresh_token in the config is new: it replaces the chain kept in %s", found[0].where)
        self._take(choice)
        self._loaded = True

    def _take(self, choice: Tokens | Start) -> None:
        if isinstance(choice, Start):
            self._start = choice
            return
        register_secrets(choice.access_token, choice.refresh_token)
        self._link, self._start = (choice, self._keys.seal(choice)), None

    def _reconcile(self, entry: Entry) -> bool:
        """Under the lock: take the store's chain if another run made it newer than ours; True if taken."""
        link = self._link
        found = [Found("this run", link[1], link[0])] if link is not None else []
        found.append(Found(self._store.where, entry, self._keys.open(entry, self._config_refresh)))
        choice = choose(found, self._config_mark)
        if isinstance(choice, Start):
            self._start = choice
            return False
        if link is not None and choice.generation <= link[0].generation:
            return False
        self._take(choice)
        return True

    def _refresh_locked(self, *, refused_access: str | None) -> None:
        """Lock the store's row, re-read it, and refresh unless another run just did (self._lock held)."""
        if self._post is None:
            raise BrightpearlError("OAuth: no token request is possible here")
        if self._refreshes >= MAX_REFRESHES_PER_RUN:
            raise OAuthGrantError(
                f"OAuth: {MAX_REFRESHES_PER_RUN} token refreshes in one run, and Brightpearl still answers "
                "'Authorization token expired'; stopping rather than turning the refresh token over again. "
                "Check oauth_token_url"
            )
        with self._store.locked() as held:
            if held.entry is not None and self._reconcile(held.entry):
                tokens = t.cast("tuple[Tokens, Entry]", self._link)[0]
                adopted = not self._expiring(tokens) and tokens.access_token != refused_access
            else:
                adopted = False
            failure = None if adopted else self._refresh_held(held)
        if adopted:
            LOGGER.info("OAuth: another run refreshed the tokens moments ago; using its chain")
            self._refreshed_at = time.monotonic()
        elif failure is not None:
            if self._drop_from_state or self._broken is not None:
                self.on_new_tokens()  # a STATE without the refused chain, or with the unsaved one
            raise failure
        self.on_new_tokens()

    def _refresh_held(self, held: Held) -> BrightpearlError | None:
        """Send the refresh token and commit the answer, as one section a stop signal waits for."""
        link, start = self._link, self._start
        if link is not None:
            refresh, generation, origins = link[0].refresh_token, link[0].generation + 1, link[0].origins
        else:
            start = t.cast("Start", start)
            refresh, generation, origins = self._config_refresh, start.generation, start.origins
        self._refreshes += 1
        with stopping.critical(2 * self.settings.request_timeout + 5.0):
            try:
                answer = t.cast("t.Callable[..., t.Any]", self._post)(token_url(self.settings), self._form(refresh))
            except RefreshTokenRefused as exc:
                self._refused, self._drop_from_state = str(exc), link is not None
                self._link = None
                return exc
            tokens = self._tokens_from(answer, previous=refresh, generation=generation, origins=origins)
            entry = self._keys.seal(tokens)
            try:
                held.commit(entry)  # saved before the new access token is used
            except BrightpearlError as exc:
                self._broken = BrightpearlError(
                    f"{exc}. The new tokens are only in the STATE written now: keep that state, fix "
                    "oauth_token_store and run again with it"
                )
            else:
                LOGGER.info(
                    "OAuth: access token refreshed and saved in %s (chain generation %d); valid for %.1f hours",
                    self._store.where,
                    generation,
                    tokens.lifetime / 3600,
                )
            self._link = (tokens, entry)
            self._refreshed_at = time.monotonic()
        return self._broken

    def _form(self, refresh: str) -> dict[str, str]:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": str(self.settings.client_id),
            "account_code": str(self.settings.account_code),
        }
        if self.settings.client_secret:
            form["client_secret"] = self.settings.client_secret
        return form

    def _tokens_from(self, answer: object, *, previous: str, generation: int, origins: tuple[str, ...]) -> Tokens:
        if not isinstance(answer, dict):
            raise OAuthGrantError("OAuth: the token endpoint answered something other than a JSON object")
        access, refresh = answer.get("access_token"), answer.get("refresh_token") or previous
        domain = answer.get("api_domain")
        if not isinstance(access, str) or not access or not isinstance(refresh, str):
            raise OAuthGrantError("OAuth: the token endpoint answered without an access_token")
        register_secrets(access, refresh)
        host = brightpearl_host(domain)
        if host is None:
            raise OAuthGrantError(
                f"OAuth: the token endpoint named api_domain {str(domain)[:80]!r}, which is not a Brightpearl host; "
                "no request was sent there. Check oauth_token_url"
            )
        lifetime = _lifetime(answer.get("expires_in"))
        return Tokens(access, refresh, time.time() + lifetime, lifetime, host, generation=generation, origins=origins)

    # --- accounts -----------------------------------------------------------------------
    @override
    def accounts(self, installs: t.Callable[[], list[Install]]) -> list[Account]:
        """The one account, with a bearer token."""
        return [Account(str(self.settings.account_code), BearerAuthenticator(self))]

    @override
    def pinned(self) -> dict[str, str]:
        """The account lives where the token answer's api_domain says (through the datacentre table)."""
        self.prepare()
        tokens = t.cast("tuple[Tokens, Entry]", self._link)[0]
        table = t.cast("DatacentreTable", self._datacentres)
        code = table.code_for_host(tokens.api_domain)
        if code is None:
            code = tokens.api_domain.split(".", 1)[0]
            if not table.learn(code, tokens.api_domain):
                raise OAuthGrantError(f"OAuth: api_domain {tokens.api_domain!r} cannot be used")
        return {str(self.settings.account_code): code}


def _lifetime(expires_in: object) -> float:
    """Seconds the access token lives: expires_in within [floor, ceiling]; a missing or odd one is an hour."""
    if not isinstance(expires_in, (int, float)) or isinstance(expires_in, bool) or not math.isfinite(expires_in):
        return DEFAULT_LIFETIME_SECONDS
    if expires_in < LIFETIME_FLOOR_SECONDS:
        LOGGER.info("OAuth: the token answer says expires_in %g s; read as %.0f s", expires_in, LIFETIME_FLOOR_SECONDS)
    return min(max(float(expires_in), LIFETIME_FLOOR_SECONDS), LIFETIME_CEILING_SECONDS)
