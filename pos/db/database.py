"""Opening the database: the only place that knows it is SQLite.

Every connection gets WAL, ``synchronous=FULL``, foreign keys and a busy timeout,
and they are read back and checked after connecting. A missing file is never
created silently: only ``pos init`` (and the first run of the default database)
passes ``create=True``. Before anything is written, the file is probed
read-only, so a file that is not a POS database, or is damaged, or is from a
newer version of the till, is refused without being touched.

A file damaged inside (its header intact) passes that probe: only SQLite's
``PRAGMA quick_check``, which reads every page, finds it. :func:`open_database`
runs it before handing out a connection (and always before a migration); the
till itself opens without it, so its login screen is up at once, and runs it in
the background (:class:`~pos.db.integrity.IntegrityCheck`), letting nobody log in
(nothing is written) until it has passed.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import peewee

from pos.auth.keys import KeyFileError, key_file_for, load_seal_key
from pos.config import DbTarget, is_server
from pos.db.errors import DatabaseOpenError, is_sqlite, storage_errors
from pos.db.integrity import verify_intact
from pos.db.migrations import SCHEMA_VERSION, upgrade
from pos.db.models import MODELS
from pos.db.operator_seals import SEAL_VERSION, seal_unsealed

if TYPE_CHECKING:
    from pos.db.server import ServerTillLock

Database = peewee.Database
"""The database type, for code outside ``pos.db`` that must not import peewee."""

log = logging.getLogger(__name__)

APPLICATION_ID = 0x504F5331  # "POS1": marks the file as ours (PRAGMA application_id)
BUSY_TIMEOUT_MS = 5_000

PRAGMAS: dict[str, Any] = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL: a commit survives power loss, not only a crash
    "foreign_keys": 1,
    "busy_timeout": BUSY_TIMEOUT_MS,
    "cache_size": -16_000,  # 16 MB page cache
    # The till copies the log into the main file itself, from a worker thread and between
    # customers (checkpoint_apart, checkpoint); SQLite's own checkpoint, which runs inside
    # whichever commit crosses its threshold (a scan's, for 0.1 s and more), is kept only as
    # a backstop for a log the till could not checkpoint (40 MB at 4 KB pages).
    "wal_autocheckpoint": 10_000,
}


class TillSqliteDatabase(peewee.SqliteDatabase):
    """SqliteDatabase that checks its pragmas took effect on every new connection."""

    def _initialize_connection(self, conn: sqlite3.Connection) -> None:
        super()._initialize_connection(conn)  # type: ignore[misc]  # a hook its stubs omit
        actual = {
            "journal_mode": conn.execute("PRAGMA journal_mode").fetchone()[0],
            "synchronous": conn.execute("PRAGMA synchronous").fetchone()[0],
            "foreign_keys": conn.execute("PRAGMA foreign_keys").fetchone()[0],
            "busy_timeout": conn.execute("PRAGMA busy_timeout").fetchone()[0],
        }
        expected = {k: PRAGMAS[k] for k in actual}
        if actual != expected:
            raise DatabaseOpenError(
                f"{self.database}: the database could not be set up safely "
                f"(wanted {expected}, got {actual}); is it on read-only or network storage?"
            )


@dataclass(frozen=True, slots=True)
class FileInfo:
    """What a read-only look at a database file found."""

    application_id: int
    user_version: int
    tables: int

    @property
    def is_blank(self) -> bool:
        """A new or empty SQLite file that nothing has used yet."""
        return self.application_id == 0 and self.user_version == 0 and self.tables == 0


def probe(path: Path) -> FileInfo:
    """Look at a database file without changing it.

    Raises:
        DatabaseOpenError: not a SQLite file, damaged, or unreadable.
    """
    if path.is_dir():
        raise DatabaseOpenError(f"{path} is a folder, not a database file")
    if path.stat().st_size == 0:
        return FileInfo(0, 0, 0)
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            version = con.execute("PRAGMA user_version").fetchone()[0]
            tables = con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseOpenError(
            f"{path} is not a POS database, or it is damaged ({exc}). It was not changed."
        ) from exc
    return FileInfo(app_id, version, tables)


def _check_ours(path: Path, info: FileInfo) -> None:
    if info.is_blank:
        raise DatabaseOpenError(f"{path} is empty. Create the database with: pos init --db {path}")
    if info.application_id != APPLICATION_ID:
        raise DatabaseOpenError(
            f"{path} is a SQLite file but not a POS database. It was not changed."
        )
    if info.user_version > SCHEMA_VERSION:
        raise DatabaseOpenError(
            f"{path} was made by a newer version of the till (schema {info.user_version}; "
            f"this version knows up to {SCHEMA_VERSION}). Upgrade the till; the file was not "
            "changed."
        )
    if info.user_version < 1:
        raise DatabaseOpenError(f"{path} has no schema version; it is not a POS database.")


def _connect(path: Path, *, create: bool) -> TillSqliteDatabase:
    mode = "rwc" if create else "rw"
    db = TillSqliteDatabase(
        f"{path.resolve().as_uri()}?mode={mode}",
        uri=True,
        pragmas=PRAGMAS,
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    db.bind(MODELS, bind_refs=False, bind_backrefs=False)
    try:
        db.connect()
    except DatabaseOpenError:
        db.close()
        raise
    except (peewee.DatabaseError, sqlite3.Error) as exc:
        db.close()
        raise DatabaseOpenError(f"{path}: cannot open the database ({exc})") from exc
    return db


def check_writable(path: Path) -> None:
    """Refuse a database the till could not save to: a read-only file, or a folder
    where SQLite cannot make its ``-wal``/``-shm`` companions.

    SQLite would open such a file read-only without a word and fail at the first
    sale; a till that starts must be able to save one. Tools that only read
    (``pos db check``) do not ask.

    Raises:
        DatabaseOpenError: with what to do.
    """
    path = Path(path)
    folder = path.resolve().parent
    if not os.access(path, os.W_OK):
        raise DatabaseOpenError(
            f"{path} is read-only: the till could not save a sale. Make it writable "
            f"(chmod u+w {path}, or move it off read-only storage), then start the till again."
        )
    companions = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]
    missing = [c for c in companions if not c.exists()]
    if any(c.exists() and not os.access(c, os.W_OK) for c in companions) or (
        missing and not os.access(folder, os.W_OK | os.X_OK)
    ):
        raise DatabaseOpenError(
            f"The folder {folder} (or the -wal/-shm files beside {path.name}) is read-only: "
            "the till could not save a sale. Make it writable, then start the till again."
        )


NO_SERVER_DRIVER = "PostgreSQL support is not installed: pip install 'pos-till[postgresql]'"


def check_server_driver() -> None:
    """Make sure the PostgreSQL driver can be loaded, before a server URL is used.

    psycopg is an extra (``pos-till[postgresql]``): a till on SQLite runs without it.

    Raises:
        DatabaseOpenError: psycopg (or the libpq it needs) is not installed.
    """
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise DatabaseOpenError(f"{NO_SERVER_DRIVER} ({exc})") from exc


def schema_version(db: peewee.Database) -> int:
    if not is_sqlite(db):
        check_server_driver()
        from pos.db import server  # loads psycopg: for a server URL only

        return server.read_version(db)[1]
    return int(db.execute_sql("PRAGMA user_version").fetchone()[0])


def sealing_upgrade(target: DbTarget) -> Callable[[peewee.Database, int], None]:
    """:func:`pos.db.migrations.upgrade`, and, on the way past the version that added
    operator seals, the sealing of the operator rows already there with the key file of
    ``target`` (in the same transaction). Without a readable key file they stay unsealed:
    those operators cannot log in until a manager sets their PIN again."""

    def run(db: peewee.Database, from_version: int) -> None:
        upgrade(db, from_version)
        if (
            from_version >= SEAL_VERSION
            or not db.execute_sql(
                'SELECT 1 FROM "operator" WHERE "row_mac" IS NULL LIMIT 1'
            ).fetchall()
        ):
            return
        try:
            key = load_seal_key(key_file_for(target))
        except KeyFileError as exc:
            log.warning("operator rows left unsealed at the upgrade: %s", exc)
            return
        sealed = seal_unsealed(db, key)
        if sealed:
            log.info("upgrade: sealed %d operator rows", sealed)

    return run


def _migrate(db: peewee.Database, from_version: int, path: Path) -> None:
    # One transaction for every step: a failure or a crash leaves the old version intact.
    with db.atomic("IMMEDIATE"):  # SQLite only: this function is the SQLite set-up
        sealing_upgrade(path)(db, from_version)
        db.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")


def open_database(path: DbTarget, *, create: bool = False, check: bool = True) -> peewee.Database:
    """Open (and if needed migrate) a till database, and bind the models to it.

    Args:
        path: The SQLite file, or a PostgreSQL URL (:mod:`pos.db.server`).
        create: Make the file if it is missing or blank (``pos init`` and the first run
            of the default database only); on a server, create the tables in a blank
            database.
        check: Read the whole file first (:func:`~pos.db.integrity.verify_intact`) and
            refuse it if it is damaged. Only the till passes False: it checks in the
            background before anyone logs in (:class:`~pos.db.integrity.IntegrityCheck`).
            A migration is always preceded by the check, whatever ``check`` says.

    Returns:
        The connected database, at :data:`SCHEMA_VERSION`.

    Raises:
        DatabaseOpenError: missing (and not ``create``), not ours, damaged, too new,
            or not writable. A damaged file is left as it was.
    """
    if is_server(path):
        check_server_driver()
        from pos.db import server  # loads psycopg: for a server URL only

        return server.open_server(
            str(path),
            create=create,
            schema_version=SCHEMA_VERSION,
            upgrade=sealing_upgrade(path),
        )
    path = Path(path)
    if path.exists():
        info = probe(path)
        if not (create and info.is_blank):
            _check_ours(path, info)
            if check or info.user_version < SCHEMA_VERSION:
                verify_intact(path)
    elif not create:
        raise DatabaseOpenError(f"No database at {path}. Create one with: pos init --db {path}")
    elif not path.parent.is_dir():
        raise DatabaseOpenError(f"Cannot create {path}: the folder {path.parent} does not exist")
    else:
        info = FileInfo(0, 0, 0)

    db = _connect(path, create=create)
    try:
        if info.user_version < SCHEMA_VERSION:
            _migrate(db, info.user_version, path)
    except (peewee.DatabaseError, sqlite3.Error) as exc:
        db.close()
        raise DatabaseOpenError(f"{path}: could not upgrade the database ({exc})") from exc
    except BaseException:
        db.close()
        raise
    return db


@dataclass(frozen=True, slots=True)
class Inspection:
    """What ``pos db check`` found, read without changing the file."""

    path: DbTarget
    version: int
    integrity: list[str]
    counts: dict[str, int | None]  # None: the table could not be read

    @property
    def ok(self) -> bool:
        return self.integrity == ["ok"] and None not in self.counts.values()

    @property
    def version_note(self) -> str:
        if self.version < SCHEMA_VERSION:
            return f"older than this till's {SCHEMA_VERSION}: upgraded when the till opens it"
        if self.version > SCHEMA_VERSION:
            return f"newer than this till knows ({SCHEMA_VERSION}): upgrade the till"
        return "current"


def inspect_database(path: DbTarget) -> Inspection:
    """Check a database read-only: it is never migrated or written. (On a server, the
    server keeps its own pages sound: the check is that every table can be read.)

    Raises:
        DatabaseOpenError: missing, not a SQLite file, or not a POS database.
    """
    if is_server(path):
        check_server_driver()
        from pos.db import server  # loads psycopg: for a server URL only

        version, integrity, table_counts = server.inspect_server(str(path))
        return Inspection(path, version, integrity, table_counts)
    path = Path(path)
    if not path.exists():
        raise DatabaseOpenError(f"No database at {path}")
    info = probe(path)
    if info.is_blank or info.application_id != APPLICATION_ID:
        raise DatabaseOpenError(f"{path} is not a POS database")
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        try:
            integrity = [row[0] for row in con.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as exc:
            integrity = [str(exc)]
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master")}
        counts: dict[str, int | None] = {}
        for model in MODELS:
            name = model._meta.table_name
            if name not in tables:
                continue
            try:
                counts[name] = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            except sqlite3.DatabaseError:
                counts[name] = None
    finally:
        con.close()
    return Inspection(path, info.user_version, integrity, counts)


def init_server(
    url: str, *, force: bool, fill: Callable[[peewee.Database], None]
) -> peewee.Database:
    """``pos init`` on a server database, all in one transaction (:mod:`pos.db.server`)."""
    check_server_driver()
    from pos.db import server  # loads psycopg: for a server URL only

    return server.init_server(
        url, force=force, schema_version=SCHEMA_VERSION, upgrade=upgrade, fill=fill
    )


def remove_database_files(path: Path) -> None:
    """Delete a database file and its WAL companions (``pos init --force``)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def flush_to_main_file(db: peewee.Database) -> None:
    """Move everything written so far into the main database file (SQLite's WAL
    checkpoint), so a new database is one complete file before it is swapped in."""
    if not is_sqlite(db):
        return
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def checkpoint(db: peewee.Database) -> None:
    """Copy what the log holds into the main file now (SQLite's PASSIVE WAL checkpoint,
    which waits for nobody), so the next commits start a short log again and SQLite's own
    checkpoint (``wal_autocheckpoint``, see PRAGMAS) does not land on a scan or a sale's
    commit. Durability does
    not depend on it: every commit is already synced in the log (``synchronous=FULL``).

    Raises:
        StorageError: it could not be done now (SQLite checkpoints by itself later).
    """
    if not is_sqlite(db):
        return  # the server checkpoints by itself
    with storage_errors():
        db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")


def checkpoint_apart(db: peewee.Database) -> None:
    """:func:`checkpoint` on a connection of the calling thread's own (peewee keeps one per
    thread), closed afterwards: for a worker thread, so that copying the log never holds up
    the till's own connection, and so that no scan's commit crosses SQLite's threshold.

    Raises:
        RuntimeError: called on the main thread (it would close the till's connection).
        StorageError: it could not be done now.
    """
    if threading.current_thread() is threading.main_thread():
        raise RuntimeError("checkpoint_apart runs on a worker thread, not the till's")
    try:
        checkpoint(db)
    finally:
        if not db.is_closed():
            db.close()


def till_lock(target: DbTarget, till: str) -> TillLock | ServerTillLock:
    """The lock that keeps one till (by name) running once on ``target``."""
    if is_server(target):
        check_server_driver()
        from pos.db import server  # loads psycopg: for a server URL only

        return server.ServerTillLock(str(target), till)
    return TillLock(Path(target), till)


class TillLock:
    """Makes sure one till (by name) runs only once on a database.

    Two processes as the same till would share one open cart and overwrite each
    other's lines. The lock is an OS file lock beside the database, so it is released
    even when the process is killed.
    """

    def __init__(self, path: Path, till: str) -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", till)
        self.file = path.with_name(f"{path.name}.{safe}.lock")
        self.till = till
        self._handle: IO[bytes] | None = None

    def acquire(self) -> None:
        """Raises DatabaseOpenError if the till is already running."""
        handle = self.file.open("a+b")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise DatabaseOpenError(
                f"{self.till} is already running on this database; close it first "
                "(or start this one under another name: pos --till NAME)"
            ) from None
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing drops the lock
            self._handle = None
