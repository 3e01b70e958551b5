"""Schema version 9: covering indexes for the X and Z reports: each of their aggregates reads
one index range (a till's sales in a time range, and the payments and VAT rows of those
sales) and never the wide sale rows, which carry the receipt text. The payment and VAT
indexes start with the sale id, so they replace the plain ones on it (one index to keep up
on every sale, and the planner cannot pick the narrower one).
"""

from __future__ import annotations

import peewee


def step(db: peewee.Database) -> None:
    """Take a database from version 8 to version 9."""
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS sale_report "
        "ON sale (till, at, operator, subtotal, discount_total, total)"
    )
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS payment_report ON payment (sale_id, method, amount, "change")'
    )
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS salevat_report ON sale_vat (sale_id, rate, net, vat, gross)"
    )
    db.execute_sql('DROP INDEX IF EXISTS "payment_sale_id"')
    db.execute_sql('DROP INDEX IF EXISTS "salevat_sale_id"')
