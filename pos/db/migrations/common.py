"""What the schema steps share: peewee's schema migrator, and whether tables are STRICT."""

from __future__ import annotations

import peewee

from pos.db import without_driver

with without_driver():  # see pos.db: no psycopg through its CockroachDB support
    from playhouse.migrate import SchemaMigrator, migrate

__all__ = ["SchemaMigrator", "migrate", "strict"]


def strict(db: peewee.Database) -> bool:
    """Whether a step's tables are STRICT: SQLite then enforces column types, as other
    databases do anyway."""
    return isinstance(db, peewee.SqliteDatabase)
