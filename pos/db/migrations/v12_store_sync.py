"""Schema version 12: what a store of tills that sell from their own files needs (issue 19).

Both kinds of database:

* a trading day gets a ``uuid`` (chosen on the till), so the server can hold every
  till's days and the sales that point at them without the tills' ids colliding;
* the rows a till copies from its store (products, rules, operators, settings) carry the
  server's ``version`` of them, which the till pulls by.

On a store's server (PostgreSQL):

* ``store_meta``: the store's id (a till checks it is talking to its own store) and the
  newest change version;
* a trigger stamps every written product, rule, operator and setting with the version of
  its transaction. The version is taken from ``store_meta`` under its row lock, held to
  the commit, so versions become visible in the order they were given: a till that has
  read version 10 will never later find a 9 it missed (the commit-order trap of change
  ids, see docs/architecture.md). The first stamp of a transaction also sends
  ``NOTIFY pos_store`` (the doorbell; delivered at commit, once per transaction);
* ``tombstone``: what was deleted, at which version;
* ``till_audit``: every till's own audit chain (``chain``: the till that pushed it),
  as it was written on the till: one hash chain per till;
* ``till_sync``: the newest outbox entry the server holds from each till, and the id of
  the till file that sells under that name (a second file under the same name is refused,
  not merged). It travels with the data, so a server restored from an older backup says
  how far back it is, and the till pushes again what the server no longer has.

On a till's file (SQLite):

* ``outbox``: one entry per completed sale, refund, day opened or closed and audit entry,
  written by triggers in the same transaction as the row, once the file belongs to a
  store (``sync_state`` has its ``store``): the sync worker pushes them in order;
* ``sync_state``: the store this file belongs to and how far it has pushed and pulled.
"""

from __future__ import annotations

import peewee

from pos.db.migrations.common import SchemaMigrator, migrate
from pos.db.store_schema import STORE_CHANNEL, SYNCED_TABLES


def step(db: peewee.Database) -> None:
    """Days get ids of their own, synced rows a version, and the store's tables (above)."""
    migrator = SchemaMigrator.from_database(db)
    version = peewee.IntegerField(constraints=[peewee.SQL("DEFAULT 0")])
    migrate(
        migrator.add_column("till_day", "uuid", peewee.TextField(null=True)),
        *(migrator.add_column(t, "version", version, allow_not_null=True) for t in SYNCED_TABLES),
    )
    if isinstance(db, peewee.SqliteDatabase):
        db.execute_sql("UPDATE till_day SET uuid = lower(hex(randomblob(16))) WHERE uuid IS NULL")
        db.execute_sql('CREATE UNIQUE INDEX "till_day_uuid" ON "till_day" ("uuid")')
        _till_file(db)
    else:
        db.execute_sql("UPDATE till_day SET uuid = md5(random()::text || id) WHERE uuid IS NULL")
        db.execute_sql('CREATE UNIQUE INDEX "till_day_uuid" ON "till_day" ("uuid")')
        _store_server(db)


def _till_file(db: peewee.Database) -> None:
    db.execute_sql(
        "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, "
        "ref TEXT NOT NULL, pushed_at TEXT) STRICT"
    )
    db.execute_sql("CREATE INDEX outbox_waiting ON outbox (pushed_at, seq)")
    db.execute_sql("CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT")
    linked = "EXISTS (SELECT 1 FROM sync_state WHERE key = 'store')"
    for name, event, kind, ref in (
        ("sale_outbox", "AFTER INSERT ON sale", "sale", "NEW.uuid"),
        ("refund_outbox", "AFTER INSERT ON refund", "refund", "NEW.uuid"),
        ("day_open_outbox", "AFTER INSERT ON till_day", "day", "NEW.uuid"),
        ("day_close_outbox", "AFTER UPDATE OF closed_at ON till_day", "day", "NEW.uuid"),
        ("audit_outbox", "AFTER INSERT ON audit_log", "audit", "NEW.seq"),
    ):
        db.execute_sql(
            f"CREATE TRIGGER {name} {event} WHEN {linked} BEGIN "
            f"INSERT INTO outbox (kind, ref) VALUES ('{kind}', {ref}); END"
        )


def _store_server(db: peewee.Database) -> None:
    db.execute_sql("CREATE TABLE store_meta (store_id TEXT NOT NULL, version BIGINT NOT NULL)")
    db.execute_sql("INSERT INTO store_meta VALUES (md5(random()::text || clock_timestamp()), 0)")
    db.execute_sql(
        "CREATE TABLE tombstone (id BIGSERIAL PRIMARY KEY, version BIGINT NOT NULL, "
        'kind TEXT NOT NULL, row_id BIGINT NOT NULL, key TEXT COLLATE "C" NOT NULL)'
    )
    db.execute_sql("CREATE INDEX tombstone_version ON tombstone (version, id)")
    db.execute_sql(
        'CREATE TABLE till_audit (chain TEXT COLLATE "C" NOT NULL, seq BIGINT NOT NULL, '
        'at TEXT COLLATE "C" NOT NULL, till TEXT NOT NULL, operator TEXT, event TEXT NOT NULL, '
        "details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, "
        "PRIMARY KEY (chain, seq))"
    )
    db.execute_sql(
        'CREATE TABLE till_sync (till TEXT COLLATE "C" PRIMARY KEY, pushed BIGINT NOT NULL, '
        "at TEXT NOT NULL, file_id TEXT NOT NULL)"
    )
    # the version of this transaction's changes: taken once, under store_meta's row lock
    db.execute_sql(
        "CREATE FUNCTION pos_change_version() RETURNS bigint LANGUAGE plpgsql AS $$ "
        "DECLARE v text := current_setting('pos.change_version', true); n bigint; "
        "BEGIN "
        "IF v IS NOT NULL AND v <> '' THEN RETURN v::bigint; END IF; "
        "UPDATE store_meta SET version = version + 1 RETURNING version INTO n; "
        "PERFORM set_config('pos.change_version', n::text, true); "
        f"PERFORM pg_notify('{STORE_CHANNEL}', ''); "
        "RETURN n; END $$"
    )
    db.execute_sql(
        "CREATE FUNCTION pos_stamp_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN NEW.version := pos_change_version(); RETURN NEW; END $$"
    )
    keys = {"product": "barcode", "discount_rule": "name", "operator": "number", "setting": "key"}
    for table, key in keys.items():
        row_id = "0" if table == "setting" else "OLD.id"
        db.execute_sql(
            f"CREATE FUNCTION pos_tombstone_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN INSERT INTO tombstone (version, kind, row_id, key) VALUES "
            f"(pos_change_version(), '{table}', {row_id}, OLD.{key}); RETURN OLD; END $$"
        )
        # a row that already carries this transaction's version (a bulk write that took it
        # with SELECT pos_change_version()) skips the call: an import pays no function per row
        db.execute_sql(
            f"CREATE TRIGGER {table}_version BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW "
            "WHEN (NEW.version::text IS DISTINCT FROM current_setting('pos.change_version', true)) "
            "EXECUTE FUNCTION pos_stamp_version()"
        )
        db.execute_sql(
            f"CREATE TRIGGER {table}_tombstone AFTER DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION pos_tombstone_{table}()"
        )
        order = "key" if table == "setting" else "id"
        db.execute_sql(f'CREATE INDEX "{table}_changes" ON "{table}" (version, {order})')
