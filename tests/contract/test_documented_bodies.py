"""Contract: every documented example body (docs/ in the recordings) through the stream that reads it.

Each body is served, byte for byte, at the request Brightpearl documents for it; the tap is run as a
user runs it (private app, that one stream selected). The stream must emit as many records as the
body holds, each carrying every member with its value (date-times in UTC, the only transformation),
declared in the schema, exit 0 and ask nothing else. A body whose key member is renamed must fail the
stream loudly, never exit 0 with nothing.
"""

from __future__ import annotations

import json

import pytest

from tests.contract.compare import record_problems, same
from tests.contract.documented import CASES, NOT_ACCOUNT_STREAMS, REPLAYED, Case
from tests.contract.harness import ACC, assert_clean
from tests.contract.replay import Reply, route


def _run(tap, recordings, case: Case, routes=None):
    return tap(routes or case.routes(recordings), streams=(case.stream,))


def _expected_records(case: Case, items) -> list[dict]:
    """The records a body holds, as Brightpearl's members (what the hooks documented do, done by hand)."""
    if case.stream == "account_configuration":
        return [items["configuration"]]
    if case.stream == "contact_group_members":
        if "contactMemberIds" in items:
            ids = items["contactMemberIds"]
        else:
            ids = [i for part in items["contactMemberIdSet"].split(",") for i in _range(part)]
        return [{"contactGroupId": 1000, "contactId": i} for i in ids]
    if case.stream == "product_prices":
        return [{"productId": p["productId"], **price} for p in items for price in p["priceLists"]]
    if case.stream == "custom_fields":
        return [{"resource": "purchase", **field} for field in items]
    if case.stream == "warehouse_locations":
        return [{"warehouseId": 1, **location} for location in items]
    return items


def _range(part: str) -> list[int]:
    low, _, high = part.partition("-")
    return list(range(int(low), int(high or low) + 1))


def _key(stream: str, schemas) -> list[str]:
    return [k for k in schemas[stream]["required"] if k != "accountCode"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.body.removesuffix(".body.json"))
def test_a_documented_body_reaches_its_stream_whole(recordings, schemas, tap, case):
    run = _run(tap, recordings, case)
    assert_clean(run)
    assert run.returncode == 0, run.describe()
    records = run.records(case.stream)
    wanted = _expected_records(case, case.items(recordings))
    assert len(records) == case.records == len(wanted), f"{len(records)} records; {run.describe()}"
    key = _key(case.stream, schemas)
    problems = []
    for item in wanted:
        mine = [r for r in records if all(same(r.get(k), item.get(k)) for k in key if k in item)]
        if len(mine) != 1:
            problems.append(f"{[item.get(k) for k in key]}: {len(mine)} records")
            continue
        problems += record_problems(case.stream, mine[0], item, schemas[case.stream])
        if mine[0].get("otherMembers"):
            problems.append(f"{[item.get(k) for k in key]}: undeclared members {sorted(mine[0]['otherMembers'])}")
    assert not problems, "\n".join(problems)
    assert "does not declare" not in run.stderr, "the schema declares every documented member"
    summary = json.loads(next(line for line in run.stderr.splitlines() if "BRIGHTPEARL_RUN_SUMMARY" in line))
    figures = summary["streams"][case.stream]
    assert figures["expected"] == figures["read"] > 0, figures


def _renamed(case: Case, recordings, old: str, new: str) -> list:
    body = (recordings / "docs" / case.body).read_bytes().replace(f'"{old}"'.encode(), f'"{new}"'.encode())
    routes = case.routes(recordings)
    routes[0] = route("GET", routes[0].path, Reply(200, routes[0].replies[0].headers, body))
    return routes


@pytest.mark.parametrize(
    ("stream", "old", "new"),
    [("order_statuses", "statusId", "id"), ("payment_methods", "code", "paymentCode"), ("brands", "id", "brandId")],
)
def test_a_renamed_key_member_fails_the_stream_loudly(recordings, tap, stream, old, new):
    case = next(c for c in CASES if c.stream == stream)
    run = _run(tap, recordings, case, _renamed(case, recordings, old, new))
    assert_clean(run)
    assert run.returncode == 1, run.describe()
    assert not run.records(stream)
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line and stream in line and old in line]
    assert errors, f"no ERROR names {stream} and the missing {old}; {run.describe()}"


def test_an_undocumented_path_is_a_failure_not_nothing_found(recordings, tap):
    # The replay server answers 404 to everything it was not told to serve: here, the list itself.
    case = next(c for c in CASES if c.stream == "order_types")
    run = _run(tap, recordings, case, routes=[route("GET", rf"{ACC}/nothing-here", Reply(200, (), b"{}"))])
    assert run.returncode == 1, run.describe()
    assert "order_types" in run.stderr and "404" in run.stderr
    assert "order-service/order-type" in run.stderr, "the message names the path the tap built"


def test_every_documented_body_is_replayed_or_its_reason_given(recordings):
    bodies = {f"docs/{p.name}" for p in (recordings / "docs").glob("*.body.json")}
    accounted = REPLAYED | {f"docs/{name}" for name in NOT_ACCOUNT_STREAMS}
    assert bodies <= accounted, f"documented bodies no contract test replays: {sorted(bodies - accounted)}"


NOT_FOUND_BODY = b'{"errors":[{"code":"CMNC-404","message":"No Product Prices Found"}]}'  # recorded


@pytest.mark.parametrize(
    ("stream", "path"),
    [
        ("product_prices", "product-price"),
        ("product_option_values", "option-value"),
    ],
)
def test_a_404_that_is_not_brightpearls_none_found_fails_the_stream(recordings, tap, stream, path):
    # Streams whose ID-set GET may find nothing: a 404 is "none" only in Brightpearl's words ("No ... Found").
    case = next(c for c in CASES if c.stream == stream)
    listing = [r for r in case.routes(recordings) if path not in r.path]
    run = _run(tap, recordings, case, routes=listing)  # the GET now gets the replay's own REPLAY-404
    assert_clean(run, unmatched_expected=True)
    assert run.returncode == 1, run.describe()
    assert not run.records(stream)
    assert [line for line in run.stderr.splitlines() if "ERROR" in line and stream in line and "404" in line]
    gets = [r for r in case.routes(recordings) if path in r.path]
    said = [route("GET", g.path, Reply(404, (("Content-Type", "application/json"),), NOT_FOUND_BODY)) for g in gets]
    run = _run(tap, recordings, case, routes=[*listing, *said])
    assert_clean(run)
    assert run.returncode == 0, run.describe()
    assert not run.records(stream)
