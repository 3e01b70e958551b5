"""Schema version 10: each sale and refund records the trading day it was taken in
(``day_id``, written in its own transaction), so the Z report counts a day's rows by that
id whatever the clock said; rows saved before (NULL) keep the time-range rule. A covering
index per table serves that path as ``sale_report`` serves the time range: the day's rows
are one range on (day_id, till), and the old rows one range on (NULL, till, at).

Operators get a revocation counter (``token_generation``): a PIN change, a deactivation or
a reactivation adds one, and a token carries the value it was issued under and is good
only while it is equal, so revocation no longer compares times and a clock that went back
locks nobody out.

A trading day also records where the audit log stood when it opened (``audit_seq``: the
newest entry's number), so the voids and overrides of a day are the till's entries after
it, whatever the clock said (NULL for days opened before: by time).

Standard SQL only (ADD COLUMN, CREATE INDEX IF NOT EXISTS): it runs on SQLite and on
PostgreSQL alike, with no table rebuild.
"""

from __future__ import annotations

import peewee

from pos.db.migrations.common import SchemaMigrator, migrate


def step(db: peewee.Database) -> None:
    """Take a database from version 9 to version 10."""

    class TillDay(peewee.Model):  # only what the foreign keys need
        id = peewee.AutoField()

        class Meta:
            database = db
            table_name = "till_day"

    def day_field() -> peewee.ForeignKeyField[TillDay | None]:
        return peewee.ForeignKeyField(
            TillDay, field=TillDay.id, null=True, index=False, on_delete="RESTRICT"
        )

    migrator = SchemaMigrator.from_database(db)
    migrate(
        migrator.add_column("sale", "day_id", day_field()),
        migrator.add_column("refund", "day_id", day_field()),
        # a DDL default with allow_not_null adds the column in place (see v02_parking)
        migrator.add_column(
            "operator",
            "token_generation",
            peewee.IntegerField(constraints=[peewee.SQL("DEFAULT 0")]),
            allow_not_null=True,
        ),
        migrator.add_column("till_day", "audit_seq", peewee.IntegerField(null=True)),
    )
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "sale_day_report" ON "sale" '
        '("day_id", "till", "at", "operator", "subtotal", "discount_total", "total")'
    )
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "refund_day_report" ON "refund" '
        '("day_id", "till", "at", "method", "operator", "total", "sale_id")'
    )
