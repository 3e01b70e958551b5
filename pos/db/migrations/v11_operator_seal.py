"""Schema version 11: operator rows carry a seal (``row_mac``, :mod:`pos.auth.seal`), an HMAC
keyed from the key file. The rows there are sealed in the same upgrade by its caller
(:func:`pos.db.database.sealing_upgrade`), which has the key file; this step only adds the
column (standard SQL, SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import peewee

from pos.db.migrations.common import SchemaMigrator, migrate


def step(db: peewee.Database) -> None:
    """Take a database from version 10 to version 11."""
    migrator = SchemaMigrator.from_database(db)
    migrate(migrator.add_column("operator", "row_mac", peewee.TextField(null=True)))
