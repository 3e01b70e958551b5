"""Schema version 7: a sale keeps the discount rules that priced it (their file format) and
the local time it was priced at, so a refund can re-price what the customer keeps; sales
saved before have neither (NULL) and keep the proportional refund. A refund line may carry
only money (``qty`` 0): the rest of what was paid for a line that came back in an earlier
refund.
"""

from __future__ import annotations

import peewee

from pos.db.migrations.common import SchemaMigrator, migrate, strict


def step(db: peewee.Database) -> None:
    """Take a database from version 6 to version 7."""
    migrator = SchemaMigrator.from_database(db)
    migrate(
        migrator.add_column("sale", "rules", peewee.TextField(null=True)),  # JSON list
        migrator.add_column("sale", "priced_at", peewee.TextField(null=True)),  # local, naive
    )
    if not isinstance(db, peewee.SqliteDatabase):  # PostgreSQL changes a CHECK in place
        db.execute_sql('ALTER TABLE "refund_line" DROP CONSTRAINT "refund_line_qty_check"')
        db.execute_sql(
            'ALTER TABLE "refund_line" ADD CONSTRAINT "refund_line_qty_check" CHECK (qty >= 0)'
        )
        db.execute_sql(
            'ALTER TABLE "refund_line" ADD CONSTRAINT "refund_line_check" '
            "CHECK (qty >= 1 OR amount > 0)"
        )
        return

    class Base(peewee.Model):
        class Meta:
            database = db
            strict_tables = strict(db)

    class Refund(Base):  # only what the foreign key needs
        class Meta:
            table_name = "refund"

    class RefundLine(Base):
        refund = peewee.ForeignKeyField(Refund, on_delete="RESTRICT", backref="lines")
        line_no = peewee.IntegerField()
        qty = peewee.IntegerField(constraints=[peewee.Check("qty >= 0")])
        amount = peewee.IntegerField(
            constraints=[peewee.Check("amount >= 0"), peewee.Check("qty >= 1 OR amount > 0")]
        )

        class Meta:
            table_name = "refund_line"

    # SQLite cannot change a CHECK in place: move the old table aside, create the new one
    # (same name, same index), copy the rows, drop the old one.
    db.execute_sql('ALTER TABLE "refund_line" RENAME TO "refund_line_v6"')
    db.execute_sql('DROP INDEX IF EXISTS "refundline_refund_id"')
    db.create_tables([RefundLine])
    db.execute_sql(
        'INSERT INTO "refund_line" (id, refund_id, line_no, qty, amount) '
        'SELECT id, refund_id, line_no, qty, amount FROM "refund_line_v6"'
    )
    db.execute_sql('DROP TABLE "refund_line_v6"')
