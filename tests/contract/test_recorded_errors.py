"""Contract: real Brightpearl error answers, served over HTTP, and what the tap must make of them.

Each run must end without a Python traceback and without the token in any output; a
failing stream names the account, Brightpearl's words and code, and the `Ruid`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from singer_sdk.exceptions import RetriableAPIError

from tap_brightpearl import errors
from tests.contract.harness import ORDER_DETAIL, ORDER_SEARCH, assert_clean, standard_routes
from tests.contract.replay import ReplayServer, body_file, recorded, route

SEARCH_PATH = "/public-api/barulu/order-service/order-search"


def _lines_with(text: str, *words: str) -> list[str]:
    return [line for line in text.splitlines() if all(w in line for w in words)]


def test_expired_token_fails_orders_but_not_the_other_streams(recordings, tap):
    run = tap(standard_routes(recordings, order_search=recorded(recordings, "vcr/client_error_expired.json")))
    assert_clean(run)
    assert run.returncode != 0, "a failed stream must make the run fail"
    assert _lines_with(run.stderr, "barulu", "Authorization token expired"), run.describe()
    assert not run.records("orders")
    assert run.records("products"), f"products must still be read; {run.describe()}"
    assert run.records("warehouses"), f"warehouses must still be read; {run.describe()}"


def test_malformed_filter_is_not_retried_and_names_code_and_ruid(recordings, tap):
    reply = recorded(recordings, "vcr/order_search_bad_param.json")
    run = tap(standard_routes(recordings, order_search=reply), config={"max_retries": 3})
    assert_clean(run)
    assert len(run.requests_to(ORDER_SEARCH)) == 1, "CMNC-018 is a client bug: no retry"
    assert run.returncode != 0
    assert _lines_with(run.stderr, "CMNC-018", reply.header("Ruid")), run.describe()


def test_nothing_found_is_no_records_and_no_failure(recordings, tap):
    run = tap(
        standard_routes(
            recordings,
            order_detail=recorded(recordings, "vcr/order_get_empty_not_found.json"),
            contact_detail=recorded(recordings, "vcr/customer/get/empty_not_found.json"),
        )
    )
    assert_clean(run)
    assert run.returncode == 0, run.describe()
    assert not run.records("orders")
    assert not run.records("contacts")
    assert run.records("products") and run.records("warehouses")


def test_throttle_waits_and_retries_without_spending_retries(recordings, tap):
    """503 "too many requests" is the throttle: wait brightpearl-next-throttle-period (ms), then retry."""
    throttle = body_file(recordings, "java/error/request_cap.json", 503, [("brightpearl-next-throttle-period", "50")])
    run = tap(
        standard_routes(
            recordings,
            order_search=[throttle, recorded(recordings, "vcr/order_search.json")],
            order_detail=[throttle, recorded(recordings, "vcr/order_get_one.json")],
        )
    )
    assert_clean(run)
    assert run.returncode == 0, run.describe()
    assert [r.get("id") for r in run.records("orders")] == [1]
    assert len(run.requests_to(ORDER_SEARCH)) == 2
    # throttled, answered, and the one re-check of the listed ids (322-325) the recorded body (order 1) lacks
    assert len(run.requests_to(ORDER_DETAIL)) == 3


def test_server_error_is_retried_then_fails_naming_the_path(recordings, tap):
    """500 CMNU-003 is not a CMNC (client) code: retried max_retries times, then the stream fails."""
    failure = body_file(recordings, "java/error/internal_server_error.json", 500)
    later = recorded(recordings, "vcr/order_search.json")  # only reached if the tap retried too often
    run = tap(standard_routes(recordings, order_search=[failure] * 3 + [later]), config={"max_retries": 2})
    assert_clean(run)
    assert len(run.requests_to(ORDER_SEARCH)) == 3
    assert run.returncode != 0
    failed = [line for line in _lines_with(run.stderr, SEARCH_PATH, "CMNU-003") if "Retrying" not in line]
    assert failed, f"no failure message naming {SEARCH_PATH}; {run.describe()}"


# --- classifying every recorded error answer ------------------------------------------------

VCR_ERRORS = [
    ("vcr/client_error_expired.json", 0),
    ("vcr/client_error_expired.json", 1),
    ("vcr/client_error_invalid.json", 0),
    ("vcr/client_error_invalid.json", 1),
    ("vcr/client/search_error.json", 0),
    ("vcr/order_search_bad_param.json", 0),
    ("vcr/product_search_bad_param.json", 0),
    ("vcr/order_post_error_missing_required.json", 0),
    ("vcr/order_post_error_unknown.json", 0),
    ("vcr/order_post_error_wrong_party.json", 0),
    ("vcr/order_patch_error_operation.json", 1),
    ("vcr/product_post_error_missing_required.json", 0),
    ("vcr/product_price_get_not_found.json", 0),
    ("vcr/webhook/delete/not_found.json", 0),
    ("vcr/webhook/get/not_found.json", 0),
    ("vcr/webhook/post/error_invalid_params.json", 0),
    ("vcr/customer/get/empty_not_found.json", 0),
]
# Body-only 2014 test resources, with the status each stands for.
JAVA_ERRORS = [
    ("java/error/internal_server_error.json", 500),
    ("java/error/not_authenticated.json", 401),
    ("java/error/request_cap.json", 503),
    ("java/error/string_response.json", 503),
]


def _expected(status: int, body: bytes) -> type[errors.BrightpearlError]:
    payload = json.loads(body)
    listed = payload.get("errors") if isinstance(payload, dict) else None
    codes = [str(e.get("code", "")) for e in listed or []]
    if status == 401:
        return errors.AuthenticationError
    if status in (403, 404):
        return errors.NotFoundError
    if status == 503 and "too many requests" in body.decode().lower():
        return errors.ThrottledError
    if status >= 500:
        cmnc = any(c.upper().startswith("CMNC") for c in codes)
        return errors.FatalBrightpearlError if cmnc else errors.RetriableBrightpearlError
    return errors.FatalBrightpearlError


def _fetch(recordings: Path, name: str, index: int | None, status: int) -> tuple[requests.Response, object]:
    if index is None:
        method, path, query = "GET", SEARCH_PATH, ""
        reply = body_file(recordings, name, status)
    else:
        request = json.loads((recordings / name).read_text(encoding="utf-8"))["interactions"][index]["request"]
        uri = urlsplit(request["uri"])
        method, path, query = request["method"], uri.path, uri.query
        reply = recorded(recordings, name, index)
    with ReplayServer([route(method, re.escape(path), reply)]) as server:
        response = requests.request(method, f"{server.base_url}{path}{'?' + query if query else ''}", timeout=10)
        assert not server.unmatched
    return response, reply


@pytest.mark.parametrize(
    ("name", "index", "status"),
    [pytest.param(n, i, None, id=f"{n}#{i}") for n, i in VCR_ERRORS]
    + [pytest.param(n, None, s, id=f"{n}@{s}") for n, s in JAVA_ERRORS],
)
def test_recorded_error_is_classified(recordings, name, index, status):
    response, reply = _fetch(recordings, name, index, status or 0)
    expected = _expected(response.status_code, response.content)
    with pytest.raises(errors.BrightpearlError) as info:
        errors.read_envelope(response)
    exc = info.value
    assert isinstance(exc, expected), f"HTTP {response.status_code} {response.text!r} gave {type(exc).__name__}"
    if expected is errors.FatalBrightpearlError:
        assert not isinstance(exc, (RetriableAPIError, errors.NotFoundError, errors.AuthenticationError))
    if expected is errors.RetriableBrightpearlError:
        assert not isinstance(exc, errors.ThrottledError)
    ruid = reply.header("Ruid")
    if ruid:
        assert ruid in str(exc), f"the Ruid is missing from: {exc}"
    payload = json.loads(response.content)
    for entry in payload.get("errors", []) if isinstance(payload, dict) else []:
        assert entry["code"] in str(exc), f"the code {entry['code']} is missing from: {exc}"


def test_every_recorded_error_answer_is_in_the_classification_list(recordings):
    """A recording added later must not escape the classification test above."""
    found = set()
    for path in sorted((recordings / "vcr").rglob("*.json")):
        for index, interaction in enumerate(json.loads(path.read_text(encoding="utf-8"))["interactions"]):
            if interaction["response"]["status"] >= 400:
                found.add((str(path.relative_to(recordings)), index))
    assert found <= set(VCR_ERRORS), sorted(found - set(VCR_ERRORS))
