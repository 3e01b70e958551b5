"""Schema version 19: coupon codes (issue 22).

``coupon_code`` holds every coupon code issued: the code (EAN-13, ``99`` + the store's
number + 7 random digits + the check digit, :mod:`pos.domain.coupons`; unique, so a
collision is retried), the coupon rule it unlocks (by name), the sales it was good for
(``uses``) and how many are left (``uses_left``: taken by a conditional update when a
sale commits, so it never goes below zero however many tills use it at once), its last
day (``expires``, a local date, NULL for none), whether it was voided, when and by whom
it was issued, and ``version`` (the store's, as the rules', for the tills' pull).

``rule_use`` counts the sales each rule was used in, for a rule's ``max_uses`` (taken in
the sale's transaction by the same kind of conditional update). ``cart_coupon`` keeps the
coupons scanned into an open or parked cart (they go with it: ``ON DELETE CASCADE``), so
that a restart keeps them; ``sale_coupon`` the codes a completed sale used, and whether a
refund gave the use back. Standard SQL, the same on SQLite and a store's PostgreSQL server.

Written as version 19: :data:`NUMBER` is the one place that says which step this is.
"""

from __future__ import annotations

import peewee

from pos.db.migrations.common import strict

NUMBER = 19
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

    class Sale(Base):  # only what the foreign key needs of it
        class Meta:
            table_name = "sale"

    class CouponCode(Base):
        code = peewee.TextField(unique=True)
        rule = peewee.TextField()
        uses = peewee.IntegerField(constraints=[peewee.Check("uses BETWEEN 1 AND 1000000")])
        uses_left = peewee.IntegerField(
            constraints=[peewee.Check("uses_left >= 0 AND uses_left <= uses")]
        )
        expires = peewee.TextField(null=True)
        voided = peewee.IntegerField(default=0)
        issued_at = peewee.TextField()
        issued_by = peewee.TextField(null=True)
        version = peewee.IntegerField(default=0)

        class Meta:
            table_name = "coupon_code"
            indexes = ((("rule",), False),)

    class RuleUse(Base):
        rule = peewee.TextField(primary_key=True)
        used = peewee.IntegerField(default=0, constraints=[peewee.Check("used >= 0")])

        class Meta:
            table_name = "rule_use"

    class CartCoupon(Base):
        cart = peewee.ForeignKeyField(Cart, on_delete="CASCADE", index=False)
        code = peewee.TextField()
        rule = peewee.TextField()

        class Meta:
            table_name = "cart_coupon"
            indexes = ((("cart", "code"), True),)

    class SaleCoupon(Base):
        sale = peewee.ForeignKeyField(Sale, on_delete="CASCADE", index=False)
        code = peewee.TextField()
        rule = peewee.TextField()
        returned = peewee.IntegerField(default=0)

        class Meta:
            table_name = "sale_coupon"
            indexes = ((("sale", "code"), True), (("code",), False))

    db.create_tables([CouponCode, RuleUse, CartCoupon, SaleCoupon])
