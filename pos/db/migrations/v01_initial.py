"""Schema version 1: products, settings, and the open cart with its lines."""

from __future__ import annotations

import peewee

from pos.db.migrations.common import strict


def step(db: peewee.Database) -> None:
    """Take a database from version 0 to version 1."""

    class Base(peewee.Model):
        class Meta:
            database = db
            strict_tables = strict(db)

    class Setting(Base):
        key = peewee.TextField(primary_key=True)
        value = peewee.TextField()

        class Meta:
            table_name = "setting"

    class Product(Base):
        barcode = peewee.TextField(
            unique=True, constraints=[peewee.Check("length(barcode) BETWEEN 8 AND 14")]
        )
        name = peewee.TextField(constraints=[peewee.Check("length(name) BETWEEN 1 AND 120")])
        price = peewee.IntegerField(constraints=[peewee.Check("price BETWEEN 0 AND 99999999999")])
        tax_rate = peewee.IntegerField(
            default=0, constraints=[peewee.Check("tax_rate BETWEEN 0 AND 10000")]
        )
        unit = peewee.TextField(
            default="each", constraints=[peewee.Check("unit IN ('each', 'kg')")]
        )

        class Meta:
            table_name = "product"

    class Cart(Base):
        uuid = peewee.TextField(unique=True)
        till = peewee.TextField()
        opened_at = peewee.TextField()

        class Meta:
            table_name = "cart"

    class CartLine(Base):
        cart = peewee.ForeignKeyField(Cart, on_delete="CASCADE", backref="lines")
        line_no = peewee.IntegerField(constraints=[peewee.Check("line_no >= 1")])
        barcode = peewee.TextField()
        name = peewee.TextField()
        unit = peewee.TextField(constraints=[peewee.Check("unit IN ('each', 'kg')")])
        unit_price = peewee.IntegerField(
            constraints=[peewee.Check("unit_price BETWEEN 0 AND 99999999999")]
        )
        qty = peewee.IntegerField(constraints=[peewee.Check("qty BETWEEN 1 AND 999999")])
        tax_rate = peewee.IntegerField(constraints=[peewee.Check("tax_rate BETWEEN 0 AND 10000")])
        fixed_price = peewee.IntegerField(
            default=0, constraints=[peewee.Check("fixed_price IN (0, 1)")]
        )

        class Meta:
            table_name = "cart_line"
            indexes = ((("cart", "line_no"), True),)

    db.create_tables([Setting, Product, Cart, CartLine])
