"""Which Brightpearl datacentre to call, and where it is.

The code -> base URL table is data: Brightpearl's published hosts, overridden or
extended by `datacenter_urls` (proxies, emulators). Plain `http://` is accepted only
for loopback hosts, so a typo can never send a signed token across a network in clear.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
import typing as t
from urllib.parse import urlsplit

from tap_brightpearl.errors import NotFoundError

LOGGER = logging.getLogger("tap_brightpearl.datacenters")
T = t.TypeVar("T")

BUILTIN_DATACENTRES: dict[str, str] = {
    "euw1": "https://ws-eu1.brightpearl.com",
    "use1": "https://ws-use.brightpearl.com",
    "usw1": "https://ws-usw.brightpearl.com",
}
DEFAULT_DATACENTRE = "euw1"
MASTER = "euw1"  # installed-accounts and account-location are served here only (doc)
BRIGHTPEARL_DOMAINS = ("brightpearl.com", "brightpearlconnect.com")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")


def brightpearl_host(api_domain: object) -> str | None:
    """`api_domain` if it is exactly a DNS host name under Brightpearl's own domains, else None.

    An answer decides where a signed token goes next, so anything but a bare host name is
    refused: no path, port, user info, percent sign, whitespace, or a suffix that only
    looks right ("evil.example/.brightpearl.com").
    """
    if not isinstance(api_domain, str) or not api_domain or len(api_domain) > 253:
        return None
    host = api_domain.lower()
    labels = host.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        return None
    if any(host == d or host.endswith("." + d) for d in BRIGHTPEARL_DOMAINS):
        return host
    return None


def is_datacentre_code(code: object) -> bool:
    """A datacentre code as Brightpearl writes them (euw1, use1): short, plain characters."""
    return isinstance(code, str) and _CODE.fullmatch(code) is not None


class DatacentreConfigError(ValueError):
    """A datacentre setting that cannot work; the message names the setting."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(setting: str, code: str, url: object) -> str:
    """Return `url` without a trailing slash, or explain why it cannot be used."""
    where = f"{setting}[{code!r}]"
    if not isinstance(url, str) or not url.strip():
        raise DatacentreConfigError(f"{where} must be a URL such as https://ws-eu1.brightpearl.com")
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        _ = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise DatacentreConfigError(f"{where} is not a valid URL ({exc})") from None
    if parts.scheme not in ("https", "http") or not host:
        raise DatacentreConfigError(f"{where} must start with https:// and name a host")
    if parts.scheme == "http" and not _is_loopback(host):
        raise DatacentreConfigError(
            f"{where} uses http:// for {host}; plain http is allowed only for loopback hosts "
            "(127.0.0.1, ::1, localhost). Use https://"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise DatacentreConfigError(f"{where} must not carry credentials, a query or a fragment")
    return url.strip().rstrip("/")


class DatacentreTable:
    """Datacentre codes and their base URLs for this run."""

    def __init__(self, overrides: t.Mapping[str, object] | None = None) -> None:
        """Merge `datacenter_urls` over the built-in table, checking every URL."""
        self._urls = dict(BUILTIN_DATACENTRES)
        for code, url in (overrides or {}).items():
            self._urls[code] = check_base_url("datacenter_urls", code, url)

    @property
    def codes(self) -> list[str]:
        """Every code this run knows."""
        return sorted(self._urls)

    def require(self, setting: str, code: object) -> str:
        """Return `code` if known, else explain which codes are valid."""
        if not isinstance(code, str) or code not in self._urls:
            raise DatacentreConfigError(
                f"{setting} {code!r} is not a known datacentre code; valid codes: "
                f"{', '.join(self.codes)} (add others with datacenter_urls)"
            )
        return code

    def url(self, code: str) -> str:
        """The base URL of datacentre `code`."""
        return self._urls[self.require("datacentre", code)]

    def locate(self, url: str) -> str:
        """Name the datacentre a URL belongs to, for a message: "datacentre use1 at https://..."."""
        code = next((c for c in self.codes if url.startswith(self._urls[c] + "/")), None)
        if code is None:
            return url.split("/developer-tools/")[0].split("/public-api/")[0] or "?"
        return f"datacentre {code} at {self._urls[code]}"

    def learn(self, code: object, api_domain: object) -> bool:
        """Add a datacentre that an answer named but the table lacks.

        Only https hosts under Brightpearl's own domains are accepted: the answer decides
        where a signed token goes next, so it must not be able to point anywhere else.
        """
        if not is_datacentre_code(code):
            LOGGER.warning("Ignoring a datacentre code from account-location that is not a plain code")
            return False
        code = t.cast("str", code)
        if code in self._urls:
            return True
        host = brightpearl_host(api_domain)
        if host is None:
            LOGGER.warning(
                "Ignoring datacentre %s from account-location: %r is not a Brightpearl host name; "
                "add it to datacenter_urls if it is yours",
                code,
                str(api_domain)[:100],
            )
            return False
        self._urls[code] = f"https://{host}"
        return True

    def code_for_host(self, host: str) -> str | None:
        """The code whose base URL has this host (built-in or overridden table), else None."""
        for code in self.codes:
            if urlsplit(BUILTIN_DATACENTRES.get(code, self._urls[code])).hostname == host:
                return code
            if urlsplit(self._urls[code]).hostname == host:
                return code
        label = host.split(".", 1)[0]
        if host == f"{label}.brightpearlconnect.com" and label in self._urls:
            return label
        return None


class AccountRouter:
    """Decides the datacentre of each account: pin, then remembered, then discovery, then default.

    `discover` asks account-location on the master datacentre and returns a code or None.
    Discovered codes are remembered (and kept in state by the caller), so later runs
    skip the request; a call that says "not here" triggers `rediscover`.
    """

    DISABLE_AFTER_FAILURES = 3

    def __init__(
        self,
        *,
        default: str,
        pins: t.Mapping[str, str],
        remembered: t.Mapping[str, str],
        discover: t.Callable[[str], str | None] | None,
    ) -> None:
        """Start from the user's pins and the datacentres remembered from earlier runs.

        `discover` is None where there is no account-location to ask (a private app).
        """
        self.default = default
        self.pins = dict(pins)
        self.remembered = dict(remembered)
        self._discover = discover
        self._lock = threading.Lock()
        self._failures_in_a_row = 0
        self.discovery_enabled = discover is not None
        self.discovered = 0

    def read(self, account: str, read: t.Callable[[str], t.Iterable[T]]) -> t.Iterator[T]:
        """Yield `read(datacentre)` for the account's datacentre.

        When a datacentre remembered from an earlier run says the account is not there,
        ask account-location again and read it where it now lives; any other "not found"
        is the caller's to handle.
        """
        datacentre, how = self.route(account)
        try:
            yield from read(datacentre)
        except NotFoundError:
            if how != "remembered":
                raise
            moved = self.rediscover(account)
            if not moved or moved == datacentre:
                raise
            LOGGER.info("account %r moved from %s to %s; reading it there", account, datacentre, moved)
            yield from read(moved)

    def route(self, account: str) -> tuple[str, str]:
        """Return (datacentre, how it was chosen) for `account`."""
        if account in self.pins:
            return self.pins[account], "pinned"
        with self._lock:
            if account in self.remembered:
                return self.remembered[account], "remembered"
        found = self._try_discover(account)
        if found:
            return found, "discovered"
        return self.default, "default"

    def rediscover(self, account: str) -> str | None:
        """Ask account-location again after a call said the account is not where we thought."""
        with self._lock:
            self.remembered.pop(account, None)
        return self._try_discover(account)

    def _try_discover(self, account: str) -> str | None:
        if not self.discovery_enabled or self._discover is None:
            return None
        code = self._discover(account)
        with self._lock:
            if code:
                self._failures_in_a_row = 0
                self.remembered[account] = code
                self.discovered += 1
                return code
            self._failures_in_a_row += 1
            if self._failures_in_a_row >= self.DISABLE_AFTER_FAILURES and not self.discovered:
                if self.discovery_enabled:
                    LOGGER.warning(
                        "account-location discovery is unavailable (%d failures, no success); "
                        "using data_center %s for accounts that are not pinned in account_data_centers. "
                        "Accounts in other datacentres will be skipped: check that data_center is the "
                        "datacentre your app is registered in, or pin accounts in account_data_centers",
                        self._failures_in_a_row,
                        self.default,
                    )
                self.discovery_enabled = False
        return None
