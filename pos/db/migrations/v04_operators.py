"""Schema version 4: operators, refresh-token state, revoked tokens, used overrides, the
audit log.
"""

from __future__ import annotations

import peewee

from pos.db.migrations.common import strict


def step(db: peewee.Database) -> None:
    """Take a database from version 3 to version 4."""

    class Base(peewee.Model):
        class Meta:
            database = db
            strict_tables = strict(db)

    class Operator(Base):
        number = peewee.TextField(
            unique=True, constraints=[peewee.Check("length(number) BETWEEN 1 AND 12")]
        )
        name = peewee.TextField(constraints=[peewee.Check("length(name) BETWEEN 1 AND 80")])
        role = peewee.TextField(
            constraints=[peewee.Check("role IN ('cashier', 'supervisor', 'manager')")]
        )
        active = peewee.IntegerField(default=1, constraints=[peewee.Check("active IN (0, 1)")])
        pin_hash = peewee.TextField()
        failed_attempts = peewee.IntegerField(default=0)
        locked_until = peewee.TextField(null=True)
        tokens_valid_after = peewee.IntegerField(default=0)

        class Meta:
            table_name = "operator"

    class RefreshToken(Base):
        token_hash = peewee.TextField(unique=True)
        family = peewee.TextField(index=True)
        operator = peewee.TextField(index=True)
        expires_at = peewee.IntegerField()
        used_at = peewee.IntegerField(null=True)
        revoked = peewee.IntegerField(default=0)

        class Meta:
            table_name = "refresh_token"

    class RevokedToken(Base):
        jti = peewee.TextField()
        iss = peewee.TextField()
        expires_at = peewee.IntegerField(index=True)

        class Meta:
            table_name = "revoked_token"
            primary_key = peewee.CompositeKey("jti", "iss")

    class UsedOverride(Base):
        jti = peewee.TextField(primary_key=True)
        used_at = peewee.IntegerField()

        class Meta:
            table_name = "used_override"

    class AuditLog(Base):
        seq = peewee.AutoField()
        at = peewee.TextField()
        till = peewee.TextField()
        operator = peewee.TextField(null=True)
        event = peewee.TextField(index=True)
        details = peewee.TextField()
        prev_hash = peewee.TextField()
        hash = peewee.TextField()

        class Meta:
            table_name = "audit_log"

    db.create_tables([Operator, RefreshToken, RevokedToken, UsedOverride, AuditLog])
    if not isinstance(db, peewee.SqliteDatabase):  # PostgreSQL: the same rule in PL/pgSQL
        db.execute_sql(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$"
        )
        db.execute_sql(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        db.execute_sql(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        # append-only: the chain of hashes shows tampering, these make it harder
        db.execute_sql(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )
        db.execute_sql(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )
