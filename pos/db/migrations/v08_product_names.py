"""Schema version 8: an index on product names in any case, for the discount editor's product
search (a name prefix is a range on it, whatever the size of the catalog).
"""

from __future__ import annotations

import peewee


def step(db: peewee.Database) -> None:
    """Take a database from version 7 to version 8."""
    if not isinstance(db, peewee.SqliteDatabase):  # PostgreSQL has no NOCASE: lower()
        db.execute_sql("CREATE INDEX IF NOT EXISTS product_name_nocase ON product (lower(name))")
        return
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS product_name_nocase ON product (name COLLATE NOCASE)"
    )
