"""Schema version 17: refunds without a receipt, and a reason on every refund (issue 21,
items 6 and 7).

* ``refund.sale_id`` may be NULL: a refund without a receipt pays back items that no sale
  on record sold. It stays a row of ``refund`` (not a table of its own) because a refund
  without a receipt is a refund in every other way: it shares the till's receipt numbers,
  the history and its reprints, the X/Z report's refunds by cash or card (so the cash-up
  counts it with no new term), its trading day, the outbox trigger and the store's push.
  A table of its own would have doubled each of those paths; NULL is the one difference,
  and every query that joins a refund to its sale says what it does without one.
* ``refund.reason``: why the customer brought it back, one of the ``refund_reasons``
  setting (NULL for refunds made before this version). A refund without a receipt must
  have one (a CHECK).
* The report's covering index of a day's refunds (``refund_day_report``) takes the reason.
* ``refund_line`` gains ``barcode``, ``name``, ``unit``, ``unit_price`` (what was paid
  back per unit, at most the day's price) and ``tax_rate``: a line of a refund without a
  receipt carries what a sale line would have told (NULL on the lines of a sale's refund,
  which read them from the sale line of the same number).

SQLite cannot drop a NOT NULL in place: ``refund`` is made again from its own CREATE
statement with only that changed (STRICT, its checks and keys kept), its rows copied,
and its indexes and triggers (the outbox's) made again as they were. ``refund_line``
refers to it, so it is set aside and put back the same way first. PostgreSQL drops the
NOT NULL in place.
"""

from __future__ import annotations

import peewee

NOT_NULL_SALE = '"sale_id" INTEGER NOT NULL'
NULLABLE_SALE = '"sale_id" INTEGER,'


def step(db: peewee.Database) -> None:
    """Take a database from version 16 to version 17."""
    if isinstance(db, peewee.SqliteDatabase):
        _sale_nullable_sqlite(db)
    else:
        db.execute_sql('ALTER TABLE "refund" ALTER COLUMN "sale_id" DROP NOT NULL')
    db.execute_sql(
        'ALTER TABLE "refund" ADD COLUMN "reason" TEXT '
        'CHECK ("sale_id" IS NOT NULL OR "reason" IS NOT NULL)'
    )
    integer = "INTEGER" if isinstance(db, peewee.SqliteDatabase) else "BIGINT"  # as peewee
    for column, kind in (
        ("barcode", "TEXT"),
        ("name", "TEXT"),
        ("unit", "TEXT CHECK (unit IN ('each', 'kg'))"),
        ("unit_price", f"{integer} CHECK (unit_price > 0)"),
        ("tax_rate", f"{integer} CHECK (tax_rate >= 0)"),
    ):
        db.execute_sql(f'ALTER TABLE "refund_line" ADD COLUMN "{column}" {kind}')
    # the X/Z report adds up a day's refunds by method, reason and with or without a sale
    # from this one covering index, as before from the one it replaces (v10)
    db.execute_sql('DROP INDEX IF EXISTS "refund_day_report"')
    db.execute_sql(
        'CREATE INDEX "refund_day_report" ON "refund" '
        '("day_id", "till", "at", "method", "operator", "total", "sale_id", "reason")'
    )


def _sale_nullable_sqlite(db: peewee.Database) -> None:
    tables = ("refund", "refund_line")
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
    refund_sql = str(creates["refund"])
    if NULLABLE_SALE in refund_sql:
        return  # already nullable (a file made again from a newer one by hand): no rebuild
    if refund_sql.count(NOT_NULL_SALE) != 1:
        raise RuntimeError(f"refund is not as schema 16 made it: {refund_sql}")
    # the child first (it refers to refund), then refund: neither is referred to once
    # set aside, so no foreign key is broken on the way, even with them enforced
    for table in tables[::-1]:
        db.execute_sql(f'CREATE TABLE "{table}_v16" AS SELECT * FROM "{table}"')
        db.execute_sql(f'DROP TABLE "{table}"')
    db.execute_sql(refund_sql.replace(NOT_NULL_SALE, NULLABLE_SALE.rstrip(",")))
    db.execute_sql(str(creates["refund_line"]))
    for table in tables:
        db.execute_sql(f'INSERT INTO "{table}" SELECT * FROM "{table}_v16"')
        db.execute_sql(f'DROP TABLE "{table}_v16"')
    for sql in extras:
        db.execute_sql(sql)
