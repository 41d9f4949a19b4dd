"""Which recorded detail bodies each tap run serves, shared by the order, product and contact tests.

One run serves one order, one product and one contact detail recording at once (plus the
recorded searches, warehouses and configuration), so 13 recorded bodies need 6 runs. The
runs are cached for the session: the order and the product/contact tests read the same ones.
The searches are the recorded ones, so the ids the tap asks details for (e.g. 322-325) are not
those of the served detail body (e.g. order 1): the tap emits what the detail GET answers,
as it must when Brightpearl answers an ID set in its own order and with its own gaps.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.contract.compare import record_problems, same
from tests.contract.harness import Run, standard_routes
from tests.contract.replay import (
    Reply,
    Route,
    body_file,
    insert_first_member,
    recorded,
    spliced_patch_order,
    with_body,
)

PATCHED_ORDER = "vcr/order_patch.json (PATCH answer spliced into a detail GET)"
NEW_MEMBER_ORDER = "vcr/order_get_one.json + brandNewMember"  # synthetic
ODD_ROW_KEY_ORDER = 'vcr/order_get_one.json, its row keyed "07"'  # synthetic: a key int() reads, JSON does not


def _source(name: str) -> Callable[[Path], Reply]:
    if name.startswith("vcr/"):
        return lambda root: recorded(root, name)
    return lambda root: body_file(root, name)


SOURCES: dict[str, Callable[[Path], Reply]] = {
    name: _source(name)
    for name in (
        "vcr/order_get_one.json",
        "vcr/order_get_multiple.json",
        "vcr/order_get_one_po.json",
        "vcr/order_get_one_with_custom_fields.json",
        "legacy/elanstudio_order_100474_2013.body.json",
        "vcr/product_get_one.json",
        "vcr/product_get_multiple.json",
        "vcr/product_get_one_with_custom_fields.json",
        "java/product/product_get.json",
        "vcr/customer/get/simple_get.json",
        "vcr/customer/get/multiple_get.json",
        "java/contact/contact_get.json",
    )
}
SOURCES[PATCHED_ORDER] = spliced_patch_order
# synthetic: order_get_one's exact bytes with one member Brightpearl might add one day.
SOURCES[ODD_ROW_KEY_ORDER] = lambda root: with_body(
    recorded(root, "vcr/order_get_one.json"),
    recorded(root, "vcr/order_get_one.json").body.replace(b'"orderRows":{"1":', b'"orderRows":{"07":', 1),
)
SOURCES[NEW_MEMBER_ORDER] = lambda root: insert_first_member(
    recorded(root, "vcr/order_get_one.json"), b'"brandNewMember":{"x":1},'
)


@dataclass(frozen=True)
class Detail:
    """One recorded detail body, the stream it feeds and the run that serves it."""

    stream: str
    source: str
    run: str

    @property
    def id_field(self) -> str:
        """The member that identifies an object of this stream."""
        return "contactId" if self.stream == "contacts" else "id"

    def objects(self, root: Path) -> list[dict[str, Any]]:
        """The objects of the recorded body, as Brightpearl sent them."""
        return json.loads(SOURCES[self.source](root).body)["response"]


DETAILS = [
    Detail("orders", "vcr/order_get_one.json", "one"),
    Detail("orders", "vcr/order_get_multiple.json", "multiple"),
    Detail("orders", "vcr/order_get_one_with_custom_fields.json", "custom_fields"),
    Detail("orders", "vcr/order_get_one_po.json", "purchase_order"),
    Detail("orders", PATCHED_ORDER, "patched_order"),
    Detail("orders", "legacy/elanstudio_order_100474_2013.body.json", "legacy_order"),
    Detail("products", "vcr/product_get_one.json", "one"),
    Detail("products", "vcr/product_get_multiple.json", "multiple"),
    Detail("products", "vcr/product_get_one_with_custom_fields.json", "custom_fields"),
    Detail("products", "java/product/product_get.json", "purchase_order"),
    Detail("contacts", "vcr/customer/get/simple_get.json", "one"),
    Detail("contacts", "vcr/customer/get/multiple_get.json", "multiple"),
    Detail("contacts", "java/contact/contact_get.json", "custom_fields"),
]
_DETAIL_ROUTE = {"orders": "order_detail", "products": "product_detail", "contacts": "contact_detail"}
_EXTRA_RUNS = {"new_member": {"order_detail": NEW_MEMBER_ORDER}, "odd_row_key": {"order_detail": ODD_ROW_KEY_ORDER}}


def details_for(stream: str) -> list[Detail]:
    """The recorded detail bodies of `stream`."""
    return [d for d in DETAILS if d.stream == stream]


def run_routes(root: Path, run: str) -> list[Route]:
    """Every route of run `run`: its detail recordings over the defaults."""
    chosen = {_DETAIL_ROUTE[d.stream]: d.source for d in DETAILS if d.run == run}
    chosen.update(_EXTRA_RUNS.get(run, {}))
    if not chosen:
        raise KeyError(f"no run named {run!r}")
    return standard_routes(root, **{name: SOURCES[source](root) for name, source in chosen.items()})


RUNS = sorted({d.run for d in DETAILS} | set(_EXTRA_RUNS))


def assert_carried(run: Run, detail: Detail, root: Path, schema: dict[str, Any]) -> None:
    """Every recorded object of `detail` was emitted, carrying every member it was recorded with."""
    records = run.records(detail.stream)
    problems = []
    for obj in detail.objects(root):
        key = obj[detail.id_field]
        mine = [r for r in records if same(r.get(detail.id_field), key)]
        if not mine:
            problems.append(f"{detail.id_field}={key}: no {detail.stream} record emitted")
        for record in mine:
            problems += [f"{detail.id_field}={key}: {p}" for p in record_problems(detail.stream, record, obj, schema)]
    tail = f"\n({run.describe()})" if not records else ""
    assert not problems, f"{detail.source} did not reach its records intact:\n" + "\n".join(problems) + tail
