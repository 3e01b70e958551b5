"""Schema version 13: products get a ``plu`` (the price look-up code of loose produce, 4 or
5 digits, unique in the catalog) and a ``min_age`` (the age a customer must be to buy
them, 1 to 99), both NULL for none (issue 20).

The unique index on ``plu`` is partial (only the products that have one): most have none,
so it stays a few pages whatever the size of the catalog. Standard SQL, the same on
SQLite and PostgreSQL; the checks repeat the import's (:mod:`pos.domain.catalog_check`)
so that no other writer can store what the import would refuse.
"""

from __future__ import annotations

import peewee


def step(db: peewee.Database) -> None:
    """Take a database from version 12 to version 13."""
    db.execute_sql(
        'ALTER TABLE "product" ADD COLUMN "plu" TEXT '
        "CONSTRAINT product_plu_digits CHECK (length(plu) IN (4, 5))"
    )
    db.execute_sql(
        'ALTER TABLE "product" ADD COLUMN "min_age" INTEGER '
        "CONSTRAINT product_min_age_range CHECK (min_age BETWEEN 1 AND 99)"
    )
    db.execute_sql('CREATE UNIQUE INDEX "product_plu" ON "product" ("plu") WHERE "plu" IS NOT NULL')
