"""Contract: account configuration and warehouses, from Brightpearl's documented example bodies.

account-configuration nests its values under `response.configuration` (all strings); the
record has them at its top level. A warehouse record keeps every member of the warehouse.
"""

from __future__ import annotations

import json

from tests.contract.compare import record_problems, same


def _configuration(recordings):
    text = (recordings / "docs/account_configuration_get.body.json").read_text(encoding="utf-8")
    return json.loads(text)["response"]["configuration"]


def _warehouses(recordings):
    return json.loads((recordings / "docs/warehouse_get.body.json").read_text(encoding="utf-8"))["response"]


def test_account_configuration_members_are_top_level_strings(recordings, scenario_run):
    run = scenario_run("one")
    records = run.records("account_configuration")
    assert len(records) == 1, f"expected one account_configuration record, got {len(records)}; {run.describe()}"
    record = records[0]
    assert record.get("accountCode") == "barulu"
    assert record.get("timeZone") == "Europe/London", f"record: {record}"
    assert record.get("baseCurrencyCode") == "USD", f"record: {record}"
    wrong = {k: record.get(k, "<missing>") for k, v in _configuration(recordings).items() if not same(record.get(k), v)}
    assert not wrong, f"configuration members missing or changed (emitted values): {wrong}"


def test_account_configuration_members_are_declared_in_the_schema(recordings, schemas):
    missing = sorted(set(_configuration(recordings)) - set(schemas["account_configuration"]["properties"]))
    assert not missing, f"account_configuration schema lacks: {missing}"


def test_every_warehouse_member_is_kept(recordings, schemas, scenario_run):
    run = scenario_run("one")
    records = run.records("warehouses")
    problems = []
    for warehouse in _warehouses(recordings):
        mine = [r for r in records if r.get("id") == warehouse["id"]]
        if len(mine) != 1:
            problems.append(f"warehouse {warehouse['id']}: {len(mine)} records")
        for record in mine:
            problems += [
                f"warehouse {warehouse['id']}: {p}"
                for p in record_problems("warehouses", record, warehouse, schemas["warehouses"])
            ]
    assert not problems, "\n".join(problems)
    assert len(records) == len(_warehouses(recordings))


def test_warehouse_members_are_declared_in_the_schema(recordings, schemas):
    members = {name for warehouse in _warehouses(recordings) for name in warehouse}
    missing = sorted(members - set(schemas["warehouses"]["properties"]))
    assert not missing, f"warehouses schema lacks: {missing}"
