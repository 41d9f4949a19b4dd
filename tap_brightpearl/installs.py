"""Turn Brightpearl's installed-accounts list into validated, ordered installs.

The API returns the whole list unsorted and unfiltered. We validate each entry
(never emit a silently wrong record), collapse duplicates, and sort by
(installedOn, accountCode) so the bookmark on installedOn is resumable.
"""

from __future__ import annotations

import datetime as dt
import logging
import typing as t

import msgspec

from tap_brightpearl.errors import FatalBrightpearlError

LOGGER = logging.getLogger("tap_brightpearl.installs")


class Install(msgspec.Struct, order=True, gc=False):
    """One installation of the app in one Brightpearl account.

    A compact struct rather than a dict: 100,000 installs stay well under the size of the
    response they came in (bench/b4_memory.py). `installed` holds installedOn in UTC, in
    a fixed-width text form that sorts like the instant; fields compare in order, so a
    list of installs sorts by (installedOn, accountCode) with no key objects.
    """

    installed: str = msgspec.field(name="installedOn")
    accountCode: str
    unsignedAccountToken: str | None = None
    enabled: bool | None = None

    @property
    def installedOn(self) -> dt.datetime:
        """The installedOn instant, an aware UTC datetime."""
        return dt.datetime.fromisoformat(self.installed)

    def record(self) -> dict[str, t.Any]:
        """The Singer record: installedOn as RFC 3339 in UTC, milliseconds."""
        return {
            "accountCode": self.accountCode,
            "installedOn": self.installed[:23] + "Z",
            "unsignedAccountToken": self.unsignedAccountToken,
            "enabled": self.enabled,
        }


def sortable_utc(value: dt.datetime) -> str:
    """Fixed-width UTC text with microseconds ("2021-03-04T05:06:07.123456+00:00"): sorts as it should."""
    return value.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def format_utc(value: dt.datetime) -> str:
    """RFC 3339 in UTC with milliseconds and a Z, as Brightpearl writes them.

    One fixed width matters: bookmarks are compared as strings. Sub-millisecond digits
    (Brightpearl sends none) are dropped, which can only repeat a record, never skip one.
    """
    utc = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds") + "Z"  # not strftime: %Y drops the zeros of year 999


def parse_utc(value: object) -> dt.datetime | None:
    """Parse an API date-time; Brightpearl's are UTC, so a missing offset means UTC."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):  # Python 3.10's fromisoformat does not read the Z
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    parsed = parsed.replace(tzinfo=dt.timezone.utc) if parsed.tzinfo is None else parsed
    try:
        parsed.astimezone(dt.timezone.utc)  # year 1 or 9999 with an offset falls off the calendar
    except OverflowError:
        return None
    return parsed


def _describe(index: int, entry: object) -> str:
    code = entry.get("accountCode") if isinstance(entry, dict) else None
    return f"account {code!r}" if isinstance(code, str) and code else f"entry #{index}"


def _check_decoded(index: int, install: Install) -> Install | None:
    """An entry msgspec already decoded into an Install: types are right, values need checking."""
    if not install.accountCode.strip():
        LOGGER.warning("installed-accounts: skipping entry #%d: no accountCode", index)
        return None
    installed = parse_utc(install.installed)
    if installed is None:
        LOGGER.warning("installed-accounts: skipping account %r: installedOn is not a date-time", install.accountCode)
        return None
    install.installed = sortable_utc(installed)
    if install.unsignedAccountToken is None or install.enabled is None:
        missing = " or ".join(
            n
            for n, v in (("unsignedAccountToken", install.unsignedAccountToken), ("enabled", install.enabled))
            if v is None
        )
        LOGGER.warning("installed-accounts: account %r has no %s; emitting it with null", install.accountCode, missing)
    return install


def _parse_entry(index: int, entry: object) -> Install | None:
    if isinstance(entry, Install):
        return _check_decoded(index, entry)
    if not isinstance(entry, dict):
        LOGGER.warning("installed-accounts: skipping entry #%d: not an object", index)
        return None
    code = entry.get("accountCode")
    if not isinstance(code, str) or not code.strip():
        LOGGER.warning("installed-accounts: skipping entry #%d: no accountCode", index)
        return None
    installed = parse_utc(entry.get("installedOn"))
    if installed is None:
        LOGGER.warning("installed-accounts: skipping %s: installedOn is not a date-time", _describe(index, entry))
        return None
    token = entry.get("unsignedAccountToken")
    enabled = entry.get("enabled")
    if token is not None and not isinstance(token, str):
        LOGGER.warning("installed-accounts: skipping %s: unsignedAccountToken is not text", _describe(index, entry))
        return None
    if enabled is not None and not isinstance(enabled, bool):
        LOGGER.warning("installed-accounts: skipping %s: enabled is not true/false", _describe(index, entry))
        return None
    missing = [name for name, value in (("unsignedAccountToken", token), ("enabled", enabled)) if value is None]
    if missing:
        LOGGER.warning("installed-accounts: account %r has no %s; emitting it with null", code, " or ".join(missing))
    return Install(installed=sortable_utc(installed), accountCode=code, unsignedAccountToken=token, enabled=enabled)


def parse_installs(payload: object, *, where: str) -> list[Install]:
    """Validate, de-duplicate and sort the installed-accounts payload.

    A duplicate accountCode keeps its newest installation (a reinstall); the others
    are dropped with a warning. Anything but a list is a failure, never "no accounts".
    """
    if not isinstance(payload, list):
        kind = "null" if payload is None else type(payload).__name__
        raise FatalBrightpearlError(f"installed-accounts answered {kind} instead of a list ({where})")
    by_code: dict[str, Install] = {}
    duplicates = 0
    for index, entry in enumerate(payload):
        install = _parse_entry(index, entry)
        if install is None:
            continue
        kept = by_code.get(install.accountCode)
        if kept is not None:
            duplicates += 1
            LOGGER.warning(
                "installed-accounts: account %r is listed more than once; keeping the newest installedOn",
                install.accountCode,
            )
            if kept.installed >= install.installed:
                continue
        by_code[install.accountCode] = install
    if duplicates:
        LOGGER.warning("installed-accounts: %d duplicate entries dropped", duplicates)
    return sorted(by_code.values())  # Install orders by (installedOn, accountCode)
