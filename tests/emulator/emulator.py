"""The Emulator: several fake Brightpearl datacentres, their accounts, throttle and faults."""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from .account_data import AccountData
from .data import Account, generate, generation, make_accounts, parse_ms
from .faults import DEFAULT_STALL, Fault, FaultBook, fault_reply
from .hostile_pagers import HostilePagers
from .knobs import AccountKnobs
from .oauth import OAuthProvider
from .reply import Reply, dumps
from .routes import pool_of, route
from .server import DatacentreServer
from .throttle import THROTTLE_BODY, Throttle

DEFAULT_START = "2020-01-01T00:00:00.000Z"


@dataclass
class RequestLogEntry:
    """One received request, so tests can assert on what the tap actually sent."""

    method: str
    path: str
    datacentre: str
    status: int
    auth: str
    headers: dict[str, str]
    time: float
    grant_type: str | None = None  # token requests only: the one form field safe to keep


class Emulator(AccountKnobs):
    """Fake Brightpearl: one HTTP server per datacentre sharing one account set.

    Per-account data knobs (account_data, touch, ship_goods_out_notes, ...) are in knobs.py.
    """

    def __init__(
        self,
        accounts: list[Account] | None = None,
        *,
        n_accounts: int = 20,
        seed: int = 7,
        datacentres: Sequence[str] = ("euw1", "use1", "usw1"),
        master: str = "euw1",
        developer_reference: str = "devref",
        developer_token: str | None = None,
        developer_secret: str | None = None,
        app_reference: str = "devref_app",
        latency: float = 0.0,
        throttle_quota: int | None = None,
        throttle_window: float = 60.0,
        account_location: bool = True,
        orders_per_account: int = 12,
        products_per_account: int = 8,
        contacts_per_account: int = 6,
        warehouses_per_account: int = 2,
        never_updated_fraction: float = 0.2,
        account_apis: bool = True,
        contact_search_hides_updated: bool = False,
        goods_out_notes_per_account: int = 8,
        goods_movements_per_account: int = 20,
        goods_in_notes_per_account: int = 4,
        journals_per_account: int = 6,
        payments_per_account: int = 5,
        order_notes_per_account: int = 6,
    ) -> None:
        """Configure; nothing listens until start().

        Account data knobs: ``never_updated_fraction`` of generated orders, products and contacts
        were never updated (no updatedOn member; null in search rows). ``account_apis=False``
        refuses every /public-api/ call with the recorded 401 "Invalid instance token: ..." (a
        developer whose app has no data access). ``contact_search_hides_updated=True`` restores an
        old third-party claim (# guess): contact-search rows show updatedOn null, though the 2025
        recording shows it set; filters and sorting still use the true value. The ``*_per_account``
        sizes of the other resources: ``journals`` besides the one each payment posts,
        ``payments`` each for customer and supplier payments.
        """
        if master not in datacentres:
            raise ValueError(f"master {master!r} is not one of {list(datacentres)}")
        self.seed = seed
        self.datacentres = tuple(datacentres)
        self.master = master
        self.accounts: list[Account] = (
            list(accounts) if accounts is not None else make_accounts(n_accounts, seed, datacentres)
        )
        self.developer_reference = developer_reference
        self.developer_token = developer_token or f"dev-token-{secrets.token_hex(8)}"
        self.developer_secret = developer_secret or f"dev-secret-{secrets.token_hex(16)}"
        self.app_reference = app_reference
        self.latency = latency
        self.account_location = account_location
        self.base_urls: dict[str, str] = {}
        self.requests: list[RequestLogEntry] = []
        self._servers: list[DatacentreServer] = []
        self._throttle = Throttle(throttle_quota, throttle_window)
        self._faults = FaultBook()
        self._lock = threading.Lock()  # log, counters, account mutations
        self._cache_lock = threading.Lock()
        self._cache_key: tuple[int, int, int] | None = None
        self._body = b""
        self._index: dict[str, Account] = {}
        self._throttled = 0
        self._batches = 0
        self._codes_ever = {a.accountCode for a in self.accounts}
        self.data_sizes = {
            "orders": orders_per_account,
            "products": products_per_account,
            "contacts": contacts_per_account,
            "warehouses": warehouses_per_account,
            "goods_out_notes": goods_out_notes_per_account,
            "goods_movements": goods_movements_per_account,
            "goods_in_notes": goods_in_notes_per_account,
            "journals": journals_per_account,
            "payments": payments_per_account,
            "order_notes": order_notes_per_account,
        }
        self._account_sizes: dict[str, dict[str, int]] = {}  # set_account_sizes: per-account overrides
        self.data_options: dict[str, Any] = {
            "never_updated_fraction": never_updated_fraction,
            "contact_search_hides_updated": contact_search_hides_updated,
        }
        self.account_apis = account_apis
        self.private_tokens: dict[str, dict[str, str]] = {}  # accountCode -> kind -> token
        self._account_data: dict[str, AccountData] = {}
        self._data_lock = threading.Lock()
        self.oauth = OAuthProvider(self)
        self.pagers = HostilePagers(seed)  # hostile_pages / vanish_after_search (knobs.py): off until set
        self.oauth_api_domain: str | None = None  # hostile tests: the api_domain every token answer names

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Emulator:
        """Bind and serve every datacentre; returns self for chaining."""
        if self._servers:
            raise RuntimeError("emulator already started")
        for dc in self.datacentres:
            server = DatacentreServer(self, dc)
            server.start()
            self._servers.append(server)
            self.base_urls[dc] = server.base_url
        return self

    def stop(self) -> None:
        """Stop all servers and drop open connections (idempotent)."""
        servers, self._servers = self._servers, []
        # In parallel: each shutdown waits up to one poll interval.
        stoppers = [threading.Thread(target=s.stop, daemon=True) for s in servers]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()

    def __enter__(self) -> Emulator:
        """Start on entering a with-block."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop on leaving a with-block."""
        self.stop()

    def tap_config(self, **overrides: Any) -> dict[str, Any]:
        """Return a tap config that works against this emulator."""
        config: dict[str, Any] = {
            "developer_reference": self.developer_reference,
            "developer_token": self.developer_token,
            "developer_secret": self.developer_secret,
            "app_reference": self.app_reference,
            "data_center": self.master,
            "datacenter_urls": dict(self.base_urls),
        }
        config.update(overrides)
        return config

    # -- account set -----------------------------------------------------------------------
    def add_installs(self, k: int) -> list[Account]:
        """Install ``k`` new accounts, each strictly later than every existing installedOn."""
        with self._lock:
            self._batches += 1
            rng = random.Random(f"{self.seed}/installs/{self._batches}")
            # The timestamp format is fixed-width, so the string max is the time max.
            latest = max((a.installedOn for a in self.accounts), default=DEFAULT_START)
            new = generate(
                rng,
                k,
                self.datacentres,
                parse_ms(latest),
                first_index=len(self._codes_ever),
                taken=self._codes_ever,
                first_may_tie=False,
            )
            self._codes_ever.update(a.accountCode for a in new)
            self.accounts.extend(new)
        return new

    def _get(self, code: str) -> Account:
        for account in self.accounts:
            if account.accountCode == code:
                return account
        raise KeyError(code)

    def mark_gone(self, accountCode: str) -> None:
        """Keep the account listed but make account-timezone answer 404."""
        self._get(accountCode).gone = True

    def remove_account(self, accountCode: str) -> None:
        """Remove the account from every endpoint."""
        with self._lock:
            self.accounts.remove(self._get(accountCode))

    def move_account(self, accountCode: str, datacentre: str) -> None:
        """Re-home the account (rediscovery tests)."""
        if datacentre not in self.datacentres:
            raise ValueError(f"unknown datacentre {datacentre!r}")
        self._get(accountCode).datacentre = datacentre

    def _refresh(self) -> None:
        """Rebuild the encoded listing and code index when the account set changed."""
        key = (generation(), len(self.accounts), id(self.accounts))  # read before building
        if key == self._cache_key:
            return
        accounts = list(self.accounts)
        shuffled = accounts[:]
        random.Random(self.seed).shuffle(shuffled)  # the real API returns the list unsorted
        self._body = dumps({"response": [a.listing() for a in shuffled]})
        self._index = {a.accountCode: a for a in accounts}
        self._cache_key = key

    def listing_body(self) -> bytes:
        """Return the encoded installed-accounts body (cached until accounts change)."""
        with self._cache_lock:
            self._refresh()
            return self._body

    def find_account(self, code: str) -> Account | None:
        """Look an account up by code (current accounts only)."""
        with self._cache_lock:
            self._refresh()
            return self._index.get(code)

    def set_private_token(self, accountCode: str, token: str, kind: str = "account") -> None:
        """Accept a private (legacy) app token for the account: sent as-is, not signed."""
        if kind not in ("account", "staff"):
            raise ValueError(f"kind must be 'account' or 'staff', not {kind!r}")
        self._get(accountCode)  # fail loudly on typos
        with self._lock:
            self.private_tokens.setdefault(accountCode, {})[kind] = token

    # -- OAuth 2 (see oauth.py) ------------------------------------------------------------
    def enable_oauth(
        self,
        client_id: str = "bp-client",
        client_secret: str | None = "bp-client-secret",
        access_ttl: float = 604800.0,
        rotate: bool = True,
    ) -> None:
        """Serve /oauth/token and /authorize/{account} for one app client (secret None: a public client).

        ``rotate``: each refresh answers a new refresh token and retires the one sent.
        """
        self.oauth.configure(client_id, client_secret, access_ttl, rotate)

    def oauth_refresh_token(self, account_code: str) -> str:
        """A live refresh token for the account, as if a person had authorized the app earlier."""
        self._get(account_code)  # fail loudly on typos
        return self.oauth.issue_refresh(account_code)

    def revoke_refresh_tokens(self, account_code: str) -> None:
        """Every refresh token of the account answers invalid_grant from now on."""
        self.oauth.revoke(account_code)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far answers 401 "Authorization token expired" from now on."""
        self.oauth.expire_all()

    def issued_tokens(self) -> list[str]:
        """Every authorization code, access and refresh token handed out (leak checks)."""
        return self.oauth.issued()

    @property
    def oauth_grants(self) -> list[str]:
        """grant_type of every token request answered with tokens, in order."""
        return list(self.oauth.grants)

    @property
    def oauth_refresh_count(self) -> int:
        """Number of successful refresh_token grants."""
        return self.oauth.refresh_count

    # -- faults, throttle, log ---------------------------------------------------------------
    def add_fault(
        self,
        path_contains: str,
        kind: str,
        *,
        times: int = 1,
        status: int | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        datacentre: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``times`` matching requests misbehave (see faults.py for kinds)."""
        self._faults.add(Fault(path_contains, kind, times, status, body, headers, datacentre, delay))

    def clear_faults(self) -> None:
        """Drop pending faults."""
        self._faults.clear()

    def reset_throttle(self) -> None:
        """Empty every throttle pool."""
        self._throttle.reset()

    @property
    def throttled_count(self) -> int:
        """Number of throttle 503s sent (quota rejections plus injected "throttle" faults)."""
        return self._throttled

    def record(
        self,
        method: str,
        path: str,
        dc: str,
        auth: str,
        headers: dict[str, str],
        at: float,
        grant_type: str | None = None,
    ) -> RequestLogEntry:
        """Append a log entry at arrival (status filled in before the reply is written)."""
        entry = RequestLogEntry(method, path, dc, 0, auth, headers, at, grant_type)
        with self._lock:
            self.requests.append(entry)
        return entry

    def clear_log(self) -> None:
        """Forget logged requests."""
        with self._lock:
            self.requests.clear()

    def _count_throttled(self) -> None:
        with self._lock:
            self._throttled += 1

    def answer(
        self, dc: str, method: str, path: str, auth: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Reply:
        """Decide the reply: latency, then a pending fault, else throttle, then the route."""
        if self.latency:
            time.sleep(self.latency)
        fault = self._faults.take(path, dc)
        if fault is not None and fault.kind == "throttle":
            self._count_throttled()
            return fault_reply(fault, lambda: Reply(500))
        if fault is not None:
            wait = fault.delay or (DEFAULT_STALL if fault.kind == "stall" else 0.0)
            if wait:
                time.sleep(wait)
        verdict = self._throttle.admit(pool_of(dc, path))
        needs_route = fault is None or fault.kind in ("stall", "truncated")
        if not verdict.admitted and needs_route:
            self._count_throttled()
            return Reply(503, THROTTLE_BODY, headers=verdict.headers())
        if fault is None:
            reply = route(self, dc, method, path, auth, headers, body)
        else:
            reply = fault_reply(fault, lambda: route(self, dc, method, path, auth, headers, body))
        reply.headers = {**verdict.headers(), **reply.headers}
        return reply
