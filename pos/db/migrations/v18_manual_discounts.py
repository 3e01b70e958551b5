"""Schema version 18: cashier discounts (issue 21, item 8).

``cart_discount`` keeps the discounts given on an open or parked cart, so that a restart
or a crash keeps them with the cart: one per line (``line_no``) and one for the sale
(``line_no`` 0), a percentage in basis points (``1000`` is 10%, at most 100%) or an amount
off in minor units, with the reason, who gave it and the manager who approved it, if one
had to. A cart's discounts go with it (``ON DELETE CASCADE``).

A completed sale keeps each as a ``sale_discount`` row of kind ``manual_line`` or
``manual_sale`` (what it took off, the line it used), which gains ``reason`` and
``rate`` (the percentage in basis points; NULL for an amount off and for promotions), so
that a refund can apply it again to what the customer keeps. Standard SQL, the same on
SQLite and a store's PostgreSQL server (a till pushes its sales' rows as they are).

Written as version 18 after item 6+7's version 17: :data:`NUMBER` is the one place that
says which step this is, if the two land in the other order.
"""

from __future__ import annotations

import peewee

from pos.db.migrations.common import strict

NUMBER = 18
"""The version this step makes (see the module docstring)."""


def step(db: peewee.Database) -> None:
    """Take a database to version :data:`NUMBER` from the one before."""

    class Base(peewee.Model):
        class Meta:
            database = db
            strict_tables = strict(db)

    class Cart(Base):  # only what the foreign key needs of it
        class Meta:
            table_name = "cart"

    class CartDiscount(Base):
        cart = peewee.ForeignKeyField(Cart, on_delete="CASCADE", index=False)
        line_no = peewee.IntegerField(constraints=[peewee.Check("line_no >= 0")])
        kind = peewee.TextField(
            constraints=[
                peewee.Check(
                    "(kind = 'percent' AND value BETWEEN 1 AND 10000) "
                    "OR (kind = 'amount' AND value > 0 AND line_no > 0)"
                )
            ]
        )
        value = peewee.IntegerField()
        reason = peewee.TextField()
        operator = peewee.TextField(null=True)
        approver = peewee.TextField(null=True)

        class Meta:
            table_name = "cart_discount"
            indexes = ((("cart", "line_no"), True),)

    db.create_tables([CartDiscount])
    db.execute_sql('ALTER TABLE "sale_discount" ADD COLUMN "reason" TEXT')
    db.execute_sql(
        'ALTER TABLE "sale_discount" ADD COLUMN "rate" INTEGER '
        "CONSTRAINT sale_discount_rate_range CHECK (rate BETWEEN 1 AND 10000)"
    )
    # the reports count the cashier's discounts apart from the promotions: a covering index
    # (as v9's for payments and VAT), which replaces the plain one on the sale id
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS sale_discount_report ON sale_discount (sale_id, kind, amount)"
    )
    db.execute_sql('DROP INDEX IF EXISTS "salediscount_sale_id"')
