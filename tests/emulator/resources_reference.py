"""Small reference lists read whole by a plain GET (most also by ID set), and custom-field metadata.

Every item is built through its documented Shape (documented.py: the docs/ bodies; documented_pages.py:
pages without a stored body), so member names, order and JSON types are Brightpearl's. The values
are the emulator's own, chosen so ids match what generated records point at (order statuses,
tax codes, nominal codes, payment-method codes, shipping methods, custom-field codes, ...);
names, colours, flags and the like are guesses. Each list is derived from the account on
request: no storage, nothing to keep in step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .account_tables import ORDER_STATUS_NAMES, SHIPPING_STATUS, Record
from .account_templates import SELECT_OPTIONS
from .documented import SHAPES
from .documented_pages import ORDER_STOCK_STATUSES, SHIPPING_METHODS

if TYPE_CHECKING:
    from .account_data import AccountData

STAFF_IDS = (4, 206)  # the createdById values generated orders carry (recorded: 4 picked a goods-out note)
CREDIT_STATUSES = {10: ("Sales credit", "SC"), 12: ("Purchase credit", "PC")}  # recorded in order-search's reference
# doc: the fixed set of order types (consistent across accounts)
ORDER_TYPES = (
    (1, "SO", "Sales Order"),
    (2, "PO", "Purchase Order"),
    (3, "SC", "Sales Credit"),
    (4, "PC", "Purchase Credit"),
)
# doc: stock status codes 1-12 are order type x fulfilment; 13 "Unset" is recorded (new orders, code NON: guess).
FULFILMENT = (("N", "Not Fulfilled"), ("P", "Part Fulfilled"), ("A", "All Fulfilled"))
COLOURS = ("#5B9BD5", "#70AD47", "#FFC000", "#ED7D31", "#A5A5A5", "#4472C4", "#264478")  # guess: status colours
STATUS_STATES = {4: "invoiced", 5: "cancelled"}  # guess: every other status is "draft", as documented for 6 and 7
TAX_CODES = (  # guess: all but ids 2 "T" and 4 "VAT", which generated products name; rate absent when zero (doc)
    (1, "-", "Not applicable", 0),
    (2, "T", "Standard rated", 20),
    (3, "Z", "Zero rated", 0),
    (4, "VAT", "VAT", 20),
    (5, "E", "Exempt", 0),
    (6, "R", "Reduced rate", 12.5),
)
NOMINAL_TYPES = {"ASSET": 1, "LIABILITY": 2, "INCOME": 3, "EXPENSE": 4}  # guess: the type ids
# guess: code, name, type, bank, tax code id; the codes are the ones records, settings and journals use.
NOMINAL_CODES = (
    ("1001", "Stock", "ASSET", False, 0),
    ("1100", "Trade debtors", "ASSET", False, 0),
    ("1200", "Bank current account", "ASSET", True, 0),
    ("1201", "Goods received not invoiced", "ASSET", False, 0),
    ("1210", "Bank deposit account", "ASSET", True, 0),
    ("1240", "PayPal", "ASSET", True, 0),
    ("2100", "Trade creditors", "LIABILITY", False, 0),
    ("2200", "Sales tax", "LIABILITY", False, 0),
    ("2201", "Purchase tax", "LIABILITY", False, 0),
    ("2299", "Rounding corrections", "LIABILITY", False, 0),
    ("4000", "Sales", "INCOME", False, 2),
    ("4225", "Web sales", "INCOME", False, 2),
    ("4300", "Shipping income", "INCOME", False, 2),
    ("4310", "Discounts", "INCOME", False, 2),
    ("4910", "Exchange rate variance", "INCOME", False, 0),
    ("5000", "Purchases", "EXPENSE", False, 2),
    ("5030", "Purchases - other", "EXPENSE", False, 2),
    ("5060", "Write-offs", "EXPENSE", False, 0),
    ("6500", "Charges", "EXPENSE", False, 2),
)
# guess: every method: (bank account's paymentMethodId, code, name, active, bank nominal code, integration id)
PAYMENT_METHODS = (
    (1, "CASH", "Cash", True, "1200", "0"),
    (2, "CARD", "Card", True, "1200", "3"),
    (3, "PAYPAL", "PayPal", True, "1240", "7"),
    (4, "BANK", "Bank transfer", True, "1200", "0"),
    (5, "CHEQUE", "Cheque", False, "1200", "0"),
)
ACTIVE_PAYMENT_CODES = tuple(m[1] for m in PAYMENT_METHODS if m[3])
# guess: all but the id 49 a recorded goods-out note names: (id, name, code, carrier, countries, templates)
SHIPPING_METHOD_ROWS = (
    (49, "Standard delivery", "STD", "Royal Mail", "", {"1": 5}),
    (50, "Express delivery", "EXP", "Parcel Force", "GB,IE", {}),
    (51, "Click and collect", None, None, "", None),
)
SHIPPING_METHOD_IDS = tuple(m[0] for m in SHIPPING_METHOD_ROWS)
LEAD_SOURCES = (
    (1, "Web", 0, True),
    (2, "Search engine", 1, True),
    (3, "Trade show", 0, False),
    (4, "Referral", 0, True),
)
# The custom fields the order, product and contact generators fill in (account_templates.custom_fields):
# (id, code, name, type). # guess: ids, names and types (the codes are the generators'). Sales and
# purchase orders share the order fields, customers and suppliers the contact fields, because the
# generators make no difference between them.
CUSTOM_FIELDS = {
    "order": ((1, "PCF_P_NUMBER", "P number", "TEXT"), (2, "PCF_GIFTWRAP", "Gift wrap", "YES_NO"),
              (3, "PCF_COLOUR", "Colour", "SELECT")),
    "product": ((11, "PCF_SERIALIS", "Serialised", "YES_NO"), (12, "PCF_MATERIAL", "Material", "TEXT"),
                (13, "PCF_SIZE", "Size", "SELECT")),
    "contact": ((21, "PCF_LOYALTY", "Loyalty tier", "TEXT"), (22, "PCF_VIP", "VIP", "YES_NO")),
}  # fmt: skip
CUSTOM_FIELD_PATHS = {
    ("order-service", "sale", "custom-field-meta-data"): "order",
    ("order-service", "purchase", "custom-field-meta-data"): "order",
    ("product-service", "product", "custom-field-meta-data"): "product",
    ("contact-service", "customer", "custom-field-meta-data"): "contact",
    ("contact-service", "supplier", "custom-field-meta-data"): "contact",
}


def custom_field_meta(resource: str) -> list[Record]:
    """Custom-field metadata; options (a map keyed by option id, doc) only on SELECT fields."""
    # guess: "required" false everywhere
    out = []
    for fid, code, name, kind in CUSTOM_FIELDS[resource]:
        item: Record = {"id": fid, "code": code, "name": name, "customFieldType": kind, "required": False}
        if kind == "SELECT":
            item["options"] = {str(o["id"]): dict(o) for o in SELECT_OPTIONS}
        out.append(SHAPES["custom_fields"].item(item))
    return out


def order_statuses(data: AccountData) -> list[Record]:
    """The statuses orders carry plus the credit ones: grouped by orderTypeCode, by sortOrder (doc)."""
    # guess: orderTypeCode PO for 6 and 7, sortOrder by id, the colours and flags
    statuses = {i: (n, "PO" if i in (6, 7) else "SO") for i, n in ORDER_STATUS_NAMES.items()} | CREDIT_STATUSES
    items = [
        {
            "statusId": i,
            "name": n,
            "orderTypeCode": t,
            "sortOrder": 10 * i,
            "disabled": False,
            "visible": i != 5,
            "color": COLOURS[i % len(COLOURS)],
            "remindAfterDays": 0 if i in (4, 5) else 2,
            "alertEmails": [] if i % 3 else [f"status{i}@example.com"],
            "emailContent": "",
            "batchProcess": i == 4,
            "state": STATUS_STATES.get(i, "draft"),
        }
        for i, (n, t) in statuses.items()
    ]
    items.sort(key=lambda s: (s["orderTypeCode"], s["sortOrder"]))
    return [SHAPES["order_statuses"].item(s) for s in items]


def stock_statuses(data: AccountData) -> list[Record]:
    """The 13 documented stock statuses: four order types times three fulfilment states, then Unset."""
    items = []
    for _id, kind, label in ORDER_TYPES:
        for state, words in FULFILMENT:
            items.append({"id": len(items) + 1, "code": kind + state, "description": f"{label} {words}"})
    items.append({"id": 13, "code": "NON", "description": "Unset"})
    return [ORDER_STOCK_STATUSES.item(s) for s in items]


def channels(data: AccountData) -> list[Record]:
    """A web shop (with its integration), a phone channel and a bare department."""
    # guess: every value; channel 1 is the one web orders name (assignment.channelId 1)
    warehouses = data.factory.warehouse_ids
    web = {
        "id": 1,
        "name": "Web shop",
        "channelTypeId": 1,
        "channelBrandId": 1,
        "defaultWarehouseId": warehouses[0],
        "contactGroupId": 1,
        "defaultPriceListId": 2,
        "warehouseIds": list(warehouses),
        "integrationDetail": {
            "installedIntegrationId": 7,
            "configSetId": 1,
            "providerCode": "shopify",
            "integrationTypeCode": "ECM",
            "active": True,
        },
    }
    phone = {**{k: v for k, v in web.items() if k != "integrationDetail"}, "id": 2, "name": "Phone orders"}
    phone.update(channelTypeId=2, warehouseIds=warehouses[:1])
    department = {"id": 3, "name": "Trade department", "channelTypeId": 3, "channelBrandId": 1}
    return [SHAPES["channels"].item(c) for c in (web, phone, department)]


def tax_codes(data: AccountData) -> list[Record]:
    """Tax codes; rate absent (not 0) on zero-rated codes (doc)."""
    shape = SHAPES["tax_codes"]
    return [
        shape.item({"id": i, "code": c, "description": t, **({"rate": r} if r else {})}) for i, c, t, r in TAX_CODES
    ]


def nominal_codes(data: AccountData) -> list[Record]:
    """Nominal codes: type is {"id": n}, taxCode an integer, currencyId only on bank accounts (doc)."""
    out = []
    for n, (code, name, kind, bank, tax) in enumerate(NOMINAL_CODES, 1):
        item: Record = {
            "id": n,
            "code": code,
            "name": name,
            "type": {"id": NOMINAL_TYPES[kind]},
            "bank": bank,
            "expense": kind == "EXPENSE",
            "discount": code == "4310",
            "editable": not bank,
            "active": True,
            "taxCode": tax,
            "chartMapCode": "",
            "reconcile": bank,
        }
        if bank:
            item["currencyId"] = 1
        out.append(SHAPES["nominal_codes"].item(item))
    return out


def payment_methods(data: AccountData) -> list[Record]:
    """Payment methods: no top-level id (doc); the id is bankAccounts[].paymentMethodId."""
    return [
        SHAPES["payment_methods"].item(
            {
                "name": name,
                "code": code,
                "isActive": active,
                "bankAccounts": [
                    {"paymentMethodId": i, "currencyIsoCode": data.factory.currency, "bankAccountNominalCode": bank}
                ],
                "installedIntegrationId": integration,
            }
        )
        for i, code, name, active, bank, integration in PAYMENT_METHODS
    ]


def shipping_methods(data: AccountData) -> list[Record]:
    """Shipping methods: breaks and countries are comma-separated strings (doc)."""
    out = []
    for i, name, code, carrier, countries, templates in SHIPPING_METHOD_ROWS:
        item: Record = {"id": i, "name": name, "breaks": "1000,2000,5000,10000", "methodType": 1}
        item.update(additionalInformationRequired=i == 50, countries=countries)
        for member, value in (("code", code), ("carrier", carrier), ("channelBrandTemplates", templates)):
            if value is not None:
                item[member] = value
        out.append(SHIPPING_METHODS.item(item))
    return out


def lead_sources(data: AccountData) -> list[Record]:
    """Lead sources; parentId 0 is none, ownerId 0 the account (guess)."""
    return [
        SHAPES["lead_sources"].item({"id": i, "ownerId": 0, "parentId": p, "name": n, "isActive": a})
        for i, n, p, a in LEAD_SOURCES
    ]


def _coded(table: dict[str, tuple[int, str]]) -> list[Record]:
    return [
        {"id": i, "code": code, "description": name} for code, (i, name) in sorted(table.items(), key=lambda x: x[1])
    ]


def _payment_ids(item: Record) -> Iterable[int]:
    return [b["paymentMethodId"] for b in item["bankAccounts"]]


@dataclass(frozen=True)
class ReferenceList:
    """One plain GET: its items, and which ids an ID set matches (None: no ID-set filtering, doc)."""

    build: Callable[[AccountData], list[Record]]
    ids: Callable[[Record], Iterable[int]] | None = lambda item: [item["id"]]


LISTS: dict[tuple[str, str], ReferenceList] = {
    ("order-service", "order-status"): ReferenceList(order_statuses, lambda s: [s["statusId"]]),
    ("order-service", "order-stock-status"): ReferenceList(stock_statuses, None),
    ("order-service", "order-shipping-status"): ReferenceList(
        lambda d: [SHAPES["order_shipping_statuses"].item(s) for s in _coded(SHIPPING_STATUS)], None
    ),
    ("order-service", "order-type"): ReferenceList(
        lambda d: [SHAPES["order_types"].item({"id": i, "code": c, "description": t}) for i, c, t in ORDER_TYPES],
        None,
    ),
    ("product-service", "channel"): ReferenceList(channels),
    ("accounting-service", "tax-code"): ReferenceList(tax_codes),
    ("accounting-service", "nominal-code"): ReferenceList(nominal_codes),
    ("accounting-service", "payment-method"): ReferenceList(payment_methods, _payment_ids),
    ("warehouse-service", "shipping-method"): ReferenceList(shipping_methods),
    ("contact-service", "lead-source"): ReferenceList(lead_sources),
}
