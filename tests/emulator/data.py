"""Deterministic fake Brightpearl accounts and the real signing rule.

Everything here is derived from an explicit ``random.Random`` so that two runs with the
same seed produce byte-identical data (tests and benchmarks compare runs).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

# Odd offsets on purpose: the tap must not assume whole hours.
TIMEZONES: tuple[tuple[str, str], ...] = (
    ("Asia/Kathmandu", "+05:45"),
    ("America/St_Johns", "-03:30"),
    ("Asia/Kolkata", "+05:30"),
    ("Australia/Eucla", "+08:45"),
    ("Pacific/Chatham", "+13:45"),
    ("Europe/London", "+00:00"),
    ("America/New_York", "-05:00"),
    ("America/Los_Angeles", "-08:00"),
    ("Europe/Berlin", "+01:00"),
    ("Australia/Adelaide", "+10:30"),
    ("Asia/Tehran", "+03:30"),
    ("Pacific/Marquesas", "-09:30"),
    ("America/Chicago", "-06:00"),
    ("Pacific/Kiritimati", "+14:00"),
    ("Pacific/Pago_Pago", "-11:00"),
)
PREFIXES: tuple[str, ...] = (
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark",
    "wayne",
    "wonka",
    "tyrell",
    "soylent",
)
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
TIE_PROBABILITY = 0.2  # high enough that even 20 accounts have equal installedOn values
DISABLED_PROBABILITY = 0.1

# Bumped on every Account attribute write so that cached response bodies notice direct edits.
_generation = [0]


def generation() -> int:
    """Return the global Account mutation counter (cache key ingredient)."""
    return _generation[0]


def sign(token: str, secret: str) -> str:
    """Sign like Brightpearl: base64(HMAC-SHA256(secret, token)); secret NOT base64-decoded."""
    digest = hmac.new(secret.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass
class Account:
    """One installed account as the emulator knows it (superset of what the API lists)."""

    accountCode: str  # camelCase on purpose: the API's own field names
    installedOn: str
    unsignedAccountToken: str
    enabled: bool
    datacentre: str
    canonicalId: str
    currentUtcOffset: str
    gone: bool = False

    def __setattr__(self, name: str, value: object) -> None:
        """Record the write so cached listings are rebuilt after a test edits an account."""
        object.__setattr__(self, name, value)
        _generation[0] += 1

    def listing(self) -> dict[str, object]:
        """Return the four fields installed-accounts exposes, in the API's order."""
        return {
            "installedOn": self.installedOn,
            "accountCode": self.accountCode,
            "unsignedAccountToken": self.unsignedAccountToken,
            "enabled": self.enabled,
        }


def format_ms(epoch_ms: int) -> str:
    """Format epoch milliseconds the way Brightpearl does: UTC, millis, trailing Z."""
    dt = datetime.fromtimestamp(epoch_ms // 1000, tz=timezone.utc)
    return f"{dt.strftime(_TIME_FORMAT)}.{epoch_ms % 1000:03d}Z"


def parse_ms(text: str) -> int:
    """Parse a Brightpearl UTC timestamp back to epoch milliseconds."""
    stamp, _, frac = text.rstrip("Z").partition(".")
    dt = datetime.strptime(stamp, _TIME_FORMAT).replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * 1000 + int((frac or "0")[:3].ljust(3, "0"))


LATEST_INSTALL_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: fixed, so a seed gives the same data every day


def generate(
    rng: random.Random,
    n: int,
    datacentres: Sequence[str],
    start_ms: int,
    *,
    first_index: int = 0,
    taken: Iterable[str] = (),
    first_may_tie: bool = True,
) -> list[Account]:
    """Generate ``n`` accounts in installedOn order, starting at or after ``start_ms``.

    With ``first_may_tie=False`` the first account is strictly after ``start_ms`` (add_installs).
    """
    if not datacentres:
        raise ValueError("at least one datacentre is needed")
    used = set(taken)
    primary, rest = datacentres[0], list(datacentres[1:])
    out: list[Account] = []
    now = start_ms
    # Gaps of up to 3 days, but never so many that installs run past LATEST_INSTALL: an install
    # dated in the future is a hostile answer (the tap caps its bookmark at the run's start).
    room = max(LATEST_INSTALL_MS - start_ms, n)
    max_gap = max(1_000, min(3 * 86_400_000, 2 * room // max(n, 1)))
    index = first_index
    for i in range(n):
        tie = rng.random() < TIE_PROBABILITY and (i > 0 or first_may_tie)
        if not tie:
            now += rng.randint(1_000, max_gap)
        code = f"{PREFIXES[index % len(PREFIXES)]}{index:05d}"
        while code in used:
            index += 1
            code = f"{PREFIXES[index % len(PREFIXES)]}{index:05d}"
        used.add(code)
        index += 1
        dc = primary if not rest or rng.random() < 0.5 else rng.choice(rest)
        zone, offset = rng.choice(TIMEZONES)
        out.append(
            Account(
                accountCode=code,
                installedOn=format_ms(now),
                unsignedAccountToken=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                enabled=rng.random() >= DISABLED_PROBABILITY,
                datacentre=dc,
                canonicalId=zone,
                currentUtcOffset=offset,
            )
        )
    return out


def make_accounts(
    n: int,
    seed: int = 7,
    datacentres: Sequence[str] = ("euw1", "use1", "usw1"),
    start: str = "2020-01-01T00:00:00.000Z",
) -> list[Account]:
    """Build ``n`` deterministic accounts (installedOn order) for a given seed."""
    return generate(random.Random(seed), n, datacentres, parse_ms(start))
