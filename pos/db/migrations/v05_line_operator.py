"""Schema version 5: each cart line records the operator who scanned it."""

from __future__ import annotations

import peewee

from pos.db.migrations.common import SchemaMigrator, migrate


def step(db: peewee.Database) -> None:
    """Take a database from version 4 to version 5."""
    migrator = SchemaMigrator.from_database(db)
    migrate(migrator.add_column("cart_line", "operator", peewee.TextField(null=True)))
