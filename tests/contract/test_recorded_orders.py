"""Contract: what the tap must emit for real Brightpearl order bodies.

An order record is the recorded order with every member kept, date-time members in UTC
`Z`, `orderRows` turned from a map keyed by row id into a list, and `accountCode` added.
"""

from __future__ import annotations

import pytest

from tests.contract.harness import ACCOUNT_TOKEN, ORDER_DETAIL, PRODUCT_DETAIL, assert_clean
from tests.contract.scenarios import PATCHED_ORDER, RUNS, assert_carried, details_for

ORDER_DETAILS = details_for("orders")


@pytest.mark.parametrize("run_name", RUNS)
def test_each_recorded_run_ends_cleanly(run_name, scenario_run):
    """Real bodies are not an error: exit 0, no traceback, no token, nothing asked beyond the recordings."""
    run = scenario_run(run_name)
    assert run.returncode == 0, run.describe()
    assert_clean(run)
    tokens = [r.headers.get("brightpearl-account-token") for r in run.requests]
    assert tokens, "the run made no request"
    assert all(t == ACCOUNT_TOKEN for t in tokens), "every request must carry brightpearl-account-token as issued"


@pytest.mark.parametrize("detail", ORDER_DETAILS, ids=lambda d: d.source)
def test_every_recorded_order_member_reaches_its_record(detail, recordings, schemas, scenario_run):
    assert_carried(scenario_run(detail.run), detail, recordings, schemas["orders"])


@pytest.mark.parametrize("detail", ORDER_DETAILS, ids=lambda d: d.source)
def test_every_recorded_order_member_is_declared_in_the_schema(detail, recordings, schemas):
    """The catalog must declare what Brightpearl sends, or targets drop or reject it."""
    declared = set(schemas["orders"]["properties"])
    missing = sorted({name for obj in detail.objects(recordings) for name in obj} - declared)
    assert not missing, f"orders schema lacks members recorded in {detail.source}: {missing}"


def test_order_custom_fields_arrive_intact(scenario_run):
    records = [r for r in scenario_run("custom_fields").records("orders") if r.get("id") == 1]
    assert records, "order 1 (vcr/order_get_one_with_custom_fields.json) was not emitted"
    emitted = [r.get("customFields", "<missing>") for r in records]
    assert all(c == {"PCF_P_NUMBER": "DEMO Number"} for c in emitted), f"customFields emitted: {emitted}"


def test_order_and_product_details_ask_for_custom_fields(scenario_run):
    """customFields come only with includeOptional=customFields, so every detail GET must ask for them."""
    run = scenario_run("one")
    for path in (ORDER_DETAIL, PRODUCT_DETAIL):
        asked = run.requests_to(path)
        assert asked, f"no request to {path}"
        for request in asked:
            optional = request.query.get("includeOptional", "").split(",")
            assert "customFields" in optional, f"{request.path} asked without includeOptional=customFields"


def test_order_without_updated_on_is_emitted_and_the_run_goes_on(scenario_run):
    """Brightpearl leaves null members out: order 329 has no updatedOn at all (vcr/order_patch.json)."""
    run = scenario_run("patched_order")
    orders = [r for r in run.records("orders") if r.get("id") == 329]
    assert orders, f"order 329 from {PATCHED_ORDER} was not emitted; {run.describe()}"
    assert all(r.get("updatedOn") is None for r in orders)
    assert run.records("products"), "the run stopped before products"
    assert run.records("warehouses"), "the run stopped before warehouses"


def test_legacy_order_rows_are_listed_in_row_id_order(scenario_run):
    """The 2013 order lists row 1905 before 1904; the record lists them by ascending row id."""
    orders = [r for r in scenario_run("legacy_order").records("orders") if r.get("id") == 100474]
    assert orders, "order 100474 (legacy/elanstudio_order_100474_2013.body.json) was not emitted"
    rows = orders[0].get("orderRows")
    assert isinstance(rows, list), rows
    assert [row.get("orderRowId") for row in rows] == [1904, 1905]


def test_order_answered_out_of_request_order_are_all_emitted(scenario_run):
    """An ID-set GET answers in its own order (320, 1, 321): every one becomes a record."""
    ids = {r.get("id") for r in scenario_run("multiple").records("orders")}
    assert {1, 320, 321} <= ids, ids


def test_member_brightpearl_adds_later_is_kept_and_named(scenario_run):
    """A member the schema does not know yet must not vanish silently (synthetic body)."""
    run = scenario_run("new_member")
    orders = [r for r in run.records("orders") if r.get("id") == 1]
    assert orders, f"order 1 was not emitted; {run.describe()}"
    for record in orders:
        others = record.get("otherMembers")
        kept = record.get("brandNewMember") == {"x": 1} or (
            isinstance(others, dict) and others.get("brandNewMember") == {"x": 1}
        )
        assert kept, "brandNewMember reached neither the record nor its otherMembers object"
    assert run.stderr.count("brandNewMember") == 1, "stderr must name the unknown member brandNewMember once"


def test_a_row_key_with_a_leading_zero_is_written_as_json(scenario_run):
    """orderRows {"07": {...}} (synthetic): the row's id is 7, and every line on stdout is JSON a target reads."""
    run = scenario_run("odd_row_key")
    assert run.returncode == 0, run.describe()
    orders = [r for r in run.records("orders") if r.get("id") == 1]
    assert orders, run.describe()
    assert [row.get("orderRowId") for row in orders[0]["orderRows"]] == [7]
