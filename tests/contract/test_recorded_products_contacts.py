"""Contract: what the tap must emit for real Brightpearl product and contact bodies.

Same rule as orders: every recorded member kept (date-time members in UTC `Z`), plus
`accountCode`. Contact bodies also carry `pagination` and `sorting` next to `response`.
"""

from __future__ import annotations

import pytest

from tests.contract.scenarios import assert_carried, details_for

DETAILS = details_for("products") + details_for("contacts")


@pytest.mark.parametrize("detail", DETAILS, ids=lambda d: d.source)
def test_every_recorded_member_reaches_its_record(detail, recordings, schemas, scenario_run):
    assert_carried(scenario_run(detail.run), detail, recordings, schemas[detail.stream])


@pytest.mark.parametrize("detail", DETAILS, ids=lambda d: d.source)
def test_every_recorded_member_is_declared_in_the_schema(detail, recordings, schemas):
    """The catalog must declare what Brightpearl sends, or targets drop or reject it."""
    declared = set(schemas[detail.stream]["properties"])
    missing = sorted({name for obj in detail.objects(recordings) for name in obj} - declared)
    assert not missing, f"{detail.stream} schema lacks members recorded in {detail.source}: {missing}"


def test_product_custom_fields_arrive_intact(scenario_run):
    records = [r for r in scenario_run("custom_fields").records("products") if r.get("id") == 1007]
    assert records, "product 1007 (vcr/product_get_one_with_custom_fields.json) was not emitted"
    emitted = [r.get("customFields", "<missing>") for r in records]
    assert all(c == {"PCF_SERIALIS": True} for c in emitted), f"customFields emitted: {emitted}"


def test_product_without_timestamps_is_emitted(scenario_run):
    """java/product/product_get.json has neither createdOn nor updatedOn: still a record, and the run goes on."""
    run = scenario_run("purchase_order")
    assert [r for r in run.records("products") if r.get("id") == 1008], run.describe()
    assert run.records("warehouses"), f"the run stopped before warehouses; {run.describe()}"


def test_contact_envelope_members_are_not_records(scenario_run):
    """`pagination` and `sorting` describe the answer, not a contact."""
    contacts = scenario_run("multiple").records("contacts")
    assert sorted(r.get("contactId") for r in contacts) == [81011, 151499]
    for record in contacts:
        assert "pagination" not in record
        assert "sorting" not in record
