"""The account's money side: journals, customer and supplier payments, and order notes.

Documented: the searches and their dated columns (journalDate; createdOn and paymentDate, no
updatedOn; dateAdded). Reported by third parties: journal-search refuses range filters on its id
column; supplier-payment-search ignores range filters and always claims 500 results (both in
account_search.py, switched on by the tables' quirks). Every body and value is a guess: journals
post invoices of invoiced orders and every payment, with debits equal to credits; each payment
names the journal it posted; amounts are the orders' totals, as strings.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from .account_tables import Record, Table
from .clock import DAY_MS
from .resource_tables import ORDER_NOTE_SPEC, PAYMENT_SPEC, add_row, journal_table, row_table
from .resources_reference import ACTIVE_PAYMENT_CODES, STAFF_IDS

if TYPE_CHECKING:
    from .account_data import AccountData

FINANCE_RESOURCES = ("journal", "customer-payment", "supplier-payment", "order-note")
HOUR = 3_600_000
# guess: (party, paymentType) -> transactionCode, which is also the journal type of the payment's journal.
PAYMENT_CODES = {
    ("customer", "RECEIPT"): "SR",
    ("customer", "PAYMENT"): "SP",  # a refund
    ("supplier", "PAYMENT"): "PP",
    ("supplier", "RECEIPT"): "PR",  # a refund
}
# guess: journal type -> (debit nominal code, credit nominal code); "BANK" is the payment method's bank.
PAYMENT_POSTINGS = {"SR": ("BANK", "1100"), "SP": ("1100", "BANK"), "PP": ("2100", "BANK"), "PR": ("BANK", "2100")}
NOTE_TEXTS = (  # guess
    "Customer asked for delivery after 2pm",
    "Invoice emailed",
    "Called the courier about a late parcel",
    "Gift message: Happy birthday!",
    "Supplier confirmed the dispatch date",
    "Address checked with the customer",
)


def _party(order: Record) -> int:
    parties = order["parties"]
    return (parties.get("customer") or parties.get("supplier") or {}).get("contactId", 0)


class Finance:
    """One account's journals, payments and order notes, from its orders as first generated."""

    def __init__(self, data: AccountData, rng: random.Random) -> None:
        """Plan payments and journals, give them ids in time order, then build the bodies."""
        self.data, self.rng, self.clock = data, rng, data.factory.clock
        self.currency = data.factory.currency
        self.tables: dict[str, Table] = {
            "journal": journal_table(),
            "customer-payment": row_table("customer-payment", "paymentId", PAYMENT_SPEC),
            # quirk reported by a third party: ranges ignored, resultsAvailable always 500
            "supplier-payment": row_table(
                "supplier-payment", "paymentId", PAYMENT_SPEC, quirks=frozenset({"ignore_ranges"})
            ),
            "order-note": row_table("order-note", "noteId", ORDER_NOTE_SPEC),
        }
        orders = [(o, c) for o, c in data.initial("order") if o["orderRows"]]
        sales = [(o, c) for o, c in orders if o["orderTypeCode"] == "SO"]
        purchases = [(o, c) for o, c in orders if o["orderTypeCode"] == "PO"]
        invoiced = [(o, c) for o, c in sales if o["invoices"][0]["invoiceReference"]]
        n_payments = data.sizes["payments"]
        payments = self._plan_payments(invoiced or sales, "customer", n_payments)
        payments += self._plan_payments(purchases, "supplier", n_payments)
        journals = self._plan_invoices(invoiced + purchases, data.sizes["journals"])
        journals += [self._payment_journal(p) for p in payments]
        self._build_journals(journals)
        self._build_payments(payments)
        self._build_order_notes(orders, data.sizes["order_notes"])

    def _line(self, code: str, amount: str, tax: str = "-") -> Record:
        # guess: every member of a journal line
        return {
            "nominalCode": code,
            "transactionAmount": amount,
            "baseTransactionAmount": amount,
            "currencyCode": self.currency,
            "taxCode": tax,
            "exchangeRate": "1.000000",
        }

    # -- journals ----------------------------------------------------------------------------
    def _plan_invoices(self, orders: list[tuple[Record, int]], n: int) -> list[dict[str, Any]]:
        """Invoice journals (SI for sales, PI for purchases); a manual JN when there are no orders."""
        # guess: the type codes, nominal codes, descriptions and posting times
        rng, plans = self.rng, []
        for _ in range(n):
            if not orders:
                at = 1_704_067_200_000 + rng.randrange(365 * DAY_MS)  # during 2024, like the orders
                amount = f"{rng.randint(100, 5000)}.00"
                lines = ([self._line("1210", amount)], [self._line("1200", amount)])
                plans.append({"at": at, "type": "JN", "order": None, "lines": lines, "text": "Transfer to deposit"})
                continue
            order, created = orders[int(rng.random() * len(orders))]
            money = order["totalValue"]
            total, net, tax = money["total"], money["net"], money["taxAmount"]
            if order["orderTypeCode"] == "SO":
                kind, text = "SI", f"Sales invoice {order['invoices'][0]['invoiceReference'] or order['id']}"
                lines = ([self._line("1100", total)], [self._line("4000", net, "T"), self._line("2200", tax)])
            else:
                kind, text = "PI", f"Purchase invoice for PO #{order['id']}"
                lines = ([self._line("5000", net, "T"), self._line("2201", tax)], [self._line("2100", total)])
            at = created + rng.randint(HOUR, 10 * DAY_MS)
            plans.append({"at": at, "type": kind, "order": order, "lines": lines, "text": text})
        return plans

    def _payment_journal(self, payment: dict[str, Any]) -> dict[str, Any]:
        kind = payment["code"]
        bank = "1240" if payment["method"] == "PAYPAL" else "1200"
        debit, credit = (bank if code == "BANK" else code for code in PAYMENT_POSTINGS[kind])
        lines = ([self._line(debit, payment["amount"])], [self._line(credit, payment["amount"])])
        text = f"Payment {payment['ref']} for order #{payment['order']['id']}"
        return {
            "at": payment["at"],
            "type": kind,
            "order": payment["order"],
            "lines": lines,
            "text": text,
            "for": payment,
        }

    def _build_journals(self, plans: list[dict[str, Any]]) -> None:
        rng, table, clock = self.rng, self.tables["journal"], self.clock
        plans.sort(key=lambda p: (p["at"], p["type"], p["order"]["id"] if p["order"] else 0))
        jid = 1 + rng.randrange(200)
        for plan in plans:
            at, order = plan["at"], plan["order"]
            debits, credits = plan["lines"]
            record = {
                "id": jid,
                "journalTypeCode": plan["type"],
                "description": plan["text"],
                "taxDate": clock.midnight(at),  # guess: the tax date is the day of posting
                "createdOn": clock.stamp(at),
                "contactId": _party(order) if order else 0,
                "orderId": order["id"] if order else 0,
                "credits": credits,
                "debits": debits,
            }
            add_row(table, record, at, None, journalDate=clock.midnight_ms(at))
            if "for" in plan:
                plan["for"]["journal"] = jid
            jid += 1 if rng.random() < 0.9 else rng.randint(2, 4)

    # -- payments ----------------------------------------------------------------------------
    def _plan_payments(self, orders: list[tuple[Record, int]], party: str, n: int) -> list[dict[str, Any]]:
        rng, plans = self.rng, []
        usual = "RECEIPT" if party == "customer" else "PAYMENT"
        for _ in range(n if orders else 0):
            order, created = orders[int(rng.random() * len(orders))]
            kind = usual if rng.random() < 0.85 else ("PAYMENT" if usual == "RECEIPT" else "RECEIPT")
            method = rng.choice(ACTIVE_PAYMENT_CODES)
            plans.append(
                {
                    "at": created + rng.randint(HOUR, 30 * DAY_MS),
                    "party": party,
                    "kind": kind,
                    "code": PAYMENT_CODES[party, kind],
                    "method": method,
                    "ref": f"{method[:2]}{rng.randrange(16**8):08X}",
                    "order": order,
                    "amount": order["totalValue"]["total"],
                }
            )
        return plans

    def _build_payments(self, plans: list[dict[str, Any]]) -> None:
        """Customer and supplier payments, ids in time order."""
        # guess: one id sequence for both; currencyId 1; a share of refunds
        rng, clock = self.rng, self.clock
        plans.sort(key=lambda p: (p["at"], p["party"], p["order"]["id"]))
        pid = 1 + rng.randrange(50)
        for plan in plans:
            at = plan["at"]
            record = {
                "paymentId": pid,
                "transactionRef": plan["ref"],
                "transactionCode": plan["code"],
                "paymentMethodCode": plan["method"],
                "paymentType": plan["kind"],
                "orderId": plan["order"]["id"],
                "currencyId": 1,  # the base currency (accounting-service/currency id 1)
                "currencyCode": self.currency,
                "amountPaid": plan["amount"],
                "paymentDate": clock.midnight(at),  # guess: a date, shown as local midnight
                "createdOn": clock.stamp(at),
                "journalId": plan["journal"],
            }
            add_row(self.tables[f"{plan['party']}-payment"], record, at, None, paymentDate=clock.midnight_ms(at))
            pid += 1 if rng.random() < 0.9 else rng.randint(2, 4)

    # -- order notes -------------------------------------------------------------------------
    def _build_order_notes(self, orders: list[tuple[Record, int]], n: int) -> None:
        # guess: texts, authors, a share of public notes, added within 10 days of the order
        rng, table = self.rng, self.tables["order-note"]
        plans = []
        for _ in range(n if orders else 0):
            order, created = orders[int(rng.random() * len(orders))]
            plans.append((created + rng.randint(60_000, 10 * DAY_MS), order["id"]))
        plans.sort()
        nid = 1 + rng.randrange(500)
        for at, oid in plans:
            record = {
                "noteId": nid,
                "orderId": oid,
                "text": rng.choice(NOTE_TEXTS),
                "addedBy": rng.choice(STAFF_IDS),
                "dateAdded": self.clock.stamp(at),
                "isPublic": rng.random() < 0.3,
            }
            add_row(table, record, at, None, dateAdded=at)
            nid += 1 if rng.random() < 0.9 else rng.randint(2, 4)
