"""Small reference lists read whole (3rd: statuses, types, tax and nominal codes, currencies,
payment and shipping methods, channels, contact groups, companies, lead sources) and custom-field
metadata. Every item shape here is a guess unless a comment says otherwise; ids match what the
generated records point at (order statuses, tax codes, nominal codes, custom-field codes, ...).

Each list is derived from the account on request: no storage, nothing to keep in step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .account_tables import ORDER_STATUS_NAMES, ORDER_TYPE_NAMES, SHIPPING_STATUS, STOCK_STATUS, Record
from .account_templates import SELECT_OPTIONS

if TYPE_CHECKING:
    from .account_data import AccountData

STAFF_IDS = (4, 206)  # the createdById values generated orders carry (recorded: 4 picked a goods-out note)
# guess: statuses 10 and 12 (named by account-configuration) are sales and purchase credit statuses.
CREDIT_STATUSES = {10: ("New sales credit", "SC"), 12: ("New purchase credit", "PC")}
ORDER_TYPE_CODES = {"1": "SO", "2": "PO", "3": "SC", "4": "PC"}  # guess: codes of the recorded type names
COLOURS = ("#5B9BD5", "#70AD47", "#FFC000", "#ED7D31", "#A5A5A5", "#4472C4", "#264478")  # guess: status colours
SHIPPING_STATUS_EXTRA = {"PSS": (3, "Partially shipped")}  # guess: the id between 2 and 4
TAX_CODES = (  # guess: all but ids 2 "T" and 4 "VAT", which generated products name
    (1, "-", "Not applicable", 0.0),
    (2, "T", "Standard rated", 20.0),
    (3, "Z", "Zero rated", 0.0),
    (4, "VAT", "VAT", 20.0),
    (5, "E", "Exempt", 0.0),
)
# guess: code, name, type, bank, tax code; the codes are the ones records, settings and journals use.
NOMINAL_CODES = (
    ("1001", "Stock", "ASSET", False, "-"),
    ("1100", "Trade debtors", "ASSET", False, "-"),
    ("1200", "Bank current account", "ASSET", True, "-"),
    ("1201", "Goods received not invoiced", "ASSET", False, "-"),
    ("1210", "Bank deposit account", "ASSET", True, "-"),
    ("1240", "PayPal", "ASSET", True, "-"),
    ("2100", "Trade creditors", "LIABILITY", False, "-"),
    ("2200", "Sales tax", "LIABILITY", False, "-"),
    ("2201", "Purchase tax", "LIABILITY", False, "-"),
    ("2299", "Rounding corrections", "LIABILITY", False, "-"),
    ("4000", "Sales", "INCOME", False, "T"),
    ("4225", "Web sales", "INCOME", False, "T"),
    ("4300", "Shipping income", "INCOME", False, "T"),
    ("4310", "Discounts", "INCOME", False, "T"),
    ("5000", "Purchases", "EXPENSE", False, "T"),
    ("5030", "Purchases - other", "EXPENSE", False, "T"),
    ("5060", "Write-offs", "EXPENSE", False, "-"),
    ("6500", "Charges", "EXPENSE", False, "T"),
)
CURRENCY_NAMES = {  # guess: names and symbols
    "GBP": ("British Pound", "£"),
    "USD": ("US Dollar", "$"),
    "EUR": ("Euro", "€"),
    "INR": ("Indian Rupee", "₹"),
    "NPR": ("Nepalese Rupee", "Rs"),
    "NZD": ("New Zealand Dollar", "$"),
    "AUD": ("Australian Dollar", "$"),
}
PAYMENT_METHODS = (  # guess: every method
    (1, "CASH", "Cash", True),
    (2, "CARD", "Card", True),
    (3, "PAYPAL", "PayPal", True),
    (4, "BANK", "Bank transfer", True),
    (5, "CHEQUE", "Cheque", False),
)
ACTIVE_PAYMENT_CODES = tuple(code for _, code, _, active in PAYMENT_METHODS if active)
SHIPPING_METHODS = (  # guess: all but the id 49 a recorded goods-out note names; "breaks" items too
    (49, "Standard delivery", "STD", [{"weight": "0.000", "price": "3.95"}, {"weight": "2.000", "price": "5.95"}]),
    (50, "Express delivery", "EXP", [{"weight": "0.000", "price": "9.95"}]),
    (51, "Click and collect", "CNC", []),
)
SHIPPING_METHOD_IDS = tuple(m[0] for m in SHIPPING_METHODS)
# guess: groups and lead sources
CONTACT_GROUPS = ((1, "Wholesale", "Trade customers"), (2, "VIP", "Best customers"), (3, "Newsletter", "Opted in"))
LEAD_SOURCES = ((1, "Web", 0), (2, "Search engine", 1), (3, "Trade show", 0), (4, "Referral", 0))
# The custom fields the order, product and contact generators fill in (account_templates.custom_fields):
# (id, code, name, type). # guess: ids, names and types (the codes are the generators'). Sales and
# purchase orders share the order fields, customers and suppliers the contact fields, because the
# generators make no difference between them.
CUSTOM_FIELDS = {
    "order": ((1, "PCF_P_NUMBER", "P number", "TEXT"), (2, "PCF_GIFTWRAP", "Gift wrap", "BOOLEAN"),
              (3, "PCF_COLOUR", "Colour", "SELECT")),
    "product": ((11, "PCF_SERIALIS", "Serialised", "BOOLEAN"), (12, "PCF_MATERIAL", "Material", "TEXT"),
                (13, "PCF_SIZE", "Size", "SELECT")),
    "contact": ((21, "PCF_LOYALTY", "Loyalty tier", "TEXT"), (22, "PCF_VIP", "VIP", "BOOLEAN")),
}  # fmt: skip
CUSTOM_FIELD_PATHS = {
    ("order-service", "sale", "custom-field-meta-data"): "order",
    ("order-service", "purchase", "custom-field-meta-data"): "order",
    ("product-service", "product", "custom-field-meta-data"): "product",
    ("contact-service", "customer", "custom-field-meta-data"): "contact",
    ("contact-service", "supplier", "custom-field-meta-data"): "contact",
}


def custom_field_meta(resource: str) -> list[Record]:
    """Custom-field metadata; options only on SELECT fields (null members are left out)."""
    # guess: the whole shape, "required" false everywhere
    out = []
    for fid, code, name, kind in CUSTOM_FIELDS[resource]:
        item: Record = {"id": fid, "code": code, "name": name, "customFieldType": kind, "required": False}
        if kind == "SELECT":
            item["options"] = [dict(o) for o in SELECT_OPTIONS]
        out.append(item)
    return out


def order_statuses(data: AccountData) -> list[Record]:
    """The statuses orders carry (ids and names as in order-search's reference) plus the credit ones."""
    # guess: orderTypeCode PO for 6 and 7, and the colours
    statuses = {i: (n, "PO" if i in (6, 7) else "SO") for i, n in ORDER_STATUS_NAMES.items()} | CREDIT_STATUSES
    return [
        {"id": i, "name": n, "orderTypeCode": t, "color": COLOURS[i % len(COLOURS)]}
        for i, (n, t) in sorted(statuses.items())
    ]


def _coded(table: dict[str, tuple[int, str]]) -> list[Record]:
    # guess: one item per id, named by its first code
    first: dict[int, Record] = {}
    for code, (i, name) in table.items():
        first.setdefault(i, {"id": i, "code": code, "name": name})  # NON and PON share 13 "Unset"
    return [first[i] for i in sorted(first)]


def channels(data: AccountData) -> list[Record]:
    """Two channels on the first warehouse and the retail price list."""
    # guess: every member; channel 1 is the one web orders name (assignment.channelId 1)
    warehouse = data.factory.warehouse_ids[0]
    return [
        {"id": 1, "name": "Web shop", "channelTypeId": 1, "defaultWarehouseId": warehouse, "defaultPriceListId": 2},
        {"id": 2, "name": "Phone orders", "channelTypeId": 2, "defaultWarehouseId": warehouse, "defaultPriceListId": 2},
    ]


def currencies(data: AccountData) -> list[Record]:
    """The account's base currency first (id 1, as contacts' currencyId says), then two others."""
    base = data.factory.currency
    codes = [base, *[c for c in ("GBP", "USD", "EUR") if c != base][:2]]
    out = []
    for n, code in enumerate(codes, 1):
        name, symbol = CURRENCY_NAMES.get(code, (code, code))
        out.append({"id": n, "code": code, "description": name, "symbol": symbol, "isDefault": n == 1})
    return out


def companies(data: AccountData) -> list[Record]:
    """Distinct company names of the account's current contacts, numbered in name order."""
    # guess: the ids (contacts carry companyId 0, so nothing links them)
    table = data.tables["contact"]
    names = sorted({x.get("companyName", "") for x in table.extras.values()} - {""})
    return [{"id": n, "name": name} for n, name in enumerate(names, 1)]


def group_members(data: AccountData, group_ids: list[int]) -> dict[str, list[int]]:
    """contact-service/contact-group-member/{groupIds}: group id -> its current contacts' ids."""
    # guess: the map shape and who belongs where (from the contact id; deleted contacts drop out)
    known = {g[0] for g in CONTACT_GROUPS}
    contacts = [r["contactId"] for r in data.tables["contact"].records]
    return {str(g): [c for c in contacts if (c + g) % 3 == 0 or (g == 3 and c % 2)] for g in group_ids if g in known}


LISTS: dict[tuple[str, str], Callable[[AccountData], list[Record]]] = {
    ("order-service", "order-status"): order_statuses,
    ("order-service", "order-stock-status"): lambda d: _coded(STOCK_STATUS),
    ("order-service", "order-shipping-status"): lambda d: _coded(SHIPPING_STATUS | SHIPPING_STATUS_EXTRA),
    ("order-service", "order-type"): lambda d: [
        {"id": int(i), "code": ORDER_TYPE_CODES[i], "name": n} for i, n in ORDER_TYPE_NAMES.items()
    ],
    ("product-service", "channel"): channels,
    ("accounting-service", "tax-code"): lambda d: [
        {"id": i, "code": c, "description": t, "rate": r} for i, c, t, r in TAX_CODES
    ],
    ("accounting-service", "nominal-code"): lambda d: [
        {"id": n, "code": c, "name": name, "type": t, "bank": b, "taxCode": tax}
        for n, (c, name, t, b, tax) in enumerate(NOMINAL_CODES, 1)
    ],
    ("accounting-service", "currency"): currencies,
    ("accounting-service", "payment-method"): lambda d: [
        {"id": i, "code": c, "name": n, "isActive": a} for i, c, n, a in PAYMENT_METHODS
    ],
    ("warehouse-service", "shipping-method"): lambda d: [
        {"id": i, "name": n, "code": c, "breaks": b} for i, n, c, b in SHIPPING_METHODS
    ],
    ("contact-service", "contact-group"): lambda d: [
        {"id": i, "name": n, "description": t} for i, n, t in CONTACT_GROUPS
    ],
    ("contact-service", "company"): companies,
    ("contact-service", "lead-source"): lambda d: [{"id": i, "name": n, "parentId": p} for i, n, p in LEAD_SOURCES],
}


def reference_list(data: AccountData, path: tuple[str, ...]) -> list[Record] | None:
    """The whole list at ``path`` (service, name), or None when the path is not a reference list."""
    if path in CUSTOM_FIELD_PATHS:
        return custom_field_meta(CUSTOM_FIELD_PATHS[path])
    build = LISTS.get(path[:2]) if len(path) == 2 else None
    return build(data) if build is not None else None


def by_ids(items: list[Any], key: str, ids: set[int]) -> list[Any]:
    """The items whose ``key`` is in ``ids`` (a reference list asked for by ID set)."""
    return [item for item in items if item[key] in ids]
