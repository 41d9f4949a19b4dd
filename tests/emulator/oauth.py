"""Brightpearl's OAuth 2 for the emulator: the token endpoint, the authorize redirect, bearer checks.

Documented (api-docs.brightpearl.com "OAuth Token POST", ../shared/brightpearl-api.md): a form-encoded
POST to ``/oauth/token`` (account code in the body as ``account_code``) or ``/{account}/oauth/token``;
grants ``authorization_code`` and ``refresh_token``; client_secret only for confidential clients; an
underscore-keyed JSON answer with access_token, refresh_token, api_domain, token_type Bearer and
expires_in (604800 by default); bad grant 400 ``invalid_grant``, bad client 401 ``invalid_client``.
Recorded: a refresh answer carries a new refresh token; an expired access token is a 401
``{"response":"Authorization token expired"}`` and an unknown one ``Invalid instance token: <token>``,
both with ``Message-Type: api-proxy``. Everything else is marked "guess".
"""

from __future__ import annotations

import base64
import hmac
import math
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from .reply import Reply, dumps, not_found

if TYPE_CHECKING:
    from .emulator import Emulator

API_DOMAINS = {"euw1": "ws-eu1.brightpearl.com", "use1": "ws-use.brightpearl.com", "usw1": "ws-usw.brightpearl.com"}
CODE_TTL = 60.0  # guess: how long an authorization code can be redeemed
FORM_TYPE = "application/x-www-form-urlencoded"
TOKEN_EXPIRED = b'{"response":"Authorization token expired"}'
API_PROXY = {"Message-Type": "api-proxy"}  # recorded on both bearer 401s
# guess: RFC 6749 5.1 headers; no token answer was recorded.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def new_token() -> str:
    """A random token in standard base64, so "+", "/" and "=" appear.

    guess: the real format is unknown; the docs warn that tokens hold characters that break a
    client which does not URL-encode its form, so the emulator's tokens hold such characters too.
    """
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def is_token_path(parts: list[str]) -> bool:
    """``/oauth/token`` or ``/{account}/oauth/token`` (segments already split)."""
    return parts[-2:] == ["oauth", "token"] and len(parts) in (2, 3)


def logged_grant_type(raw_path: str, body: bytes) -> str | None:
    """The only part of a token request's body the request log may keep."""
    if not is_token_path([unquote(s) for s in urlsplit(raw_path).path.split("/") if s]):
        return None
    try:
        return dict(parse_qsl(body.decode("utf-8"))).get("grant_type")
    except (UnicodeDecodeError, ValueError):
        return None


def token_expired() -> Reply:
    """The recorded 401 for an access token past its lifetime."""
    return Reply(401, TOKEN_EXPIRED, headers=dict(API_PROXY))


def _error(status: int, error: str, description: str) -> Reply:
    return Reply(status, dumps({"error": error, "error_description": description}), headers=dict(NO_STORE))


class _Refused(Exception):
    """A token or authorize request refused with an OAuth error answer."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def _refuse(status: int, error: str, description: str) -> _Refused:
    return _Refused(_error(status, error, description))


@dataclass
class _Access:
    account: str
    expires_at: float  # time.monotonic()


@dataclass
class _Code:
    account: str
    client_id: str
    redirect_uri: str
    expires_at: float


class OAuthProvider:
    """Issued codes and tokens of one emulator, and the endpoints that trade them.

    Disabled until ``Emulator.enable_oauth``: until then both endpoints answer 404 and every
    bearer token is unknown.
    """

    def __init__(self, emu: Emulator) -> None:
        self._emu = emu
        self.enabled = False
        self.client_id = ""
        self.client_secret: str | None = None
        self.access_ttl = 604800.0
        self.rotate = True
        self.code_ttl = CODE_TTL  # tests may shorten it to see a code expire
        # Knobs for tests of a client's token chain (a token server that retires each token when used):
        self.answer_delay = 0.0  # seconds between retiring the sent refresh token and answering
        self.expires_in: float | None = None  # the expires_in to answer, whatever the tokens really live
        self.resets_after_retire = 0  # this many refreshes retire the token, then cut the connection
        self.token_requests = 0  # token requests received (counted on arrival)
        self.grants: list[str] = []
        self.refresh_count = 0
        self._refresh: dict[str, tuple[str, str]] = {}  # live refresh token -> (account, client_id)
        self._access: dict[str, _Access] = {}
        self._codes: dict[str, _Code] = {}
        self._issued: list[str] = []
        self._lock = threading.Lock()

    def configure(self, client_id: str, client_secret: str | None, access_ttl: float, rotate: bool) -> None:
        """Register the app's client; tokens issued before stay as they are."""
        if not client_id:
            raise ValueError("client_id must be non-empty")
        if access_ttl < 0:
            raise ValueError("access_ttl must be >= 0")
        with self._lock:
            self.enabled = True
            self.client_id, self.client_secret = client_id, client_secret
            self.access_ttl, self.rotate = float(access_ttl), rotate

    # -- knobs -----------------------------------------------------------------------------
    def issue_refresh(self, account: str) -> str:
        """A live refresh token for ``account``, as if a person had authorized the app earlier."""
        if not self.enabled:
            raise RuntimeError("call enable_oauth() first")
        with self._lock:
            return self._new_refresh(account, self.client_id)

    def revoke(self, account: str) -> None:
        """Kill every refresh token of the account (the user uninstalled or re-authorized)."""
        with self._lock:
            self._refresh = {t: owner for t, owner in self._refresh.items() if owner[0] != account}

    def live_refresh_tokens(self, account: str) -> set[str]:
        """The refresh tokens of ``account`` a refresh would accept now (each is retired when used)."""
        with self._lock:
            return {t for t, owner in self._refresh.items() if owner[0] == account}

    def expire_all(self) -> None:
        """Make every access token issued so far answer "Authorization token expired"."""
        with self._lock:
            for access in self._access.values():
                access.expires_at = -math.inf

    def issued(self) -> list[str]:
        """Every code and token value ever handed out (tests look for leaks)."""
        with self._lock:
            return list(self._issued)

    def bearer_state(self, account: str, token: str) -> str:
        """Judge a bearer token sent to ``account``'s APIs: "verified", "expired" or "bad"."""
        with self._lock:
            access = self._access.get(token)
            if access is None or access.account != account:
                return "bad"  # guess: another account's token counts as unknown
            return "expired" if time.monotonic() >= access.expires_at else "verified"

    # -- endpoints -------------------------------------------------------------------------
    def token(self, method: str, parts: list[str], headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer POST /oauth/token or /{account}/oauth/token."""
        if not self.enabled:
            return not_found()
        with self._lock:
            self.token_requests += 1
        try:
            if method != "POST":
                raise _refuse(405, "invalid_request", "use POST")  # guess
            form = self._form(headers, body)
            account = self._account(form, parts[0] if len(parts) == 3 else None)
            grant = form.get("grant_type")
            if not grant:
                raise _refuse(400, "invalid_request", "grant_type is required")
            if grant not in ("authorization_code", "refresh_token"):
                raise _refuse(400, "unsupported_grant_type", f"grant_type {grant} is not supported")  # guess
            self._check_client(form)
            if self._emu.find_account(account) is None:
                raise _refuse(400, "invalid_grant", "the account has not installed the app")  # guess
            with self._lock:
                if grant == "authorization_code":
                    refresh = self._redeem_code(form, account)
                else:
                    refresh = self._turn_refresh(form, account)
                access = new_token()
                self._access[access] = _Access(account, time.monotonic() + self.access_ttl)
                self._issued.append(access)
                self.grants.append(grant)
                cut = grant == "refresh_token" and self.resets_after_retire > 0
                self.resets_after_retire -= cut
        except _Refused as refused:
            return refused.reply
        if self.answer_delay:
            time.sleep(self.answer_delay)  # the sent token is already retired: a client that gives up loses the chain
        if cut:
            return Reply(0, mode="reset")
        answer = {
            "access_token": access,
            "refresh_token": refresh,
            "api_domain": self._api_domain(account),
            "token_type": "Bearer",
            "expires_in": math.ceil(self.access_ttl) if self.expires_in is None else self.expires_in,
        }
        return Reply(200, dumps(answer), headers=dict(NO_STORE))

    def authorize(self, method: str, parts: list[str], raw_path: str) -> Reply:
        """Answer GET /authorize/{account}: the person approves at once; redirect with a code."""
        if not self.enabled or method != "GET" or len(parts) != 2:
            return not_found()
        query = dict(parse_qsl(urlsplit(raw_path).query, keep_blank_values=True))
        # guess: a bad client or redirect_uri is shown to the person (RFC 6749 4.1.2.1), never redirected.
        if query.get("client_id") != self.client_id:
            return _error(400, "invalid_client", "unknown client_id")
        redirect_uri = query.get("redirect_uri", "")
        target = urlsplit(redirect_uri)
        if target.scheme not in ("http", "https") or not target.netloc or target.fragment:
            return _error(400, "invalid_request", "redirect_uri must be an absolute http(s) URI")
        # guess: any redirect_uri is accepted; the real service checks it against the app's registered ones.
        account = parts[1]
        if self._emu.find_account(account) is None:
            return not_found("Account not found")  # guess
        back: dict[str, str] = {}
        if query.get("response_type") != "code":
            back["error"] = "unsupported_response_type"  # guess: RFC 6749 4.1.2.1
        else:
            code = secrets.token_urlsafe(18)
            with self._lock:
                self._codes[code] = _Code(account, self.client_id, redirect_uri, time.monotonic() + self.code_ttl)
                self._issued.append(code)
            back["code"] = code
        if "state" in query:
            back["state"] = query["state"]
        location = redirect_uri + ("&" if target.query else "?") + urlencode(back)
        return Reply(302, b"", "text/html", headers={"Location": location})  # guess: empty body

    # -- helpers (the lock is held where noted) --------------------------------------------
    @staticmethod
    def _form(headers: Mapping[str, str], body: bytes) -> dict[str, str]:
        """The form fields; a JSON body or a repeated field is refused (RFC 6749 3.2)."""
        if not headers.get("content-type", "").lower().startswith(FORM_TYPE):
            # guess: the exact answer to a body that is not form-encoded.
            raise _refuse(400, "invalid_request", f"the body must be {FORM_TYPE}")
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            raise _refuse(400, "invalid_request", "the body cannot be parsed") from None
        form = dict(pairs)
        if len(form) != len(pairs):
            raise _refuse(400, "invalid_request", "a parameter was repeated")  # guess
        return form

    @staticmethod
    def _account(form: Mapping[str, str], in_path: str | None) -> str:
        in_body = form.get("account_code")
        if in_path and in_body and in_path != in_body:
            raise _refuse(400, "invalid_request", "account_code differs from the path")  # guess
        account = in_path or in_body
        if not account:
            raise _refuse(400, "invalid_request", "account_code is required")  # guess: the wording
        return account

    def _check_client(self, form: Mapping[str, str]) -> None:
        """client_id must match; client_secret is required iff the client is confidential.

        guess: HTTP Basic client authentication is not accepted here (the token doc names body
        parameters; only the introspection doc names Basic), and a public client sending a
        client_secret is refused.
        """
        if form.get("client_id") != self.client_id:
            raise _refuse(401, "invalid_client", "unknown client_id")
        sent = form.get("client_secret")
        if self.client_secret is None:
            if sent is not None:
                raise _refuse(401, "invalid_client", "this client is public: send no client_secret")
        elif sent is None or not hmac.compare_digest(sent.encode(), self.client_secret.encode()):
            raise _refuse(401, "invalid_client", "client authentication failed")

    def _redeem_code(self, form: Mapping[str, str], account: str) -> str:
        """Lock held. Burn the code (guess: even a failed redemption burns it); return a refresh token."""
        code, redirect_uri = form.get("code"), form.get("redirect_uri")
        if not code or not redirect_uri:
            raise _refuse(400, "invalid_request", "code and redirect_uri are required")
        issued = self._codes.pop(code, None)
        if (
            issued is None
            or time.monotonic() >= issued.expires_at
            or (issued.account, issued.client_id, issued.redirect_uri) != (account, self.client_id, redirect_uri)
        ):
            raise _refuse(400, "invalid_grant", "the authorization code is invalid, used or expired")
        return self._new_refresh(account, self.client_id)

    def _turn_refresh(self, form: Mapping[str, str], account: str) -> str:
        """Lock held. With rotation the sent token is retired and a new one returned."""
        sent = form.get("refresh_token")
        if not sent:
            raise _refuse(400, "invalid_request", "refresh_token is required")
        if self._refresh.get(sent) != (account, self.client_id):
            raise _refuse(400, "invalid_grant", "the refresh token is invalid, revoked or retired")
        self.refresh_count += 1
        if not self.rotate:
            return sent  # guess: without rotation the same refresh token is echoed back
        del self._refresh[sent]
        return self._new_refresh(account, self.client_id)

    def _new_refresh(self, account: str, client_id: str) -> str:
        """Lock held."""
        token = new_token()
        self._refresh[token] = (account, client_id)
        self._issued.append(token)
        return token

    def _api_domain(self, account: str) -> str:
        if self._emu.oauth_api_domain is not None:
            return self._emu.oauth_api_domain
        found = self._emu.find_account(account)
        dc = found.datacentre if found is not None else ""
        return API_DOMAINS.get(dc, f"ws-{dc}.brightpearl.com")  # guess: the host of a datacentre not built in
