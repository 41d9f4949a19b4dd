"""Every account stream, in the order a run syncs them: one row each, with its evidence.

Core records first, then their neighbours, inventory, finance, and the reference data that says
what their ids mean. Each row names what Brightpearl is asked (rows.py) and why the tap believes
it: `recorded` (real traffic under ../shared/brightpearl-recordings/), `documented` (Brightpearl's
API reference: a documented example body under docs/, or the page), `third-party` (code that calls
the live API), or `guess`. Where the evidence disagrees, the documented request is the one sent.
Adding a stream is one row here and one schema file in schemas/ (plus the emulator).
"""

from __future__ import annotations

from tap_brightpearl.rows import Evidence, Row

DOCS = "https://api-docs.brightpearl.com"
RSM = "ryansmiller/brightpearl-mcp-server sync/resources.py (probed against the live API, 2026)"
ZK = "Zookal/tap-brightpearl tap_brightpearl/stream.py"
SINCE = "{since}"  # in Row.also: the range "from the bookmark on"
CREATED = ("updatedOn", "createdOn")  # never-updated records have a null updatedOn: createdOn finds them


def recorded(path: str) -> Evidence:
    """A real answer under ../shared/brightpearl-recordings/."""
    return Evidence("recorded", path)


def body(path: str) -> Evidence:
    """A documented example body under ../shared/brightpearl-recordings/docs/."""
    return Evidence("documented", f"docs/{path}")


def page(path: str) -> Evidence:
    """A page of Brightpearl's API reference."""
    return Evidence("documented", f"{DOCS}/{path}")


ROWS: tuple[Row, ...] = (
    # --- core records -------------------------------------------------------------------------
    Row(
        "orders",
        ("id",),
        (recorded("vcr/order_search.json"), recorded("vcr/order_get_one.json")),
        "Orders and credits (sales and purchase) with their rows; custom fields included.",
        search="order-service/order-search",
        id_column="orderId",
        dates=CREATED,
        detail="order-service/order/{ids}",
        include_optional="customFields",
        converters=(("orderRows", "rows_as_list"),),
        deletable=True,
    ),
    Row(
        "products",
        ("id",),
        (recorded("vcr/product_search.json"), recorded("vcr/product_get_one.json")),
        "Products with their custom fields.",
        search="product-service/product-search",
        id_column="productId",
        dates=CREATED,
        detail="product-service/product/{ids}",
        include_optional="customFields",
        deletable=True,
    ),
    Row(
        "contacts",
        ("contactId",),
        (recorded("vcr/customer/search/simple_search.json"), recorded("vcr/customer/get/simple_get.json")),
        "Contacts (customers, suppliers, staff) with custom fields and postal addresses.",
        search="contact-service/contact-search",
        id_column="contactId",
        dates=CREATED,
        detail="contact-service/contact/{ids}",
        include_optional="customFields,postalAddresses",
        deletable=True,
    ),
    Row(
        "warehouses",
        ("id",),
        (body("warehouse_get.body.json"),),
        "Warehouses, read whole every run.",
        get=("warehouse-service/warehouse",),
    ),
    Row(
        "account_configuration",
        ("accountCode",),
        (body("account_configuration_get.body.json"),),
        "Account settings (time zone, base currency, ...): one record per account, each value as sent.",
        get=("integration-service/account-configuration",),
        answer="object",
        hook="configuration",
    ),
    Row(
        "order_notes",
        ("noteId",),
        (page("order/order-note/search.html"),),
        "Order notes (the search rows), incremental on dateAdded.",
        search="order-service/order-note-search",
        id_column="noteId",
        dates=("dateAdded",),
    ),
    # --- inventory ------------------------------------------------------------------------------
    Row(
        "goods_out_notes",
        ("goodsOutNoteId",),
        (recorded("vcr/goods_out_note/get/by_gon_id.json"), page("warehouse/goods-out-note/search.html")),
        "Goods-out notes with their events. The search has no updatedOn: incremental runs also read the "
        "notes not shipped yet and those shipped since the bookmark.",
        search="warehouse-service/goods-note/goods-out-search",
        id_column="goodsOutNoteId",
        dates=("createdOn",),
        # guess: the shipped column filters on true/false, shippedOn on a date range like createdOn
        also=((("shipped", "false"),), (("shippedOn", SINCE),)),
        detail="warehouse-service/order/*/goods-note/goods-out/{ids}",
        detail_cap=500,
        detail_answer="map",
        deletable=True,
    ),
    Row(
        "goods_in_notes",
        ("goodsNoteId",),
        (page("warehouse/goods-in-note/search.html"), page("warehouse/goods-in-note/get.html")),
        "Goods-in notes with the goods they moved: the purchase orders the search lists, then all their notes.",
        search="warehouse-service/goods-in-search",
        id_column="purchaseOrderId",
        ids_repeat=True,  # one row per batch and location
        dates=("createdDate", "receivedDate"),
        detail="warehouse-service/order/{ids}/goods-note/goods-in",
        detail_answer="map",
        detail_id_field="goodsNoteId",
        replication_key="receivedOn",
    ),
    Row(
        "goods_movements",
        ("goodsMovementId",),
        (page("warehouse/goods-movement/search.html"), Evidence("third-party", f"updatedOn: {RSM}; {ZK}")),
        "Goods movements: every stock change (the search rows), incremental on updatedOn.",
        search="warehouse-service/goods-movement-search",
        id_column="goodsMovementId",
        dates=("updatedOn",),
    ),
    Row(
        "stock_levels",
        ("productId", "warehouseId"),
        (page("warehouse/product-availability/get.html"),),
        "Each product's availability per warehouse, broken down by location: a snapshot.",
        search="product-service/product-search",
        id_column="productId",
        detail="warehouse-service/product-availability/{ids}",
        detail_answer="map",
        detail_id_field="productId",
        include_optional="breakDownByLocation",
        split_refused=True,
        missing_ok=True,  # documented: the ids of products that are not stock tracked are ignored
        hook="stock_per_warehouse",
    ),
    # --- finance --------------------------------------------------------------------------------
    Row(
        "journals",
        ("journalId", "side", "lineIndex"),
        (page("accounting/journal/search.html"), page("accounting/journal/get.html")),
        "Journal lines: one record per credit or debit line of each journal, incremental on journalDate "
        "(the date the journal was created).",
        search="accounting-service/journal-search",
        id_column="journalId",
        ids_repeat=True,  # one row per journal line
        dates=("journalDate",),
        detail="accounting-service/journal/{ids}",
        detail_answer="list in journals",
        detail_id_field="id",
        hook="journal_lines",
        replication_key="createdOn",
    ),
    Row(
        "customer_payments",
        ("paymentId",),
        (page("accounting/customer-payment/search.html"),),
        "Customer payments (the search rows), incremental on createdOn.",
        search="accounting-service/customer-payment-search",
        id_column="paymentId",
        dates=("createdOn",),
    ),
    Row(
        "supplier_payments",
        ("paymentId",),
        (page("accounting/supplier-payment/search.html"), Evidence("third-party", f"totals always 500: {RSM}")),
        "Supplier payments, incremental on createdOn. The search is reported to ignore its filters and "
        "always claim 500 results: the tap pages until a page brings nothing new and filters by date itself.",
        search="accounting-service/supplier-payment-search",
        id_column="paymentId",
        dates=("createdOn",),
        totals_untrusted=True,
    ),
    Row(
        "price_lists",
        ("id",),
        (body("price_lists.body.json"),),
        "Price lists (id 0 is a real list).",
        get=("product-service/price-list",),
    ),
    Row(
        "product_prices",
        ("productId", "priceListId"),
        (body("product_prices.body.json"), page("product/product-price/get.html")),
        "Each product's prices in every price list: a snapshot.",
        search="product-service/product-search",
        id_column="productId",
        detail="product-service/product-price/{ids}",
        detail_id_field="productId",
        split_refused=True,
        missing_ok=True,  # recorded: 404 "No Product Prices Found" for a product without prices
        hook="prices_per_list",
    ),
    # --- reference lists ------------------------------------------------------------------------
    Row(
        "order_statuses",
        ("statusId",),
        (body("order_statuses.body.json"),),
        "Order statuses.",
        get=("order-service/order-status",),
    ),
    Row(
        "order_stock_statuses",
        ("id",),
        (page("order/order-stock-status/get.html"),),
        "Order stock statuses.",
        get=("order-service/order-stock-status",),
    ),
    Row(
        "order_shipping_statuses",
        ("id",),
        (body("order_shipping_statuses.body.json"),),
        "Order shipping statuses.",
        get=("order-service/order-shipping-status",),
    ),
    Row(
        "order_types",
        ("id",),
        (body("order_types.body.json"),),
        "Order types.",
        get=("order-service/order-type",),
    ),
    Row("channels", ("id",), (body("channels.body.json"),), "Sales channels.", get=("product-service/channel",)),
    Row(
        "tax_codes",
        ("id",),
        (body("tax_codes.body.json"),),
        "Tax codes (rate is absent when zero-rated).",
        get=("accounting-service/tax-code",),
    ),
    Row(
        "nominal_codes",
        ("id",),
        (body("nominal_codes.body.json"), page("accounting/nominal-code/get.html")),
        "Nominal codes (the chart of accounts).",
        get=("accounting-service/nominal-code",),
    ),
    Row(
        "currencies",
        ("id",),
        (page("accounting/currency/search.html"),),
        "Currencies and their exchange rates (the search rows).",
        search="accounting-service/currency-search",
        id_column="id",
    ),
    Row(
        "payment_methods",
        ("code",),
        (body("payment_methods.body.json"),),
        "Payment methods, keyed by code (Brightpearl sends no top-level id).",
        get=("accounting-service/payment-method",),
    ),
    Row(
        "shipping_methods",
        ("id",),
        (page("warehouse/shipping-method/get.html"),),
        "Shipping methods (breaks is a comma-separated string).",
        get=("warehouse-service/shipping-method",),
    ),
    Row(
        "contact_groups",
        ("id",),
        (Evidence("third-party", f"contact-group-search: {RSM}; {ZK}"), body("contact_groups.body.json")),
        "Contact groups: the ids the contact-group search lists, then the documented ID-set GET.",
        search="contact-service/contact-group-search",
        id_column="id",
        detail="contact-service/contact-group/{ids}",
    ),
    Row(
        "companies",
        ("companyId",),
        (Evidence("third-party", f"company-search keyed companyId: {RSM}; {ZK}"),),
        "Companies (the search rows).",
        search="contact-service/company-search",
        id_column="companyId",
    ),
    Row(
        "lead_sources",
        ("id",),
        (body("lead_sources.body.json"),),
        "Lead sources.",
        get=("contact-service/lead-source",),
    ),
    Row(
        "contact_group_members",
        ("contactGroupId", "contactId"),
        (body("contact_group_members.body.json"), body("contact_group_members.idset_optional.body.json")),
        "Which contacts are in which contact group: each group's members, one GET per group.",
        search="contact-service/contact-group-search",
        id_column="id",
        detail="contact-service/contact-group/{ids}/member",
        detail_cap=1,
        detail_answer="object",
        parent_member="contactGroupId",
        hook="group_members",
    ),
    Row(
        "custom_fields",
        ("resource", "id"),
        (body("custom_fields.purchase.body.json"), page("order/customfield-metadata/get.html")),
        "What each custom field means, for sales and purchase orders, products, customers and suppliers "
        "(options is a map keyed by option id).",
        get=(
            "order-service/sale/custom-field-meta-data",
            "order-service/purchase/custom-field-meta-data",
            "product-service/product/custom-field-meta-data",
            "contact-service/customer/custom-field-meta-data",
            "contact-service/supplier/custom-field-meta-data",
        ),
        tags=("sale", "purchase", "product", "customer", "supplier"),
        tag_member="resource",
    ),
    Row("brands", ("id",), (body("brands.get.body.json"),), "Brands.", get=("product-service/brand",)),
    Row(
        "categories",
        ("id",),
        (page("product/brightpearl-category/search.html"),),
        "Product categories (the search rows), incremental on updatedOn.",
        search="product-service/brightpearl-category-search",
        id_column="id",
        dates=("updatedOn",),
    ),
    Row(
        "seasons",
        ("id",),
        (page("product/season/search.html"),),
        "Seasons (the search rows), incremental on updatedOn.",
        search="product-service/season-search",
        id_column="id",
        dates=("updatedOn",),
    ),
    Row(
        "collections",
        ("collectionId",),
        (Evidence("third-party", f"collection-search keyed collectionId: {RSM}; {ZK}"),),
        "Collections (the search rows), incremental on updatedOn.",
        search="product-service/collection-search",
        id_column="collectionId",
        dates=("updatedOn",),
    ),
    Row(
        "product_types",
        ("id",),
        (page("product/product-type/get.html"),),
        "Product types with their option associations.",
        get=("product-service/product-type",),
    ),
    Row(
        "product_options",
        ("id",),
        (body("product_options.get.body.json"),),
        "Product options (Colour, Size, ...).",
        get=("product-service/option",),
    ),
    Row(
        "product_option_values",
        ("productId", "optionValueId"),
        (body("product_option_values.per_product.body.json"), page("product/product-option-value/get.html")),
        "Each product's option values (Brightpearl's 'product option value'): every product id, then their "
        "values in ID-set GETs of up to 200 products.",
        search="product-service/product-search",
        id_column="productId",
        detail="product-service/product/{ids}/option-value",
        detail_id_field="productId",
        missing_ok=True,  # a product without options has no values
    ),
    Row(
        "warehouse_locations",
        ("id",),
        (body("warehouse_locations.get.body.json"),),
        "Warehouse locations: each warehouse's locations, one GET per warehouse (the record gets warehouseId).",
        get=("warehouse-service/warehouse",),
        id_column="id",
        detail="warehouse-service/warehouse/{ids}/location",
        detail_cap=1,
        parent_member="warehouseId",
    ),
)

ROWS_BY_NAME = {row.name: row for row in ROWS}
