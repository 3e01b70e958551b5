"""What the store's sync names in the database (issue 19): the tables and functions schema
version 12 made (:mod:`pos.db.migrations.v12_store_sync`) that have no model, and the
channel the server rings on."""

from __future__ import annotations

SYNCED_TABLES = ("product", "discount_rule", "operator", "setting")
"""The tables a till copies from its store, by version."""

STORE_CHANNEL = "pos_store"
"""The channel the server notifies on when the store's catalog, rules, operators or
settings change (the payload says nothing: the till pulls)."""

SERVER_EXTRAS = (
    "store_meta",
    "tombstone",
    "till_audit",
    "till_sync",
    "coupon_claim",
    "voucher_collision",
)
"""The server's tables that have no model (the sync reads and writes them in SQL)."""

SERVER_FUNCTIONS = (
    "pos_change_version()",
    "pos_stamp_version()",
    *(f"pos_tombstone_{t}()" for t in SYNCED_TABLES),
    "pos_fold(text)",  # the search's folding, v14
)
"""The server's functions, dropped with its tables by ``pos init --force``."""
