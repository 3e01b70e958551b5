"""What SQLite and PostgreSQL do differently, in one place: the repositories ask
:func:`dialect` and never look at which database they are on.

(The connection, its settings and the schema version are in :mod:`pos.db.database` for
SQLite and :mod:`pos.db.server` for PostgreSQL; the schema steps in
:mod:`pos.db.migrations`.)
"""

from __future__ import annotations

import peewee

from pos.db.errors import is_sqlite

AUDIT_LOCK = 0x504F5301
"""PostgreSQL: an advisory lock held for the rest of a transaction that appends to the
audit log (see :meth:`Dialect.order_audit_appends`)."""


class Dialect:
    """SQLite's way; :class:`Postgres` overrides what differs."""

    like = "LIKE"
    """Pattern match in any (ASCII) case: SQLite's LIKE ignores case."""

    def order_audit_appends(self, db: peewee.Database) -> None:
        """Make the audit log's appends take turns until the transaction ends: its hash
        chain is one sequence for every till. (SQLite's write lock, taken at BEGIN,
        already does.)"""

    def after_given_ids(self, db: peewee.Database, table: str, last_id: int) -> None:
        """Rows went into ``table`` with ids given by the caller (a bulk path): let the
        database's own id source carry on after them. (SQLite's rowid does.)"""

    def drop_secondary_indexes(
        self, db: peewee.Database, table: str, *, unique: bool = False
    ) -> list[str]:
        """Drop ``table``'s indexes that are neither unique (unless ``unique``) nor the
        primary key nor the database's own; returns the statements that create them
        again."""
        cursor = db.cursor()
        names = [
            name
            for _, name, is_unique, origin, _ in cursor.execute(f'PRAGMA index_list("{table}")')
            if (unique or not is_unique) and origin == "c"
        ]
        statements = []
        for name in names:
            (sql,) = cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
            ).fetchone()
            statements.append(sql)
            cursor.execute(f'DROP INDEX "{name}"')
        return statements


class Postgres(Dialect):
    like = "ILIKE"  # PostgreSQL's LIKE minds case

    def order_audit_appends(self, db: peewee.Database) -> None:
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK,))

    def after_given_ids(self, db: peewee.Database, table: str, last_id: int) -> None:
        db.execute_sql("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", (table, last_id))

    def drop_secondary_indexes(
        self, db: peewee.Database, table: str, *, unique: bool = False
    ) -> list[str]:
        cursor = db.cursor()
        found = cursor.execute(
            "SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class c ON c.oid = x.indexrelid "
            "WHERE x.indrelid = to_regclass(%s) AND (%s OR NOT x.indisunique) "
            "AND NOT x.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)",
            (f'"{table}"', unique),
        ).fetchall()
        for name, _ in found:
            cursor.execute(f'DROP INDEX "{name}"')
        return [sql for _, sql in found]


SQLITE = Dialect()
POSTGRES = Postgres()


def dialect(db: peewee.Database) -> Dialect:
    return SQLITE if is_sqlite(db) else POSTGRES
