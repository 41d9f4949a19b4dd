"""Which Brightpearl throttle pool a request counts against, learnt from the answers.

Brightpearl documents one pool per account and developer for a public app, and
installed-accounts obviously draws on the developer's own pool; it does not document the
rest. Whether the developer pool is one per datacentre or one across all of them, and
whether a developer-tools call *about* an account (account-timezone/{code},
account-location/{code}) counts against the developer's pool or that account's, differ
between servers. Guessing wrong either way is costly: paced as one pool when they are
many, the tap crawls; paced as many when they are one, one pool's fresh
`brightpearl-requests-remaining` stands for another's budget and the tap floods it.

So the tap starts from the safe guess (one developer pool across every datacentre, every
developer-tools call in it) and splits only on proof. Take two answers from one pool, the
second sent after the first came back and answered before the first's
`brightpearl-next-throttle-period` ran out, so that no slot can have freed in between. The
second must show strictly fewer requests remaining, and both must name the same instant for
the next free slot (the same oldest request ages out, or the same window ends): each answer
places that instant between its send time and its receive time plus its period. Two
answers that break either rule were counted in different pools, and the pair says which
guess was wrong:

- on two datacentres: the developer pool is one per datacentre;
- the same kind of call about two accounts, on one datacentre: that kind counts against
  each account's own pool (a developer pool would be shared by both);
- installed-accounts (always the developer's) and a call about an account, on one
  datacentre: that kind of call counts against the account's pool.

A request always counts in the one pool the current guess names, so a split never lets
a pool go unpaced: before it, the answers that prove it are still paced as one pool.

Until a kind of call is known to count in its pool, its answers may lower that pool's
budget but never raise it (one pool's fresh headers must not stand for another's budget
in the meantime): installed-accounts is the developer pool's own, and another kind earns
trust when one of its answers matches one the pool already trusted (see `Layout.trusted`).
"""

from __future__ import annotations

import typing as t
from collections import deque
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

ABOUT_AN_ACCOUNT = ("account-timezone", "account-location")
PUBLIC_API = "public-api"
OTHER = "other"  # neither developer-tools nor an account's API (an OAuth token endpoint)
# The share of a period trusted to have had no slot free (a server clock a little fast).
_PERIOD_TRUSTED = 0.9
# How far a server clock may run off ours over one period, plus the header's whole milliseconds.
_CLOCK_SHARE = 0.02
_CLOCK_SLACK = 0.002
_RECENT = 16
DEVELOPER = "developer"  # the key of the one developer pool, and the suffix of per-datacentre ones


@dataclass(frozen=True)
class Family:
    """What decides a request's pool: its kind, datacentre host and the account it is about."""

    kind: str  # PUBLIC_API, a developer-tools action, or OTHER
    host: str
    account: str | None = None

    @property
    def anchored(self) -> bool:
        """A developer-tools call about no account (installed-accounts): the developer pool's own."""
        return self.kind not in (PUBLIC_API, OTHER) and self.account is None


def family(url: str) -> Family:
    """Read the kind, host and account of a request from its URL."""
    parts = urlsplit(url)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    host = parts.netloc.lower()
    if PUBLIC_API in segments:
        i = segments.index(PUBLIC_API)
        if i + 1 < len(segments):
            return Family(PUBLIC_API, host, segments[i + 1])
    if "developer-tools" in segments:
        i = segments.index("developer-tools")
        rest = segments[i + 2 :]
        action = rest[0] if rest else "developer-tools"
        if action in ABOUT_AN_ACCOUNT and len(rest) > 1:
            return Family(action, host, rest[1])
        return Family(action, host)
    return Family(OTHER, host)


@dataclass(frozen=True)
class Split:
    """What a pair of answers proved: the developer pool is per datacentre, or a kind is per account."""

    reason: str
    kind: str | None = None  # the kind that counts against each account's own pool from now on


@dataclass(frozen=True)
class Answer:
    """One answer a pool admitted: when its request went and came back, and both headers."""

    family: Family
    sent: float
    received: float
    remaining: int
    period: float

    def precedes(self, later: Answer) -> bool:
        """True if `later` reached the server after this one, before any slot of its pool freed."""
        return self.received <= later.sent and later.received <= self.sent + self.period * _PERIOD_TRUSTED

    def frees(self) -> tuple[float, float]:
        """When, on our clock, the next slot of this answer's pool frees: earliest and latest."""
        slack = self.period * _CLOCK_SHARE + _CLOCK_SLACK
        return self.sent + self.period - slack, self.received + self.period + slack

    def apart_from(self, later: Answer) -> bool:
        """True if `later` (which this one precedes) cannot have been counted in the same pool."""
        if later.remaining >= self.remaining:
            return True
        (low, high), (low_later, high_later) = self.frees(), later.frees()
        return high < low_later or high_later < low


class Layout:
    """The current guess at the pool layout, and the evidence that refines it."""

    def __init__(self) -> None:
        """Start from the safe guess: one developer pool for every developer-tools call."""
        self.developer_per_host = False
        self.per_account: set[str] = {PUBLIC_API}  # kinds that count against the account's own pool
        self._recent: dict[str, deque[Answer]] = {}  # pool key -> recent answers it admitted
        # (pool key, kind, host): an answer of that kind from that host matched one the pool trusted.
        self._verified: set[tuple[str, str, str]] = set()
        self._anchor_hosts: set[str] = set()  # where installed-accounts answered: its developer pool is sure

    def key(self, fam: Family) -> str:
        """The pool a request of this family counts against under the current guess."""
        if fam.account is not None and fam.kind in self.per_account:
            return f"{fam.host} account {fam.account}"
        return f"{fam.host} {DEVELOPER}" if self.developer_per_host else DEVELOPER

    def candidates(self, fam: Family) -> list[str]:
        """Every pool a request of this family might count against, as far as the guess can tell."""
        if fam.kind == PUBLIC_API:
            return [self.key(fam)]
        developer = f"{fam.host} {DEVELOPER}" if self.developer_per_host else DEVELOPER
        return [developer, f"{fam.host} account {fam.account}"] if fam.account is not None else [developer]

    @staticmethod
    def is_developer(key: str) -> bool:
        """True for a developer pool's key (the one across datacentres, or one datacentre's)."""
        return key == DEVELOPER or key.partition(" ")[2] == DEVELOPER

    def counts_in(self, fam: Family, key: str) -> bool:
        """False if the guess changed since a request of `fam` was admitted under `key`."""
        return self.key(fam) == key

    def trusted(self, key: str, fam: Family) -> bool:
        """True if this family's answers are known to describe pool `key` (else they may only lower it).

        installed-accounts is the developer pool's own; another kind of call is trusted once one
        of its answers, from the same datacentre, was counted right after a trusted one, or right
        after the same kind of call about another account (on installed-accounts' datacentre, if
        the guess is still one pool for all: elsewhere that shows a pool, not that it is the one).
        """
        return fam.anchored or fam.kind in self.per_account or (key, fam.kind, fam.host) in self._verified

    def learn(self, key: str, answer: Answer) -> Split | None:
        """Record an admitted answer of pool `key`; return what it proved, if it changed the guess."""
        recent = self._recent.setdefault(key, deque(maxlen=_RECENT))
        if answer.family.kind in self.per_account:  # account pools are never split further
            return None
        earlier = [e for e in recent if e.precedes(answer)]
        proof = next((p for e in earlier if (p := self._split(e, answer))), None)
        if proof is not None:
            return proof
        fam = answer.family
        if fam.anchored:
            self._anchor_hosts.add(fam.host)
        for e in earlier:
            if e.apart_from(answer):  # two pools, but the pair does not say which guess was wrong
                continue
            shared = e.family.kind == fam.kind and e.family.host == fam.host and e.family.account != fam.account
            if self.trusted(key, e.family) or (shared and (key != DEVELOPER or fam.host in self._anchor_hosts)):
                self._verified.add((key, fam.kind, fam.host))
                break
        recent.append(answer)
        return None

    def _split(self, earlier: Answer, later: Answer) -> Split | None:
        """Change the guess if the two answers cannot come from one pool; say why."""
        if not earlier.apart_from(later):
            return None
        a, b = earlier.family, later.family
        if a.host != b.host:
            if self.developer_per_host:
                return None
            self.developer_per_host = True
            for e in self._recent.pop(DEVELOPER, ()):  # the evidence so far holds for each datacentre's pool
                self._recent.setdefault(f"{e.family.host} {DEVELOPER}", deque(maxlen=_RECENT)).append(e)
            self._verified = set()  # what matched across datacentres matched by chance
            return Split("developer-tools calls on different datacentres count against different pools")
        for one, other in ((b, a), (a, b)):
            about_two_accounts = one.kind == other.kind and one.account != other.account
            if one.account is not None and one.kind != PUBLIC_API and (about_two_accounts or other.anchored):
                self.per_account.add(one.kind)
                self.forget(one.kind)
                return Split(f"{one.kind} calls count against each account's own pool", one.kind)
        return None

    def forget(self, kind: str) -> None:
        """Drop the remembered answers of a kind that no longer counts in the developer pool."""
        for key, recent in self._recent.items():
            kept = [e for e in recent if e.family.kind != kind]
            self._recent[key] = deque(kept, maxlen=_RECENT)

    def drop(self, keys: t.Iterable[str]) -> None:
        """Forget the answers of pools that are gone."""
        for key in keys:
            self._recent.pop(key, None)
