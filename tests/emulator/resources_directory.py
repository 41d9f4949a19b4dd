"""Searched account-wide lists: currencies, contact groups (and their members), companies.

Documented: accounting-service/currency-search (its columns), contact-service/contact-group/{ID-SET}
(the body: docs/contact_groups.body.json) and contact-group/{ONE id}/member (docs/
contact_group_members*.body.json). Third party only: contact-group-search (keyed id) and
company-search (keyed companyId). Ids and names are guesses; currency 1 is the base currency
(contacts and payments name currencyId 1).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from .account_tables import Record, Table
from .clock import DAY_MS
from .data import parse_ms
from .documented import SHAPES
from .resource_tables import COMPANY_SPEC, CONTACT_GROUP_SPEC, CURRENCY_SPEC, add_row, row_table
from .resources_reference import STAFF_IDS

if TYPE_CHECKING:
    from .account_data import AccountData

DIRECTORY_RESOURCES = ("currency", "contact-group", "company")
CURRENCY_NAMES = {  # guess: titles and symbols
    "GBP": ("British Pound", "£"),
    "USD": ("US Dollar", "$"),
    "EUR": ("Euro", "€"),
    "INR": ("Indian Rupee", "₹"),
    "NPR": ("Nepalese Rupee", "Rs"),
    "NZD": ("New Zealand Dollar", "$"),
    "AUD": ("Australian Dollar", "$"),
}
RATES = {"GBP": "0.790000", "USD": "1.000000", "EUR": "0.920000"}  # guess: against an account in USD
# guess: groups (channels name contactGroupId 1), their flags and authors
CONTACT_GROUPS = (
    (1, "Wholesale", "Trade customers", False),
    (2, "VIP", "Best customers", False),
    (3, "Newsletter", "Opted in to the newsletter", True),
)
_FROM = parse_ms("2023-01-01T00:00:00.000Z")  # guess: set up before the first contact (2024)


class Directory:
    """One account's currencies, contact groups and companies, built once from its own RNG."""

    def __init__(self, data: AccountData, rng: random.Random) -> None:
        """Fill the three searches (companies from the contacts as first generated)."""
        self.data, self.rng, stamp = data, rng, data.factory.clock.stamp
        self.tables: dict[str, Table] = {
            "currency": row_table("currency", "id", CURRENCY_SPEC),
            "contact-group": row_table("contact-group", "id", CONTACT_GROUP_SPEC),
            "company": row_table("company", "companyId", COMPANY_SPEC),
        }
        base = data.factory.currency
        codes = [base, *[c for c in ("GBP", "USD", "EUR") if c != base][:2]]
        for n, code in enumerate(codes, 1):
            title, symbol = CURRENCY_NAMES.get(code, (code, code))
            rate = "1.000000" if n == 1 else RATES.get(code, "1.100000")
            record = {
                "id": n,
                "title": title,
                "code": code,
                "symbol": symbol,
                "exchangeRate": rate,
                "isDefault": n == 1,
                "exchangeRateVarianceNominalCode": "4910",
            }
            add_row(self.tables["currency"], record, _FROM)
        self.groups: dict[int, Record] = {}
        for gid, name, description, read_only in CONTACT_GROUPS:
            created = _FROM + rng.randrange(200 * DAY_MS)
            body = {
                "id": gid,
                "name": name,
                "description": description,
                "isReadOnly": read_only,
                "createdBy": rng.choice(STAFF_IDS),
                "createdOn": stamp(created),
            }
            self.groups[gid] = SHAPES["contact_groups"].item(body)
            add_row(self.tables["contact-group"], {"id": gid, "name": name, "description": description}, created)
        names = sorted({data.factory.company_name(c["contactId"]) for c, _ in data.initial("contact")} - {""})
        for n, name in enumerate(names, 1):
            created = _FROM + rng.randrange(365 * DAY_MS)
            updated = created + rng.randrange(300 * DAY_MS)
            record = {"companyId": n, "name": name, "createdOn": stamp(created), "updatedOn": stamp(updated)}
            add_row(self.tables["company"], record, created, updated)

    def members(self, gid: int) -> list[int]:
        """The group's current contacts, ascending (deleted contacts drop out)."""
        # guess: who belongs where (from the contact id)
        contacts = [r["contactId"] for r in self.data.tables["contact"].records]
        return [c for c in contacts if (c + gid) % 3 == 0 or (gid == 3 and c % 2)]


def id_set_text(ids: list[int]) -> str:
    """Ascending ids as a compact ID set: [22, 23, 34, 35, 36, 37, 202] -> "22-23,34-37,202" (doc)."""
    parts: list[str] = []
    start = prev = None
    for i in ids:
        if prev is not None and i == prev + 1:
            prev = i
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = i
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ",".join(parts)


def member_body(ids: list[int], include: set[str], exclude: set[str]) -> Record:
    """contact-group/{id}/member: contactMemberIds, or contactMemberIdSet when asked for (doc)."""
    # guess: includeOptional alone answers both members; excluding both answers an empty object
    body: Record = {}
    if "contactMemberIds" not in exclude:
        body["contactMemberIds"] = ids
    if "contactMemberIdSet" in include:
        body["contactMemberIdSet"] = id_set_text(ids)
    return SHAPES["contact_group_members"].item(body)
