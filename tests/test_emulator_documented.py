"""The emulator serves what Brightpearl documents, and nothing the docs rule out.

For every documented example body in ../shared/brightpearl-recordings/docs/ (the recorded vcr
bodies are compared in test_emulator_fidelity.py), the same resource is asked of the emulator over
HTTP: every member the example shows must be served (in at least one item), with a JSON type the
example shows there, and nothing the example does not show unless GUESSES names it. The built-in
shapes the emulator falls back to without the recordings must equal the documented ones, and give
the same answers. Request forms no page documents (the ones the tap used to send) answer 404.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests import conftest
from tests.emulator import Account, Emulator, sign
from tests.emulator.client import account_with_purchases, error, get, rows
from tests.emulator.documented import RECORDINGS, SHAPES, SOURCES, Shape, fallback_shapes, load
from tests.test_emulator_fidelity import json_type, recordings

Types = dict[str, set[str]]
Path_ = Callable[[Emulator, Account], str]
# docs body -> the emulator request for the same resource: a path under the account (or, for the
# developer-tools bodies, a full URL), and the maps keyed by ids (compared as one "*" key).
REQUESTS: dict[str, tuple[Path_, set[str]]] = {
    "account_configuration_get.body.json": (lambda e, a: "integration-service/account-configuration", set()),
    "account_location_get.body.json": (
        lambda e, a: f"{e.base_urls['euw1']}/developer-tools/{e.developer_reference}/account-location/{a.accountCode}",
        set(),
    ),
    "brands.get.body.json": (lambda e, a: "product-service/brand/", set()),
    "channels.body.json": (lambda e, a: "product-service/channel/", set()),
    "contact_group_members.body.json": (lambda e, a: "contact-service/contact-group/1/member", set()),
    "contact_group_members.idset_optional.body.json": (
        lambda e, a: (
            "contact-service/contact-group/1/member?includeOptional=contactMemberIdSet&excludeOptional=contactMemberIds"
        ),
        set(),
    ),
    "contact_groups.body.json": (lambda e, a: "contact-service/contact-group/1-3", set()),
    "custom_fields.purchase.body.json": (
        lambda e, a: "order-service/purchase/custom-field-meta-data",
        {"$.response[].options"},
    ),
    "installed_accounts.body.json": (
        lambda e, a: (
            f"{e.base_urls['euw1']}/developer-tools/{e.developer_reference}/installed-accounts/{e.app_reference}"
        ),
        set(),
    ),
    "lead_sources.body.json": (lambda e, a: "contact-service/lead-source", set()),
    "nominal_codes.body.json": (lambda e, a: "accounting-service/nominal-code/1,3", set()),
    "order_notes.get.body.json": (lambda e, a: f"order-service/order/{_noted_order(e, a)}/note", set()),
    "order_shipping_statuses.body.json": (lambda e, a: "order-service/order-shipping-status/", set()),
    "order_statuses.body.json": (lambda e, a: "order-service/order-status/", set()),
    "order_types.body.json": (lambda e, a: "order-service/order-type", set()),
    "payment_methods.body.json": (lambda e, a: "accounting-service/payment-method/", set()),
    "price_lists.body.json": (lambda e, a: "product-service/price-list/", set()),
    "product_option_values.per_product.body.json": (
        lambda e, a: f"product-service/product/{_products(e, a)}/option-value",
        set(),
    ),
    "product_options.get.body.json": (lambda e, a: "product-service/option/", set()),
    "product_prices.body.json": (
        lambda e, a: f"product-service/product-price/{_products(e, a)}",
        {"$.response[].priceLists[].quantityPrice"},
    ),
    "tax_codes.body.json": (lambda e, a: "accounting-service/tax-code", set()),
    "tax_codes.idset.body.json": (lambda e, a: "accounting-service/tax-code/1,3,4-6", set()),
    "warehouse_get.body.json": (lambda e, a: "warehouse-service/warehouse", set()),
    "warehouse_locations.get.body.json": (lambda e, a: "warehouse-service/warehouse/2/location/", set()),
}
# Paths the emulator serves that the documented example does not show: each a guess, with why.
GUESSES: dict[str, dict[str, str]] = {}
# Request forms no page documents, which the tap must no longer send: a server answering only
# documented requests says 404 (with Brightpearl's CMNC-404 envelope).
UNDOCUMENTED = (
    "contact-service/contact-group",  # the contact-group GET needs an ID set
    "contact-service/contact-group/",
    "contact-service/contact-group-member/1-3",  # the member GET is contact-group/{ONE id}/member
    "contact-service/contact-group/1,2/member",
    "accounting-service/currency",  # only currency-search is documented
    "accounting-service/currency/1",
    "contact-service/company",  # third parties read company-search
    "warehouse-service/location-search",  # locations: warehouse/{id}/location
    "product-service/brand-search",  # brands: the brand GET
    "product-service/option-search",
    "product-service/option-value-search",  # option values: option/{ids}/value
    "product-service/product-type-search",
    "warehouse-service/warehouse/2,3/location",  # ONE warehouse id
)


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    recordings()
    with Emulator(n_accounts=4, seed=29, orders_per_account=60, products_per_account=12, contacts_per_account=15) as e:
        yield e


def _products(e: Emulator, a: Account) -> str:
    return ",".join(str(p["id"]) for p in e.account_data(a.accountCode).products)


def _noted_order(e: Emulator, a: Account) -> int:
    notes = rows(e, a, "order-service/order-note-search")
    return max({n["orderId"] for n in notes}, key=lambda o: sum(n["orderId"] == o for n in notes))


def paths(value: Any, wild: set[str], path: str = "$", out: Types | None = None) -> Types:
    """Every JSON path with the set of types seen there; list items merged; ``wild`` maps as one "*" key."""
    out = {} if out is None else out
    out.setdefault(path, set()).add(json_type(value))
    if isinstance(value, dict):
        for key, item in value.items():
            paths(item, wild, f"{path}.{'*' if path in wild else key}", out)
    elif isinstance(value, list):
        for item in value:
            paths(item, wild, f"{path}[]", out)
    return out


def problems(documented: Types, served: Types, guesses: dict[str, str], page: Types | None = None) -> list[str]:
    """What the served answer gets wrong against the documented example (empty when faithful).

    ``page``: every example of the same page merged (the types a member may have); default the one.
    """
    page = page or documented
    out = [f"missing {p} ({'/'.join(sorted(t))})" for p, t in sorted(documented.items()) if p not in served]
    for path, kinds in sorted(served.items()):
        if path in documented and not kinds <= page[path]:
            out.append(f"{path}: served {sorted(kinds)}, documented {sorted(page[path])}")
        elif path not in documented and not any(path == g or path.startswith((g + ".", g + "[")) for g in guesses):
            out.append(f"not documented: {path} ({'/'.join(sorted(kinds))}); list it in GUESSES as a guess")
    used = {g for g in guesses if any(p == g or p.startswith((g + ".", g + "[")) for p in served)}
    return out + [f"stale guess {g}" for g in guesses if g not in used]


def served(e: Emulator, a: Account, name: str) -> requests.Response:
    target = REQUESTS[name][0](e, a)
    if target.startswith("http"):
        headers = {
            "brightpearl-dev-ref": e.developer_reference,
            "brightpearl-app-ref": e.app_reference,
            "brightpearl-dev-token": sign(e.developer_token, e.developer_secret),
        }
        return requests.get(target, headers=headers, timeout=10)
    return get(e, a, target)


def test_the_comparison_itself() -> None:
    doc = paths(
        {"response": [{"id": 1, "rate": 2}, {"id": 2, "rate": 2.5, "m": {"7": {"v": "x"}}}]}, {"$.response[].m"}
    )
    good = paths({"response": [{"id": 3, "rate": 20, "m": {"1": {"v": "y"}}}]}, {"$.response[].m"})
    assert problems(doc, good, {}) == []
    bad = paths({"response": [{"id": "3", "name": "n"}]}, set())
    assert problems(doc, bad, {"$.response[].zzz": "unused"}) == [
        "missing $.response[].m (object)",
        "missing $.response[].m.* (object)",
        "missing $.response[].m.*.v (string)",
        "missing $.response[].rate (integer/number)",
        "$.response[].id: served ['string'], documented ['integer']",
        "not documented: $.response[].name (string); list it in GUESSES as a guess",
        "stale guess $.response[].zzz",
    ]


def test_every_documented_body_is_compared() -> None:
    docs = {p.name for p in (recordings() / "docs").glob("*.body.json")}
    assert docs == set(REQUESTS)
    assert {f for files, _ in SOURCES.values() for f in files} <= docs  # every template comes from a body


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_the_emulator_answers_in_the_documented_shape(emu: Emulator, name: str) -> None:
    a = account_with_purchases(emu)
    wild = REQUESTS[name][1]
    page: Types = {}
    siblings = next((files for files, _ in SOURCES.values() if name in files), (name,))
    for sibling in siblings:  # the same page's other examples (tax codes: all, and an ID set)
        paths(json.loads((recordings() / "docs" / sibling).read_text(encoding="utf-8")), wild, out=page)
    body = json.loads((recordings() / "docs" / name).read_text(encoding="utf-8"))
    r = served(emu, a, name)
    assert r.status_code == 200, r.text
    assert problems(paths(body, wild), paths(r.json(), wild), GUESSES.get(name, {}), page) == []


def test_the_built_in_shapes_equal_the_documented_ones() -> None:
    recordings()
    assert RECORDINGS == conftest.RECORDINGS  # the emulator reads the recordings from the same place
    documented, built_in = load(RECORDINGS / "docs"), fallback_shapes()
    assert all(s.source.startswith("docs/") for s in documented.values())
    assert all(s.source == "built-in" for s in built_in.values())
    for name, shape in documented.items():
        assert (shape.members, shape.optional) == (built_in[name].members, built_in[name].optional), name
    assert documented == SHAPES


def test_a_shape_refuses_what_the_docs_do_not_show() -> None:
    shape = Shape("x", (("id", frozenset({"integer"})), ("rate", frozenset({"integer"}))), frozenset({"rate"}), "t")
    assert shape.item({"id": 1}) == {"id": 1}
    assert shape.item({"rate": 2, "id": 1, "new": True}, guessed=("new",)) == {"id": 1, "rate": 2, "new": True}
    for values, message in (
        ({"id": 1, "name": "n"}, "not documented"),
        ({"rate": 1}, "missing"),
        ({"id": "1"}, "string"),
    ):
        with pytest.raises(ValueError, match=message):
            shape.item(values)


GET_PATHS = (  # a sample of answers built from the shapes, asked with and without the recordings
    "order-service/order-status",
    "product-service/channel",
    "accounting-service/payment-method",
    "warehouse-service/warehouse/2/location",
    "contact-service/contact-group/1-3",
    "accounting-service/journal/1-200",
)
_SERVE = """
import json, sys
from tests.emulator import Emulator
from tests.emulator.client import account_with_purchases, get
from tests.emulator.documented import SHAPES
with Emulator(n_accounts=3, seed=31) as e:
    a = account_with_purchases(e)
    print(json.dumps({"sources": sorted({s.source for s in SHAPES.values()}),
                      "bodies": [get(e, a, p).text for p in sys.argv[1:]]}))
"""


def test_without_the_recordings_the_emulator_serves_the_same(tmp_path: Path) -> None:
    recordings()
    answers = []
    for where in (RECORDINGS, tmp_path / "absent"):
        env = {**os.environ, "BRIGHTPEARL_RECORDINGS": str(where)}
        out = subprocess.run(
            [sys.executable, "-c", _SERVE, *GET_PATHS], env=env, cwd=conftest.REPO, capture_output=True, timeout=60
        )
        assert out.returncode == 0, out.stderr.decode()
        answers.append(json.loads(out.stdout))
    assert answers[1]["sources"] == ["built-in"] and "built-in" not in answers[0]["sources"]
    assert answers[0]["bodies"] == answers[1]["bodies"]
    assert all(json.loads(b)["response"] for b in answers[0]["bodies"])


@pytest.mark.parametrize("path", UNDOCUMENTED)
def test_request_forms_no_page_documents_answer_404(emu: Emulator, path: str) -> None:
    assert error(get(emu, account_with_purchases(emu), path)) == (404, "CMNC-404")
