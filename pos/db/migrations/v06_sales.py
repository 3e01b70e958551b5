"""Schema version 6: completed sales with their lines, discounts and payments; receipt
numbers per till.
"""

from __future__ import annotations

import peewee

from pos.db.migrations.common import strict


def step(db: peewee.Database) -> None:
    """Take a database from version 5 to version 6."""

    class Base(peewee.Model):
        class Meta:
            database = db
            strict_tables = strict(db)

    class TillCounter(Base):
        till = peewee.TextField(primary_key=True)
        last_receipt = peewee.IntegerField(default=0)

        class Meta:
            table_name = "till_counter"

    class Sale(Base):
        uuid = peewee.TextField(unique=True)
        till = peewee.TextField()
        receipt_no = peewee.IntegerField(constraints=[peewee.Check("receipt_no >= 1")])
        at = peewee.TextField(index=True)
        operator = peewee.TextField(null=True)
        subtotal = peewee.IntegerField()
        discount_total = peewee.IntegerField(constraints=[peewee.Check("discount_total >= 0")])
        total = peewee.IntegerField(constraints=[peewee.Check("total >= 0")])
        tax_inclusive = peewee.IntegerField(constraints=[peewee.Check("tax_inclusive IN (0, 1)")])
        receipt_text = peewee.TextField()

        class Meta:
            table_name = "sale"
            indexes = ((("till", "receipt_no"), True),)

    class SaleLine(Base):
        sale = peewee.ForeignKeyField(Sale, on_delete="RESTRICT", backref="lines")
        line_no = peewee.IntegerField()
        barcode = peewee.TextField()
        name = peewee.TextField()
        unit = peewee.TextField()
        unit_price = peewee.IntegerField()
        qty = peewee.IntegerField(constraints=[peewee.Check("qty >= 1")])
        tax_rate = peewee.IntegerField()
        total = peewee.IntegerField()
        paid = peewee.IntegerField(constraints=[peewee.Check("paid >= 0")])
        operator = peewee.TextField(null=True)

        class Meta:
            table_name = "sale_line"
            indexes = ((("sale", "line_no"), True),)

    class SaleDiscount(Base):
        sale = peewee.ForeignKeyField(Sale, on_delete="RESTRICT", backref="discounts")
        name = peewee.TextField()
        kind = peewee.TextField()
        amount = peewee.IntegerField(constraints=[peewee.Check("amount > 0")])
        uses = peewee.TextField()  # JSON [[line_no, units], ...]

        class Meta:
            table_name = "sale_discount"

    class Payment(Base):
        sale = peewee.ForeignKeyField(Sale, on_delete="RESTRICT", backref="payments")
        method = peewee.TextField(constraints=[peewee.Check("method IN ('cash', 'card')")])
        amount = peewee.IntegerField(constraints=[peewee.Check("amount > 0")])
        tendered = peewee.IntegerField()
        change = peewee.IntegerField(default=0, constraints=[peewee.Check("change >= 0")])
        reference = peewee.TextField(default="")

        class Meta:
            table_name = "payment"

    class SaleVat(Base):
        sale = peewee.ForeignKeyField(Sale, on_delete="RESTRICT", backref="vat")
        rate = peewee.IntegerField()
        net = peewee.IntegerField()
        vat = peewee.IntegerField()
        gross = peewee.IntegerField()

        class Meta:
            table_name = "sale_vat"

    class TillDay(Base):
        till = peewee.TextField(index=True)
        z_no = peewee.IntegerField(null=True)
        opened_at = peewee.TextField()
        opened_by = peewee.TextField(null=True)
        float_amount = peewee.IntegerField(constraints=[peewee.Check("float_amount >= 0")])
        closed_at = peewee.TextField(null=True)
        closed_by = peewee.TextField(null=True)
        counted = peewee.IntegerField(null=True)
        expected = peewee.IntegerField(null=True)

        class Meta:
            table_name = "till_day"
            indexes = ((("till", "z_no"), True),)

    class Refund(Base):
        uuid = peewee.TextField(unique=True)
        sale = peewee.ForeignKeyField(Sale, on_delete="RESTRICT", backref="refunds")
        till = peewee.TextField()
        receipt_no = peewee.IntegerField()
        at = peewee.TextField(index=True)
        operator = peewee.TextField(null=True)
        approver = peewee.TextField(null=True)
        method = peewee.TextField(constraints=[peewee.Check("method IN ('cash', 'card')")])
        total = peewee.IntegerField(constraints=[peewee.Check("total > 0")])
        receipt_text = peewee.TextField()

        class Meta:
            table_name = "refund"
            indexes = ((("till", "receipt_no"), True),)

    class RefundLine(Base):
        refund = peewee.ForeignKeyField(Refund, on_delete="RESTRICT", backref="lines")
        line_no = peewee.IntegerField()
        qty = peewee.IntegerField(constraints=[peewee.Check("qty >= 1")])
        amount = peewee.IntegerField(constraints=[peewee.Check("amount >= 0")])

        class Meta:
            table_name = "refund_line"

    db.create_tables(
        [TillCounter, Sale, SaleLine, SaleDiscount, Payment, SaleVat, TillDay, Refund, RefundLine]
    )
