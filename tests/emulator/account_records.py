"""Record builders: orders, products, contacts, warehouses and settings in the recorded shapes.

Member names, nesting, order and JSON types follow real recorded bodies (see
tests/test_emulator_fidelity.py): money and quantities are strings ("9.09", "1.0000"),
a few numbers are JSON numbers (product weights 0.0, contact discountPercentage 0.0),
``parentOrderId`` is 0 when there is none, and null members are left out. Sub-objects that
do not vary per record (status objects, currency, parties of one contact, product stock
variants, ...) are built once per account and shared: generation stays fast and nothing
mutates them (touch() only rewrites top-level members).
"""

from __future__ import annotations

import random

from .account_tables import ORDER_STATUS_NAMES, Record
from .account_templates import (
    BUNDLE,
    CATEGORIES,
    CONTACT_STATUS,
    COUNTRIES,
    DOCUMENTED_CONFIGURATION,
    EMPTY,
    FINANCIAL,
    FIRST_NAMES,
    LAST_NAMES,
    MARKETING,
    NEW_SO_STATUSES,
    NO_DELIVERY_DATE,
    NO_PARTIES,
    NO_SEASONS,
    ORDER_VARIANTS,
    PO_FRACTION,
    PRODUCT_ADJECTIVES,
    PRODUCT_WORDS,
    RELATIONSHIP,
    ROW_COMPOSITION,
    STOCK,
    TAX_OK,
    TAX_RATE,
    TEXT,
    TOWNS,
    UNASSIGNED,
    UPDATED_SO_STATUSES,
    address_party,
    company_of,
    currency_of,
    money,
    money4,
)
from .clock import Clock
from .data import Account
from .documented import SHAPES


class RecordFactory:
    """Builds one account's records from its RNG; keeps what orders need of products and contacts."""

    def __init__(self, account: Account, rng: random.Random, warehouse_ids: list[int]) -> None:
        """Prepare the per-account shared sub-objects."""
        self.rng = rng
        self.clock = Clock(account.currentUtcOffset)
        self.zone = account.canonicalId
        self.currency = cur = currency_of(account.canonicalId)
        self.company = company_of(account)
        self.warehouse_ids = warehouse_ids or [2]
        self.next_row_id = 1
        # id, name, sku, price in pence, then the shared itemCost, productPrice and PO productPrice objects
        self.products: list[tuple[int, str, str, int, Record, Record, Record]] = []
        self._quantity = [{"magnitude": f"{q}.0000"} for q in range(6)]
        self.customers: list[int] = []
        self.suppliers: list[int] = []
        self._contact_src: dict[int, tuple[Record, Record]] = {}
        self._parties: dict[int, Record] = {}
        self._po_parties: dict[int, Record] = {}
        self._status = {i: {"orderStatusId": i, "name": n} for i, n in ORDER_STATUS_NAMES.items()}
        self._state = {"READY": {"tax": "READY"}, "INVOICED": {"tax": "INVOICED"}}
        self._currency = {
            fixed: {
                "accountingCurrencyCode": cur,
                "orderCurrencyCode": cur,
                "exchangeRate": "1.000000",
                "fixedExchangeRate": fixed,
            }
            for fixed in (False, True)
        }
        self._assignment = {
            ch: {"current": {"staffOwnerContactId": 0, "projectId": 0, "channelId": ch, "leadSourceId": 0, "teamId": 0}}
            for ch in (0, 1)
        }
        slot = {"defaultLocationId": 0, "overflowLocationId": 0, "reorderLevel": 0, "reorderQuantity": 0}
        self._product_warehouses = {str(w): slot for w in self.warehouse_ids}
        self._contact_financial = {
            "priceListId": 2,
            "nominalCode": "0",
            "creditLimit": 0,
            "creditTermDays": 0,
            "currencyId": 1,
            "discountPercentage": 0.0,
            "creditTermTypeId": 1,
        }
        own = address_party(self.company, self.company, ("1 High Street", "", TOWNS[0], "", "S1 1AA", COUNTRIES[0]))
        self._own_address = own

    # -- products ----------------------------------------------------------------------------
    def product(self, rid: int, created: int, updated: int | None) -> tuple[Record, Record]:
        """A product body (recorded member order) and its search-only values."""
        rng = self.rng
        name = f"{rng.choice(PRODUCT_ADJECTIVES)} {rng.choice(PRODUCT_WORDS)}"
        sku = f"SKU-{rid:06d}"
        full = rng.random() < 0.3
        identity = (
            {"sku": sku, "isbn": "", "ean": f"50{rid:011d}", "upc": "", "mpn": f"MPN{rid}", "barcode": ""}
            if full
            else {"sku": sku, "barcode": ""}
        )
        record: Record = {"id": rid, "brandId": 70 + rid % 15, "productTypeId": 1, "identity": identity}
        if rng.random() < 0.5:
            record["productGroupId"] = 200 + rid % 20
        record["featured"] = False
        record["stock"] = STOCK[rid % 3]
        record["financialDetails"] = FINANCIAL[rid % 2]
        record["salesChannels"] = [
            {
                "salesChannelName": "Brightpearl",
                "productName": name,
                "productCondition": "new",
                "categories": CATEGORIES[rid % 3],
                "description": TEXT,
                "shortDescription": TEXT,
            }
        ]
        record["composition"] = BUNDLE[rid % 10 == 0]
        record["createdOn"] = self.clock.stamp(created)
        if updated is not None:
            record["updatedOn"] = self.clock.stamp(updated)
        record["warehouses"] = self._product_warehouses
        record["nominalCodeStock"] = "1001"
        record["nominalCodePurchases"] = "5000"
        record["nominalCodeSales"] = "4000"
        record["seasonIds"] = NO_SEASONS
        record["reporting"] = EMPTY
        record["status"] = "LIVE"
        record["salesPopupMessage"] = ""
        record["warehousePopupMessage"] = ""
        # Recorded: a product's version is its updatedOn in millis. # guess: createdOn when never updated.
        record["version"] = updated if updated is not None else created
        price = 100 + int(rng.random() * 4900)
        cur = self.currency
        self.products.append(
            (
                rid,
                name,
                sku,
                price,
                {"currencyCode": cur, "value": money4(price // 2)},
                {"currencyCode": cur, "value": money4(price)},
                {"currencyCode": cur, "value": "0.0000"},
            )
        )
        supplier = None if rid % 3 == 0 else 366  # guess: most products name one primary supplier
        return record, ({"primarySupplierId": supplier} if supplier else {})

    # -- contacts ----------------------------------------------------------------------------
    def contact(self, rid: int, created: int, updated: int | None) -> tuple[Record, Record]:
        """A contact body (recorded member order) and its search-only values."""
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        supplier = rng.random() < 0.15
        company = f"{last} Trading" if supplier or rng.random() < 0.3 else ""
        address_id = 100_000 + rid * 2
        phone = f"0{1200 + rid % 800} {rid:06d}"
        record: Record = {
            "contactId": rid,
            "isPrimaryContact": True,
            "salutation": "",
            "firstName": first,
            "lastName": last,
            "postAddressIds": {"DEF": address_id, "BIL": address_id, "DEL": address_id + 1},
            "communication": {
                "emails": {"PRI": {"email": f"{first}.{last}.{rid}@example.com".lower()}},
                "telephones": {"PRI": phone},
                "messagingVoips": EMPTY,
                "websites": EMPTY,
            },
            "contactStatus": CONTACT_STATUS,
            "relationshipToAccount": RELATIONSHIP[supplier, rid % 50 == 0],
            "marketingDetails": MARKETING[rid % 2],
            "financialDetails": self._contact_financial,
            "assignment": UNASSIGNED,
            "organisation": {"organisationId": rid},
            "tradeStatus": "UNKNOWN",
            "createdByid": 0,  # sic: recorded spelling
            "createdOn": self.clock.stamp(created),
        }
        if updated is not None:
            record["updatedOn"] = self.clock.stamp(updated)
        record["contactTags"] = "9" if rid % 2 else ""
        record["aliases"] = EMPTY
        record["companyId"] = 0
        address = (
            f"{rid % 200 + 1} {last} Street",
            "",
            rng.choice(TOWNS),
            "",
            f"S{rid % 90 + 1} 4RT",
            rng.choice(COUNTRIES),
        )
        extras = {"companyName": company, "address": address}
        self._contact_src[rid] = (record, extras)
        (self.suppliers if supplier else self.customers).append(rid)
        return record, extras

    def company_name(self, cid: int) -> str:
        """The company a generated contact works for ("" for none), deleted contacts included."""
        return self._contact_src[cid][1]["companyName"]

    def _so_parties(self, cid: int) -> Record:
        parties = self._parties.get(cid)
        if parties is None:
            record, extras = self._contact_src[cid]
            base = address_party(
                f"{record['firstName']} {record['lastName']}", extras["companyName"], extras["address"]
            )
            base["telephone"] = record["communication"]["telephones"]["PRI"]
            base["email"] = record["communication"]["emails"]["PRI"]["email"]
            customer = {"contactId": cid, **base}
            parties = self._parties[cid] = {"customer": customer, "delivery": base, "billing": customer}
        return parties

    def _purchase_parties(self, sid: int) -> Record:
        parties = self._po_parties.get(sid)
        if parties is None:
            supplier = self._so_parties(sid)["customer"]  # guess: a supplier party lists its country too
            billing = {"contactId": sid, **self._own_address}
            parties = self._po_parties[sid] = {"supplier": supplier, "delivery": self._own_address, "billing": billing}
        return parties

    # -- orders ------------------------------------------------------------------------------
    def order(self, rid: int, created: int, updated: int | None) -> tuple[Record, Record]:
        """An order body (recorded member order) and its search-only values."""
        rng, clock = self.rng, self.clock
        purchase = bool(self.suppliers) and rng.random() < PO_FRACTION
        if purchase:
            status = 6 if updated is None or rng.random() < 0.5 else 7
        else:
            status = rng.choice(NEW_SO_STATUSES if updated is None else UPDATED_SO_STATUSES)
        tax_state, payment, stock, allocation, shipping, closed, invoiced = ORDER_VARIANTS[status]
        if invoiced and rng.random() < 0.4:
            payment = "PAID"
        rows: Record = {}
        net = tax = 0
        n_rows = 1 + int(rng.random() * 3) if self.products else 0
        for sequence in range(1, n_rows + 1):
            pid, name, sku, price, item_cost, sale_price, po_price = self.products[
                int(rng.random() * len(self.products))
            ]
            qty = 1 + int(rng.random() * 5)
            row_net = qty * (price // 2 if purchase else price)
            row_tax = row_net * TAX_RATE // 100
            net, tax = net + row_net, tax + row_tax
            rows[str(self.next_row_id)] = {
                "orderRowSequence": str(sequence * 10),
                "productId": pid,
                "productName": name,
                "productSku": sku,
                "quantity": self._quantity[qty],
                "itemCost": item_cost,
                "productPrice": po_price if purchase else sale_price,
                "discountPercentage": "0.00",
                "rowValue": {
                    "taxRate": f"{TAX_RATE}.0000",
                    "taxCode": "T",
                    "taxCalculator": "brightpearl",
                    "rowNet": {"currencyCode": self.currency, "value": money4(row_net)},
                    "rowTax": {"currencyCode": self.currency, "value": money(row_tax)},
                    "taxClassId": 2,
                },
                "nominalCode": "1201" if purchase else "4000",
                "composition": ROW_COMPOSITION,
                "clonedFromId": 0,
            }
            self.next_row_id += 1
        pool = self.suppliers if purchase else self.customers or self.suppliers
        cid = pool[int(rng.random() * len(pool))] if pool else 0
        parent = rid - 1 - int(rng.random() * 3) if not purchase and rid > 100_003 and rng.random() < 0.05 else 0
        web = status == 2
        created_text = clock.stamp(created)
        tax_date = clock.midnight(created)
        record: Record = {
            "id": rid,
            "parentOrderId": parent,
            "orderTypeCode": "PO" if purchase else "SO",
            "reference": f"#{rid}" if web or purchase else "",
            "version": 1 if updated is None else 2 + int(rng.random() * 10),
            "state": self._state[tax_state],
            "orderStatus": self._status[status],
            "tax": TAX_OK,
            "orderPaymentStatus": payment,
            "stockStatusCode": stock,
            "allocationStatusCode": allocation,
            "shippingStatusCode": shipping,
            "placedOn": created_text,
            "createdOn": created_text,
        }
        if updated is not None:
            record["updatedOn"] = clock.stamp(updated)
            if closed:
                record["closedOn"] = clock.stamp(max(created, updated - 1000 * (1 + int(rng.random() * 3600))))
        record["createdById"] = 4 if rid % 2 else 206
        record["priceListId"] = 1
        record["priceModeCode"] = "EXC" if purchase or rid % 2 else "INC"
        record["delivery"] = (
            {"deliveryDate": clock.midnight(created, 3), "shippingMethodId": 0}
            if purchase or rng.random() < 0.5
            else NO_DELIVERY_DATE
        )
        # guess: due 30 days after the tax date, both at local midnight (recorded dueDate: 18:00 at -06:00);
        # a fresh recorded order had no taxDate/dueDate yet, never-updated search rows did have a taxDate.
        reference = f"SI-{1000 + rid}" if invoiced else ""
        record["invoices"] = [
            {"invoiceReference": reference, "taxDate": tax_date, "dueDate": clock.midnight(created, 30)}
        ]
        record["currency"] = self._currency[purchase]
        net_text, tax_text, total_text = money(net), money(tax), money(net + tax)
        record["totalValue"] = {
            "net": net_text,
            "taxAmount": tax_text,
            "baseNet": net_text,
            "baseTaxAmount": tax_text,
            "baseTotal": total_text,
            "total": total_text,
        }
        record["assignment"] = self._assignment[web]
        record["parties"] = self._purchase_parties(cid) if purchase else self._so_parties(cid) if cid else NO_PARTIES
        record["orderRows"] = rows
        record["warehouseId"] = self.warehouse_ids[rid % len(self.warehouse_ids)]
        record["acknowledged"] = 0
        record["costPriceListId"] = 0 if purchase else 1
        record["historicalOrder"] = False
        if purchase:
            record["isDropship"] = False
        if invoiced:
            record["originalInvoiceDate"] = tax_date
        record["orderWeighting"] = 100
        extras = {"externalRef": f"WEB-{rid}", "installedIntegrationInstanceId": 11} if web else {}
        return record, extras

    # -- warehouses and settings -------------------------------------------------------------
    def warehouse(self, wid: int, others: list[int]) -> Record:
        """A warehouse as documented: address is only an id; click-and-collect ones have hours and SLAs."""
        rng = self.rng
        record: Record = {
            "name": f"{rng.choice(TOWNS)} warehouse {wid}",
            "typeCode": "warehouse",
            "typeDescription": "Warehouse",
            "id": wid,
            "address": {"addressId": 1 + int(rng.random() * 5000)},
            "clickAndCollectEnabled": wid != self.warehouse_ids[0],  # guess: all but the first
        }
        if record["clickAndCollectEnabled"]:
            open_days = [(d, "09:00:00", "17:30:00") if d < 6 else (d, "00:00:00", "00:00:00") for d in range(1, 8)]
            record["weeklyOperatingPeriods"] = {
                "timeZone": self.zone,
                "periods": [{"dayOfWeek": d, "openingHours": o, "closingHours": c} for d, o, c in open_days],
            }
            record["collectionSla"] = {"value": 2, "timeUnits": "HOURS"}
            record["externalTransferSlas"] = [
                {"warehouseId": other, "value": 2, "timeUnits": "DAYS"} for other in others if other != wid
            ]
        return SHAPES["warehouses"].item(record)

    def configuration(self) -> Record:
        """account-configuration's inner object: the documented keys, every value a string."""
        settings = dict(DOCUMENTED_CONFIGURATION)
        settings["timeZone"] = self.zone
        settings["baseCurrencyCode"] = self.currency
        return SHAPES["account_configuration"].item(settings)
