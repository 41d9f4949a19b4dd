"""The account's money side: journals, customer and supplier payments, and order notes.

Documented: the searches' columns (resource_tables.py), the journal GET (documented_pages.JOURNALS:
``{"response": {"journals": [...]}}``, lines with ``change`` and ``assignment``) and the per-order
note GET (docs/order_notes.get.body.json). journal-search has one row per journal line. Reported
by third parties: journal-search refuses range filters on its id column; supplier-payment-search
ignores range filters and always claims 500 results (both in account_search.py, switched on by
the tables' quirks). The values are guesses: journals post invoices of invoiced orders and every
payment, with debits equal to credits; each payment names the journal it posted; amounts are the
orders' totals, as strings.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from .account_tables import Record, Table
from .clock import DAY_MS
from .documented import SHAPES
from .documented_pages import JOURNAL_LINES, JOURNALS
from .resource_tables import (
    CUSTOMER_PAYMENT_SPEC,
    ORDER_NOTE_SPEC,
    SUPPLIER_PAYMENT_SPEC,
    add_row,
    journal_table,
    row_table,
)
from .resources_reference import ACTIVE_PAYMENT_CODES, STAFF_IDS

if TYPE_CHECKING:
    from .account_data import AccountData

FINANCE_RESOURCES = ("journal", "customer-payment", "supplier-payment", "order-note")
HOUR = 3_600_000
RECONCILED_BEFORE = 1_719_792_000_000  # 2024-07-01: guess: journals taxed before then are tax-reconciled
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
NO_MONEY = "0.00"


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
            "customer-payment": row_table("customer-payment", "paymentId", CUSTOMER_PAYMENT_SPEC),
            # quirk reported by a third party: ranges ignored, resultsAvailable always 500
            "supplier-payment": row_table(
                "supplier-payment", "paymentId", SUPPLIER_PAYMENT_SPEC, quirks=frozenset({"ignore_ranges"})
            ),
            # doc: sorted by noteId, which is not the first column
            "order-note": row_table("order-note", "noteId", ORDER_NOTE_SPEC, sort="noteId", presorted=False),
        }
        self.journals: dict[int, Record] = {}  # journal id -> the journal GET body
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

    def _line(self, code: str, amount: str, order: Record | None, tax: str = "-") -> Record:
        """A journal line as documented; # guess: the values (projectId 1 on web orders)."""
        channel = order["assignment"]["current"]["channelId"] if order else 0
        assignment: Record = {"channelId": channel, **({"projectId": 1} if channel else {})}
        return JOURNAL_LINES.item(
            {
                "nominalCode": code,
                "change": {"value": amount},
                "assignment": assignment,
                "orderId": order["id"] if order else 0,
                "invoiceReference": order["invoices"][0]["invoiceReference"] if order else "",
                "taxCode": tax,
                "transactionAmount": amount,
            }
        )

    # -- journals ----------------------------------------------------------------------------
    def _plan_invoices(self, orders: list[tuple[Record, int]], n: int) -> list[dict[str, Any]]:
        """Invoice journals (SI for sales, PI for purchases); a manual JJ when there are no orders."""
        # guess: the nominal codes, descriptions and posting times
        rng, plans = self.rng, []
        for _ in range(n):
            if not orders:
                at = 1_704_067_200_000 + rng.randrange(365 * DAY_MS)  # during 2024, like the orders
                amount = f"{rng.randint(100, 5000)}.00"
                lines = ([self._line("1210", amount, None)], [self._line("1200", amount, None)])
                plans.append({"at": at, "type": "JJ", "order": None, "lines": lines})
                continue
            order, created = orders[int(rng.random() * len(orders))]
            money = order["totalValue"]
            total, net, tax = money["total"], money["net"], money["taxAmount"]
            if order["orderTypeCode"] == "SO":
                kind = "SI"
                debits = [self._line("1100", total, order)]
                credits = [self._line("4000", net, order, "T"), self._line("2200", tax, order)]
            else:
                kind = "PI"
                debits = [self._line("5000", net, order, "T"), self._line("2201", tax, order)]
                credits = [self._line("2100", total, order)]
            at = created + rng.randint(HOUR, 10 * DAY_MS)
            plans.append({"at": at, "type": kind, "order": order, "lines": (debits, credits)})
        return plans

    def _payment_journal(self, payment: dict[str, Any]) -> dict[str, Any]:
        kind, order = payment["code"], payment["order"]
        bank = "1240" if payment["method"] == "PAYPAL" else "1200"
        debit, credit = (bank if code == "BANK" else code for code in PAYMENT_POSTINGS[kind])
        lines = ([self._line(debit, payment["amount"], order)], [self._line(credit, payment["amount"], order)])
        return {"at": payment["at"], "type": kind, "order": order, "lines": lines, "for": payment}

    def _build_journals(self, plans: list[dict[str, Any]]) -> None:
        rng, table, clock = self.rng, self.tables["journal"], self.clock
        plans.sort(key=lambda p: (p["at"], p["type"], p["order"]["id"] if p["order"] else 0))
        jid, row = 1 + rng.randrange(200), 1
        for plan in plans:
            at, order = plan["at"], plan["order"]
            debits, credits = plan["lines"]
            tax_date = order["invoices"][0]["taxDate"] if order and plan["type"] in ("SI", "PI") else clock.midnight(at)
            body: Record = {
                "id": jid,
                "contactId": _party(order) if order else 0,
                "journalTypeCode": plan["type"],
                "taxDate": tax_date,
                "dueDate": order["invoices"][0]["dueDate"] if order and plan["type"] in ("SI", "PI") else tax_date,
                "createdOn": clock.stamp(at),
                "createdByContactId": rng.choice(STAFF_IDS),
            }
            if at < RECONCILED_BEFORE:
                body["taxReconciliation"] = {
                    "date": clock.midnight(at, 90),
                    "taxPeriodId": 1 + (at // (90 * DAY_MS)) % 40,
                }
            body.update(credits=credits, debits=debits, currencyId=1, exchangeRate="1.000000")
            self.journals[jid] = JOURNALS.item(body)
            for side, lines in (("debit", debits), ("credit", credits)):
                for line in lines:
                    add_row(table, self._search_row(row, jid, plan["type"], side, line, at), at, None, journalDate=at)
                    row += 1
            if "for" in plan:
                plan["for"]["journal"] = jid
            jid += 1 if rng.random() < 0.9 else rng.randint(2, 4)

    def _search_row(self, row: int, jid: int, kind: str, side: str, line: Record, at: int) -> Record:
        """One journal-search row: a journal line; # guess: the other side's amount is "0.00", journalRef 0."""
        amount = line["transactionAmount"]
        debit, credit = (amount, NO_MONEY) if side == "debit" else (NO_MONEY, amount)
        return {
            "_row": row,
            "journalId": jid,
            "journalType": kind,
            "orderId": line["orderId"],
            "invoiceReference": line["invoiceReference"],
            "channelId": line["assignment"]["channelId"],
            "nominalCode": line["nominalCode"],
            "journalDate": self.clock.stamp(at),
            "journalDebit": debit,
            "journalCredit": credit,
            "journalRef": 0,
            "currencyId": 1,
            "exchangeRate": "1.000000",
            "transactionDebit": debit,
            "transactionCredit": credit,
            "projectId": line["assignment"].get("projectId", 0),
            "leadSourceId": 0,
        }

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
        # guess: one id sequence for both; currencyId 1; a share of refunds; card payments are
        # authorised for their amount and the authorisation expires a week later.
        rng, clock = self.rng, self.clock
        plans.sort(key=lambda p: (p["at"], p["party"], p["order"]["id"]))
        pid = 1 + rng.randrange(50)
        for plan in plans:
            at, card = plan["at"], plan["method"] == "CARD"
            record: Record = {
                "paymentId": pid,
                "transactionRef": plan["ref"],
                "transactionCode": plan["code"],
                "paymentMethodCode": plan["method"],
                "paymentType": plan["kind"],
                "orderId": plan["order"]["id"],
                "currencyId": 1,  # the base currency (currency-search id 1)
                "currencyCode": self.currency,
                "amountAuthorized": plan["amount"] if card else NO_MONEY,
                "amountPaid": plan["amount"],
                "expires": clock.stamp(at + 7 * DAY_MS) if card else None,
                "paymentDate": clock.midnight(at),  # guess: a date, shown as local midnight
                "createdOn": clock.stamp(at),
                "journalId": plan["journal"],
            }
            instants = {"paymentDate": clock.midnight_ms(at), "expires": at + 7 * DAY_MS if card else None}
            if plan["party"] == "supplier":
                for member in ("transactionCode", "amountAuthorized", "expires"):
                    del record[member]
                del instants["expires"]
            add_row(self.tables[f"{plan['party']}-payment"], record, at, None, **instants)
            pid += 1 if rng.random() < 0.9 else rng.randint(2, 4)

    # -- order notes -------------------------------------------------------------------------
    def _build_order_notes(self, orders: list[tuple[Record, int]], n: int) -> None:
        # guess: texts, authors, a share of public notes, added within 10 days of the order
        rng, table = self.rng, self.tables["order-note"]
        plans = []
        for _ in range(n if orders else 0):
            order, created = orders[int(rng.random() * len(orders))]
            plans.append((created + rng.randint(60_000, 10 * DAY_MS), order["id"], order))
        plans.sort(key=lambda p: (p[0], p[1]))
        nid = 1 + rng.randrange(500)
        for at, oid, order in plans:
            record = {
                "orderId": oid,
                "noteId": nid,
                "contactId": _party(order),
                "noteText": rng.choice(NOTE_TEXTS),
                "isPublic": rng.random() < 0.3,
                "dateAdded": self.clock.stamp(at),
                "addedBy": rng.choice(STAFF_IDS),
                "orderStatusId": order["orderStatus"]["orderStatusId"],
            }
            add_row(table, record, at, None, dateAdded=at)
            nid += 1 if rng.random() < 0.9 else rng.randint(2, 4)

    def notes_of(self, order_id: int) -> list[Record]:
        """order-service/order/{id}/note: the order's notes as documented (text, addedOn; no orderId)."""
        return [
            SHAPES["order_notes"].item(
                {
                    "noteId": r["noteId"],
                    "contactId": r["contactId"],
                    "text": r["noteText"],
                    "isPublic": r["isPublic"],
                    "addedOn": r["dateAdded"],
                    "addedBy": r["addedBy"],
                    "orderStatusId": r["orderStatusId"],
                }
            )
            for r in self.tables["order-note"].records
            if r["orderId"] == order_id
        ]
