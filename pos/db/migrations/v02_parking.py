"""Schema version 2: carts can be parked (held) and recalled: a status and the time it was
parked.
"""

from __future__ import annotations

import peewee

from pos.db.migrations.common import SchemaMigrator, migrate


def step(db: peewee.Database) -> None:
    """Take a database from version 1 to version 2."""
    migrator = SchemaMigrator.from_database(db)
    migrate(
        # allow_not_null with a DDL default adds the column in place: SQLite's
        # table rebuild (peewee's route for NOT NULL) would drop STRICT.
        migrator.add_column(
            "cart",
            "status",
            peewee.TextField(
                constraints=[
                    peewee.SQL("DEFAULT 'open'"),
                    peewee.Check("status IN ('open', 'parked')"),
                ]
            ),
            allow_not_null=True,
        ),
        migrator.add_column("cart", "parked_at", peewee.TextField(null=True)),
        migrator.add_index("cart", ("status", "till")),
    )
