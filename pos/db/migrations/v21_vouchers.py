"""Schema version 21: gift vouchers (issue 22).

* ``product.voucher`` (0 or 1): the catalog flag of a voucher product. Scanning one adds
  a voucher line (its price is the voucher's face value); ``cart_line.voucher`` and
  ``sale_line.voucher`` keep that flag with the line, so that no promotion touches it, no
  VAT is charged on it, and the reports count it as a liability, not as takings (a
  partial index of the voucher lines, ``sale_line_voucher``, serves the report).
* ``voucher``: one row per voucher: its ``code`` (18 digits, unique: a collision of the
  random digits is retried), its ``value`` and what is left of it (``balance``, never
  below 0 nor above the value: CHECKs, so that no code path can overspend), the last
  day it is good for (``expires``, ISO date), the sale that sold it (its uuid; NULL for a
  pre-printed card), the till and time it was issued, and ``voided``.
* ``payment.method`` may be ``voucher`` (a gift voucher paid that much; its code is the
  payment's ``reference``), and ``refund.method`` too (a refund put back onto the vouchers
  that paid the sale). SQLite cannot change a CHECK in place: each table is made again from
  its own CREATE statement with only that check changed (STRICT, its keys kept;
  ``refund_line``, which refers to ``refund``, set aside and put back first), its rows
  copied and its indexes and triggers made again, as v17 did. PostgreSQL swaps the check
  in place.
* ``voucher_use``: each redemption (``amount`` > 0) and each refund put back onto a
  voucher (``amount`` < 0), under the id of the sale or refund that did it (``ref``: its
  uuid; unique per voucher, so that a retried commit or a second push takes nothing
  twice); ``claimed`` is 0 for a redemption a store's till took while its server was down
  (within ``offline_voucher_limit``), 1 for one the server granted (or a till of its own).
* ``voucher_overspend`` (the store's server): what a till's offline redemption took beyond
  what the voucher held when its sale reached the server, by code and the sale's uuid (once
  each), for the server's report.

Standard SQL, the same on SQLite and a store's PostgreSQL server. Version 21, after the
coupons' versions 19 and 20.
"""

from __future__ import annotations

import peewee

from pos.db.migrations.common import strict

NUMBER = 21
"""The version this step makes (see the module docstring)."""

OLD_METHODS = "method IN ('cash', 'card')"
NEW_METHODS = "method IN ('cash', 'card', 'voucher')"


def step(db: peewee.Database) -> None:
    """Take a database to version :data:`NUMBER` from the one before."""

    class Base(peewee.Model):
        class Meta:
            database = db
            strict_tables = strict(db)

    class Voucher(Base):
        code = peewee.TextField(unique=True)
        value = peewee.IntegerField(constraints=[peewee.Check("value > 0")])
        balance = peewee.IntegerField(
            constraints=[peewee.Check("balance >= 0 AND balance <= value")]
        )
        expires = peewee.TextField()
        sale = peewee.TextField(null=True, index=True)
        till = peewee.TextField()
        issued_at = peewee.TextField()
        voided = peewee.IntegerField(
            default=0, constraints=[peewee.SQL("DEFAULT 0"), peewee.Check("voided IN (0, 1)")]
        )

        class Meta:
            table_name = "voucher"

    class VoucherUse(Base):
        voucher = peewee.ForeignKeyField(Voucher, on_delete="RESTRICT", index=False)
        ref = peewee.TextField()
        amount = peewee.IntegerField(constraints=[peewee.Check("amount <> 0")])
        till = peewee.TextField()
        at = peewee.TextField()
        claimed = peewee.IntegerField(
            default=1, constraints=[peewee.SQL("DEFAULT 1"), peewee.Check("claimed IN (0, 1)")]
        )

        class Meta:
            table_name = "voucher_use"
            indexes = ((("voucher", "ref"), True), (("ref",), False))

    class VoucherOverspend(Base):
        code = peewee.TextField()
        ref = peewee.TextField()
        till = peewee.TextField()
        at = peewee.TextField()
        amount = peewee.IntegerField(constraints=[peewee.Check("amount > 0")])

        class Meta:
            table_name = "voucher_overspend"
            indexes = ((("code", "ref"), True), (("till", "at"), False))

    db.create_tables([Voucher, VoucherUse, VoucherOverspend])
    if isinstance(db, peewee.SqliteDatabase):
        _methods_sqlite(db, "payment")
        _methods_sqlite(db, "refund", ("refund_line",))
    else:
        for table in ("payment", "refund"):
            (name,) = db.execute_sql(
                f"SELECT conname FROM pg_constraint WHERE conrelid = '{table}'::regclass "
                "AND contype = 'c' AND position('method' in pg_get_constraintdef(oid)) > 0"
            ).fetchone()
            db.execute_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            db.execute_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" CHECK ({NEW_METHODS})')
    for table in ("product", "cart_line", "sale_line"):
        db.execute_sql(
            f'ALTER TABLE "{table}" ADD COLUMN "voucher" INTEGER NOT NULL DEFAULT 0 '
            f"CONSTRAINT {table}_voucher_flag CHECK (voucher IN (0, 1))"
        )
    # the X/Z report counts a day's vouchers sold from their few lines: a partial index
    # (every other line is left out of it), covering what the report adds up
    db.execute_sql(
        'CREATE INDEX "sale_line_voucher" ON "sale_line" ("sale_id", "voucher", "qty", "total") '
        "WHERE voucher = 1"
    )


def _methods_sqlite(db: peewee.Database, table: str, children: tuple[str, ...] = ()) -> None:
    """Make ``table`` again with ``voucher`` among its methods (its ``children``, which
    refer to it, are set aside and put back the same way first), as v17 did for refund."""
    tables = (table, *children)
    marks = ", ".join("?" * len(tables))
    creates = dict(
        db.execute_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ({marks})",
            tables,
        ).fetchall()
    )
    extras = [
        sql
        for (sql,) in db.execute_sql(
            "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
            f"AND tbl_name IN ({marks}) AND sql IS NOT NULL ORDER BY type, name",
            tables,
        ).fetchall()
    ]
    create = str(creates[table])
    if NEW_METHODS in create:
        return  # already there (a file made again from a newer one by hand)
    if create.count(OLD_METHODS) != 1:
        raise RuntimeError(f"{table} is not as schema 18 made it: {create}")
    for name in tables[::-1]:  # the children first: nothing refers to what is set aside
        db.execute_sql(f'CREATE TABLE "{name}_v18" AS SELECT * FROM "{name}"')
        db.execute_sql(f'DROP TABLE "{name}"')
    db.execute_sql(create.replace(OLD_METHODS, NEW_METHODS))
    for name in children:
        db.execute_sql(str(creates[name]))
    for name in tables:
        db.execute_sql(f'INSERT INTO "{name}" SELECT * FROM "{name}_v18"')
        db.execute_sql(f'DROP TABLE "{name}_v18"')
    for sql in extras:
        db.execute_sql(sql)
