"""Schema version 16: the cash office's movements of cash (issue 21): a "No sale" (the
drawer opened without a sale), a paid in, a paid out and a cash pickup (to the safe).

Each row carries its id chosen on the till (``uuid``), as sales and refunds do, so that
a store's till pushes it to the server exactly once (a second push of the same id is a
no-op there); the till, the trading day it counts in, who did it (and the manager who
approved it, if one had to), the amount in minor units (0 for a "No sale") and the reason.
On a till's file a trigger puts each new movement in the outbox, in the same transaction.
"""

from __future__ import annotations

import peewee

from pos.db.migrations.common import strict


def step(db: peewee.Database) -> None:
    """Take a database from version 15 to version 16."""

    class Base(peewee.Model):
        class Meta:
            database = db
            strict_tables = strict(db)

    class TillDay(Base):  # only what the foreign key needs of it
        class Meta:
            table_name = "till_day"

    class CashMovement(Base):
        uuid = peewee.TextField(unique=True)
        till = peewee.TextField()
        day = peewee.ForeignKeyField(TillDay, null=True, index=False, on_delete="RESTRICT")
        at = peewee.TextField()
        operator = peewee.TextField(null=True)
        approver = peewee.TextField(null=True)
        kind = peewee.TextField(
            constraints=[
                peewee.Check("kind IN ('no_sale', 'paid_in', 'paid_out', 'pickup')"),
            ]
        )
        amount = peewee.IntegerField(
            constraints=[
                peewee.Check(
                    "(kind = 'no_sale' AND amount = 0) OR (kind <> 'no_sale' AND amount > 0)"
                )
            ]
        )
        reason = peewee.TextField()

        class Meta:
            table_name = "cash_movement"
            indexes = ((("day", "till"), False), (("till", "at"), False))

    db.create_tables([CashMovement])
    if isinstance(db, peewee.SqliteDatabase):  # a till's file: v12 gave it its outbox
        db.execute_sql(
            "CREATE TRIGGER cash_movement_outbox AFTER INSERT ON cash_movement "
            "WHEN EXISTS (SELECT 1 FROM sync_state WHERE key = 'store') BEGIN "
            "INSERT INTO outbox (kind, ref) VALUES ('cash', NEW.uuid); END"
        )
