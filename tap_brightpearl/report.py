"""What a run did, for people and for orchestrators.

Each stream keeps its figures here: records, accounts read / skipped / failed, time, and
why it failed. During long streams a progress line goes out at most every
`progress_interval_seconds`; at the end, one INFO line per stream, then one JSON line on
stderr (`{"type": "BRIGHTPEARL_RUN_SUMMARY", ...}`) that an orchestrator can alert on
without parsing prose. A run stopped by SIGINT or SIGTERM is `interrupted`, and so is the
stream it was reading.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
import typing as t
from dataclasses import dataclass, field

LOGGER = logging.getLogger("tap_brightpearl.report")
SUMMARY_TYPE = "BRIGHTPEARL_RUN_SUMMARY"
_NAMED_ACCOUNTS = 5  # failed accounts named in a summary line; the rest are counted


@dataclass
class StreamReport:
    """One stream's figures."""

    name: str
    per_account: bool = False
    status: str = "not selected"  # running | succeeded | failed | interrupted | not selected
    records: int = 0
    accounts_total: int = 0
    accounts_read: int = 0
    accounts_skipped: int = 0
    failed_accounts: dict[str, str] = field(default_factory=dict)
    skipped_accounts: dict[str, str] = field(default_factory=dict)  # accounts that refused the app
    expected: int = 0  # what Brightpearl said exists (resultsAvailable, the listed ids, the items of a list)
    read: int = 0  # of those, what this run read
    vanished: int = 0  # of those read, listed but gone when asked for twice (deleted during the read)
    error: str | None = None
    reason: str | None = None  # the error in a few words, for the run's last line
    hint: str | None = None
    started: float = 0.0
    seconds: float = 0.0
    _last_progress: float = 0.0

    def as_dict(self) -> dict[str, t.Any]:
        """The machine-readable figures."""
        out: dict[str, t.Any] = {
            "status": self.status,
            "records": self.records,
            "expected": self.expected,
            "read": self.read,
            "seconds": round(self.seconds, 3),
        }
        if self.vanished:
            out["vanished"] = self.vanished
        if self.per_account:
            out |= {
                "accounts": self.accounts_total,
                "accounts_read": self.accounts_read,
                "accounts_skipped": self.skipped,
                "accounts_failed": len(self.failed_accounts),
            }
            if self.failed_accounts:
                out["failed_accounts"] = dict(list(self.failed_accounts.items())[:_NAMED_ACCOUNTS])
        if self.error:
            out["error"] = self.error
        return out

    @property
    def skipped(self) -> int:
        """Accounts skipped (refused the app, or uninstalled)."""
        return max(self.accounts_skipped, len(self.skipped_accounts))

    def line(self) -> str:
        """The human summary line."""
        text = f"{self.name}: {self.status}, {self.records:,} records; {self.read:,} of {self.expected:,} read"
        if self.vanished:
            text += f" ({self.vanished:,} of them gone when asked for: deleted during the read)"
        if self.per_account:
            text += (
                f"; accounts {self.accounts_read} read, {self.skipped} skipped, "
                f"{len(self.failed_accounts)} failed of {self.accounts_total}"
            )
        return f"{text}; {self.seconds:.1f} s"


class RunReport:
    """Every stream's report, in run order."""

    def __init__(self, *, progress_every: float) -> None:
        """Start empty; streams register as they begin."""
        self.streams: dict[str, StreamReport] = {}
        self.progress_every = progress_every
        self._lock = threading.Lock()

    def begin(self, name: str, *, per_account: bool) -> StreamReport:
        """A stream starts: time it from now."""
        report = self.streams.setdefault(name, StreamReport(name, per_account=per_account))
        report.per_account = per_account
        report.status = "running"
        report.started = report._last_progress = time.monotonic()
        return report

    def get(self, name: str) -> StreamReport:
        """The report of `name` (created if the stream has not begun)."""
        return self.streams.setdefault(name, StreamReport(name))

    def end(self, name: str, *, error: str | None = None, reason: str | None = None, hint: str | None = None) -> None:
        """A stream ends, well or not."""
        report = self.get(name)
        report.seconds = time.monotonic() - report.started if report.started else 0.0
        report.status = "failed" if error else "succeeded"
        report.error, report.reason, report.hint = error, reason or error, hint

    def progress(self, name: str, *, accounts_done: int | None = None) -> None:
        """Log a progress line if the last one for this stream is old enough.

        With accounts: how many are done, records and their rate, and an estimate of what is left
        (from the time the accounts done so far took).
        """
        report = self.get(name)
        now = time.monotonic()
        if now - report._last_progress < self.progress_every:
            return
        report._last_progress = now
        elapsed = max(now - report.started, 1e-6)
        parts = [f"{report.records:,} records ({report.records / elapsed:,.0f}/s)"]
        left = ""
        total = report.accounts_total
        if accounts_done is not None and total:
            parts.insert(0, f"{accounts_done} of {total} accounts")
            if 0 < accounts_done < total:
                left = f", about {elapsed / accounts_done * (total - accounts_done):,.0f} s left"
        LOGGER.info("%s: %s, %.0f s so far%s", name, ", ".join(parts), elapsed, left)

    @property
    def failed(self) -> list[StreamReport]:
        """Streams that failed, in run order."""
        return [r for r in self.streams.values() if r.status == "failed"]

    def summarize(self, *, interrupted: str | None = None) -> None:
        """One INFO line per stream that ran, then the JSON summary on stderr.

        `interrupted` names the signal that stopped the run: the run and the stream it was
        reading are then `interrupted`, whatever else failed.
        """
        now = time.monotonic()
        for report in self.streams.values():
            if interrupted and report.status == "running":
                report.status, report.seconds = "interrupted", now - report.started
            if report.status in ("succeeded", "failed", "interrupted"):
                LOGGER.info("Summary: %s", report.line())
        status = "interrupted" if interrupted else "failed" if self.failed else "succeeded"
        summary: dict[str, t.Any] = {"type": SUMMARY_TYPE, "status": status}
        if interrupted:
            summary["signal"] = interrupted
        summary |= {
            "failed_streams": [r.name for r in self.failed],
            "streams": {r.name: r.as_dict() for r in self.streams.values() if r.status != "not selected"},
        }
        for handler in logging.getLogger().handlers:  # whole lines: log output first, then ours
            handler.flush()
        sys.stderr.write(json.dumps(summary, separators=(",", ":")) + "\n")
        sys.stderr.flush()

    def failure_message(self) -> str:
        """The run's last line when streams failed: which, why (grouped), and what to do."""
        groups: dict[str, list[str]] = {}
        for report in self.failed:
            groups.setdefault(report.reason or "failed", []).append(report.name)
        why = "; ".join(f"{', '.join(names)}: {reason}" for reason, names in groups.items())
        hints: list[str] = []
        for report in self.failed:
            if report.hint and report.hint not in hints:
                hints.append(report.hint)
        message = f"{len(self.failed)} stream(s) failed ({why})"
        return f"{message}. {' '.join(hints)}" if hints else message

    @staticmethod
    def name_accounts(failed: t.Mapping[str, str]) -> str:
        """Name a few failed accounts and count the rest."""
        names = list(failed)
        shown = ", ".join(names[:_NAMED_ACCOUNTS])
        return shown + (f" and {len(names) - _NAMED_ACCOUNTS} more" if len(names) > _NAMED_ACCOUNTS else "")
