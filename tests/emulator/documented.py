"""Brightpearl's documented example bodies as the emulator's templates, read at import time.

``../shared/brightpearl-recordings/docs/*.body.json`` (or BRIGHTPEARL_RECORDINGS, the same rule
as tests/conftest.py) hold the examples Brightpearl's reference pages show. Each becomes a Shape:
the members an item has, in the documented order, the JSON types the docs show for each, and
which members some documented item leaves out. Generators build their items through
``Shape.item``, which refuses a member the docs do not show (unless the caller names it as a
guess) and a value of another JSON type, so the emulator cannot drift from the evidence.

Without the recordings (a clean clone, the standalone demo) the built-in FALLBACK shapes are
used; tests/test_emulator_documented.py checks they equal what the docs show.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .account_templates import DOCUMENTED_CONFIGURATION

REPO = Path(__file__).resolve().parents[2]
RECORDINGS = Path(
    os.environ.get("BRIGHTPEARL_RECORDINGS") or REPO.parent / "shared" / "brightpearl-recordings"
).resolve()
DOCS = RECORDINGS / "docs"
Record = dict[str, Any]


def json_type(value: Any) -> str:
    """JSON's type names, integers apart from other numbers."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


@dataclass(frozen=True)
class Shape:
    """What one documented resource's items look like: members in order, their types, optional ones."""

    name: str
    members: tuple[tuple[str, frozenset[str]], ...]
    optional: frozenset[str]
    source: str  # the body files it was read from, or "built-in"

    @property
    def names(self) -> tuple[str, ...]:
        """The member names, in the documented order."""
        return tuple(name for name, _ in self.members)

    def item(self, values: Mapping[str, Any], guessed: Iterable[str] = ()) -> Record:
        """``values`` in the documented member order; optional members may be left out.

        A member the docs do not show must be named in ``guessed`` (it goes last); a required
        member missing, or a value of a JSON type the docs never show there, is a ValueError.
        """
        extra = set(guessed)
        unknown = sorted(values.keys() - set(self.names) - extra)
        if unknown:
            raise ValueError(f"{self.name}: members {unknown} are not documented ({self.source})")
        out: Record = {}
        for name, kinds in self.members:
            if name not in values:
                if name not in self.optional:
                    raise ValueError(f"{self.name}: documented member {name!r} is missing")
                continue
            value = values[name]
            if json_type(value) not in kinds:
                raise ValueError(f"{self.name}.{name}: {json_type(value)}, documented as {sorted(kinds)}")
            out[name] = value
        for name in guessed:
            if name in values and name not in out:
                out[name] = values[name]
        return out

    def project(self, record: Mapping[str, Any]) -> Record:
        """Only the documented members of a stored record (a GET of a searchable resource)."""
        return self.item({k: v for k, v in record.items() if k in set(self.names)})


def shape_of(name: str, items: list[Mapping[str, Any]], source: str) -> Shape:
    """The Shape several documented items share."""
    order: list[str] = []
    kinds: dict[str, set[str]] = {}
    for item in items:
        for key, value in item.items():
            if key not in kinds:
                order.append(key)
                kinds[key] = set()
            kinds[key].add(json_type(value))
    optional = frozenset(k for k in order if any(k not in item for item in items))
    return Shape(name, tuple((k, frozenset(kinds[k])) for k in order), optional, source)


# name -> (body files, where the items are: "list" = response[], "object" = response, or a member of it)
SOURCES: dict[str, tuple[tuple[str, ...], str]] = {
    "account_configuration": (("account_configuration_get.body.json",), "configuration"),
    "account_location": (("account_location_get.body.json",), "object"),
    "brands": (("brands.get.body.json",), "list"),
    "channels": (("channels.body.json",), "list"),
    "contact_group_members": (
        ("contact_group_members.body.json", "contact_group_members.idset_optional.body.json"),
        "object",
    ),
    "contact_groups": (("contact_groups.body.json",), "list"),
    "custom_fields": (("custom_fields.purchase.body.json",), "list"),
    "installed_accounts": (("installed_accounts.body.json",), "list"),
    "lead_sources": (("lead_sources.body.json",), "list"),
    "nominal_codes": (("nominal_codes.body.json",), "list"),
    "order_notes": (("order_notes.get.body.json",), "list"),
    "order_shipping_statuses": (("order_shipping_statuses.body.json",), "list"),
    "order_statuses": (("order_statuses.body.json",), "list"),
    "order_types": (("order_types.body.json",), "list"),
    "payment_methods": (("payment_methods.body.json",), "list"),
    "price_lists": (("price_lists.body.json",), "list"),
    "product_option_values": (("product_option_values.per_product.body.json",), "list"),
    "product_options": (("product_options.get.body.json",), "list"),
    "product_prices": (("product_prices.body.json",), "list"),
    "tax_codes": (("tax_codes.body.json", "tax_codes.idset.body.json"), "list"),
    "warehouse_locations": (("warehouse_locations.get.body.json",), "list"),
    "warehouses": (("warehouse_get.body.json",), "list"),
}

# guess: the built-in shapes, used only when the documented bodies are absent. Each must equal
# what the docs show (tests/test_emulator_documented.py); "?" marks an optional member.
_I, _S, _B, _O, _A, _N = "integer", "string", "boolean", "object", "array", "number"
FALLBACK_SPECS: dict[str, tuple[tuple[str, str], ...]] = {
    "account_location": (("datacentreCode", _S), ("apiDomain", _S), ("urls", _O)),
    "brands": (("id", _I), ("name", _S), ("description", _S), ("createdOn", _S), ("updatedOn", _S)),
    "channels": (
        ("id", _I), ("name", _S), ("channelTypeId", _I), ("channelBrandId", _I), ("defaultWarehouseId?", _I),
        ("contactGroupId?", _I), ("defaultPriceListId?", _I), ("warehouseIds?", _A), ("integrationDetail?", _O),
    ),
    "contact_group_members": (("contactMemberIds?", _A), ("contactMemberIdSet?", _S)),
    "contact_groups": (
        ("id", _I), ("name", _S), ("description", _S), ("isReadOnly", _B), ("createdBy", _I), ("createdOn", _S),
    ),
    "custom_fields": (
        ("id", _I), ("code", _S), ("name", _S), ("customFieldType", _S), ("required", _B), ("options?", _O),
    ),
    "installed_accounts": (("installedOn", _S), ("accountCode", _S), ("unsignedAccountToken", _S), ("enabled", _B)),
    "lead_sources": (("id", _I), ("ownerId", _I), ("parentId", _I), ("name", _S), ("isActive", _B)),
    "nominal_codes": (
        ("id", _I), ("code", _S), ("name", _S), ("type", _O), ("bank", _B), ("expense", _B), ("discount", _B),
        ("editable", _B), ("active", _B), ("taxCode", _I), ("chartMapCode", _S), ("reconcile", _B),
        ("currencyId?", _I),
    ),
    "order_notes": (
        ("noteId", _I), ("contactId", _I), ("text", _S), ("isPublic", _B), ("addedOn", _S), ("addedBy", _I),
        ("orderStatusId", _I),
    ),
    "order_shipping_statuses": (("id", _I), ("code", _S), ("description", _S)),
    "order_statuses": (
        ("statusId", _I), ("name", _S), ("orderTypeCode", _S), ("sortOrder", _I), ("disabled", _B), ("visible", _B),
        ("color", _S), ("remindAfterDays", _I), ("alertEmails", _A), ("emailContent", _S), ("batchProcess", _B),
        ("state", _S),
    ),
    "order_types": (("id", _I), ("code", _S), ("description", _S)),
    "payment_methods": (
        ("name", _S), ("code", _S), ("isActive", _B), ("bankAccounts", _A), ("installedIntegrationId", _S),
    ),
    "price_lists": (
        ("id", _I), ("name", _O), ("code", _S), ("currencyCode", _S), ("currencySymbol", _S), ("currencyId", _I),
        ("priceListTypeCode", _S), ("gross", _B),
    ),
    "product_option_values": (
        ("productId", _I), ("optionId", _I), ("optionName", _S), ("optionValueId", _I), ("optionValue", _S),
    ),
    "product_options": (("id", _I), ("name", _S), ("sortOrder", _I), ("createdOn", _S), ("updatedOn", _S)),
    "product_prices": (("productId", _I), ("priceLists", _A)),
    "tax_codes": (("id", _I), ("code", _S), ("description", _S), ("rate?", _I), ("rate?", _N)),
    "warehouse_locations": (
        ("id", _I), ("groupingA", _S), ("groupingB?", _S), ("groupingC?", _S), ("groupingD?", _S),
        ("barcode?", _S),
    ),
    "warehouses": (
        ("name", _S), ("typeCode", _S), ("typeDescription", _S), ("id", _I), ("address", _O),
        ("clickAndCollectEnabled", _B), ("weeklyOperatingPeriods?", _O), ("collectionSla?", _O),
        ("externalTransferSlas?", _A),
    ),
}  # fmt: skip


def _fallback(name: str, spec: tuple[tuple[str, str], ...]) -> Shape:
    order: list[str] = []
    kinds: dict[str, set[str]] = {}
    optional: set[str] = set()
    for raw, kind in spec:
        member = raw.rstrip("?")
        if member not in kinds:
            order.append(member)
            kinds[member] = set()
        kinds[member].add(kind)
        if raw.endswith("?"):
            optional.add(member)
    return Shape(name, tuple((m, frozenset(kinds[m])) for m in order), frozenset(optional), "built-in")


def _configuration_fallback() -> Shape:
    return _fallback("account_configuration", tuple((k, _S) for k in DOCUMENTED_CONFIGURATION))


def _items(body: Any, where: str) -> list[Mapping[str, Any]]:
    response = body["response"]
    if where == "list":
        return list(response)
    if where == "object":
        return [response]
    return [response[where]]


def load(docs: Path) -> dict[str, Shape]:
    """Every Shape: read from ``docs`` where its bodies are there, else the built-in one."""
    shapes: dict[str, Shape] = {}
    for name, (files, where) in SOURCES.items():
        paths = [docs / f for f in files]
        if all(p.is_file() for p in paths):
            items = [i for p in paths for i in _items(json.loads(p.read_text(encoding="utf-8")), where)]
            shapes[name] = shape_of(name, items, ", ".join(f"docs/{f}" for f in files))
        elif name == "account_configuration":
            shapes[name] = _configuration_fallback()
        else:
            shapes[name] = _fallback(name, FALLBACK_SPECS[name])
    return shapes


SHAPES = load(DOCS)


def fallback_shapes() -> dict[str, Shape]:
    """The built-in shapes alone (what a clone without ../shared serves)."""
    return load(Path("/nonexistent-brightpearl-docs"))
