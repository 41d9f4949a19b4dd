"""OAuth apps: a bearer token from a refresh token, kept alive across runs in state.

Brightpearl may answer a refresh with a new refresh token and retire the old one, and
neither singer-sdk nor Meltano can write a config back. So the newest tokens live in
STATE (`bookmarks.oauth.sealed`), encrypted with a key derived from a secret the state
does not hold (`client_secret`, or `token_encryption_key` for a public client). The
access token is reused across runs until shortly before it expires, so the refresh token
turns over about weekly, not every run; right after a refresh the tap writes a STATE
before any record, so a crash cannot lose the new token. A refresh token the user puts in
the config later wins over the chain in state (the chain remembers which config token it
started from, as an HMAC).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
import time
import typing as t

import msgspec
from singer_sdk.authenticators import APIAuthenticatorBase
from typing_extensions import override

from tap_brightpearl.datacenters import DatacentreTable, brightpearl_host, check_base_url
from tap_brightpearl.errors import AuthenticationError, BrightpearlError
from tap_brightpearl.modes import AccessMode, Account
from tap_brightpearl.redact import register_secrets

if t.TYPE_CHECKING:
    import requests

    from tap_brightpearl.installs import Install
    from tap_brightpearl.settings import Settings

LOGGER = logging.getLogger("tap_brightpearl.oauth")
STATE_KEY = "oauth"  # state["bookmarks"]["oauth"] = {"sealed": "..."}
MIN_MARGIN_SECONDS = 300.0
HOW_TO_RENEW = (
    "Get a new refresh token with `tap-brightpearl-oauth --config config.json` and set refresh_token "
    "(a new one in the config wins over the one kept in state)"
)


class OAuthGrantError(BrightpearlError):
    """The token endpoint refused the refresh token or the client: the run cannot go on."""


class Tokens(msgspec.Struct):
    """What one refresh gave, and which config refresh token the chain started from."""

    access_token: str
    refresh_token: str
    expires_at: float
    lifetime: float
    api_domain: str
    origin: str


def token_url(settings: Settings) -> str:
    """`oauth_token_url`, else the token endpoint of `data_center` (its datacenter_urls override if any)."""
    if settings.oauth_token_url:
        return check_base_url("oauth_token_url", "url", settings.oauth_token_url)
    base = settings.datacenter_urls.get(settings.data_center)
    if base:
        return f"{check_base_url('datacenter_urls', settings.data_center, base)}/oauth/token"
    return f"https://{settings.data_center}.brightpearlconnect.com/oauth/token"


class _Sealer:
    """Fernet with a key derived (HKDF-SHA256) from a secret the state never holds."""

    def __init__(self, secret: str, context: str) -> None:
        # Imported here: only OAuth runs pay for loading cryptography.
        from cryptography.fernet import Fernet
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tap-brightpearl/oauth-state", info=context.encode())
        raw = key.derive(secret.encode("utf-8"))
        self._fernet = Fernet(base64.urlsafe_b64encode(raw))
        self._mac_key = hashlib.sha256(b"origin/" + raw).digest()

    def seal(self, tokens: Tokens) -> str:
        return self._fernet.encrypt(msgspec.json.encode(tokens)).decode("ascii")

    def open(self, sealed: str) -> Tokens | None:
        from cryptography.fernet import InvalidToken

        try:
            return msgspec.json.decode(self._fernet.decrypt(sealed.encode("ascii")), type=Tokens)
        except (InvalidToken, ValueError, msgspec.DecodeError, msgspec.ValidationError):
            return None

    def fingerprint(self, refresh_token: str) -> str:
        return hmac.new(self._mac_key, refresh_token.encode("utf-8"), hashlib.sha256).hexdigest()


class BearerAuthenticator(APIAuthenticatorBase):
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
        request.headers.update(self.auth_headers)
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
            found.append(
                "token_encryption_key: required for OAuth without client_secret (it encrypts the tokens kept in state)"
            )
        return found

    def __init__(self, settings: Settings) -> None:
        """Nothing is requested until `prepare` (discovery and --about never refresh)."""
        super().__init__(settings)
        secret = settings.client_secret or settings.token_encryption_key or ""
        self._sealer = _Sealer(secret, f"{settings.client_id}/{settings.account_code}")
        self._origin = self._sealer.fingerprint(str(settings.refresh_token))
        self._tokens: Tokens | None = None
        self._refreshed_at = 0.0  # time.monotonic() of the last refresh
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
        """Take the tokens an earlier run kept, unless the config now holds another refresh token."""
        entry = (state.get("bookmarks") or {}).get(STATE_KEY) or {}
        sealed = entry.get("sealed") if isinstance(entry, dict) else None
        if not isinstance(sealed, str):
            return
        tokens = self._sealer.open(sealed)
        if tokens is None:
            LOGGER.warning(
                "state: bookmarks.%s cannot be decrypted (client_secret or token_encryption_key changed?); "
                "starting again from refresh_token",
                STATE_KEY,
            )
            return
        if tokens.origin != self._origin:
            LOGGER.info("refresh_token in the config is new: it replaces the tokens kept in state")
            return
        register_secrets(tokens.access_token, tokens.refresh_token)
        self._tokens = tokens

    @override
    def keep_in(self, state: dict[str, t.Any]) -> None:
        """Write the current tokens, sealed, into state (main thread, or under the writer's lock)."""
        if self._tokens is not None:
            state.setdefault("bookmarks", {})[STATE_KEY] = {"sealed": self._sealer.seal(self._tokens)}

    # --- tokens -------------------------------------------------------------------------
    @override
    def prepare(self) -> None:
        """Make sure a valid access token is at hand; refresh only when it is about to expire."""
        with self._lock:
            if self._tokens is None or self._expiring(self._tokens):
                self._refresh_locked()

    def access_token(self) -> str:
        """The current access token (refreshed first if it is about to expire)."""
        self.prepare()
        return t.cast("Tokens", self._tokens).access_token

    @override
    def retry_after_refusal(self, exc: AuthenticationError, started: float) -> bool:
        """On a 401 "Authorization token expired", refresh (once for all workers) and let the caller retry."""
        if "expired" not in str(exc).lower():
            return False
        with self._lock:
            if self._refreshed_at < started:  # nobody refreshed since this request was sent
                self._refresh_locked()
        return True

    @staticmethod
    def _expiring(tokens: Tokens) -> bool:
        margin = min(max(MIN_MARGIN_SECONDS, tokens.lifetime / 10), tokens.lifetime / 2)
        return time.time() + margin >= tokens.expires_at

    def _refresh_locked(self) -> None:
        if self._post is None:
            raise BrightpearlError("OAuth: no token request is possible here")
        refresh = self._tokens.refresh_token if self._tokens is not None else str(self.settings.refresh_token)
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": str(self.settings.client_id),
            "account_code": str(self.settings.account_code),
        }
        if self.settings.client_secret:
            form["client_secret"] = self.settings.client_secret
        answer = self._post(token_url(self.settings), form)
        self._tokens = self._tokens_from(answer, previous_refresh=refresh)
        self._refreshed_at = time.monotonic()
        LOGGER.info("OAuth: access token refreshed; it is valid for %.0f hours", self._tokens.lifetime / 3600)
        self.on_new_tokens()

    def _tokens_from(self, answer: object, *, previous_refresh: str) -> Tokens:
        if not isinstance(answer, dict):
            raise OAuthGrantError("OAuth: the token endpoint answered something other than a JSON object")
        access, refresh = answer.get("access_token"), answer.get("refresh_token") or previous_refresh
        lifetime = answer.get("expires_in")
        domain = answer.get("api_domain")
        if not isinstance(access, str) or not access or not isinstance(refresh, str):
            raise OAuthGrantError("OAuth: the token endpoint answered without an access_token")
        register_secrets(access, refresh)
        if not isinstance(lifetime, (int, float)) or isinstance(lifetime, bool) or lifetime <= 0:
            lifetime = 3600.0
        host = brightpearl_host(domain)
        if host is None:
            raise OAuthGrantError(
                f"OAuth: the token endpoint named api_domain {str(domain)[:80]!r}, which is not a Brightpearl host; "
                "no request was sent there. Check oauth_token_url"
            )
        return Tokens(access, refresh, time.time() + float(lifetime), float(lifetime), host, self._origin)

    # --- accounts -----------------------------------------------------------------------
    @override
    def accounts(self, installs: t.Callable[[], list[Install]]) -> list[Account]:
        """The one account, with a bearer token."""
        return [Account(str(self.settings.account_code), BearerAuthenticator(self))]

    @override
    def pinned(self) -> dict[str, str]:
        """The account lives where the token answer's api_domain says (through the datacentre table)."""
        self.prepare()
        tokens, table = t.cast("Tokens", self._tokens), t.cast("DatacentreTable", self._datacentres)
        code = table.code_for_host(tokens.api_domain)
        if code is None:
            code = tokens.api_domain.split(".", 1)[0]
            if not table.learn(code, tokens.api_domain):
                raise OAuthGrantError(f"OAuth: api_domain {tokens.api_domain!r} cannot be used")
        return {str(self.settings.account_code): code}
