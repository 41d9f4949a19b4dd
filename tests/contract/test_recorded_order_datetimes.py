"""Contract: an order's date-time members, as the recorded order body carries them, with other values.

The recorded order (`vcr/order_get_one.json`) is replayed with its date-time members replaced: a
value Python's `datetime` reads is written as that instant in UTC (`...Z`, milliseconds); a string
it does not read (Feb 29 of a common year, an offset in other digits, an instant off the calendar
once in UTC) is kept as sent in `otherMembers`, with a WARNING naming the member, never changed
and never left in a column declared date-time.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.contract.harness import Run, assert_clean, run_tap, standard_routes
from tests.contract.replay import recorded, with_body

RECORDED = {  # the recorded order's own values, each replaced in turn
    "placedOn": "2020-03-31T15:02:44.000-06:00",
    "closedOn": "2020-03-31T15:57:20.000-06:00",
    "updatedOn": "2020-03-31T15:57:21.000-06:00",
}
CREATED_UTC = "2020-03-31T21:02:44.000Z"  # the recorded createdOn (-06:00) in UTC


def python_utc(text: str) -> str:
    """What Python's datetime makes of `text`: the instant in UTC, milliseconds and a Z."""
    parsed = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    return parsed.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def run_with(recordings: Path, workdir: Path, **values: str) -> tuple[Run, dict[str, Any]]:
    """One run of the orders stream whose order detail carries `values` instead of the recorded ones."""
    reply = recorded(recordings, "vcr/order_get_one.json")
    body = reply.body
    for name, value in values.items():
        member = f'"{name}":"{RECORDED[name]}"'.encode()
        assert body.count(member) == 1, f"the recorded order no longer carries {member!r}"
        body = body.replace(member, f'"{name}":'.encode() + json.dumps(value).encode())
    run = run_tap(standard_routes(recordings, order_detail=with_body(reply, body)), workdir, streams=("orders",))
    assert run.returncode == 0, run.describe()
    assert_clean(run)
    (record,) = run.records("orders")
    return run, record


@pytest.mark.parametrize(
    "value",
    [
        "2020-03-31T15:02:44.000+13:45",
        "2020-03-31T15:02:44.000-00:00",
        "2020-03-31T15:02:44.000+05:30",
        "2020-03-31T15:02:44+05:30",  # no milliseconds
        "2020-03-31T15:02:44Z",
        "2024-02-29T23:30:00.000-01:00",  # a leap day, into March in UTC
        "2024-02-28T23:30:00.000-01:00",  # into the leap day
        "9999-12-31T23:59:59.999+00:00",
        "9999-12-31T22:00:00.000-01:00",
        "0001-01-01T01:00:00.000+01:00",
    ],
)
def test_a_date_time_python_reads_is_that_instant_in_utc(value, recordings, tmp_path):
    run, record = run_with(recordings, tmp_path, placedOn=value)
    assert record["placedOn"] == python_utc(value)
    assert "otherMembers" not in record
    assert not [line for line in run.stderr.splitlines() if "WARNING" in line and "'placedOn'" in line]


@pytest.mark.parametrize(
    "value",
    [
        "2023-02-29T10:00:00.000+00:00",  # no Feb 29 in 2023
        "2020-03-31T15:02:44.000+05:3\u0660",  # an Arabic-Indic zero: int() reads it, fromisoformat does not
        "0001-01-01T00:30:00.000+01:00",  # before year 1 once in UTC
        "9999-12-31T23:59:59.999-00:01",  # after year 9999 once in UTC
        "not a date",
    ],
)
def test_a_string_that_is_not_a_date_time_is_kept_as_sent_in_other_members_with_a_warning(value, recordings, tmp_path):
    run, record = run_with(recordings, tmp_path, placedOn=value)
    assert "placedOn" not in record, "a value that is not a date-time must not sit in a date-time column"
    assert record["otherMembers"] == {"placedOn": value}
    warnings = [line for line in run.stderr.splitlines() if "WARNING" in line and "'placedOn'" in line]
    assert len(warnings) == 1 and "not a date-time" in warnings[0] and "otherMembers" in warnings[0], run.describe()


def test_an_updated_on_that_is_not_a_date_time_still_leaves_a_bookmark_no_later_than_the_record(recordings, tmp_path):
    """The record falls back to its createdOn for the bookmark, as a never-updated record does: the next run
    re-reads from there (nothing skipped) instead of keeping no bookmark at all."""
    run, record = run_with(recordings, tmp_path, updatedOn="2023-02-29T10:00:00.000+00:00")
    assert record["otherMembers"] == {"updatedOn": "2023-02-29T10:00:00.000+00:00"}
    assert run.bookmark("orders") == CREATED_UTC
    assert any("WARNING" in line and "'updatedOn'" in line for line in run.stderr.splitlines()), run.describe()
