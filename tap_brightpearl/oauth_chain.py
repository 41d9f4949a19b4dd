"""The OAuth token chain: what one refresh gave, sealed, numbered, and which copy of it wins.

Brightpearl answers a refresh with a new refresh token and may retire the old one, so the
tokens form a chain and only its newest link works. Each link is sealed (Fernet, with a key
derived by HKDF from `token_encryption_key`, or from `client_secret` when no key is set) and
carries a generation number, one more than the link it was refreshed from. Copies live in the
token store and in STATE; the config's `refresh_token` is where a chain begins.

Which one a run uses (`choose`): the config's refresh token when no chain has started from
it (a person put a new one there), else the copy with the highest generation. Each chain
remembers the config refresh tokens it started from as origin marks (a keyed hash, readable
without the sealing key), so a chain the key cannot open still tells whether the config's
token is new: if it is not, the run stops naming `token_encryption_key` instead of spending a
retired token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import typing as t
from dataclasses import dataclass

import msgspec

from tap_brightpearl.errors import BrightpearlError

if t.TYPE_CHECKING:
    from tap_brightpearl.settings import Settings

MAX_ORIGINS = 16  # origin marks a chain remembers (the config tokens it started from, newest last)
MAX_GENERATION = 2**53  # a clear generation beyond this was not written by this tap (and fits any database)
_MARK = re.compile(r"[0-9a-f]{32}")


class Tokens(msgspec.Struct):
    """One link of the chain: what one refresh gave."""

    access_token: str
    refresh_token: str
    expires_at: float
    lifetime: float
    api_domain: str
    origin: str = ""  # chains sealed before generations: an HMAC of the config token they began from
    generation: int = 0
    origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """A sealed link as the store or STATE keeps it, with what can be read without the key."""

    sealed: str
    generation: int
    origins: tuple[str, ...]


class SealedWithAnotherKeyError(BrightpearlError):
    """The newest copy of the chain cannot be opened with this run's key."""


def clean_origins(values: t.Iterable[object]) -> tuple[str, ...]:
    """Origin marks as written by this tap (anything else is dropped), the newest MAX_ORIGINS."""
    found = [v for v in values if isinstance(v, str) and _MARK.fullmatch(v)]
    return tuple(dict.fromkeys(found))[-MAX_ORIGINS:]


def entry_from_state(value: object) -> Entry | None:
    """`bookmarks.oauth` as an Entry; None when it is not one this tap wrote (the caller warns)."""
    if not isinstance(value, dict) or not isinstance(value.get("sealed"), str) or not value["sealed"]:
        return None
    generation = value.get("generation", 0)
    if not isinstance(generation, int) or isinstance(generation, bool) or not 0 <= generation < MAX_GENERATION:
        generation = 0
    origins = value.get("origins", [])
    return Entry(value["sealed"], generation, clean_origins(origins if isinstance(origins, list) else []))


def state_value(entry: Entry) -> dict[str, t.Any]:
    """What `bookmarks.oauth` holds: the sealed link, its generation and its origin marks."""
    return {"sealed": entry.sealed, "generation": entry.generation, "origins": list(entry.origins)}


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

    def legacy_origin(self, refresh_token: str) -> str:
        """The origin chains sealed before generations carry (an HMAC keyed like the seal)."""
        return hmac.new(self._mac_key, refresh_token.encode("utf-8"), hashlib.sha256).hexdigest()


class Keys:
    """Seals with `token_encryption_key` (else `client_secret`); also opens chains sealed the old way.

    Before the key setting won, a confidential client's chain was sealed with `client_secret`
    even when `token_encryption_key` was set: such a chain still opens, and is sealed with the
    key from its next refresh on.
    """

    def __init__(self, settings: Settings) -> None:
        """Derive the keys for this client and account."""
        context = f"{settings.client_id}/{settings.account_code}"
        secret = settings.token_encryption_key or settings.client_secret or ""
        self._sealer = _Sealer(secret, context)
        self._openers = [self._sealer]
        if settings.token_encryption_key and settings.client_secret:
            self._openers.append(_Sealer(settings.client_secret, context))
        self._mark_key = hashlib.sha256(f"tap-brightpearl/oauth-origin/{context}".encode()).digest()

    def mark(self, refresh_token: str) -> str:
        """A config refresh token's origin mark: 128 bits of a keyed hash, nothing of the token itself."""
        return hmac.new(self._mark_key, refresh_token.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def seal(self, tokens: Tokens) -> Entry:
        """The link, sealed with this run's key."""
        return Entry(self._sealer.seal(tokens), tokens.generation, tokens.origins)

    def open(self, entry: Entry, config_refresh: str) -> Tokens | None:
        """The link inside `entry`, or None if no key of this run opens it."""
        for sealer in self._openers:
            tokens = sealer.open(entry.sealed)
            if tokens is None:
                continue
            if not tokens.origins:  # sealed before generations: its origin is keyed like its seal
                started_here = hmac.compare_digest(tokens.origin, sealer.legacy_origin(config_refresh))
                tokens = msgspec.structs.replace(tokens, origins=(self.mark(config_refresh),) if started_here else ())
            return tokens
        return None


@dataclass(frozen=True)
class Found:
    """One copy of the chain: where it was, as kept, and opened (None: this run's key cannot)."""

    where: str
    entry: Entry
    tokens: Tokens | None

    @property
    def generation(self) -> int:
        """The sealed generation when it opens (the clear one could be edited), else the clear one."""
        return self.tokens.generation if self.tokens is not None else self.entry.generation

    @property
    def origins(self) -> tuple[str, ...]:
        """The config tokens this copy's chain started from."""
        return self.tokens.origins if self.tokens is not None else self.entry.origins


@dataclass(frozen=True)
class Start:
    """Begin a chain from the config's refresh token: its first link gets `generation`."""

    generation: int
    origins: tuple[str, ...]


def choose(found: t.Sequence[Found], config_mark: str) -> Tokens | Start:
    """The config's refresh token if no chain started from it, else the newest copy.

    Of copies with the same generation, one this run can open wins, then the first (the store).
    """
    newest = max(found, key=lambda f: (f.generation, f.tokens is not None), default=None)
    known = [m for f in sorted(found, key=lambda f: f.generation) for m in f.origins]
    if newest is None or config_mark not in known:
        return Start((newest.generation if newest else 0) + 1, clean_origins([*known, config_mark]))
    if newest.tokens is None:
        raise SealedWithAnotherKeyError(
            f"OAuth: the token chain in {newest.where} (generation {newest.generation}) cannot be opened with this "
            "key: token_encryption_key (or client_secret, when token_encryption_key is not set) is not the one it "
            "was sealed with. Set token_encryption_key back to that key, or get a new refresh token with "
            "`tap-brightpearl-oauth --config config.json` and put it in refresh_token; no token request was sent"
        )
    return newest.tokens
