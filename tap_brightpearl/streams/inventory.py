"""Each account's inventory: goods-out and goods-in notes, goods movements (stock levels: product_sets.py)."""

from __future__ import annotations

from tap_brightpearl.search import SINCE, Resource
from tap_brightpearl.streams.readers import SearchStream


class GoodsOutNotesStream(SearchStream):
    """Goods-out notes with their events; the search has no updatedOn.

    Incremental on createdOn (with the look-back). A note changes after it is created (printed,
    picked, packed, shipped) with no date the search offers for it, so every incremental run also
    reads the notes not shipped yet and the notes shipped since the bookmark: between them, every
    note that could have changed since the last run.
    """

    name = "goods_out_notes"
    primary_keys = ("accountCode", "goodsOutNoteId")
    deletable = True
    resource = Resource(
        "warehouse-service/goods-note/goods-out-search",
        "goodsOutNoteId",
        "warehouse-service/order/*/goods-note/goods-out",  # a map keyed by note id (recorded)
        500,
        "goodsOutNoteId",
        changed=("createdOn",),
        # guess: the shipped column filters on true/false, shippedOn on a date range like createdOn
        also=((("shipped", "false"),), (("shippedOn", SINCE),)),
    )


class GoodsInNotesStream(SearchStream):
    """Goods-in notes, one row per batch and location (the search rows; a guess: no recording)."""

    name = "goods_in_notes"
    primary_keys = ("accountCode", "goodsNoteId", "batchId", "locationId")
    resource = Resource(
        "warehouse-service/goods-in-search",
        "goodsNoteId",
        changed=("createdDate",),
        key_columns=("goodsNoteId", "batchId", "locationId"),
    )


class GoodsMovementsStream(SearchStream):
    """Goods movements: every stock change, incremental on updatedOn (three third-party tools agree)."""

    name = "goods_movements"
    primary_keys = ("accountCode", "goodsMovementId")
    resource = Resource("warehouse-service/goods-movement-search", "goodsMovementId")
