"""Schema version 3: discount rules: the condition and the reward as JSON keyed by type, the
rest as columns.
"""

from __future__ import annotations

import peewee

from pos.db.migrations.common import strict


def step(db: peewee.Database) -> None:
    """Take a database from version 2 to version 3."""

    class DiscountRule(peewee.Model):
        name = peewee.TextField(
            unique=True, constraints=[peewee.Check("length(name) BETWEEN 1 AND 80")]
        )
        kind = peewee.TextField()
        conditions = (
            peewee.TextField()
        )  # {"items": {...}} | {"any_of": [...], "count": n}, min_subtotal
        reward = peewee.TextField()  # {"price": "1.30"} | {"free": 1} | {"percent": "10"} | ...
        exclusive = peewee.IntegerField(
            default=0, constraints=[peewee.Check("exclusive IN (0, 1)")]
        )
        priority = peewee.IntegerField(default=0)
        rule_group = peewee.TextField(null=True)
        starts_at = peewee.TextField(null=True)
        ends_at = peewee.TextField(null=True)
        weekdays = peewee.TextField(null=True)
        hours = peewee.TextField(null=True)
        active = peewee.IntegerField(default=1, constraints=[peewee.Check("active IN (0, 1)")])

        class Meta:
            database = db
            table_name = "discount_rule"
            strict_tables = strict(db)

    db.create_tables([DiscountRule])
