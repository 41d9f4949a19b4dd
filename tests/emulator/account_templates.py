"""Templates for account records: names, shared sub-objects, settings and optional members.

Values copied from recordings are noted; the rest is marked "guess". Shared sub-objects are
read-only: records point at them instead of copying, so generation stays cheap.
"""

from __future__ import annotations

from typing import Any

from .data import Account

Record = dict[str, Any]
PO_FRACTION = 0.1  # guess: the share of purchase orders among generated orders
FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Linus", "Radia", "Tim")
LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Perlman")
PRODUCT_WORDS = ("Widget", "Gadget", "Sprocket", "Gizmo", "Doohickey", "Flange", "Bracket", "Valve")
PRODUCT_ADJECTIVES = ("Blue", "Large", "Deluxe", "Mini", "Steel", "Organic", "Classic", "Turbo")
TOWNS = ("Sheffield", "Leeds", "Springfield", "Hamburg", "Pune", "Perth", "Pokhara")
# name, countryId, ISO 2, ISO 3. United Kingdom 222 and Costa Rica 282 are recorded.
# guess: the other countryIds.
COUNTRIES = (
    ("United Kingdom", 222, "GB", "GBR"),
    ("United States", 223, "US", "USA"),
    ("Germany", 81, "DE", "DEU"),
    ("India", 99, "IN", "IND"),
    ("Australia", 13, "AU", "AUS"),
    ("Nepal", 149, "NP", "NPL"),
    ("Costa Rica", 282, "CR", "CRI"),
)
# guess: base currency from the account's zone (the recorded accounts were USD, -06:00)
CURRENCIES = {"Europe/Berlin": "EUR", "Asia/Kolkata": "INR", "Asia/Kathmandu": "NPR", "Pacific/Chatham": "NZD"}
CURRENCY_PREFIXES = (("America/", "USD"), ("Pacific/Pago_Pago", "USD"), ("Australia/", "AUD"))
TAX_RATE = 20  # percent, as "20.0000" on rows

# Order status id -> (state.tax, payment status, stockStatusCode, allocationStatusCode, shippingStatusCode,
# closed, invoiced). Recorded: 4 Invoiced = INVOICED/UNPAID/SOA/AAA/ASS closed; 3 New phone order =
# READY/NOT_APPLICABLE/NON/ANR/NST; 6 Pending PO = READY/UNPAID/PON/ANR/SNS.
# guess: statuses 1, 2, 5 and 7; a never-updated order is still in a "new" status (2, 3 or 6).
ORDER_VARIANTS: dict[int, tuple[str, str, str, str, str, bool, bool]] = {
    1: ("READY", "NOT_APPLICABLE", "NON", "ANR", "NST", False, False),
    2: ("READY", "UNPAID", "NON", "ANR", "NST", False, False),
    3: ("READY", "NOT_APPLICABLE", "NON", "ANR", "NST", False, False),
    4: ("INVOICED", "UNPAID", "SOA", "AAA", "ASS", True, True),
    5: ("READY", "NOT_APPLICABLE", "NON", "ANR", "NST", True, False),
    6: ("READY", "UNPAID", "PON", "ANR", "SNS", False, False),
    7: ("READY", "UNPAID", "PON", "ANR", "SNS", False, False),
}
UPDATED_SO_STATUSES = (1, 2, 3, 4, 4, 4, 4, 5)  # orders that were changed since creation
NEW_SO_STATUSES = (2, 3)  # never-updated orders are still as they were placed

EMPTY: Record = {}  # shared read-only {} (messagingVoips, websites, aliases, reporting)
NO_SEASONS: list[int] = []
ROW_COMPOSITION = {"bundleParent": False, "bundleChild": False, "parentOrderRowId": 0}
TAX_OK = {"errors": []}
NO_DELIVERY_DATE = {"shippingMethodId": 0}
TEXT = {"languageCode": "en", "text": "", "format": "HTML_FRAGMENT"}
STOCK = (
    {
        "stockTracked": True,
        "weight": {"magnitude": 0.0},
        "dimensions": {"length": 0.0, "height": 0.0, "width": 0.0, "volume": 0.0},
    },
    {
        "stockTracked": True,
        "weight": {"magnitude": 1.25},
        "dimensions": {"length": 10.0, "height": 5.0, "width": 2.5, "volume": 125.0},
    },
    {
        "stockTracked": False,
        "weight": {"magnitude": 0.0},
        "dimensions": {"length": 0.0, "height": 0.0, "width": 0.0, "volume": 0.0},
    },
)
FINANCIAL = (
    {"taxable": False, "taxCode": {"id": 2, "code": "T"}},
    {"taxable": True, "taxCode": {"id": 4, "code": "VAT"}},
)
CATEGORIES = ([{"categoryCode": "296"}], [{"categoryCode": "299"}], [{"categoryCode": "299"}, {"categoryCode": "302"}])
BUNDLE = ({"bundle": False}, {"bundle": True})
CONTACT_STATUS = {"current": {"contactStatusId": 0}}
RELATIONSHIP = {(s, t): {"isSupplier": s, "isStaff": t} for s in (False, True) for t in (False, True)}
MARKETING = ({"isReceiveEmailNewsletter": True}, {"isReceiveEmailNewsletter": False})
UNASSIGNED = {"current": {}}
SELECT_OPTIONS = ({"id": 1, "value": "Red"}, {"id": 2, "value": "Green"}, {"id": 3, "value": "Blue"})


def money(pence: int) -> str:
    """Two-decimal money string, as totals are written ("9.09")."""
    return f"{pence // 100}.{pence % 100:02d}"


def money4(pence: int) -> str:
    """Four-decimal money string, as row prices and nets are written ("9.0900")."""
    return f"{pence // 100}.{pence % 100:02d}00"


def currency_of(zone: str) -> str:
    """The base currency an account in that zone gets."""
    if zone in CURRENCIES:
        return CURRENCIES[zone]
    return next((code for prefix, code in CURRENCY_PREFIXES if zone.startswith(prefix)), "GBP")


def company_of(account: Account) -> str:
    """The account's own company name."""
    return f"{account.accountCode.rstrip('0123456789').title()} Ltd"


def address_party(full_name: str, company: str, address: tuple[Any, ...]) -> Record:
    line1, line2, line3, line4, postcode, (country, country_id, iso2, iso3) = address
    return {
        "addressFullName": full_name,
        "companyName": company,
        "addressLine1": line1,
        "addressLine2": line2,
        "addressLine3": line3,
        "addressLine4": line4,
        "postalCode": postcode,
        "country": country,
        "telephone": "",
        "mobileTelephone": "",
        "fax": "",
        "email": "",
        "countryId": country_id,
        "countryIsoCode": iso2,
        "countryIsoCode3": iso3,
    }


NO_PARTIES: Record = {}  # only when the account has no contacts at all
# The documented example (api-docs integration/account-configuration/get), minus timeZone and
# baseCurrencyCode, which come from the account.
DOCUMENTED_CONFIGURATION = {
    "roundingCorrectionsNominalCode": "2299",
    "invoicedOrderStatusId": "4",
    "newSalesOrderStatusId": "3",
    "chargesNominalCode": "6500",
    "defaultProductTypeId": "1",
    "salesNominalCode": "4225",
    "costOfSalesEnabled": "1",
    "timeZone": "",
    "taxSchemeCode": "SALES TAX",
    "productSeasonsEnabled": "0",
    "newPurchaseOrderStatusId": "6",
    "productWeightUnit": "GRAM",
    "purchaseNominalCode": "5030",
    "shippingNominalCode": "4300",
    "autoAssignOrder": "1",
    "newSalesCreditStatusId": "10",
    "multipleWarehouseEnabled": "1",
    "paypalBankAccountCode": "1240",
    "defaultCostPriceListId": "1",
    "writeOffNoteNominalCode": "5060",
    "discountNominalCode": "4310",
    "baseCurrencyCode": "",
    "cancelledOrderStatusId": "5",
    "poStatusAcknowledged": "7",
    "defaultCurrencyCode": "1",
    "defaultTaxRateId": "3",
    "newPurchaseCreditStatusId": "12",
}


def custom_fields(resource: str, rid: int) -> Record:
    """includeOptional=customFields: a few fields per record, derived from the id (no storage).

    Recorded: orders {"PCF_P_NUMBER": "DEMO Number"}, products {"PCF_SERIALIS": true}.
    """
    # guess: the other field names, and a select-list field shown as {"id": n, "value": "Red"}.
    if resource == "order":
        fields: Record = {"PCF_P_NUMBER": f"PN-{rid:06d}"}
        if rid % 2:
            fields["PCF_GIFTWRAP"] = rid % 4 == 1
        if rid % 3 != 1:
            fields["PCF_COLOUR"] = SELECT_OPTIONS[rid % 3]
        return fields
    if resource == "product":
        fields = {"PCF_SERIALIS": rid % 2 == 0}
        if rid % 3:
            fields["PCF_MATERIAL"] = ("Steel", "Oak", "Cotton")[rid % 3]
        if rid % 4:
            fields["PCF_SIZE"] = SELECT_OPTIONS[rid % 3]
        return fields
    # guess: contacts' custom fields are not recorded at all
    return {"PCF_LOYALTY": f"L{rid % 7}", "PCF_VIP": rid % 5 == 0}


def postal_addresses(record: Record, extras: Record) -> Record:
    """Contact includeOptional=postalAddresses: a map keyed by address id."""
    # guess: not recorded at all; member names follow the order parties' address members.
    line1, line2, line3, line4, postcode, (_country, country_id, _iso2, iso3) = extras["address"]
    one = {
        "addressLine1": line1,
        "addressLine2": line2,
        "addressLine3": line3,
        "addressLine4": line4,
        "postalCode": postcode,
        "countryIsoCode": iso3,
        "countryId": country_id,
    }
    ids = record["postAddressIds"]
    return {str(ids["DEF"]): one, str(ids["DEL"]): one}
