"""PostgreSQL: the database a store's tills share (issue 9).

A server database is named by its URL (``postgresql://user:password@host:port/dbname``,
parsed by peewee's ``playhouse.db_url``; psycopg 3 is the driver). The same schema
steps as SQLite's build it (:mod:`pos.db.migrations`); what differs is here:

* The schema version and the mark that the database is ours live in a one-row table,
  ``pos_schema`` (SQLite keeps them in its file header: ``user_version``,
  ``application_id``).
* Integers are 64-bit (``BIGINT``): money in minor units and Unix times outgrow 32 bits.
  Text compares byte by byte (``COLLATE "C"``), as SQLite's does, so the UTC timestamps
  kept as text sort and range the same on both, whatever the server's locale.
* Every connection checks that commits are durable (``synchronous_commit`` not off)
  and works in UTC, with a lock timeout so a stuck till fails loudly instead of hanging.
* A connection the server dropped is opened again for the next statement, outside a
  transaction only: a transaction that was cut off fails and is retried by the caller.
* One till (by name) runs once per database: a session advisory lock, released by the
  server when the process dies.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import peewee
import psycopg
from playhouse.db_url import parseresult_to_dict
from playhouse.shortcuts import ReconnectMixin
from psycopg.pq import TransactionStatus
from psycopg.types.json import Json, Jsonb

from pos.config import describe
from pos.db.errors import DatabaseOpenError
from pos.db.models import MODELS
from pos.db.store_schema import SERVER_EXTRAS, SERVER_FUNCTIONS

APPLICATION = "pos-till"
LOCK_TIMEOUT = "5s"
"""How long a statement waits for a row another till holds (a receipt counter, an audit
entry) before it fails; the same as SQLite's busy timeout."""

_MIGRATION_LOCK = 0x504F5300  # advisory lock ids ("POS" and a number; the audit log's is
# pos.db.dialect.AUDIT_LOCK)


class NotDurable(peewee.OperationalError):
    """The server would not keep a commit through a power cut (refused at connecting;
    on a reconnect in the middle of a shift it is a failed statement like any other)."""


class _Psycopg3(peewee.Psycopg3Adapter):
    """peewee's psycopg 3 adapter, with the driver imported here rather than by peewee
    (which is imported with it hidden, see :mod:`pos.db`)."""

    txn_idle = TransactionStatus.IDLE
    txn_inerror = TransactionStatus.INERROR
    txn_unknown = TransactionStatus.UNKNOWN

    def __init__(self) -> None:
        super().__init__()
        self.json_type = Json
        self.jsonb_type = Jsonb

    def check_driver(self) -> None:
        pass  # imported above

    def get_binary_type(self) -> Any:
        return psycopg.Binary

    def connect(self, db: peewee.Database, **params: Any) -> Any:
        encoding = getattr(db, "_encoding", None)  # peewee's own, not in its stubs
        if encoding:
            params.setdefault("client_encoding", encoding)
        params.setdefault("dbname", db.database)
        return psycopg.connect(**params)

    def server_side_cursor(self, conn: Any) -> Any:
        in_txn = self.txn_status(conn) == TransactionStatus.INTRANS
        return conn.cursor(name=str(uuid.uuid1()), withhold=not in_txn)


class TillPostgresDatabase(ReconnectMixin, peewee.PostgresqlDatabase):
    """PostgresqlDatabase with 64-bit integers, byte-order text and checked settings."""

    # whichever driver peewee thinks it has (none: it was imported without one), ours
    psycopg2_adapter = _Psycopg3
    psycopg3_adapter = _Psycopg3

    field_types = {  # noqa: RUF012 (peewee's own class attribute)
        **peewee.PostgresqlDatabase.field_types,
        "INT": "BIGINT",
        "AUTO": "BIGSERIAL",
        "TEXT": 'TEXT COLLATE "C"',
    }
    reconnect_errors = (
        (peewee.OperationalError, "terminating connection"),
        (peewee.OperationalError, "the connection is closed"),
        (peewee.OperationalError, "server closed the connection"),
        (peewee.OperationalError, "connection is lost"),
        (peewee.InterfaceError, "connection already closed"),
        (peewee.InterfaceError, "the connection is closed"),
    )

    def _initialize_connection(self, conn: Any) -> None:
        super()._initialize_connection(conn)
        with conn.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
            cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
            cursor.execute("SET idle_in_transaction_session_timeout = '60s'")
            cursor.execute("SHOW synchronous_commit")
            (commit,) = cursor.fetchone()
            cursor.execute("SHOW fsync")
            (fsync,) = cursor.fetchone()
        if commit == "off" or fsync == "off":
            raise NotDurable(
                f"the server does not make commits durable (synchronous_commit={commit}, "
                f"fsync={fsync}): a sale could be lost in a power cut. Turn both on."
            )


def server_database(url: str) -> TillPostgresDatabase:
    """A database object for ``url`` (not connected yet)."""
    parsed = urlparse(url)
    params = parseresult_to_dict(parsed, unquote_password=True, unquote_user=True)
    name = params.pop("database") or "postgres"
    params.setdefault("connect_timeout", 10)
    return TillPostgresDatabase(name, autoconnect=True, **params)


def _connect(url: str) -> TillPostgresDatabase:
    db = server_database(url)
    db.bind(MODELS, bind_refs=False, bind_backrefs=False)
    try:
        db.connect()
    except NotDurable as exc:
        db.close()
        raise DatabaseOpenError(f"{describe(url)}: {exc}") from exc
    except (peewee.DatabaseError, peewee.InterfaceError, peewee.ImproperlyConfigured) as exc:
        db.close()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseOpenError(f"{describe(url)}: cannot connect to the server ({first})") from exc
    return db


def _tables(db: peewee.Database) -> set[str]:
    rows = db.execute_sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    ).fetchall()
    return {name for (name,) in rows}


def read_version(db: peewee.Database) -> tuple[bool, int]:
    """``(blank, version)``: blank when the schema has no tables at all; version 0 when
    tables are there but not ours.

    Raises:
        DatabaseOpenError: the tables are not a POS database.
    """
    tables = _tables(db)
    if not tables:
        return True, 0
    if "pos_schema" not in tables:
        return False, 0
    row = db.execute_sql("SELECT application, version FROM pos_schema").fetchone()
    if row is None or row[0] != APPLICATION:
        return False, 0
    return False, int(row[1])


@contextmanager
def _setting_up(url: str) -> Iterator[TillPostgresDatabase]:
    """Connected, inside one transaction that holds the set-up lock (so two tills starting
    at once take turns), and closed again if anything in the block fails.

    Raises:
        DatabaseOpenError: from the block, or for a database error (what it said).
    """
    db = _connect(url)
    try:
        with db.atomic():
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            yield db
    except (peewee.DatabaseError, peewee.InterfaceError) as exc:
        db.close()
        raise DatabaseOpenError(f"{describe(url)}: could not set up the database ({exc})") from exc
    except BaseException:
        db.close()
        raise


def open_server(url: str, *, create: bool, schema_version: int, upgrade: Any) -> peewee.Database:
    """Connect, check the database is ours (or blank, with ``create``), and migrate it.

    Two tills starting at once on an old database do not both migrate it: the upgrade
    runs under an advisory lock, and the version is read again once it is held. All the
    steps run in one transaction (PostgreSQL's DDL is transactional), so a failure
    leaves the old version.
    """
    label = describe(url)
    with _setting_up(url) as db:
        blank, version = read_version(db)
        if blank and not create:
            raise DatabaseOpenError(
                f"{label} is empty. Create the till's tables with: pos init --db URL"
            )
        if not blank and version == 0:
            raise DatabaseOpenError(
                f"{label} holds tables that are not a POS database. It was not changed."
            )
        if version > schema_version:
            raise DatabaseOpenError(
                f"{label} was made by a newer version of the till (schema {version}; "
                f"this version knows up to {schema_version}). Upgrade the till; the "
                "database was not changed."
            )
        if blank:
            _create_schema(db, schema_version, upgrade)
        elif version < schema_version:
            upgrade(db, version)
            db.execute_sql("UPDATE pos_schema SET version = %s", (schema_version,))
    return db


def _create_schema(db: peewee.Database, schema_version: int, upgrade: Any) -> None:
    upgrade(db, 0)
    db.execute_sql("CREATE TABLE pos_schema (application TEXT NOT NULL, version BIGINT NOT NULL)")
    db.execute_sql("INSERT INTO pos_schema VALUES (%s, %s)", (APPLICATION, schema_version))


def _drop_ours(db: peewee.Database) -> None:
    tables = _tables(db)
    ours = [m._meta.table_name for m in MODELS] + ["pos_schema", *SERVER_EXTRAS]
    present = [name for name in ours if name in tables]
    if present:
        db.execute_sql("DROP TABLE " + ", ".join(f'"{name}"' for name in present) + " CASCADE")
    db.execute_sql("DROP FUNCTION IF EXISTS audit_log_append_only() CASCADE")
    for function in SERVER_FUNCTIONS:
        db.execute_sql(f"DROP FUNCTION IF EXISTS {function} CASCADE")


def init_server(
    url: str, *, force: bool, schema_version: int, upgrade: Any, fill: Any
) -> peewee.Database:
    """``pos init`` on a server: in one transaction, remove the till's old tables (with
    ``force``), make the new ones and ``fill`` them. PostgreSQL's DDL is transactional,
    so a failure anywhere (bad demo data, a lost connection) leaves what was there
    before, old data included. Returns the database, still connected.

    Raises:
        DatabaseOpenError: tables are there (without ``force``), or tables that are not
            the till's would remain.
    """
    label = describe(url)
    with _setting_up(url) as db:
        blank, _ = read_version(db)
        if not blank:
            if not force:
                raise DatabaseOpenError(
                    f"{label} already holds tables; use --force to replace them"
                )
            _drop_ours(db)
            if _tables(db):
                raise DatabaseOpenError(
                    f"{label} holds tables that are not the till's; use an empty "
                    "database (or schema) for the till. Nothing was changed."
                )
        _create_schema(db, schema_version, upgrade)
        fill(db)
    return db


def inspect_server(url: str) -> tuple[int, list[str], dict[str, int | None]]:
    """``pos db check`` on a server: the version, what was checked, and row counts.

    Raises:
        DatabaseOpenError: cannot connect, or not a POS database.
    """
    db = _connect(url)
    try:
        blank, version = read_version(db)
        if blank or version == 0:
            raise DatabaseOpenError(f"{describe(url)} is not a POS database")
        tables = _tables(db)
        counts: dict[str, int | None] = {}
        for model in MODELS:
            name = model._meta.table_name
            if name not in tables:
                continue
            try:
                with db.atomic():
                    counts[name] = db.execute_sql(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            except peewee.DatabaseError:
                counts[name] = None
        return version, ["ok"], counts
    finally:
        db.close()


class ServerTillLock:
    """One till (by name) at a time on a server database: a session advisory lock on a
    connection of its own, which the server drops when the process or its connection
    dies (so a crashed till never blocks its own restart)."""

    def __init__(self, url: str, till: str) -> None:
        self.url = url
        self.till = till
        self._db: TillPostgresDatabase | None = None

    def acquire(self) -> None:
        """Raises DatabaseOpenError if the till is already running."""
        db = _connect(self.url)
        (got,) = db.execute_sql(
            "SELECT pg_try_advisory_lock(hashtext(current_schema() || %s))",
            (f":pos-till:{self.till}",),
        ).fetchone()
        if not got:
            db.close()
            raise DatabaseOpenError(
                f"{self.till} is already running on this database; close it first "
                "(or start this one under another name: pos --till NAME)"
            )
        self._db = db

    def release(self) -> None:
        if self._db is not None:
            self._db.close()  # the session ends: the server drops its lock
            self._db = None
